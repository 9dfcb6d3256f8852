// bench:quality — does search pay at equal compute? Each algorithm runs on the same held-out built-in
// problems at the same generated-token budgets, through the ordinary run path (worker pool, run
// directory, summary.json, ledger.jsonl). Per algorithm it prints: accuracy of the committed answer and
// solve rate (a verified, step-checked solution exists), each with a 95 % Wilson interval; verified
// traces, DPO pairs and step rows per 1k generated tokens, each with a 95 % bootstrap interval over
// problems; the duplicate-token share; why searches stopped; and, read back from traces.jsonl, how many
// written traces hold a false arithmetic step (re-checked here with the math verifier's step check).
//
// --models embedded (default): the embedded policy and PRM that mcts-gen trains (models/).
// --models scripted: the scripted policy (30 % step error) and scripted reward model (80 % accurate).
//
// Reward kind logprob (the policy's own step probability) runs as its own variants, beside the PRM.
//
// Run: npm run bench:quality [-- --problems 300 --budgets 600,1200 --workers 2 --only mcts,best-of-n --json out.json]
// --compare earlier.json: for each row also in that file (same budget and algorithm key, same problems),
// the paired difference of solve rate and accuracy, problem by problem, with a 95 % bootstrap interval:
// the way to tell whether a change of model or setting moved a row (the JSON keeps per-problem results).
// --set path=value (repeatable) overrides the config of every variant, e.g. --set search.width=2.
// Needs the build (npm run build): pool workers run dist/.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyOverrides, bootstrapRatio, generateArithProblems, pairedDifference, runToDirectory, wilsonInterval as wilson, type ConfigInput, type LedgerEntry } from '../src/index.js';
import { checkStepClaims } from '../verifiers/math/index.js';

