#!/usr/bin/env node
// Registers the tslab TypeScript kernel installed here (npm ci --prefix examples/kernel) with Jupyter.
//   node examples/kernel/install.mjs                 -> ~/.local/share/jupyter/kernels/tslab/
//   node examples/kernel/install.mjs --prefix DIR    -> DIR/kernels/tslab/ (then JUPYTER_PATH=DIR)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, 'node_modules', 'tslab', 'bin', 'tslab');
if (!existsSync(entry)) {
  console.error(`tslab is not installed in ${here}: run  npm ci --prefix examples/kernel  first`);
  process.exit(1);
}
const i = process.argv.indexOf('--prefix');
const base = i >= 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1]) : join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'jupyter');
const dir = join(base, 'kernels', 'tslab');
mkdirSync(dir, { recursive: true });
const spec = {
  argv: [process.execPath, entry, 'kernel', '--config-path', '{connection_file}'],
  display_name: 'TypeScript (tslab)',
  language: 'typescript',
};
writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
console.log(`wrote ${join(dir, 'kernel.json')}`);
