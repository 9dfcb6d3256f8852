// Step labels for PRM training from sampled solutions, with any policy and verifier. Sources:
//
// - `verdict`: the process verifier's exact check of each step's arithmetic claims. A step is good while
//   every claim so far holds, and the final step also needs the verified answer. Cheap and exact for
//   what it checks, but blind to a wrong operand whose arithmetic holds.
// - `mc`: Monte Carlo estimates (Math-Shepherd, Wang et al. 2024, "Math-Shepherd: Verify and Reinforce
//   LLMs Step-by-step without Human Annotations"): from the prefix ending at step i, `completions`
//   sampled continuations; the value is the share that reach a verified answer with every step's
//   claims holding, the hard label is "at least one does". A step with a false claim is 0 without
//   rollouts, and, as in PRM800K's labelling, every step after the first bad one is bad.
// - `omega`: OmegaPRM's first-error search (Luo et al. 2024, "Improve Mathematical Reasoning in
//   Language Models by Automated Process Supervision"): a failed solution is binary-searched for its
//   first step with no verified continuation (Monte Carlo as above, assuming an error is never
//   recovered); the record keeps the steps up to that error: good, good, ..., bad. A first false claim
//   bounds the search. Far fewer rollouts than `mc` for the same labels on long solutions.
// - `reference`: the problem's worked solution (`meta.worked`, as the built-in task has): a step is good
//   when its arithmetic claims hold and its result is the worked step's true result, the final step
//   when the answer verifies. Records stop at the first bad step. Exact, but only where a step-aligned
//   reference exists; the printed agreement of the other sources with it is their label accuracy.
//
// A verified solution labels all its steps good under every source but `reference` (it is itself a
// verified completion).
// Same problem, policy, verifier and seed give the same records.

import { Rng, claimedResult, emptyUsage, formatNumber, solveWorked, workedSolutionOf, type CallContext, type Policy, type Problem, type Trajectory, type Verifier } from '../../src/index.js';
import { solutionSteps } from './data.js';
import { stepIsRight, truthOf } from './prm-eval.js';