const { values } = parseArgs({
  options: {
    problems: { type: 'string', default: '300' },
    budgets: { type: 'string', default: '600,1200' },
    seed: { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    models: { type: 'string', default: 'embedded' },
    only: { type: 'string' },
    json: { type: 'string' },
    compare: { type: 'string' },
    set: { type: 'string', multiple: true },
  },
});
const count = Number(values.problems);
const models = values.models === 'scripted' ? 'scripted' : 'embedded';
const budgets = values.budgets.split(',').map(Number);
// Held out: the embedded policy trains on seed 1000 and its PRM on MCTS data from seed 2000.
const problemSeed = models === 'embedded' ? Number(values.seed) : 1000 + Number(values.seed);
const problems = generateArithProblems({ count, seed: problemSeed });
// Read before the runs, so a bad --compare file fails at once rather than after them.
let earlier: { rows?: Partial<Row>[] } | undefined;
if (values.compare !== undefined) {
  try {
    earlier = JSON.parse(readFileSync(values.compare, 'utf8')) as { rows?: Partial<Row>[] };
  } catch (e) {
    throw new Error(`--compare ${values.compare}: not a bench:quality JSON file (${(e as Error).message})`);
  }
}

interface Variant {
  key: string;
  name: string;
  config: ConfigInput;
}

const policy = models === 'embedded' ? { kind: 'embedded', options: {} } : { kind: 'scripted', options: { errorRate: 0.3 } };
const reward = models === 'embedded' ? { kind: 'embedded-prm', options: {} } : { kind: 'scripted', options: { accuracy: 0.8 } };
const rm = models === 'embedded' ? 'PRM' : 'reward model';
const many = { simulations: 10_000_000 };
const variants: Variant[] = [
  { key: 'greedy', name: 'greedy', config: { algorithm: 'greedy', reward: null } },
  { key: 'best-of-n', name: `best-of-n (${rm} picks)`, config: { algorithm: 'best-of-n', search: { samples: 4096 } } },
  {
    key: 'best-of-n-plain',
    name: `best-of-n (${rm} picks), false steps not pruned`,
    config: { algorithm: 'best-of-n', search: { samples: 4096, pruneFalseSteps: false } },
  },
  { key: 'self-consistency', name: 'self-consistency (majority vote)', config: { algorithm: 'self-consistency', reward: null, search: { samples: 4096 } } },
  { key: 'beam', name: `beam + ${rm} (width 4, beam 4)`, config: { algorithm: 'beam', search: { width: 4, beamSize: 4 } } },
  { key: 'mcts-verifier', name: 'mcts, verifier only (no reward model)', config: { algorithm: 'mcts', reward: null, search: { lambda: 1 }, budget: many } },
  {
    key: 'mcts-prm',
    name: `mcts + ${rm}, no verifier in the loop (lambda 0, no pruning)`,
    config: { algorithm: 'mcts', search: { lambda: 0, pruneFalseSteps: false }, budget: many },
  },
  { key: 'mcts', name: `mcts, defaults (${rm} + verifier, lambda 0.5)`, config: { algorithm: 'mcts', budget: many } },
  // The policy's own step probability as the value (reward kind logprob): the cheap baseline a learned PRM must beat.
  {
    key: 'best-of-n-logprob',
    name: 'best-of-n (logprob picks, mean over steps), false steps not pruned',
    config: { algorithm: 'best-of-n', reward: { kind: 'logprob', options: {} }, search: { samples: 4096, pruneFalseSteps: false, aggregate: 'mean' } },
  },
  {
    key: 'mcts-logprob',
    name: 'mcts + logprob, no verifier in the loop (lambda 0, no pruning)',
    config: { algorithm: 'mcts', reward: { kind: 'logprob', options: {} }, search: { lambda: 0, pruneFalseSteps: false }, budget: many },
  },
  { key: 'mcts-logprob-verifier', name: 'mcts, logprob + verifier (lambda 0.5)', config: { algorithm: 'mcts', reward: { kind: 'logprob', options: {} }, budget: many } },
];
const wanted = values.only?.split(',');
const selected = wanted === undefined ? variants : variants.filter((v) => wanted.includes(v.key));

interface Row {
  budget: number;
  key: string;
  name: string;
  problems: number;
  accuracy: number;
  accuracyCi: [number, number];
  solveRate: number;
  solveRateCi: [number, number];
  tokensPerProblem: number;
  tracesPer1k: number;
  tracesPer1kCi: [number, number];
  pairsPer1k: number;
  pairsPer1kCi: [number, number];
  stepsPer1k: number;
  stepsPer1kCi: [number, number];
  duplicateTokenShare: number;
  falseStepTraces: number;
  traces: number;
  stoppedBy: Record<string, number>;
  wallS: number;
  /** Problem ids in order, and per problem: a verified solution exists (solved), the committed answer passed (success). */
  perProblem: { ids: string[]; solved: boolean[]; success: boolean[] };
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const rows: Row[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'mcts-gen-quality-'));
try {
  for (const budget of budgets) {
    for (const v of selected) {
      // Greedy decodes one solution whatever the budget: run it once.
      if (v.key === 'greedy' && budget !== budgets[0]) continue;
      const config = applyOverrides(
        { seed: Number(values.seed), policy, reward, ...v.config, budget: { ...(v.config.budget ?? {}), generatedTokens: budget } },
        values.set ?? [],
      ) as ConfigInput;
      const outDir = join(scratch, `${budget}-${v.key}`);
      const t0 = performance.now();
      const { summary } = await runToDirectory({ outDir, input: { problems }, config, workers: Number(values.workers), ordered: true });
      const ms = performance.now() - t0;
      if (summary.problems.errors > 0) throw new Error(`${v.name}: ${summary.problems.errors} problems failed (see ${outDir}/errors.jsonl)`);
      const ledger = readJsonl<LedgerEntry>(join(outDir, 'ledger.jsonl')).filter((e) => e.ok && e.stats !== undefined);
      const tokens = ledger.map((e) => e.stats!.usage.generatedTokens);
      const per1k = (pick: (e: LedgerEntry) => number): [number, [number, number]] => {
        const num = ledger.map(pick);
        const total = tokens.reduce((a, b) => a + b, 0);
        return [total === 0 ? 0 : (1000 * num.reduce((a, b) => a + b, 0)) / total, bootstrapRatio(num, tokens, 1000)];
      };
      const traces = readJsonl<{ steps: { text: string }[] }>(join(outDir, 'traces.jsonl'));
      const falseStepTraces = traces.filter((t) => t.steps.some((s) => checkStepClaims(s.text).verdict === 'fail')).length;
      const a = Object.values(summary.algorithms)[0];
      const n = a.problems;
      const [tr, trCi] = per1k((e) => e.records.traces);
      const [pr, prCi] = per1k((e) => e.records.pairs);
      const [st, stCi] = per1k((e) => e.records.steps);
      const row: Row = {
        budget,
        key: v.key,
        name: v.name,
        problems: n,
        accuracy: a.accuracy,
        accuracyCi: wilson(Math.round(a.accuracy * n), n),
        solveRate: a.solveRate,
        solveRateCi: wilson(Math.round(a.solveRate * n), n),
        tokensPerProblem: a.generatedTokensPerProblem,
        tracesPer1k: tr,
        tracesPer1kCi: trCi,
        pairsPer1k: pr,
        pairsPer1kCi: prCi,
        stepsPer1k: st,
        stepsPer1kCi: stCi,
        duplicateTokenShare: a.duplicateTokenShare,
        falseStepTraces,
        traces: traces.length,
        stoppedBy: summary.stoppedBy,
        wallS: ms / 1000,
        perProblem: { ids: ledger.map((e) => e.problemId), solved: ledger.map((e) => e.stats!.solved), success: ledger.map((e) => e.stats!.success) },
      };
      rows.push(row);
      process.stderr.write(`${budget} ${v.key}: acc ${(100 * row.accuracy).toFixed(1)}% solved ${(100 * row.solveRate).toFixed(1)}% traces/1k ${tr.toFixed(2)} dup ${(100 * row.duplicateTokenShare).toFixed(1)}% ${(ms / 1000).toFixed(0)} s\n`);
      rmSync(outDir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ci = (c: [number, number], f: (x: number) => string) => `[${f(c[0])}, ${f(c[1])}]`;
const num2 = (x: number) => x.toFixed(2);
const who =
  models === 'embedded'
    ? 'embedded policy (models/arith-policy) and PRM (models/arith-prm)'
    : 'scripted policy 30 % step error, scripted reward model 80 % accurate';
console.log(`${count} held-out built-in problems (seed ${problemSeed}), ${who}, ${values.workers} workers; budget = generated tokens per problem`);
console.log('accuracy: the committed solution passes (answer right, every step\'s arithmetic holds); solved: such a solution exists among what was generated');
console.log('');
console.log('| budget | algorithm | accuracy [95% CI] | solved [95% CI] | tokens/problem | traces / 1k tok [95% CI] | pairs / 1k tok | step rows / 1k tok | duplicate tokens | false-step traces | stopped by |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const stops = Object.entries(r.stoppedBy)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  console.log(
    `| ${r.budget} | ${r.name} | ${pct(r.accuracy)} ${ci(r.accuracyCi, (x) => (100 * x).toFixed(1))} | ${pct(r.solveRate)} ${ci(r.solveRateCi, (x) => (100 * x).toFixed(1))} | ${r.tokensPerProblem.toFixed(0)} | ${num2(r.tracesPer1k)} ${ci(r.tracesPer1kCi, num2)} | ${num2(r.pairsPer1k)} ${ci(r.pairsPer1kCi, num2)} | ${num2(r.stepsPer1k)} ${ci(r.stepsPer1kCi, num2)} | ${pct(r.duplicateTokenShare)} | ${r.falseStepTraces} of ${r.traces} | ${stops} |`,
  );
}

// The targets of "search that pays", read off the rows where both sides ran.
console.log('');
for (const budget of budgets) {
  const mcts = rows.find((r) => r.budget === budget && r.key === 'mcts');
  for (const baseKey of ['best-of-n', 'best-of-n-plain']) {
    const bon = rows.find((r) => r.budget === budget && r.key === baseKey);
    if (mcts === undefined || bon === undefined) continue;
    const gap = 100 * (mcts.solveRate - bon.solveRate);
    const ratio = bon.tracesPer1k === 0 ? Number.POSITIVE_INFINITY : mcts.tracesPer1k / bon.tracesPer1k;
    console.log(
      `${budget} tokens, mcts vs ${baseKey}: solve rate ${gap >= 0 ? '+' : ''}${gap.toFixed(1)} points (target >= +5: ${gap >= 5 ? 'met' : 'NOT met'}); ` +
        `traces/1k tokens ${ratio.toFixed(2)}x (target >= 1.5x: ${ratio >= 1.5 ? 'met' : 'NOT met'})`,
    );
  }
  if (mcts !== undefined) console.log(`${budget} tokens, mcts duplicate-token share ${pct(mcts.duplicateTokenShare)} (target <= 15%: ${mcts.duplicateTokenShare <= 0.15 ? 'met' : 'NOT met'})`);
  // A value that ranks: tree search guided by the value alone (no verifier in the loop) against majority vote.
  const sc = rows.find((r) => r.budget === budget && r.key === 'self-consistency');
  for (const key of ['mcts-prm', 'mcts-logprob']) {
    const guided = rows.find((r) => r.budget === budget && r.key === key);
    if (sc === undefined || guided === undefined) continue;
    const gap = 100 * (guided.accuracy - sc.accuracy);
    console.log(`${budget} tokens, ${key} vs self-consistency: accuracy ${gap >= 0 ? '+' : ''}${gap.toFixed(1)} points (target >= +10: ${gap >= 10 ? 'met' : 'NOT met'})`);
  }
}
const falseTraces = rows.reduce((s, r) => s + r.falseStepTraces, 0);
console.log(`verified traces holding a false arithmetic step, all algorithms: ${falseTraces} (target 0: ${falseTraces === 0 ? 'met' : 'NOT met'})`);
if (earlier !== undefined) {
  // Paired by problem id: a row's figure here minus the same row's figure in the earlier file.
  console.log('');
  console.log(`Paired differences against ${values.compare} (this run minus that one, per problem; 95 % bootstrap interval):`);
  let compared = 0;
  for (const r of rows) {
    const old = earlier.rows?.find((o) => o.budget === r.budget && o.key === r.key);
    if (old?.perProblem === undefined) continue;
    const at = new Map(old.perProblem.ids.map((id, i) => [id, i]));
    const both = r.perProblem.ids.map((id, i) => [i, at.get(id)] as const).filter((x): x is readonly [number, number] => x[1] !== undefined);
    if (both.length === 0) continue;
    const theirs = old.perProblem;
    const diff = (pick: (p: Row['perProblem']) => boolean[]) => {
      const d = pairedDifference(
        both.map(([i]) => pick(r.perProblem)[i]),
        both.map(([, j]) => pick(theirs)[j]),
      );
      return `${d.points.toFixed(1)} points ${ci(d.ci, (x) => x.toFixed(1))}`;
    };
    console.log(`${r.budget} ${r.key} (${both.length} problems): solved ${diff((p) => p.solved)}, accuracy ${diff((p) => p.success)}`);
    compared++;
  }
  if (compared === 0) console.log('no row of this run has per-problem results in that file');
}
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ problems: count, seed: problemSeed, models, rows }, null, 2)}\n`);
