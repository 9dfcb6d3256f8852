// Builds the tiny ONNX models used by the onnx backend's tests and benchmark (Optimum layout, weights
// from a seed, nothing downloaded): `npx tsx scripts/build-tiny-models.ts --out DIR [--large]`.

import { resolve } from 'node:path';
import { buildTinyModels } from './onnx/tiny-models.js';

function main(argv: string[]): void {
  let out: string | undefined;
  let large = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--large') large = true;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: tsx scripts/build-tiny-models.ts --out DIR [--large]\n');
      return;
    } else {
      process.stderr.write(`unknown argument ${JSON.stringify(argv[i])}\n`);
      process.exitCode = 2;
      return;
    }
  }
  if (out === undefined) {
    process.stderr.write('--out DIR is required\n');
    process.exitCode = 2;
    return;
  }
  const dirs = buildTinyModels(resolve(out), { large });
  for (const [role, dir] of Object.entries(dirs)) process.stdout.write(`${role}\t${dir}\n`);
}

main(process.argv.slice(2));
