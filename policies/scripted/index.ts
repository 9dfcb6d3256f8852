// Scripted plugins for problems with a worked solution (the built-in arithmetic task): a policy that
// solves step by step with a configurable per-step error rate, and a reward model that is a noisy
// oracle of step correctness. Deterministic, no model: they let every search run and be tested anywhere.
// Imports only src/core.

import { z } from 'zod';
import {
  McgError,
  Rng,
  applyOp,
  claimedResults,
  countRoughTokens,
  defineRewardModel,
  definePolicy,
  finalText,
  formatNumber,
  intIn,
  numberIn,
  stepText,
  throwIfAborted,
  workedSolutionOf,
  type CallContext,
  type Policy,
  type Problem,
  type RewardModel,
  type StepCandidate,
  type Trajectory,
  type WorkedSolution,
} from '../../src/core/index.js';

const scriptedPolicyOptions = z.strictObject({
  /** Probability that a sampled arithmetic step has a wrong result, in [0, 1]. */
  errorRate: numberIn(0, 1).default(0.3),
  /** Distinct wrong results the policy can write for one step (its "error vocabulary"). */
  errorVariants: intIn(1, 20).default(3),
  /** Seed of the policy's fixed preferences (which mistake greedy decoding makes, and where). */
  seed: intIn(0, 2 ** 32 - 1).default(0),
});

function requireWorked(problem: Problem, who: string): WorkedSolution {
  const worked = workedSolutionOf(problem);
  if (worked === undefined) {
    throw new McgError(
      'PLUGIN_FAILED',
      `${who} needs problems with a worked solution in meta.worked (the built-in arith task); problem "${problem.id}" has none`,
    );
  }
  return worked;
}

/** Wrong results the policy may write for a step whose true result is `truth` (distinct, != truth). */
function wrongResults(truth: number, count: number, rng: Rng): number[] {
  const out: number[] = [];
  const seen = new Set<string>([formatNumber(truth)]);
  const deltas = [1, -1, 2, -2, 10, -10, 3, -3, 5, -5, 4, -4, 20, -20, 6, -6, 7, -7, 9, -9, 8, -8];
  // A fixed, rng-chosen rotation of the delta list gives each step its own typical mistakes.
  let k = rng.int(deltas.length);
  let guard = 0;
  while (out.length < count && guard++ < 100) {
    const d = deltas[k % deltas.length];
    k += 1 + rng.int(3);
    const candidate = Number.isInteger(truth) ? truth + d : Number((truth + d).toFixed(4));
    const key = formatNumber(candidate);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(candidate);
    }
  }
  return out;
}

interface StepChoices {
  correct: string;
  wrong: string[];
  final: boolean;
}

/** The correct next step and its wrong variants, given what the trajectory has claimed so far. */
function nextStepChoices(worked: WorkedSolution, at: Trajectory, variants: number, prefs: Rng): StepChoices {
  const i = at.steps.length;
  const claimed = claimedResults(worked, at.steps);
  if (i >= worked.steps.length) {
    const last = claimed.length > 0 ? claimed[claimed.length - 1] : Number.NaN;
    return { correct: finalText(formatNumber(last)), wrong: [], final: true };
  }
  const s = worked.steps[i];
  const a = typeof s.a === 'number' ? s.a : claimed[s.a.ref];
  const b = typeof s.b === 'number' ? s.b : claimed[s.b.ref];
  const truth = applyOp(a, s.op, b);
  const wrong = wrongResults(truth, variants, prefs).map((r) => stepText(a, s.op, b, r));
  return { correct: stepText(a, s.op, b, truth), wrong, final: false };
}