export const LABEL_SOURCES = ['verdict', 'mc', 'omega', 'reference'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

export interface LabelOptions {
  source: LabelSource;
  /** Sampled solutions per problem (each gives one record; identical ones are kept once). */
  solutions: number;
  /**
   * `reference` only: also sample this many next steps at every prefix of the worked solution (its
   * true steps so far) and label each, as one record per distinct step: the sibling choices a search
   * faces, with the policy's own mistakes as the bad ones.
   */
  siblings?: number;
  /** Continuations per Monte Carlo estimate (`mc`, `omega`). */
  completions: number;
  seed: number;
  /** Text between the prompt and the first step in the record's `prompt` (the run's step delimiter). */
  delimiter: string;
  signal?: AbortSignal;
}

export interface LabelledRecord {
  problemId: string;
  prompt: string;
  completions: string[];
  labels: boolean[];
  /** Monte Carlo estimate where one was made, else the label as 0 or 1. */
  values: number[];
  source: LabelSource;
  /** The sampled solution reached a verified answer with every claim holding (false for `--siblings` records, which are not whole solutions). */
  verified: boolean;
}

export interface LabelledProblem {
  records: LabelledRecord[];
  generatedTokens: number;
  /** Monte Carlo estimates computed (each `completions` continuations). */
  estimates: number;
}

const KEY_SEP = '\u241e';

/** Labels `options.solutions` sampled solutions of one problem. */
export async function labelProblem(problem: Problem, policy: Policy, verifier: Verifier, options: LabelOptions): Promise<LabelledProblem> {
  if (policy.rollout === undefined) throw new Error(`policy ${policy.name} has no rollout; step labels need sampled solutions`);
  const signal = options.signal ?? new AbortController().signal;
  const usage = emptyUsage();
  const base = Rng.fromSeed(options.seed).split('prm-labels').split(problem.id);
  const ctx = (rng: Rng): CallContext => ({ signal, rng, usage });
  const falseClaim = new Map<string, boolean>();
  const stepFails = async (step: string): Promise<boolean> => {
    let f = falseClaim.get(step);
    if (f === undefined) {
      const [sv] = verifier.checkSteps === undefined ? [] : await verifier.checkSteps(problem, { problem, steps: [step] }, ctx(base));
      f = sv?.kind === 'fail';
      falseClaim.set(step, f);
    }
    return f;
  };
  /** A finished solution counts when its answer verifies and no step makes a false claim. */
  const verified = async (steps: readonly string[]): Promise<boolean> => {
    for (const s of steps) if (await stepFails(s)) return false;
    const v = await verifier.check(problem, { problem, steps }, ctx(base));
    return v.kind === 'pass';
  };
  const estimates = new Map<string, number>();
  /** Share of `completions` sampled continuations of `prefix` (its last step not final) that verify. */
  const estimate = async (prefix: readonly string[]): Promise<number> => {
    const key = prefix.join(KEY_SEP);
    const known = estimates.get(key);
    if (known !== undefined) return known;
    const rng = base.split('mc').split(key);
    const at: Trajectory = { problem, steps: prefix };
    const firsts = await policy.propose(at, options.completions, ctx(rng));
    let good = 0;
    for (let r = 0; r < firsts.length; r++) {
      const c = firsts[r];
      const steps = [...prefix, c.text];
      if (c.ending === 'step') {
        const rest = await policy.rollout!({ problem, steps }, ctx(rng.split(`rest:${r}`)));
        if (rest.length === 0 || rest[rest.length - 1].ending === 'step') continue; // never finished
        steps.push(...rest.map((x) => x.text));
      } else if (c.ending === 'length') continue;
      if (await verified(steps)) good++;
    }
    const value = good / options.completions;
    estimates.set(key, value);
    return value;
  };

  const worked = workedSolutionOf(problem);
  if (options.source === 'reference' && worked === undefined) throw new Error(`problem ${problem.id}: --source reference needs a worked solution (meta.worked)`);
  const trueResults = worked === undefined ? [] : solveWorked(worked);
  const records: LabelledRecord[] = [];
  const seen = new Set<string>();
  for (let j = 0; j < options.solutions; j++) {
    const sol = await policy.rollout({ problem, steps: [] }, ctx(base.split('solution').split(j)));
    if (sol.length === 0) continue;
    const steps = sol.map((c) => c.text);
    const finished = sol[sol.length - 1].ending === 'final';
    const key = steps.join(KEY_SEP);
    if (seen.has(key)) continue;
    seen.add(key);
    const n = steps.length;
    const fails: boolean[] = [];
    for (const s of steps) fails.push(await stepFails(s));
    const firstFalse = fails.indexOf(true);
    const ok = finished && firstFalse === -1 && (await verified(steps));
    // A finished solution that did not verify, or a step cut at the token limit, ends badly. A solution
    // cut at the rollout's step limit may still go on to a verified answer: its last step is estimated.
    const lastBad = finished || sol[n - 1].ending === 'length';
    const record = (labels: boolean[], values: number[]): LabelledRecord => ({
      problemId: problem.id,
      prompt: problem.prompt + options.delimiter,
      completions: steps.slice(0, labels.length),
      labels,
      values,
      source: options.source,
      verified: ok,
    });
    if (ok && options.source !== 'reference') {
      records.push(record(steps.map(() => true), steps.map(() => 1)));
      continue;
    }
    if (options.source === 'reference') {
      const labels: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const r = claimedResult(steps[i]);
        const good = i === trueResults.length ? ok : i < trueResults.length && !fails[i] && r !== undefined && formatNumber(r) === formatNumber(trueResults[i]);
        labels.push(good);
        if (!good) break;
      }
      records.push(record(labels, labels.map((l) => (l ? 1 : 0))));
    } else if (options.source === 'verdict') {
      // Good while every claim so far holds; the last step of a wrong or cut solution is bad.
      const labels = steps.map((_, i) => (firstFalse === -1 || i < firstFalse) && !(i === n - 1 && lastBad));
      records.push(record(labels, labels.map((l) => (l ? 1 : 0))));
    } else if (options.source === 'mc') {
      const labels: boolean[] = [];
      const values: number[] = [];
      let bad = false;
      for (let i = 0; i < n; i++) {
        const v = bad || fails[i] || (i === n - 1 && lastBad) ? 0 : await estimate(steps.slice(0, i + 1));
        if (v === 0) bad = true;
        labels.push(v > 0);
        values.push(v);
      }
      records.push(record(labels, values));
    } else {
      // First error: the first step with no verified continuation. The last step (a wrong or unfinished
      // solution) has none, and neither has a step with a false claim.
      let lo = 0;
      let hi = firstFalse !== -1 ? firstFalse : lastBad ? n - 1 : n; // n: maybe no error at all
      const measured = new Map<number, number>();
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const v = await estimate(steps.slice(0, mid + 1));
        measured.set(mid, v);
        if (v > 0) lo = mid + 1;
        else hi = mid;
      }
      const labels = Array.from({ length: Math.min(lo + 1, n) }, (_, i) => i < lo);
      records.push(record(labels, labels.map((l, i) => measured.get(i) ?? (l ? 1 : 0))));
    }
  }
  if (options.source === 'reference' && (options.siblings ?? 0) > 0) {
    const truth = solutionSteps(problem);
    for (let d = 0; d < truth.length; d++) {
      const prefix = truth.slice(0, d);
      const candidates = await policy.propose({ problem, steps: prefix }, options.siblings!, ctx(base.split('siblings').split(d)));
      const distinct = new Set<string>();
      for (const c of candidates) {
        if (distinct.has(c.text)) continue;
        distinct.add(c.text);
        const steps = [...prefix, c.text];
        let good: boolean;
        if (d === trueResults.length) good = c.ending === 'final' && (await verified(steps));
        else {
          const r = claimedResult(c.text);
          good = c.ending === 'step' && !(await stepFails(c.text)) && r !== undefined && formatNumber(r) === formatNumber(trueResults[d]);
        }
        const labels = [...prefix.map(() => true), good];
        records.push({ problemId: problem.id, prompt: problem.prompt + options.delimiter, completions: steps, labels, values: labels.map((l) => (l ? 1 : 0)), source: options.source, verified: false });
      }
    }
  }
  return { records, generatedTokens: usage.generatedTokens, estimates: estimates.size };
}

