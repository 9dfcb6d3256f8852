// Self-improvement in miniature (rStar-Math's rounds, on the built-in arithmetic task, on one CPU box):
// each round searches training problems with the current policy and PRM, trains a new PRM on the
// round's steps.jsonl and fine-tunes the policy on its verified traces, then measures both on held-out
// problems. Starts from the embedded policy (models/arith-policy) and no PRM.
//
//   npx tsx examples/self-improve/run.ts [--rounds 2] [--problems 150] [--eval 100] [--budget 600]
//                                        [--workers 2] [--out out/self-improve] [--epochs 2] [--sft-lr 3e-5]
//
// Needs the build (npm run build): the search runs in pool workers from dist/.

import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_POLICY_DEFAULTS, EMBEDDED_PRM_DEFAULTS, embeddedModelDir } from '../../policies/onnx/index.js';
import { generateArithProblems, runToDirectory, type ConfigInput } from '../../src/index.js';
import { exampleBatches, readPrmExamples, readTraceExamples, type Example } from '../../scripts/train/data.js';
import { exportModel, pickParams, readSpec, readWeights } from '../../scripts/train/export.js';
import type { ModelSpec } from '../../scripts/train/model.js';
import { DEFAULT_TRAIN, train } from '../../scripts/train/trainer.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    problems: { type: 'string', default: '150' },
    eval: { type: 'string', default: '100' },
    budget: { type: 'string', default: '600' },
    workers: { type: 'string', default: '2' },
    out: { type: 'string', default: 'out/self-improve' },
    'prm-steps': { type: 'string', default: '300' },
    'sft-steps': { type: 'string', default: '150' },
    epochs: { type: 'string', default: '2' },
    'sft-lr': { type: 'string', default: '0.00003' },
  },
});
const rounds = Number(values.rounds);
const out = resolve(values.out!);
const workers = Number(values.workers);
const budget = Number(values.budget);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const policyConfig = (dir: string) => ({ kind: 'onnx', options: { modelDir: dir, ...EMBEDDED_POLICY_DEFAULTS, intraOpNumThreads: 1 } });
const prmConfig = (dir: string) => ({ kind: 'onnx-prm', options: { modelDir: dir, ...EMBEDDED_PRM_DEFAULTS, intraOpNumThreads: 1 } });
const specOf = (dir: string, head: ModelSpec['head']): ModelSpec => ({ ...readSpec(dir), head });

/**
 * Trains from the current policy's weights on `examples` and exports to `dir`; returns the losses.
 * At most `--epochs` passes over the examples: a round's data is small, and more passes overfit it.
 */
async function fineTune(dir: string, head: ModelSpec['head'], examples: Example[], o: { steps: number; lr: number; warmupSteps: number; seed: number }): Promise<number[]> {
  const spec = specOf(policyDir, head);
  const steps = Math.max(1, Math.min(o.steps, Math.ceil((Number(values.epochs) * examples.length) / 32)));
  const result = await train({
    spec,
    settings: { ...DEFAULT_TRAIN, ...o, steps, warmupSteps: Math.min(o.warmupSteps, Math.ceil(steps / 5)) },
    data: exampleBatches(examples, { seed: o.seed, batchSize: 32, head }),
    initial: pickParams(spec, readWeights(policyDir)),
  });
  exportModel(dir, spec, result.params, { from: policyDir, examples: examples.length, steps });
  return result.losses;
}

/** One run through the pool; returns the summary's figures for its algorithm. */
async function search(name: string, problems: ReturnType<typeof generateArithProblems>, config: ConfigInput) {
  const dir = join(out, name);
  const { summary } = await runToDirectory({ outDir: dir, input: { problems }, config, workers, ordered: true });
  return { dir, summary, a: Object.values(summary.algorithms)[0] };
}

const heldOut = generateArithProblems({ count: Number(values.eval), seed: 0 });
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
let policyDir = embeddedModelDir('arith-policy');
let prmDir: string | null = null;
const table: string[][] = [];

