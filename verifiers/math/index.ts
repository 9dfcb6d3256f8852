// The math verifier plugin (`math`), the arithmetic step reward model (`math-steps`) and the pure helpers
// behind them. Depends on src/core (types, define* helpers, errors) only; mathjs loads in the worker.

import {
  defineRewardModel,
  defineVerifier,
  throwIfAborted,
  type CallContext,
  type Problem,
  type RewardModel,
  type StepVerdict,
  type Trajectory,
  type Verdict,
  type Verifier,
} from '../../src/core/index.js';
import { createMathChecker, type CheckResult, type MathChecker } from './math-checker.js';
import { stepVerdictsOf, verdictOf } from './verdict-map.js';
import { closeSharedGuards } from './worker-guard.js';
import { mathOptionsSchema, mathStepOptionsSchema, parseMathOptions, type MathOptions, type MathOptionsInput, type MathStepOptions } from './options.js';
import { checkStepClaims, type ClaimOptions } from './step-claims.js';

export { extractAnswer, EXTRACTION_RULES, DEFAULT_EXTRACTION_PRIORITY, type ExtractedAnswer, type ExtractionRule, type ExtractOptions } from './answer-extract.js';
export { normalizeAnswer, type NormalizedAnswer } from './answer-normalize.js';
export { canonicalAnswer, compareAnswersWith, isClose, type CompareOptions, type CompareReason, type Comparison, type PercentPolicy } from './answer-compare.js';
export { checkStepClaims, type ArithmeticClaim, type ClaimOptions, type StepClaims } from './step-claims.js';
export { createMathChecker, goldAnswerOf, isBareAnswer, type CheckResult, type CheckerStats, type MathChecker } from './math-checker.js';
export {
  mathOptionsSchema,
  mathStepOptionsSchema,
  parseMathOptions,
  parseMathStepOptions,
  type MathOptions,
  type MathOptionsInput,
  type MathStepOptions,
  type MathStepOptionsInput,
} from './options.js';
export { verifyMathCommand, type CommandIo } from './command.js';
export { stepVerdictsOf, verdictOf } from './verdict-map.js';

/** Builds the verifier from parsed options (the plugin's `create`). */
export function createMathVerifier(options: MathOptions): Verifier & { readonly checker: MathChecker } {
  const checker = createMathChecker(options);
  const claimOptions: Partial<ClaimOptions> = { tolerance: options.tolerance, maxDigits: options.maxDigits };
  return {
    name: 'math',
    checker,
    async check(problem: Problem, trajectory: Trajectory, ctx: CallContext): Promise<Verdict> {
      throwIfAborted(ctx.signal);
      ctx.usage.verifierCalls += 1;
      const gold = problem.reference?.answer;
      if (gold === undefined || gold.trim() === '') return { kind: 'abstain', reason: 'no_reference' };
      const r = await checker.check(gold, trajectory.steps.join('\n'), ctx.signal);
      return verdictOf(r);
    },
    async checkSteps(_problem: Problem, trajectory: Trajectory, ctx: CallContext): Promise<StepVerdict[]> {
      throwIfAborted(ctx.signal);
      ctx.usage.verifierCalls += 1;
      return stepVerdictsOf(trajectory.steps, claimOptions);
    },
    close: () => checker.close(),
  };
}

/** `{ kind: 'math', options }`: final-answer equivalence against `problem.reference.answer`. */
export const mathVerifier = defineVerifier({
  kind: 'math',
  options: mathOptionsSchema,
  create: (options) => createMathVerifier(options),
});

/** Builds the step reward model from parsed options (the plugin's `create`). */
export function createMathStepReward(options: MathStepOptions): RewardModel {
  const claimOptions: Partial<ClaimOptions> = { tolerance: options.tolerance, maxDigits: options.maxDigits, maxStepChars: options.maxStepChars };
  return {
    name: 'math-steps',
    granularity: 'step',
    async score(batch: readonly Trajectory[], ctx: CallContext): Promise<Float64Array> {
      throwIfAborted(ctx.signal);
      ctx.usage.rewardCalls += 1;
      const out = new Float64Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const steps = batch[i].steps;
        const last = steps.length === 0 ? '' : steps[steps.length - 1];
        const r = checkStepClaims(last, claimOptions);
        out[i] = r.verdict === 'pass' ? 1 : r.verdict === 'fail' ? 0 : options.neutral;
      }
      return out;
    },
  };
}

/**
 * `{ kind: 'math-steps', options }`: a step reward from the arithmetic claims of the last step — 1 when
 * every claim holds, 0 when one fails, `neutral` (default 0.5) when the step makes none.
 */
export const mathStepReward = defineRewardModel({
  kind: 'math-steps',
  options: mathStepOptionsSchema,
  create: (options) => createMathStepReward(options),
});

// Shared checkers for the pure helpers, one per distinct options object (bounded).
const shared = new Map<string, MathChecker>();
const SHARED_MAX = 8;

function sharedChecker(input: MathOptionsInput): MathChecker {
  const options = parseMathOptions(input);
  const key = JSON.stringify(options);
  let c = shared.get(key);
  if (c === undefined) {
    if (shared.size >= SHARED_MAX) {
      const [oldKey, old] = shared.entries().next().value as [string, MathChecker];
      shared.delete(oldKey);
      void old.close();
    }
    c = createMathChecker(options);
    shared.set(key, c);
  }
  return c;
}

/**
 * Compares a gold answer with a predicted answer (both already extracted, e.g. `\frac12` and `0.5`).
 * Cheap pairs are decided in-thread; symbolic ones in a shared guarded worker (see `closeMathWorkers`).
 */
export function compareAnswers(gold: string, pred: string, options: MathOptionsInput = {}, signal?: AbortSignal) {
  return sharedChecker(options).compare(gold, pred, signal);
}

/** Extracts the final answer from model text and compares it with `gold` (a raw reference is fine too). */
export function checkAnswer(gold: string, predText: string, options: MathOptionsInput = {}, signal?: AbortSignal): Promise<CheckResult> {
  return sharedChecker(options).check(gold, predText, signal);
}

/** Terminates the evaluation worker threads now (they also end on their own a few seconds after use). */
export async function closeMathWorkers(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((c) => c.close()));
  await closeSharedGuards();
}
