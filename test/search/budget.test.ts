import { describe, expect, it } from 'vitest';
import { FLAG, parseConfig, runSearch } from '../../src/index.js';
import { menuPolicy, randomMenu, setVerifier, tableReward, toyProblem, type ToyStep } from '../helpers/toy.js';

/** An endless chain of non-final steps, branching 3 ways, 5 tokens each. */
function endlessPolicy() {
  return {
    name: 'endless',
    async propose(at: { steps: readonly string[] }, width: number, ctx: import('../../src/index.js').CallContext) {
      const out = Array.from({ length: width }, (_, i) => ({ text: `s${at.steps.length}.${i}`, logprob: -1, tokens: 5, ending: 'step' as const }));
      ctx.usage.generatedTokens += 5 * width;
      return out;
    },
  };
}

describe('budgets', () => {
  it('simulations', async () => {
    const r = await runSearch(toyProblem, parseConfig({ budget: { simulations: 7 } }), { policy: endlessPolicy(), reward: null, verifier: setVerifier([]) });
    expect(r.stats.simulations).toBe(7);
    expect(r.stats.stoppedBy).toBe('simulations');
  });

  it('nodes: the tree never grows past the cap', async () => {
    const r = await runSearch(toyProblem, parseConfig({ search: { width: 3 }, budget: { simulations: 1000, nodes: 20 } }), {
      policy: endlessPolicy(),
      reward: null,
      verifier: setVerifier([]),
    });
    expect(r.tree.size).toBeLessThanOrEqual(20);
    expect(r.stats.stoppedBy).toBe('nodes');
  });

  it('generated tokens: stops before expanding once the budget is used', async () => {
    const r = await runSearch(toyProblem, parseConfig({ search: { width: 3 }, budget: { simulations: 1000, generatedTokens: 100 } }), {
      policy: endlessPolicy(),
      reward: null,
      verifier: setVerifier([]),
    });
    expect(r.stats.stoppedBy).toBe('tokens');
    // At most one expansion (15 tokens) past the budget.
    expect(r.usage.generatedTokens).toBeGreaterThanOrEqual(100);
    expect(r.usage.generatedTokens).toBeLessThan(115);
  });

  it('depth: nodes at the depth limit are terminal and verified', async () => {
    const r = await runSearch(toyProblem, parseConfig({ search: { width: 2 }, budget: { simulations: 200, depth: 3 } }), {
      policy: endlessPolicy(),
      reward: null,
      verifier: setVerifier([]),
    });
    expect(r.stats.maxDepth).toBe(3);
    for (let n = 0; n < r.tree.size; n++) {
      if (r.tree.depth[n] === 3) {
        expect(r.tree.has(n, FLAG.TERMINAL)).toBe(true);
        expect(r.tree.verdicts.get(n)?.kind).toBe('fail');
      }
    }
    expect(r.stats.stoppedBy).toBe('exhausted');
  });

  it('wall time, with an injected clock', async () => {
    let t = 0;
    const r = await runSearch(toyProblem, parseConfig({ budget: { simulations: 1000, wallMs: 50 } }), { policy: endlessPolicy(), reward: null, verifier: setVerifier([]) }, {
      now: () => (t += 10),
    });
    expect(r.stats.stoppedBy).toBe('wall');
    expect(r.stats.simulations).toBeLessThan(10);
  });

  it('early stop after k verified solutions', async () => {
    const menu: Record<string, ToyStep[]> = randomMenu(11, 4, 4);
    const finals = Object.values(menu).flat().filter(([, , f]) => f === true).map(([text]) => text);
    const r = await runSearch(toyProblem, parseConfig({ search: { stopAfterVerified: 2 }, budget: { simulations: 1000 } }), {
      policy: menuPolicy(menu),
      reward: tableReward({}),
      verifier: setVerifier(finals),
    });
    expect(r.stats.stoppedBy).toBe('verified');
    expect(r.solutions.length).toBeGreaterThanOrEqual(2);
  });

  it('cancellation: an aborted signal rejects with ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      runSearch(toyProblem, parseConfig({}), { policy: endlessPolicy(), reward: null, verifier: setVerifier([]) }, { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