// Round 0: the starting point.
{
  const greedy = await search('round-0/eval-greedy', heldOut, { algorithm: 'greedy', policy: policyConfig(policyDir), reward: null });
  const mcts = await search('round-0/eval-mcts', heldOut, { algorithm: 'mcts', policy: policyConfig(policyDir), reward: null, search: { lambda: 1 }, budget: { simulations: 1e7, generatedTokens: budget } });
  table.push(['0', '-', '-', '-', pct(greedy.a.accuracy), `${pct(mcts.a.solveRate)} (verifier only)`]);
  console.log(`round 0: greedy ${pct(greedy.a.accuracy)}, MCTS solves ${pct(mcts.a.solveRate)} of held-out problems`);
}

for (let r = 1; r <= rounds; r++) {
  const t0 = performance.now();
  // 1. Search training problems with the current models; the verifier labels the tree.
  const training = generateArithProblems({ count: Number(values.problems), seed: 3000 + r });
  const data = await search(`round-${r}/data`, training, {
    algorithm: 'mcts',
    policy: policyConfig(policyDir),
    reward: prmDir === null ? null : prmConfig(prmDir),
    search: { lambda: prmDir === null ? 1 : 0.5 },
    budget: { simulations: 1e7, generatedTokens: budget },
    filters: { maxStepRecordsPerProblem: 64, maxTracesPerProblem: 4 },
  });
  const stepsFile = join(data.dir, 'steps.jsonl');
  const tracesFile = join(data.dir, 'traces.jsonl');

  // 2. A new PRM from this round's step labels (hard labels of the solved problems, as the embedded
  //    PRM), starting from the current policy's weights.
  const prmData = readPrmExamples([stepsFile], specOf(policyDir, 'classifier').maxPositions, { target: 'labels', solvedOnly: true });
  const nextPrm = join(out, `round-${r}`, 'prm');
  const prmLosses = await fineTune(nextPrm, 'classifier', prmData.examples, { steps: Number(values['prm-steps']), lr: 1e-3, warmupSteps: 30, seed: r });

  // 3. Fine-tune the policy on the verified traces (rejection-sampling fine-tuning).
  const sft = readTraceExamples([tracesFile], specOf(policyDir, 'lm').maxPositions - 1);
  const nextPolicy = join(out, `round-${r}`, 'policy');
  await fineTune(nextPolicy, 'lm', sft.examples, { steps: Number(values['sft-steps']), lr: Number(values['sft-lr']), warmupSteps: 20, seed: r });

  // 4. Held-out: greedy accuracy of the new policy; MCTS with the new PRM and no verifier in the value.
  const greedy = await search(`round-${r}/eval-greedy`, heldOut, { algorithm: 'greedy', policy: policyConfig(nextPolicy), reward: null });
  const mcts = await search(`round-${r}/eval-mcts`, heldOut, {
    algorithm: 'mcts',
    policy: policyConfig(nextPolicy),
    reward: prmConfig(nextPrm),
    search: { lambda: 0 },
    budget: { simulations: 1e7, generatedTokens: budget },
  });
  policyDir = nextPolicy;
  prmDir = nextPrm;
  const yieldText = `${pct(data.a.solveRate)} solved, ${(data.summary.records.traces / training.length).toFixed(2)} traces/problem`;
  table.push([String(r), yieldText, String(data.summary.records.steps), `${prmLosses[0].toFixed(3)} -> ${prmLosses.at(-1)!.toFixed(3)}`, pct(greedy.a.accuracy), pct(mcts.a.accuracy)]);
  console.log(`round ${r} (${((performance.now() - t0) / 1000).toFixed(0)} s): data ${yieldText}; greedy ${pct(greedy.a.accuracy)}; MCTS + PRM ${pct(mcts.a.accuracy)}`);
}

const header = ['round', 'search yield (training problems)', 'step records', 'PRM loss', 'greedy accuracy', `MCTS + PRM accuracy (${budget} tokens)`];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
console.log(`\n${heldOut.length} held-out problems (seed 0); ${values.problems} training problems per round (seed 3000 + round)`);
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
