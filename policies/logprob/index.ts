// The `logprob` reward: a step's value is the policy's own probability of it, as the policy reported it
// when it proposed the step (`Trajectory.stepStats`, filled by the search). It needs no second model and
// no model call, so it is the cheap baseline a learned PRM must beat (`bench:prm` compares them).
// Imports zod and src/core only.

import { z } from 'zod';
import { McgError, defineRewardModel, numberIn, oneOf, throwIfAborted, type RewardModel, type Trajectory } from '../../src/core/index.js';

export const logprobRewardOptions = z.strictObject({
  /**
   * `mean`: exp(logprob / tokens), the geometric mean of the step's token probabilities (the
   * length-normalised score); `sum`: exp(logprob), the probability of the whole step, which favours short steps.
   */
  normalize: oneOf(['mean', 'sum']).default('mean'),
  /** Scores are exp(normalised logprob / temperature); above 1 spreads low probabilities apart. */
  temperature: numberIn(0.01, 100).default(1),
});
export type LogprobRewardOptions = z.output<typeof logprobRewardOptions>;

/** The score of the last step of `t` under `options`, in [0, 1]. Throws when the policy gave no logprob. */
export function logprobScore(t: Trajectory, options: LogprobRewardOptions): number {
  const n = t.steps.length;
  if (n === 0) throw new McgError('PLUGIN_FAILED', 'reward logprob was asked to score a trajectory with no steps');
  const stat = t.stepStats?.[n - 1];
  if (stat === undefined || !Number.isFinite(stat.logprob)) {
    throw new McgError(
      'PLUGIN_FAILED',
      `reward logprob needs the policy's log-probabilities, but step ${n} of problem ${t.problem.id} has none (${stat === undefined ? 'the trajectory carries no step figures' : 'the policy reported NaN'}); use a policy that reports them (onnx, embedded, openai with logprobs) or another reward kind`,
    );
  }
  const lp = options.normalize === 'mean' ? stat.logprob / Math.max(1, stat.tokens) : stat.logprob;
  return Math.min(1, Math.max(0, Math.exp(lp / options.temperature)));
}

export const logprobReward = defineRewardModel({
  kind: 'logprob',
  options: logprobRewardOptions,
  create(options): RewardModel {
    return {
      name: `logprob(${options.normalize}${options.temperature === 1 ? '' : `, T=${options.temperature}`})`,
      granularity: 'step',
      async score(batch, ctx) {
        throwIfAborted(ctx.signal);
        const out = new Float64Array(batch.length);
        for (let i = 0; i < batch.length; i++) out[i] = logprobScore(batch[i], options);
        ctx.usage.rewardCalls += 1;
        return out;
      },
    };
  },
});
