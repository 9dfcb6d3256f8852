// Core contracts between the search and its plugins (policies, reward models, verifiers).
// Types only, plus the usage meter; imports nothing but the rng type.

import type { Rng } from './rng.js';

/** A problem to solve. `reference` carries what verifiers need; `meta` is passed through untouched. */
export interface Problem {
  /** Stable id, unique within a run (used for seeds, the ledger and record ids). */
  id: string;
  /** The question as the policy sees it. */
  prompt: string;
  /** Selects the verifier: `math`, `code` or any other domain a config maps to a verifier. */
  domain: 'math' | 'code' | (string & {});
  reference?: ProblemReference;
  /** Anything else the input carried that plugins may use (e.g. a worked solution). JSON-safe. */
  meta?: Record<string, unknown>;
}

export interface ProblemReference {
  /** Final answer (math), as written in the dataset. */
  answer?: string;
  /** Test code (code problems): one script, or a list of scripts each counted as one test. */
  tests?: string | string[];
  /** Function under test (code problems). */
  entryPoint?: string;
  /** Code the solution continues (e.g. a HumanEval prompt with the function header). */
  prefix?: string;
  /** A worked reference solution, when the dataset has one. */
  solution?: string;
  /** Language of the code (code problems): `javascript` (the default) or `python`; it decides the sandbox. */
  language?: 'javascript' | 'python';
}

/** A partial or complete solution: the problem and the steps taken so far. */
export interface Trajectory {
  problem: Problem;
  steps: readonly string[];
  /**
   * What the policy reported for each step when it proposed it, same order as `steps`: the sum of its
   * token logprobs (`NaN` when unknown) and its token count. Set by the search for the trajectories it
   * hands to reward models and verifiers; absent on trajectories built elsewhere.
   */
  stepStats?: readonly StepStat[];
}

/** The policy's own figures for one proposed step. */
export interface StepStat {
  logprob: number;
  tokens: number;
}

/** How a proposed step ended: a normal step, a final answer (or EOS), or the per-step token limit. */
export type StepEnding = 'step' | 'final' | 'length';

export interface StepCandidate {
  text: string;
  /** Sum of token logprobs; `NaN` when the backend does not report them. */
  logprob: number;
  /** Number of generated tokens. */
  tokens: number;
  ending: StepEnding;
  /**
   * Token ids as generated (a closing stop string or EOS included) and the probability the sampler gave
   * each one (after temperature / top-k / top-p / min-p, before any exclusion). Optional: a policy that
   * reports them lets the search pass them back in `ctx.exclude`, so a later call at the same node can
   * sample without replacement and the search knows how much of the policy's mass is still unseen.
   */
  tokenIds?: readonly number[];
  tokenProbs?: readonly number[];
}

/** Resource use, summed over a search. Plugins add to it through `ctx.usage`. */
export interface Usage {
  promptTokens: number;
  generatedTokens: number;
  policyCalls: number;
  rewardCalls: number;
  verifierCalls: number;
  /** Milliseconds spent inside model backends (policy and reward), as reported by plugins. */
  modelMs: number;
}

export function emptyUsage(): Usage {
  return { promptTokens: 0, generatedTokens: 0, policyCalls: 0, rewardCalls: 0, verifierCalls: 0, modelMs: 0 };
}

export function addUsage(into: Usage, add: Partial<Usage>): Usage {
  into.promptTokens += add.promptTokens ?? 0;
  into.generatedTokens += add.generatedTokens ?? 0;
  into.policyCalls += add.policyCalls ?? 0;
  into.rewardCalls += add.rewardCalls ?? 0;
  into.verifierCalls += add.verifierCalls ?? 0;
  into.modelMs += add.modelMs ?? 0;
  return into;
}

