// Self-improvement in miniature (rStar-Math's rounds, on the built-in arithmetic task, on one CPU box):
// each round searches training problems with the current policy and PRM, trains a new PRM on the
// round's steps.jsonl and fine-tunes the policy on its verified traces, then measures both on held-out
// problems. Starts from the embedded policy (models/arith-policy) and no PRM.
//
//   npx tsx examples/self-improve/run.ts [--rounds 2] [--problems 150] [--eval 100] [--budget 600]
//                                        [--workers 2] [--out out/self-improve] [--epochs 2] [--sft-lr 3e-5]
//                                        [--min-steps 2] [--max-steps 6]
//
// Held-out figures carry 95 % Wilson intervals, and each round's greedy and MCTS accuracy is compared
// with round 0's problem by problem (paired difference, 95 % bootstrap interval): a round is reported
// better only when that interval is above zero.
//
// Needs the build (npm run build): the search runs in pool workers from dist/.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_POLICY_DEFAULTS, EMBEDDED_PRM_DEFAULTS, embeddedModelDir } from '../../policies/onnx/index.js';
import { generateArithProblems, pairedDifference, runToDirectory, wilsonInterval, type ConfigInput, type LedgerEntry } from '../../src/index.js';
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
    // Training problems of up to 6 steps (held-out ones have 2 to 5): harder ones too, so that the policy
    // learns from what search solves and greedy does not.
    'min-steps': { type: 'string', default: '2' },
    'max-steps': { type: 'string', default: '6' },
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

/** One run through the pool; returns the summary's figures for its algorithm and, per problem in input order, whether the committed answer passed. */
async function search(name: string, problems: ReturnType<typeof generateArithProblems>, config: ConfigInput) {
  const dir = join(out, name);
  const { summary } = await runToDirectory({ outDir: dir, input: { problems }, config, workers, ordered: true });
  const ledger = readFileSync(join(dir, 'ledger.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerEntry);
  const byId = new Map(ledger.map((e) => [e.problemId, e.ok && e.stats?.success === true]));
  return { dir, summary, a: Object.values(summary.algorithms)[0], success: problems.map((p) => byId.get(p.id) ?? false) };
}

/** Accuracy with its 95 % Wilson interval. */
function withInterval(success: readonly boolean[]): string {
  const k = success.filter(Boolean).length;
  const [lo, hi] = wilsonInterval(k, success.length);
  return `${pct(k / Math.max(1, success.length))} [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}]`;
}

/** A round minus round 0, problem by problem: "+x.x points [lo, hi]". */
function versus(after: readonly boolean[], before: readonly boolean[]): { text: string; better: boolean } {
  const d = pairedDifference(after, before);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  return { text: `${sign(d.points)} points [${sign(d.ci[0])}, ${sign(d.ci[1])}]`, better: d.ci[0] > 0 };
}

const heldOut = generateArithProblems({ count: Number(values.eval), seed: 0 });
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
let policyDir = embeddedModelDir('arith-policy');
let prmDir: string | null = null;
const table: string[][] = [];
const verdicts: string[] = [];
let greedy0: boolean[] = [];
let mcts0: boolean[] = [];

// Round 0: the starting point. Its MCTS row uses the verifier, as there is no PRM yet; the paired MCTS
// comparison of later rounds is against round 0's MCTS with the first round's PRM (lambda 0) below.
{
  const greedy = await search('round-0/eval-greedy', heldOut, { algorithm: 'greedy', policy: policyConfig(policyDir), reward: null });
  const mcts = await search('round-0/eval-mcts', heldOut, { algorithm: 'mcts', policy: policyConfig(policyDir), reward: null, search: { lambda: 1 }, budget: { simulations: 1e7, generatedTokens: budget } });
  greedy0 = greedy.success;
  table.push(['0', '-', '-', '-', withInterval(greedy.success), `${pct(mcts.a.solveRate)} solved (verifier only)`]);
  console.log(`round 0: greedy ${withInterval(greedy.success)}, MCTS solves ${pct(mcts.a.solveRate)} of held-out problems`);
}

for (let r = 1; r <= rounds; r++) {
  const t0 = performance.now();
  // 1. Search training problems with the current models; the verifier labels the tree.
  const training = generateArithProblems({ count: Number(values.problems), seed: 3000 + r, minSteps: Number(values['min-steps']), maxSteps: Number(values['max-steps']) });
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
  if (r === 1) {
    // The same PRM with the starting policy: the baseline the later MCTS rows are paired against.
    mcts0 = (
      await search('round-0/eval-mcts-prm', heldOut, {
        algorithm: 'mcts',
        policy: policyConfig(policyDir),
        reward: prmConfig(nextPrm),
        search: { lambda: 0 },
        budget: { simulations: 1e7, generatedTokens: budget },
      })
    ).success;
  }
  policyDir = nextPolicy;
  prmDir = nextPrm;
  const yieldText = `${pct(data.a.solveRate)} solved, ${(data.summary.records.traces / training.length).toFixed(2)} traces/problem`;
  const g = versus(greedy.success, greedy0);
  const m = versus(mcts.success, mcts0);
  table.push([String(r), yieldText, String(data.summary.records.steps), `${prmLosses[0].toFixed(3)} -> ${prmLosses.at(-1)!.toFixed(3)}`, withInterval(greedy.success), withInterval(mcts.success)]);
  verdicts.push(`round ${r} vs round 0 (${heldOut.length} problems, paired): greedy ${g.text}, ${g.better ? 'better' : 'not shown better'}; MCTS + PRM (against round 0's policy with round 1's PRM) ${m.text}, ${m.better ? 'better' : 'not shown better'}`);
  console.log(`round ${r} (${((performance.now() - t0) / 1000).toFixed(0)} s): data ${yieldText}, ${sft.examples.length} traces; greedy ${withInterval(greedy.success)} (${g.text}); MCTS + PRM ${withInterval(mcts.success)} (${m.text})`);
}

const header = ['round', 'search yield (training problems)', 'step records', 'PRM loss', 'greedy accuracy [95% CI]', `MCTS + PRM accuracy (${budget} tokens, lambda 0) [95% CI]`];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
console.log(`\n${heldOut.length} held-out problems (seed 0); ${values.problems} training problems per round (seed 3000 + round)`);
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
console.log('');
for (const v of verdicts) console.log(v);
