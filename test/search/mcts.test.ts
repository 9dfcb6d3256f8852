import { describe, expect, it } from 'vitest';
import { FLAG, NONE, parseConfig, runSearch, type ConfigInput } from '../../src/index.js';
import { menuPolicy, setVerifier, tableReward, toyProblem, type ToyStep } from '../helpers/toy.js';

const menu: Record<string, ToyStep[]> = {
  '': [
    ['A', 0.6],
    ['B', 0.4],
  ],
  A: [
    ['A1!', 0.5, true],
    ['A2!', 0.5, true],
  ],
  B: [['B1!', 1, true]],
};
const table = { A: 0.8, B: 0.3, 'A1!': 0.9, 'A2!': 0.2, 'B1!': 0.7 };

function config(extra: ConfigInput = {}) {
  return parseConfig({
    ...extra,
    search: { width: 2, priorLengthNorm: false, lambda: 0.5, widening: { k: 0 }, ...(extra.search ?? {}) },
    budget: { simulations: 50, ...(extra.budget ?? {}) },
  });
}

// Plain MCTS (progressive widening off: each node is expanded once); widening has its own tests.
describe('MCTS on a hand-computed tree', () => {
  it('selects, expands, evaluates and backs up as computed by hand (PUCT, mean backup)', async () => {
    const policy = menuPolicy(menu);
    const r = await runSearch(toyProblem, config({ budget: { simulations: 8 } }), { policy, reward: tableReward(table), verifier: setVerifier(['A1!']) });
    const t = r.tree;
    // Node ids: 0 root, 1 A, 2 B (root expansion), 3 A1!, 4 A2! (A's expansion).
    expect(t.size).toBe(5);
    expect(t.stepsTo(3)).toEqual(['A', 'A1!']);
    // Leaf values: A .8, B .3; A1! = .5*.9 + .5*1 = .95; A2! = .5*.2 = .1.
    expect(t.evalValue[1]).toBeCloseTo(0.8, 6);
    expect(t.evalValue[3]).toBeCloseTo(0.95, 6);
    expect(t.evalValue[4]).toBeCloseTo(0.1, 6);
    // By hand (c(N) = 1.25 + ln((N + 19653) / 19652), N counting the pending visit):
    // 1: A (prior .6 > .4)          -> .8
    // 2: A (1.33 vs B .71), expand A, A1! (tie with A2!, first)  -> .95
    // 3: A (1.308 vs .866), A1! (1.491 vs A2! 1.083)             -> .95
    // 4: A (1.275 vs 1.000), A1! (1.367 vs 1.250)                -> .95
    // 5: A (1.248 vs 1.118), A2! (1.398 vs A1! 1.299)            -> .1
    // 6: B (1.225 vs A 1.056)                                    -> .3
    // 7: A (1.081 vs .962), A1! (1.333 vs .866)                  -> .95
    // 8: A (1.087 vs 1.007), A1! (1.281 vs .927)                 -> .95
    expect(r.stats.simulations).toBe(8);
    expect([...t.visits.subarray(0, 5)]).toEqual([8, 7, 1, 5, 1]);
    expect(t.valueSum[0]).toBeCloseTo(5.95, 5);
    expect(t.valueSum[1]).toBeCloseTo(5.65, 5);
    expect(t.valueSum[3]).toBeCloseTo(4.75, 5);
    expect(policy.calls).toEqual(['', 'A']);
    // Committed answer: most visited child A, then its most visited child A1!.
    expect(r.chosen).toBe(3);
    expect(r.success).toBe(true);
    expect(r.solutions).toEqual([3]);
  });

  it('stops when every leaf is a visited terminal', async () => {
    const r = await runSearch(toyProblem, config({ budget: { simulations: 500 } }), { policy: menuPolicy(menu), reward: tableReward(table), verifier: setVerifier(['A1!']) });
    expect(r.stats.stoppedBy).toBe('exhausted');
    expect(r.stats.simulations).toBeLessThan(500);
    expect(r.tree.size).toBe(6);
    expect(r.tree.has(0, FLAG.EXHAUSTED)).toBe(true);
    expect(r.chosen).toBe(3);
  });

  it('max backup keeps the best value seen below each node', async () => {
    const r = await runSearch(toyProblem, config({ search: { backup: 'max' } }), {
      policy: menuPolicy(menu),
      reward: tableReward(table),
      verifier: setVerifier(['A1!']),
    });
    expect(r.tree.q(0)).toBeCloseTo(0.95, 6);
    expect(r.tree.q(1)).toBeCloseTo(0.95, 6);
    expect(r.tree.q(2)).toBeCloseTo(0.35, 6);
  });

  it('UCT visits every child once before exploiting', async () => {
    const policy = menuPolicy(menu);
    const r = await runSearch(toyProblem, config({ search: { selection: 'uct' }, budget: { simulations: 2 } }), {
      policy,
      reward: tableReward(table),
      verifier: setVerifier(['A1!']),
    });
    // Two simulations: A then B (unvisited first), nothing expanded below them.
    expect([...r.tree.visits.subarray(0, 3)]).toEqual([2, 1, 1]);
    expect(policy.calls).toEqual(['']);
    expect(r.stats.stoppedBy).toBe('simulations');
  });

  it('a step after which the policy proposes nothing becomes a failed terminal, not an error', async () => {
    const r = await runSearch(toyProblem, config(), { policy: menuPolicy({ '': [['A', 1]] }), reward: tableReward(table), verifier: setVerifier([]) });
    expect(r.stats.stoppedBy).toBe('exhausted');
    expect(r.tree.has(1, FLAG.TERMINAL)).toBe(true);
    expect(r.tree.verdicts.get(1)?.kind).toBe('fail');
    expect(r.chosen).toBe(1);
    expect(r.success).toBe(false);
  });

  it('duplicate candidates (after whitespace normalisation) become one child', async () => {
    const policy = menuPolicy({ '': [['x = 1', 0.5], ['x  =  1 ', 0.3], ['y!', 0.2, true]] });
    const r = await runSearch(toyProblem, parseConfig({ search: { width: 3 }, budget: { simulations: 5 } }), {
      policy,
      reward: null,
      verifier: setVerifier(['y!']),
    });
    expect(r.tree.childCount[0]).toBe(2);
    expect(r.stats.duplicates).toBe(1);
  });

  it('Dirichlet noise changes root priors only, deterministically per seed', async () => {
    const run = (seed: number) =>
      runSearch(toyProblem, config({ seed, search: { dirichlet: { fraction: 0.25, alpha: 0.3 } } }), {
        policy: menuPolicy(menu),
        reward: tableReward(table),
        verifier: setVerifier(['A1!']),
      });
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.tree.prior[1]).toBe(b.tree.prior[1]);
    expect(a.tree.prior[1]).not.toBeCloseTo(0.6, 3);
    expect(a.tree.prior[1]).not.toBe(c.tree.prior[1]);
    expect(a.tree.prior[1] + a.tree.prior[2]).toBeCloseTo(1, 6);
    // Below the root, priors are untouched.
    expect(a.tree.prior[3]).toBeCloseTo(0.5, 6);
  });
});
