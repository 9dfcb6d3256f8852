// bench:prm — does a reward model rank the steps the policy actually samples? On held-out built-in
// problems (seed 0; neither embedded model trains on it) and with the embedded policy:
//
// 1. Step ranking. At every prefix of the worked solution (the true steps so far, so only steps whose
//    prefix is right), the policy samples `--width` next steps at temperature 1; distinct ones are kept.
//    A step is right when its arithmetic holds and its result is the worked solution's (the final step:
//    "The answer is N" with the right N). Each scorer ranks them: the PRM, the policy's own logprob
//    (per token and whole step), depth (shallower first) and length (shorter first). Printed: AUC of
//    right against wrong pooled over all steps, AUC among siblings only (pairs at the same prefix: the
//    choice a tree search makes), both with 95 % bootstrap intervals over problems, and the PRM's mean
//    score of right and wrong final steps.
// 2. Best-of-n re-ranking. mcts-gen's best-of-n (false steps not pruned, so only the scorer picks)
//    samples solutions until `--budget` generated tokens; the same samples are re-ranked by each scorer.
//    Printed: accuracy (the pick is right at every step) of each pick against the first sample and the
//    oracle pass@n (some sample is right), with 95 % Wilson intervals, and each pick's share of the oracle.
//
// Run: npm run bench:prm [-- --problems 300 --width 8 --budget 600 --prm-dir DIR --policy-dir DIR --json out.json]
// --prm-dir scores with another PRM trained by scripts/train.ts prm (run as its mcts-gen.json says), --policy-dir samples
// with another policy. Runs in this process (no pool, no build needed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_POLICY_DEFAULTS, EMBEDDED_PRM_DEFAULTS } from '../policies/onnx/index.js';
import { FLAG, createDefaultRegistry, formatNumber, generateArithProblems, parseConfig, runSearch, wilsonInterval, type PluginSpec, type Policy, type RewardModel, Rng } from '../src/index.js';
import { FINAL_RE, auc, sampleAtTruePrefixes, siblingPairs, stepIsRight, truthOf, type Sample } from '../scripts/train/prm-eval.js';