export const scriptedPolicy = definePolicy({
  kind: 'scripted',
  options: scriptedPolicyOptions,
  create(options): Policy {
    const { errorRate, errorVariants, seed } = options;
    const base = Rng.fromSeed(seed).split('scripted-policy');

    function candidate(text: string, probability: number, final: boolean): StepCandidate {
      return { text, logprob: Math.log(probability), tokens: countRoughTokens(text), ending: final ? 'final' : 'step' };
    }

    function sampleStep(at: Trajectory, ctx: CallContext, count: number): StepCandidate[] {
      const worked = requireWorked(at.problem, 'the scripted policy');
      // Preferences depend only on the problem and the prefix, so the same prefix sees the same mistakes.
      const prefs = base.split(at.problem.id).split(at.steps.join('\u241e'));
      const choices = nextStepChoices(worked, at, errorVariants, prefs);
      const out: StepCandidate[] = [];
      const pWrong = choices.wrong.length === 0 ? 0 : errorRate;
      for (let k = 0; k < count; k++) {
        let isWrong: boolean;
        let variant: number;
        if (ctx.greedy === true) {
          // Greedy decoding: the policy's mode. It is wrong at this prefix with probability errorRate,
          // decided once per prefix (a systematic mistake, as a real model's mode would be).
          isWrong = prefs.split('greedy').float() < pWrong;
          variant = 0;
        } else {
          isWrong = ctx.rng.float() < pWrong;
          variant = choices.wrong.length > 0 ? ctx.rng.int(choices.wrong.length) : 0;
        }
        if (isWrong) out.push(candidate(choices.wrong[variant], pWrong / choices.wrong.length, false));
        else out.push(candidate(choices.correct, 1 - pWrong, choices.final));
      }
      let generated = 0;
      for (const c of out) generated += c.tokens;
      ctx.usage.generatedTokens += generated;
      ctx.usage.promptTokens += countRoughTokens(at.problem.prompt) + at.steps.reduce((n, s) => n + countRoughTokens(s), 0);
      ctx.usage.policyCalls += 1;
      return out;
    }

    return {
      name: `scripted(errorRate=${errorRate})`,
      async propose(at, width, ctx) {
        throwIfAborted(ctx.signal);
        return sampleStep(at, ctx, ctx.greedy === true ? 1 : width);
      },
      async rollout(at, ctx) {
        const steps = [...at.steps];
        const out: StepCandidate[] = [];
        for (let guard = 0; guard < 1024; guard++) {
          throwIfAborted(ctx.signal);
          const [c] = sampleStep({ problem: at.problem, steps }, ctx, 1);
          out.push(c);
          steps.push(c.text);
          if (c.ending === 'final') break;
        }
        return out;
      },
    };
  },
});

const scriptedRewardOptions = z.strictObject({
  /** Probability that the score ranks a step on the right side of 0.5, in [0, 1]. */
  accuracy: numberIn(0, 1).default(0.8),
  seed: intIn(0, 2 ** 32 - 1).default(0),
});

/**
 * True when every step so far is right: each claimed result equals the true result of the worked
 * solution, and a final "The answer is N" states the true answer.
 */
export function isOnCorrectPath(worked: WorkedSolution, steps: readonly string[]): boolean {
  const claimed = claimedResults(worked, steps);
  let truthSoFar: number[] = [];
  for (let i = 0; i < claimed.length; i++) {
    const s = worked.steps[i];
    const a = typeof s.a === 'number' ? s.a : truthSoFar[s.a.ref];
    const b = typeof s.b === 'number' ? s.b : truthSoFar[s.b.ref];
    const truth = applyOp(a, s.op, b);
    if (formatNumber(claimed[i]) !== formatNumber(truth)) return false;
    truthSoFar = [...truthSoFar, truth];
  }
  if (steps.length > worked.steps.length) {
    const finalStep = steps[worked.steps.length];
    const m = finalStep.match(/-?\d[\d,]*(?:\.\d+)?(?=\D*$)/);
    if (m === null || formatNumber(Number(m[0].replace(/,/g, ''))) !== worked.answer) return false;
  }
  return true;
}

export const scriptedReward = defineRewardModel({
  kind: 'scripted',
  options: scriptedRewardOptions,
  create(options): RewardModel {
    const base = Rng.fromSeed(options.seed).split('scripted-reward');
    return {
      name: `scripted(accuracy=${options.accuracy})`,
      granularity: 'step',
      async score(batch, ctx) {
        throwIfAborted(ctx.signal);
        const out = new Float64Array(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const t = batch[i];
          const worked = requireWorked(t.problem, 'the scripted reward model');
          // Same trajectory, same score: the noise is keyed by the trajectory, not drawn in call order.
          const noise = base.split(t.problem.id).split(t.steps.join('\u241e'));
          const good = isOnCorrectPath(worked, t.steps);
          const reportsGood = noise.float() < options.accuracy ? good : !good;
          const u = noise.float();
          out[i] = reportsGood ? 0.6 + 0.4 * u : 0.4 * u;
        }
        ctx.usage.rewardCalls += 1;
        return out;
      },
    };
  },
});
