// The `logprob` reward: scores equal the policy's own reported probabilities, through the search (a
// hand-made menu) and through the embedded ONNX policy; a policy without logprobs gets a clear error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, arithProblemAt, createDefaultRegistry, emptyUsage, isMcgError, parseConfig, runSearch, type Policy, type RewardModel, type Trajectory } from '../../src/index.js';
import { logprobReward, logprobRewardOptions, logprobScore } from '../../policies/logprob/index.js';
import { menuPolicy, setVerifier, toyProblem, type ToyStep } from '../helpers/toy.js';

const ctx = () => ({ signal: new AbortController().signal, rng: Rng.fromSeed(1), usage: emptyUsage() });
const env = { baseDir: process.cwd() };

const menu: Record<string, ToyStep[]> = {
  '': [
    ['A', 0.6],
    ['BB', 0.4],
  ],
  A: [
    ['A1!', 0.5, true],
    ['A2!', 0.25, true],
  ],
  BB: [['B1!', 1, true]],
};

describe('logprob reward', () => {
  it('scores each node of a search by its own step probability (mean: per token, sum: whole step)', async () => {
    for (const normalize of ['mean', 'sum'] as const) {
      const reward = await logprobReward.create(logprobRewardOptions.parse({ normalize }), env);
      const config = parseConfig({ search: { width: 2, lambda: 0, widening: { k: 0 } }, budget: { simulations: 12 } });
      const r = await runSearch(toyProblem, config, { policy: menuPolicy(menu), reward, verifier: setVerifier(['A1!']) });
      const t = r.tree;
      const seen = new Map<string, number>();
      for (let id = 1; id < t.size; id++) seen.set(t.text[id], t.rewardScore[id]);
      // tokens = characters in the menu policy.
      const expected = normalize === 'mean' ? { A: 0.6, BB: Math.sqrt(0.4), 'A1!': 0.5 ** (1 / 3), 'A2!': 0.25 ** (1 / 3), 'B1!': 1 } : { A: 0.6, BB: 0.4, 'A1!': 0.5, 'A2!': 0.25, 'B1!': 1 };
      expect([...seen.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [text, want] of Object.entries(expected)) expect(seen.get(text)).toBeCloseTo(want, 6);
      // lambda 0: the value of a leaf is the reward alone, verified or not.
      for (let id = 1; id < t.size; id++) expect(t.evalValue[id]).toBeCloseTo(t.rewardScore[id], 6);
    }
  });

  it('reads only the last step, and applies the temperature', () => {
    const t: Trajectory = {
      problem: toyProblem,
      steps: ['a', 'b'],
      stepStats: [
        { logprob: -9, tokens: 1 },
        { logprob: -2, tokens: 4 },
      ],
    };
    expect(logprobScore(t, logprobRewardOptions.parse({}))).toBeCloseTo(Math.exp(-0.5), 12);
    expect(logprobScore(t, logprobRewardOptions.parse({ normalize: 'sum', temperature: 2 }))).toBeCloseTo(Math.exp(-1), 12);
    expect(() => logprobRewardOptions.parse({ normalize: 'max' })).toThrow();
  });

  it('fails clearly when the policy reported no logprob, or the trajectory has no step figures', async () => {
    const reward = await logprobReward.create(logprobRewardOptions.parse({}), env);
    const noStats: Trajectory = { problem: toyProblem, steps: ['a'] };
    const nan: Trajectory = { problem: toyProblem, steps: ['a'], stepStats: [{ logprob: Number.NaN, tokens: 3 }] };
    for (const t of [noStats, nan]) {
      const err = await reward.score([t], ctx()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMcgError(err, 'PLUGIN_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/step 1 of problem toy/);
    }
    const nanPolicy: Policy = {
      name: 'no-logprobs',
      async propose(_at, width, c) {
        c.usage.generatedTokens += 1;
        return [{ text: 'x!', logprob: Number.NaN, tokens: 1, ending: 'final' as const }].slice(0, width);
      },
    };
    const config = parseConfig({ algorithm: 'best-of-n', search: { samples: 2 } });
    await expect(runSearch(toyProblem, config, { policy: nanPolicy, reward, verifier: setVerifier(['x!']) })).rejects.toThrow(/needs the policy's log-probabilities/);
  });
});

describe('logprob reward with the embedded ONNX policy', () => {
  let policy: Policy;
  let reward: RewardModel;
  beforeAll(async () => {
    const registry = createDefaultRegistry();
    policy = await registry.create('policy', { kind: 'embedded', options: {} }, env);
    reward = await registry.create('reward', { kind: 'logprob', options: {} }, env);
  });
  afterAll(async () => {
    await policy?.close?.();
  });

  it('every scored node of an MCTS tree carries exp(logprob / tokens) of the step the policy sampled', async () => {
    const config = parseConfig({ reward: { kind: 'logprob' }, budget: { simulations: 6 } });
    const problem = arithProblemAt(0, 3);
    const r = await runSearch(problem, config, { policy, reward, verifier: await createDefaultRegistry().create('verifier', { kind: 'math', options: {} }, env) });
    const t = r.tree;
    let scored = 0;
    for (let id = 1; id < t.size; id++) {
      if (Number.isNaN(t.rewardScore[id])) continue; // pruned false steps are never scored
      expect(t.logprob[id]).toBeLessThan(0);
      expect(t.rewardScore[id]).toBeCloseTo(Math.exp(t.logprob[id] / t.tokens[id]), 5);
      scored++;
    }
    expect(scored).toBeGreaterThan(5);
  });
});