const { values } = parseArgs({
  options: {
    problems: { type: 'string', default: '300' },
    seed: { type: 'string', default: '0' },
    width: { type: 'string', default: '8' },
    budget: { type: 'string', default: '600' },
    'prm-dir': { type: 'string' },
    'policy-dir': { type: 'string' },
    'skip-rerank': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const count = Number(values.problems);
const width = Number(values.width);
const budget = Number(values.budget);
const env = { baseDir: process.cwd() };
const problems = generateArithProblems({ count, seed: Number(values.seed) });

const policySpec: PluginSpec =
  values['policy-dir'] === undefined ? { kind: 'embedded', options: {} } : { kind: 'onnx', options: { modelDir: resolve(values['policy-dir']), ...EMBEDDED_POLICY_DEFAULTS, intraOpNumThreads: 1 } };
/** A trained PRM directory runs with the options its mcts-gen.json records (the embedded PRM's when it has none). */
function prmDirSpec(dir: string): PluginSpec {
  const file = join(dir, 'mcts-gen.json');
  let options: Record<string, unknown> = { ...EMBEDDED_PRM_DEFAULTS };
  if (existsSync(file)) {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown; options?: unknown };
    if (meta.kind !== 'onnx-prm' || typeof meta.options !== 'object' || meta.options === null) throw new Error(`${file}: kind is ${JSON.stringify(meta.kind)}; --prm-dir needs an onnx-prm model`);
    options = meta.options as Record<string, unknown>;
  }
  return { kind: 'onnx-prm', options: { ...options, modelDir: dir, intraOpNumThreads: 1 } };
}
const prmSpec: PluginSpec = values['prm-dir'] === undefined ? { kind: 'embedded-prm', options: {} } : prmDirSpec(resolve(values['prm-dir']));

function percentile95(stats: number[]): [number, number] {
  const s = stats.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (s.length === 0) return [Number.NaN, Number.NaN];
  return [s[Math.floor(0.025 * s.length)], s[Math.ceil(0.975 * s.length) - 1]];
}

// ---------------------------------------------------------------------------------------------------
// Part 1: step ranking.

const SCORERS: Record<string, (s: Sample) => number> = {
  prm: (s) => s.prm,
  'logprob (per token)': (s) => s.logprob / Math.max(1, s.tokens),
  'logprob (whole step)': (s) => s.logprob,
  'depth (shallower first)': (s) => -s.depth,
  'length (shorter first)': (s) => -s.text.length,
};

async function sampleSteps(policy: Policy, prm: RewardModel): Promise<Sample[][][]> {
  const started = performance.now();
  return sampleAtTruePrefixes(problems, policy, prm, {
    width,
    seed: Number(values.seed),
    onProblem: (done) => {
      if (done % 50 === 0 || done === problems.length) process.stderr.write(`steps: ${done}/${problems.length} problems, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    },
  });
}

interface RankingFigures {
  steps: number;
  right: number;
  nodesWithBoth: number;
  scorers: Record<string, { auc: number; aucCi: [number, number]; siblingAuc: number; siblingAucCi: [number, number]; siblingPairs: number }>;
  prmFinal: { right: number; wrong: number; rightCount: number; wrongCount: number };
}

function rankingFigures(byProblem: Sample[][][]): RankingFigures {
  const flat = byProblem.flat(2);
  const groups = byProblem.flat(1);
  const rng = Rng.fromSeed(12345);
  const resamples: number[][] = Array.from({ length: 1000 }, () => Array.from({ length: byProblem.length }, () => rng.int(byProblem.length)));
  const scorers: RankingFigures['scorers'] = {};
  for (const [name, f] of Object.entries(SCORERS)) {
    const pooled = (samples: readonly Sample[]) =>
      auc(
        samples.filter((s) => s.right).map(f),
        samples.filter((s) => !s.right).map(f),
      );
    const sib = (gs: readonly Sample[][]) => {
      const r = siblingPairs(gs, f);
      return r.pairs === 0 ? Number.NaN : r.wins / r.pairs;
    };
    const pooledStats: number[] = [];
    const sibStats: number[] = [];
    for (const idx of resamples) {
      pooledStats.push(pooled(idx.flatMap((i) => byProblem[i].flat())));
      sibStats.push(sib(idx.flatMap((i) => byProblem[i])));
    }
    scorers[name] = { auc: pooled(flat), aucCi: percentile95(pooledStats), siblingAuc: sib(groups), siblingAucCi: percentile95(sibStats), siblingPairs: siblingPairs(groups, f).pairs };
  }
  const finals = flat.filter((s) => s.final);
  const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    steps: flat.length,
    right: flat.filter((s) => s.right).length,
    nodesWithBoth: groups.filter((g) => g.some((s) => s.right) && g.some((s) => !s.right)).length,
    scorers,
    prmFinal: {
      right: mean(finals.filter((s) => s.right).map((s) => s.prm)),
      wrong: mean(finals.filter((s) => !s.right).map((s) => s.prm)),
      rightCount: finals.filter((s) => s.right).length,
      wrongCount: finals.filter((s) => !s.right).length,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Part 2: best-of-n re-ranking.

interface Solution {
  right: boolean;
  answer: string;
  prm: number[];
  logprob: number;
  tokens: number;
}

const PICKERS: Record<string, (sols: readonly Solution[]) => number> = {
  'first sample': () => 0,
  'PRM, last step': (sols) => argmax(sols.map((s) => s.prm[s.prm.length - 1])),
  'PRM, min over steps': (sols) => argmax(sols.map((s) => Math.min(...s.prm))),
  'PRM, mean over steps': (sols) => argmax(sols.map((s) => s.prm.reduce((a, b) => a + b, 0) / s.prm.length)),
  'logprob (per token)': (sols) => argmax(sols.map((s) => s.logprob / Math.max(1, s.tokens))),
  'logprob (whole solution)': (sols) => argmax(sols.map((s) => s.logprob)),
  'majority answer': (sols) => {
    const votes = new Map<string, number>();
    for (const s of sols) votes.set(s.answer, (votes.get(s.answer) ?? 0) + 1);
    let best = 0;
    for (let i = 1; i < sols.length; i++) if ((votes.get(sols[i].answer) ?? 0) > (votes.get(sols[best].answer) ?? 0)) best = i;
    return best;
  },
};

/** Index of the highest finite score, the earliest on ties; 0 when none is finite. */
function argmax(xs: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]) && (best === -1 || xs[i] > xs[best])) best = i;
  return Math.max(0, best);
}

async function rerank(policy: Policy, prm: RewardModel): Promise<{ solutions: number; tokens: number; picks: Record<string, number>; oracle: number; problems: number }> {
  const registry = createDefaultRegistry();
  const verifier = await registry.create('verifier', { kind: 'math', options: {} }, env);
  const config = parseConfig({ algorithm: 'best-of-n', seed: 0, search: { samples: 4096, pruneFalseSteps: false }, budget: { generatedTokens: budget }, filters: { verifiedSteps: false } });
  const picks: Record<string, number> = Object.fromEntries(Object.keys(PICKERS).map((k) => [k, 0]));
  let oracle = 0;
  let solutions = 0;
  let tokens = 0;
  const started = performance.now();
  try {
    for (let p = 0; p < problems.length; p++) {
      const problem = problems[p];
      const truth = truthOf(problem);
      const r = await runSearch(problem, config, { policy, reward: prm, verifier });
      tokens += r.usage.generatedTokens;
      const t = r.tree;
      const sols: Solution[] = [];
      for (let id = 1; id < t.size; id++) {
        if (!t.has(id, FLAG.TERMINAL)) continue;
        const path = t.pathTo(id);
        const steps = path.map((n) => t.text[n]);
        const right = steps.length === truth.steps.length && steps.every((s, d) => stepIsRight(truth, d, s));
        const last = FINAL_RE.exec(steps[steps.length - 1] ?? '');
        sols.push({
          right,
          answer: last === null ? `#${id}` : formatNumber(Number(last[1].replace(/,/g, ''))),
          prm: path.map((n) => t.rewardScore[n]),
          logprob: path.reduce((a, n) => a + (Number.isFinite(t.logprob[n]) ? t.logprob[n] : 0), 0),
          tokens: path.reduce((a, n) => a + t.tokens[n], 0),
        });
      }
      solutions += sols.length;
      if (sols.length === 0) continue;
      if (sols.some((s) => s.right)) oracle++;
      for (const [name, pick] of Object.entries(PICKERS)) if (sols[pick(sols)].right) picks[name]++;
      if ((p + 1) % 50 === 0 || p + 1 === problems.length) process.stderr.write(`best-of-n: ${p + 1}/${problems.length} problems, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
  } finally {
    await verifier.close?.();
  }
  return { solutions, tokens, picks, oracle, problems: problems.length };
}

// ---------------------------------------------------------------------------------------------------

const registry = createDefaultRegistry();
const policy = await registry.create('policy', policySpec, env);
const prm = await registry.create('reward', prmSpec, env);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
try {
  console.log(`bench:prm: ${problems.length} held-out problems (seed ${values.seed}), policy ${policy.name}, PRM ${prm.name}\n`);
  const ranking = rankingFigures(await sampleSteps(policy, prm));
  console.log(`Step ranking: ${ranking.steps} distinct sampled steps (${ranking.right} right, ${pct(ranking.right / ranking.steps)}) at true prefixes, ${width} samples per prefix; ${ranking.nodesWithBoth} prefixes have both right and wrong siblings\n`);
  console.log('| scorer | AUC, all steps [95% CI] | AUC among siblings [95% CI] | sibling pairs |');
  console.log('|---|---|---|---|');
  for (const [name, s] of Object.entries(ranking.scorers)) console.log(`| ${name} | ${f3(s.auc)} [${f3(s.aucCi[0])}, ${f3(s.aucCi[1])}] | ${f3(s.siblingAuc)} [${f3(s.siblingAucCi[0])}, ${f3(s.siblingAucCi[1])}] | ${s.siblingPairs} |`);
  console.log(`\nPRM score of final steps: right ${f3(ranking.prmFinal.right)} (${ranking.prmFinal.rightCount}), wrong ${f3(ranking.prmFinal.wrong)} (${ranking.prmFinal.wrongCount})\n`);
  let rerankFigures: Awaited<ReturnType<typeof rerank>> | undefined;
  if (!values['skip-rerank']) {
    rerankFigures = await rerank(policy, prm);
    const { picks, oracle, problems: n, solutions, tokens } = rerankFigures;
    console.log(`Best-of-n re-ranking at ${budget} generated tokens per problem: ${solutions} solutions (${(solutions / n).toFixed(1)} per problem, ${(tokens / n).toFixed(0)} tokens per problem)\n`);
    console.log('| pick | accuracy [95% CI] | share of oracle pass@n |');
    console.log('|---|---|---|');
    const row = (name: string, k: number) => {
      const [lo, hi] = wilsonInterval(k, n);
      console.log(`| ${name} | ${pct(k / n)} [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}] | ${oracle === 0 ? 'n/a' : pct(k / oracle)} |`);
    };
    for (const [name, k] of Object.entries(picks)) row(name, k);
    row('oracle pass@n', oracle);
  }
  const prmAuc = ranking.scorers.prm.auc;
  const lpAuc = ranking.scorers['logprob (per token)'].auc;
  console.log('\nTargets:');
  console.log(`- PRM AUC >= 0.97 on sampled steps: ${prmAuc >= 0.97 ? 'met' : 'not met'} (${f3(prmAuc)})`);
  console.log(`- PRM AUC above the logprob scorer's: ${prmAuc > lpAuc ? 'met' : 'not met'} (${f3(prmAuc)} vs ${f3(lpAuc)})`);
  if (rerankFigures !== undefined) {
    const best = Math.max(rerankFigures.picks['PRM, last step'], rerankFigures.picks['PRM, min over steps'], rerankFigures.picks['PRM, mean over steps']);
    const share = rerankFigures.oracle === 0 ? 0 : best / rerankFigures.oracle;
    console.log(`- best-of-n picked by the PRM >= 85 % of oracle pass@n: ${share >= 0.85 ? 'met' : 'not met'} (${pct(share)}, best of last/min/mean)`);
  }
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ problems: problems.length, seed: Number(values.seed), width, budget, policy: policy.name, prm: prm.name, ranking, rerank: rerankFigures }, null, 2));
} finally {
  await policy.close?.();
  await prm.close?.();
}