/**
 * Agreement of a record's labels with the problem's worked solution (when it has one): the truth of
 * step i is "every step up to i has holding claims and the true result, and a last step states the true
 * answer" (after a bad step every step is bad). Undefined without a worked solution.
 */
export function truthAgreement(problem: Problem, record: Pick<LabelledRecord, 'completions' | 'labels'>): { agree: number; total: number; falsePositive: number; falseNegative: number } | undefined {
  if (workedSolutionOf(problem) === undefined) return undefined;
  const truth = truthOf(problem);
  let ok = true;
  const out = { agree: 0, total: 0, falsePositive: 0, falseNegative: 0 };
  record.labels.forEach((label, i) => {
    ok = ok && stepIsRight(truth, i, record.completions[i]);
    out.total++;
    if (label === ok) out.agree++;
    else if (label) out.falsePositive++;
    else out.falseNegative++;
  });
  return out;
}

/** Label balance of records: positives and totals per step depth (the last bucket gathers deeper steps). */
export function labelBalance(records: readonly Pick<LabelledRecord, 'labels'>[], depths = 6): { depth: string; positive: number; total: number }[] {
  const rows = Array.from({ length: depths }, (_, d) => ({ depth: d === depths - 1 ? `${d + 1}+` : String(d + 1), positive: 0, total: 0 }));
  for (const r of records) {
    r.labels.forEach((l, i) => {
      const row = rows[Math.min(i, depths - 1)];
      row.total++;
      if (l) row.positive++;
    });
  }
  return rows.filter((r) => r.total > 0);
}
