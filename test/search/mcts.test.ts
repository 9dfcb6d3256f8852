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
    search: { width: 2, priorLengthNorm: false, lambda: 0.5, ...(extra.search ?? {}) },
    budget: { simulations: 50, ...(extra.budget ?? {}) },
  });
}

describe('MCTS on a hand-computed tree', () => {
  it('selects, expands, evaluates and backs up as computed by hand (PUCT, mean backup)', async () => {
    const policy = menuPolicy(menu);
    const r = await runSearch(toyProblem, config(), { policy, reward: tableReward(table), verifier: setVerifier(['A1!']) });
    const t = r.tree;
    // Node ids: 0 root, 1 A, 2 B (root expansion), 3 A1!, 4 A2! (A's), 5 B1!.
    expect(t.size).toBe(6);
    expect(t.stepsTo(3)).toEqual(['A', 'A1!']);
    // Leaf values: A .8, B .3; A1! = .5*.9 + .5*1 = .95; A2! = .5*.2 = .1; B1! = .5*.7 = .35.
    expect(t.evalValue[3]).toBeCloseTo(0.95, 6);
    expect(t.evalValue[4]).toBeCloseTo(0.1, 6);
    expect(t.evalValue[5]).toBeCloseTo(0.35, 6);
    // Sims: A (.8), A1! (.95), A2! (.1), then A is exhausted: B (.3), B1! (.35); then the root is exhausted.
    expect(r.stats.simulations).toBe(5);
    expect(r.stats.stoppedBy).toBe('exhausted');
    expect([...t.visits.subarray(0, 6)]).toEqual([5, 3, 2, 1, 1, 1]);
    expect(t.valueSum[0]).toBeCloseTo(2.5, 5);
    expect(t.valueSum[1]).toBeCloseTo(1.85, 5);
    expect(t.valueSum[2]).toBeCloseTo(0.65, 5);
    // Expansions in order: root, A, B.
    expect(policy.calls).toEqual(['', 'A', 'B']);
    // Committed answer: most visited child A, then A1! (tie on visits, higher value).
    expect(r.chosen).toBe(3);
    expect(r.success).toBe(true);
    expect(r.solutions).toEqual([3]);
    expect(t.has(0, FLAG.EXHAUSTED)).toBe(true);
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

  it('a policy that proposes nothing makes a dead end, not an error', async () => {
    const r = await runSearch(toyProblem, config(), { policy: menuPolicy({ '': [['A', 1]] }), reward: tableReward(table), verifier: setVerifier([]) });
    expect(r.stats.stoppedBy).toBe('exhausted');
    expect(r.chosen).toBe(NONE);
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
