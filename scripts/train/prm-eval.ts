// Judging reward models on the steps a policy actually samples (bench:prm and the embedded PRM's test):
// truth read from the worked solution, AUC, and next steps sampled at the worked solution's prefixes.

import { Rng, applyOp, emptyUsage, finalText, formatNumber, solveWorked, stepText, workedSolutionOf, type Policy, type Problem, type RewardModel, type WorkedSolution } from '../../src/index.js';

const STEP_RE = /^\s*(-?\d+(?:\.\d+)?)\s*([-+*/])\s*(-?\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)\s*$/;
/** A final step, capturing the answer. */
export const FINAL_RE = /^\s*The answer is (-?\d[\d,]*(?:\.\d+)?)\.?\s*$/;

export interface Truth {
  worked: WorkedSolution;
  /** The worked solution as step lines, "The answer is N" last. */
  steps: string[];
  /** True result of each worked step. */
  results: number[];
}

/** The worked solution's steps as text, its true step results, and the answer. */
export function truthOf(problem: Problem): Truth {
  const worked = workedSolutionOf(problem);
  if (worked === undefined) throw new Error(`problem ${problem.id} has no worked solution`);
  const results = solveWorked(worked);
  const steps = worked.steps.map((s, i) => stepText(typeof s.a === 'number' ? s.a : results[s.a.ref], s.op, typeof s.b === 'number' ? s.b : results[s.b.ref], results[i]));
  steps.push(finalText(worked.answer));
  return { worked, steps, results };
}

/**
 * Step `depth` (0-based) after right steps: right when it reads "a op b = r", the claim holds and r is
 * the true result; at the final depth, when it states the true answer.
 */
export function stepIsRight(truth: Truth, depth: number, text: string): boolean {
  const n = truth.worked.steps.length;
  if (depth === n) {
    const m = FINAL_RE.exec(text);
    return m !== null && formatNumber(Number(m[1].replace(/,/g, ''))) === truth.worked.answer;
  }
  if (depth > n) return false;
  const m = STEP_RE.exec(text);
  if (m === null) return false;
  const [a, op, b, r] = [Number(m[1]), m[2] as '+' | '-' | '*' | '/', Number(m[3]), Number(m[4])];
  return formatNumber(applyOp(a, op, b)) === formatNumber(r) && formatNumber(r) === formatNumber(truth.results[depth]);
}

/** AUC of `pos` against `neg` (Mann-Whitney, ties count half); NaN when either side is empty. */
export function auc(pos: readonly number[], neg: readonly number[]): number {
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  const all = [...pos.map((s) => [s, 1] as const), ...neg.map((s) => [s, 0] as const)].sort((x, y) => x[0] - y[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** One distinct next step sampled at a true prefix. */
export interface Sample {
  problem: number;
  depth: number;
  text: string;
  logprob: number;
  tokens: number;
  right: boolean;
  final: boolean;
  prm: number;
}

/** Right/wrong pairs at the same prefix ordered by the scorer (ties half), and the pair count. */
export function siblingPairs(groups: readonly (readonly Sample[])[], score: (s: Sample) => number): { wins: number; pairs: number } {
  let wins = 0;
  let pairs = 0;
  for (const g of groups) {
    for (const p of g) {
      if (!p.right) continue;
      for (const q of g) {
        if (q.right) continue;
        const a = score(p);
        const b = score(q);
        wins += a > b ? 1 : a === b ? 0.5 : 0;
        pairs++;
      }
    }
  }
  return { wins, pairs };
}

/**
 * At every prefix of each problem's worked solution (its true steps so far), `width` next steps
 * sampled by the policy (seeded per problem and depth); the distinct ones, each scored by the PRM and
 * judged by the worked solution. Result [problem][depth][sample].
 */
export async function sampleAtTruePrefixes(
  problems: readonly Problem[],
  policy: Policy,
  prm: RewardModel,
  options: { width: number; seed: number; onProblem?: (done: number) => void },
): Promise<Sample[][][]> {
  const byProblem: Sample[][][] = [];
  for (let p = 0; p < problems.length; p++) {
    const problem = problems[p];
    const truth = truthOf(problem);
    const groups: Sample[][] = [];
    for (let depth = 0; depth < truth.steps.length; depth++) {
      const prefix = truth.steps.slice(0, depth);
      const ctx = { signal: new AbortController().signal, rng: Rng.fromSeed(options.seed).split('bench-prm').split(problem.id).split(depth), usage: emptyUsage() };
      const candidates = await policy.propose({ problem, steps: prefix }, options.width, ctx);
      const seen = new Set<string>();
      const distinct = candidates.filter((c) => (seen.has(c.text) ? false : (seen.add(c.text), true)));
      const scores = distinct.length === 0 ? new Float64Array(0) : await prm.score(distinct.map((c) => ({ problem, steps: [...prefix, c.text] })), ctx);
      groups.push(distinct.map((c, i) => ({ problem: p, depth, text: c.text, logprob: c.logprob, tokens: c.tokens, right: stepIsRight(truth, depth, c.text), final: depth === truth.steps.length - 1, prm: scores[i] })));
    }
    byProblem.push(groups);
    options.onProblem?.(p + 1);
  }
  return byProblem;
}
