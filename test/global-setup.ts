// Builds dist/ once before the suite: the CLI binary and the import-isolation check run against the
// compiled package, so it must match the sources under test. Type errors are reported (tsc still
// emits); `npm run typecheck` is where they fail the build.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env.MCTS_GEN_SKIP_BUILD === '1') return;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const r = spawnSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) console.warn(`tsc reported problems while building dist/:\n${r.stdout}${r.stderr}`);
}
