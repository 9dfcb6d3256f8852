// tsc writes dist/ files without the execute bit; the bin needs it for `npx mcts-gen`.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