/** What every plugin call receives. */
export interface CallContext {
  /** Cancellation: plugins check it between units of work and reject with `ABORTED`. */
  signal: AbortSignal;
  /** Seeded generator for this call only (derived from the problem seed and the tree position). */
  rng: Rng;
  /** Running usage of the search this call belongs to; plugins add what they consume. */
  usage: Usage;
  /** Ask for the most likely output instead of a sample (greedy decoding). */
  greedy?: boolean;
  /**
   * Set by tree search: sample without replacement. Holds the steps already proposed after this
   * trajectory (empty at a node's first expansion). A policy that can should propose only other steps,
   * and distinct ones within the call: sample from its distribution conditioned on producing none of
   * these. A policy may ignore it; repeats are then dropped by the search and counted as duplicate tokens.
   */
  exclude?: readonly StepCandidate[];
}

export interface Policy {
  readonly name: string;
  /**
   * Proposes up to `width` next steps after `at`. May return fewer (duplicates, a backend that
   * returns less); never more. Must add its token use to `ctx.usage`.
   */
  propose(at: Trajectory, width: number, ctx: CallContext): Promise<StepCandidate[]>;
  /** Optional cheap completion of `at` to a terminal step, for rollout values. */
  rollout?(at: Trajectory, ctx: CallContext): Promise<StepCandidate[]>;
  close?(): Promise<void>;
}

export interface RewardModel {
  readonly name: string;
  /** `step`: scores the last step of each trajectory; `outcome`: scores a complete solution. */
  readonly granularity: 'step' | 'outcome';
  /** One score in [0, 1] per input, same order. */
  score(batch: readonly Trajectory[], ctx: CallContext): Promise<Float64Array>;
  close?(): Promise<void>;
}

/** Verdict reason codes used by the built-in verifiers. Plugins may add their own. */
export type VerdictReason =
  | 'exact'
  | 'rational'
  | 'numeric'
  | 'symbolic'
  | 'set'
  | 'tuple'
  | 'interval'
  | 'text'
  | 'mismatch'
  | 'no_answer'
  | 'no_reference'
  | 'parse_error'
  | 'timeout'
  | 'too_large'
  | 'oom'
  | 'assertion'
  | 'syntax_error'
  | 'runtime_error'
  | 'output_limit'
  | 'sandbox_crash'
  | 'sandbox_timeout'
  | 'unsettled'
  | (string & {});

export interface Verdict {
  kind: 'pass' | 'fail' | 'abstain' | 'error';
  reason: VerdictReason;
  /** Partial credit in [0, 1] (e.g. fraction of tests passed); pass = 1, fail = 0 when absent. */
  score?: number;
  /** The final answer extracted from the trajectory, normalised (used for majority voting). */
  answer?: string;
  /** Tests passed / total, for code verifiers. */
  tests?: { passed: number; total: number };
  /** Short human-readable detail (an assertion message, a parse error). Truncated by the verifier. */
  detail?: string;
  /** Output the checked program printed (code verifiers), head and tail, truncated by the verifier. */
  output?: string;
}

/** Per-step verdict of a process verifier (e.g. arithmetic claims in each step). */
export interface StepVerdict {
  step: number;
  kind: 'pass' | 'fail' | 'abstain';
  reason: VerdictReason;
  claims?: number;
  failedClaims?: number;
}

export interface Verifier {
  readonly name: string;
  check(problem: Problem, trajectory: Trajectory, ctx: CallContext): Promise<Verdict>;
  /** Optional process check: one verdict per step. */
  checkSteps?(problem: Problem, trajectory: Trajectory, ctx: CallContext): Promise<StepVerdict[]>;
  close?(): Promise<void>;
}

/** Reward a verdict is worth as a terminal value in [0, 1]. */
export function verdictReward(v: Verdict): number {
  if (v.score !== undefined && Number.isFinite(v.score)) return Math.min(1, Math.max(0, v.score));
  return v.kind === 'pass' ? 1 : 0;
}

/** A worked solution for the built-in arithmetic task (and anything shaped like it), carried in `meta.worked`. */
export interface WorkedSolution {
  steps: WorkedStep[];
  answer: string;
}

/** One operation `a op b`; an operand is a literal number or `{ ref: i }`, the result of step i. */
export interface WorkedStep {
  a: number | { ref: number };
  op: '+' | '-' | '*' | '/';
  b: number | { ref: number };
  /** Words that follow the result, e.g. "apples" (may be empty). */
  unit?: string;
}
