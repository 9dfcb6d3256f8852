// Step labels for the embedded PRM, made by mcts-gen itself: MCTS with the embedded policy and the
// math verifier only (no reward model) on training problems (built-in seed 2000, disjoint from the
// held-out seed 0), writing an ordinary run directory whose steps.jsonl holds soft step values.
//
//   tsx scripts/prm-data.ts [--out out/prm-data] [--count 600] [--simulations 48] [--workers 2]
//                           [--policy-dir DIR (another trained policy; default the embedded one)]
//
// Needs the build (npm run build): the search runs in pool workers from dist/.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_POLICY_DEFAULTS } from '../policies/onnx/index.js';
import { generateArithProblems, runToDirectory } from '../src/index.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/prm-data' },
    count: { type: 'string', default: '600' },
    seed: { type: 'string', default: '2000' },
    simulations: { type: 'string', default: '48' },
    workers: { type: 'string', default: '2' },
    'policy-dir': { type: 'string' },
  },
});
const problems = generateArithProblems({ count: Number(values.count), seed: Number(values.seed) });
const outDir = resolve(values.out!);
const started = performance.now();
let last = 0;
const { summary } = await runToDirectory({
  outDir,
  input: { problems },
  workers: Number(values.workers),
  ordered: true,
  overwrite: true,
  config: {
    seed: 0,
    algorithm: 'mcts',
    policy: values['policy-dir'] === undefined ? { kind: 'embedded', options: {} } : { kind: 'onnx', options: { modelDir: resolve(values['policy-dir']), ...EMBEDDED_POLICY_DEFAULTS, intraOpNumThreads: 1 } },
    reward: null,
    budget: { simulations: Number(values.simulations), generatedTokens: null },
    filters: { maxStepRecordsPerProblem: 64 },
    outputs: { traces: true, pairs: false, steps: true },
  },
  onProgress: (p) => {
    const now = performance.now();
    if (now - last > 10_000 || p.done === p.total) {
      last = now;
      process.stderr.write(`${p.done}/${p.total} problems, ${p.solved} solved, ${((now - started) / 1000).toFixed(0)} s\n`);
    }
  },
});
const a = Object.values(summary.algorithms)[0];
process.stderr.write(
  `${outDir}: ${summary.records.steps} step records, ${summary.records.traces} verified traces from ${summary.problems.committed} problems (${(100 * a.solveRate).toFixed(1)} % solved) in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
