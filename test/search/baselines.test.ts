import { describe, expect, it } from 'vitest';
import { NONE, parseConfig, runSearch, type CallContext, type Policy, type StepCandidate, type Trajectory } from '../../src/index.js';
import { menuPolicy, setVerifier, tableReward, toyProblem, type ToyStep } from '../helpers/toy.js';

/** A policy that writes, at sample k, the final step answers[k] (one step per solution). */
function answersPolicy(answers: string[]): Policy & { greedySeen: boolean[] } {
  let k = 0;
  const greedySeen: boolean[] = [];
  return {
    name: 'answers',
    greedySeen,
    async propose(_at: Trajectory, width: number, ctx: CallContext): Promise<StepCandidate[]> {
      greedySeen.push(ctx.greedy === true);
      const out: StepCandidate[] = [];
      for (let i = 0; i < width; i++) {
        const text = answers[k++ % answers.length];
        out.push({ text, logprob: -1, tokens: 2, ending: 'final' });
      }
      ctx.usage.generatedTokens += 2 * width;
      return out;
    },
  };
}

describe('baselines share plugins, tree and usage accounting', () => {
  it('greedy: one solution, decoded with ctx.greedy', async () => {
    const policy = answersPolicy(['7']);
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'greedy' }), { policy, reward: null, verifier: setVerifier(['7']) });
    expect(policy.greedySeen).toEqual([true]);
    expect(r.stats.simulations).toBe(1);
    expect(r.tree.stepsTo(r.chosen)).toEqual(['7']);
    expect(r.success).toBe(true);
    expect(r.usage.generatedTokens).toBe(2);
  });

  it('best-of-n: the highest reward score wins; identical samples share a node and its visits', async () => {
    const policy = answersPolicy(['5', '7', '9', '7']);
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'best-of-n', search: { samples: 4 } }), {
      policy,
      reward: tableReward({ '5': 0.2, '7': 0.4, '9': 0.9 }),
      verifier: setVerifier(['7']),
    });
    expect(r.tree.stepsTo(r.chosen)).toEqual(['9']);
    expect(r.success).toBe(false);
    expect(r.solutions.map((n) => r.tree.text[n])).toEqual(['7']);
    const seven = r.tree.children(0).find((c) => r.tree.text[c] === '7')!;
    expect(r.tree.visits[seven]).toBe(2);
    expect(r.tree.visits[0]).toBe(4);
    expect(policy.greedySeen.every((g) => !g)).toBe(true);
  });

  it('self-consistency: the majority answer wins whatever the reward model says', async () => {
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'self-consistency', search: { samples: 5 } }), {
      policy: answersPolicy(['5', '7', '9', '7', '5', '7']),
      reward: tableReward({ '5': 0.9, '7': 0.1, '9': 0.9 }),
      verifier: setVerifier(['7']),
    });
    // Samples: 5, 7, 9, 7, 5 -> tie 2-2 between 5 and 7; 5 was seen first.
    expect(r.tree.text[r.chosen]).toBe('5');
    const r2 = await runSearch(toyProblem, parseConfig({ algorithm: 'self-consistency', search: { samples: 6 } }), {
      policy: answersPolicy(['5', '7', '9', '7', '5', '7']),
      reward: null,
      verifier: setVerifier(['7']),
    });
    expect(r2.tree.text[r2.chosen]).toBe('7');
    expect(r2.success).toBe(true);
  });

  it('beam: keeps the best-scored partial solutions at each depth', async () => {
    const menu: Record<string, ToyStep[]> = {
      '': [['a', 0.5], ['b', 0.3], ['c', 0.2]],
      a: [['a!', 1, true]],
      b: [['b!', 1, true]],
      c: [['c!', 1, true]],
    };
    const policy = menuPolicy(menu);
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'beam', search: { width: 3, beamSize: 2 } }), {
      policy,
      reward: tableReward({ a: 0.1, b: 0.8, c: 0.6, 'a!': 0.5, 'b!': 0.3, 'c!': 0.9 }),
      verifier: setVerifier(['c!']),
    });
    // Beam of 2 after depth 1: b (.8) and c (.6); a (.1) is never expanded.
    expect(policy.calls).toEqual(['', 'b', 'c']);
    expect(r.tree.stepsTo(r.chosen)).toEqual(['c', 'c!']);
    expect(r.success).toBe(true);
  });

  it('token budget stops sampling baselines before a new step', async () => {
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'best-of-n', search: { samples: 100 }, budget: { generatedTokens: 9 } }), {
      policy: answersPolicy(['1', '2', '3', '4', '5', '6']),
      reward: null,
      verifier: setVerifier([]),
    });
    expect(r.stats.stoppedBy).toBe('tokens');
    expect(r.usage.generatedTokens).toBe(10);
    expect(r.stats.simulations).toBe(5);
    // Without a reward model best-of-n keeps the first sample.
    expect(r.tree.text[r.chosen]).toBe('1');
  });

  it('no finished solution: chosen is NONE', async () => {
    const r = await runSearch(toyProblem, parseConfig({ algorithm: 'beam' }), { policy: menuPolicy({}), reward: null, verifier: setVerifier([]) });
    expect(r.chosen).toBe(NONE);
  });
});
