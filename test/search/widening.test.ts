import { afterAll, describe, expect, it } from 'vitest';
import { FLAG, extractRecords, parseConfig, runSearch, type ConfigInput, type Provenance } from '../../src/index.js';
import { closeMathWorkers, createMathVerifier, parseMathOptions } from '../../verifiers/math/index.js';
import { menuPolicy, setVerifier, tableReward, toyProblem, type ToyStep } from '../helpers/toy.js';

afterAll(() => closeMathWorkers());

const provenance: Provenance = { package: 'mcts-gen', version: 't', configHash: 'h', seed: 0, algorithm: 'mcts', policy: 'menu', reward: null, verifier: 'math' };

function cfg(extra: ConfigInput = {}) {
  return parseConfig({ ...extra, search: { width: 1, priorLengthNorm: false, ...(extra.search ?? {}) }, budget: { simulations: 200, ...(extra.budget ?? {}) } });
}

// The right final step is the menu's least likely one: a node expanded once (width 1) never sees it.
const rareRight: Record<string, ToyStep[]> = {
  '': [
    ['w1!', 0.6, true],
    ['w2!', 0.3, true],
    ['right!', 0.1, true],
  ],
};

describe('progressive widening', () => {
  it('asks a visited node again until the step it needs appears; with k = 0 it never does', async () => {
    const verifier = setVerifier(['right!']);
    const widened = await runSearch(toyProblem, cfg(), { policy: menuPolicy(rareRight), reward: null, verifier });
    expect(widened.tree.childCount[0]).toBe(3);
    expect(widened.solutions).toHaveLength(1);
    expect(widened.success).toBe(true);

    const once = await runSearch(toyProblem, cfg({ search: { widening: { k: 0 } } }), { policy: menuPolicy(rareRight), reward: null, verifier });
    expect(once.tree.childCount[0]).toBe(1);
    expect(once.solutions).toHaveLength(0);
    expect(once.stats.stoppedBy).toBe('exhausted');
  });

  it('follows k * N^alpha: a node widens only as its visits grow', async () => {
    // A policy with endless new non-terminal steps: nothing is ever exhausted, so only the visit rule widens.
    const calls: string[] = [];
    const endless = {
      name: 'endless',
      async propose(at: { steps: readonly string[] }, _w: number, ctx: { exclude?: readonly unknown[]; usage: { generatedTokens: number } }) {
        calls.push(at.steps.join('/'));
        ctx.usage.generatedTokens += 1;
        return [{ text: `s${at.steps.length}.${ctx.exclude?.length ?? 0}`, logprob: Math.log(0.5), tokens: 1, ending: 'step' as const }];
      },
    };
    const r = await runSearch(toyProblem, cfg({ search: { widening: { k: 1, alpha: 0.5 } }, budget: { simulations: 16 } }), {
      policy: endless,
      reward: null,
      verifier: setVerifier([]),
    });
    // Widened at N(root) = 2, 5 and 10 (children < sqrt(N)): 4 children after 16 simulations.
    expect(r.tree.childCount[0]).toBe(4);
    expect(calls.filter((c) => c === '')).toHaveLength(4);
    expect(r.stats.simulations).toBe(16);
  });

  it('closes a node after closeAfter widenings in a row that gave nothing new', async () => {
    const policy = menuPolicy(rareRight);
    const r = await runSearch(toyProblem, cfg({ search: { widening: { closeAfter: 3 } } }), { policy, reward: null, verifier: setVerifier([]) });
    // Three steps one at a time, then three fruitless widenings: closed, and with every leaf visited the search ends.
    expect(policy.calls.filter((c) => c === '')).toHaveLength(6);
    expect(r.tree.has(0, FLAG.CLOSED)).toBe(true);
    expect(r.stats.stoppedBy).toBe('exhausted');
  });

  it('closes a node at once when the unseen mass the policy reports is below minNewMass', async () => {
    const menu: Record<string, ToyStep[]> = {
      '': [
        ['sure!', 0.995, true],
        ['odd!', 0.005, true],
      ],
    };
    const policy = menuPolicy(menu, { tokenProbs: true });
    const r = await runSearch(toyProblem, cfg({ search: { widening: { minNewMass: 0.01 } } }), { policy, reward: null, verifier: setVerifier([]) });
    expect(policy.calls).toEqual(['']);
    expect(r.tree.childCount[0]).toBe(1);
    expect(r.stats.stoppedBy).toBe('exhausted');
    // With a lower threshold the 0.5 % step is asked for too.
    const low = menuPolicy(menu, { tokenProbs: true });
    const r2 = await runSearch(toyProblem, cfg({ search: { widening: { minNewMass: 0.001 } } }), { policy: low, reward: null, verifier: setVerifier([]) });
    expect(r2.tree.childCount[0]).toBe(2);
  });

  it('passes the steps known at a node in ctx.exclude, so a policy that honours it never repeats one', async () => {
    const seen: string[][] = [];
    const base = menuPolicy(rareRight);
    const policy = {
      ...base,
      propose: (...args: Parameters<typeof base.propose>) => {
        seen.push((args[2].exclude ?? []).map((c) => c.text));
        return base.propose(...args);
      },
    };
    const r = await runSearch(toyProblem, cfg(), { policy, reward: null, verifier: setVerifier(['right!']) });
    expect(seen[0]).toEqual([]);
    expect(seen[1]).toEqual(['w1!']);
    expect(seen[2]).toEqual(['w1!', 'w2!']);
    expect(r.stats.duplicates).toBe(0);
    expect(r.stats.duplicateTokens).toBe(0);
  });

  it('counts the tokens of candidates dropped as duplicates', async () => {
    // This policy ignores ctx.exclude: a widening repeats the first step, and its tokens are counted.
    const menu: Record<string, ToyStep[]> = { '': [['same!', 1, true]] };
    const base = menuPolicy(menu);
    const policy = { ...base, propose: (at: Parameters<typeof base.propose>[0], w: number, ctx: Parameters<typeof base.propose>[2]) => base.propose(at, w, { ...ctx, exclude: undefined }) };
    const r = await runSearch(toyProblem, cfg({ search: { widening: { closeAfter: 2 } } }), { policy, reward: null, verifier: setVerifier([]) });
    expect(r.stats.duplicates).toBe(2);
    expect(r.stats.duplicateTokens).toBe(2 * 'same!'.length);
    expect(r.usage.generatedTokens).toBe(3 * 'same!'.length);
  });
});

describe('rollouts live in the tree', () => {
  const deep: Record<string, ToyStep[]> = {
    '': [['a', 1]],
    a: [['b', 1]],
    'a/b': [['c!', 1, true]],
  };

  it('every rollout step is a node, and a verified rollout end is a solution and a trace', async () => {
    const r = await runSearch(toyProblem, cfg({ search: { rollouts: 1 }, budget: { simulations: 1 } }), {
      policy: menuPolicy(deep),
      reward: tableReward({}),
      verifier: setVerifier(['c!']),
    });
    // One simulation: expand the root, select a, roll out a -> b -> c!.
    expect(r.stats.simulations).toBe(1);
    expect(r.tree.size).toBe(4);
    expect(r.tree.stepsTo(3)).toEqual(['a', 'b', 'c!']);
    expect(r.solutions).toEqual([3]);
    // The rollout's terminal value was backed up along the whole path.
    expect([...r.tree.visits.subarray(0, 4)]).toEqual([1, 1, 1, 1]);
    const records = extractRecords(r, cfg(), provenance);
    expect(records.traces.map((t) => t.completion)).toEqual(['a\n\nb\n\nc!']);
  });
});

describe('every step checked by the process verifier', () => {
  const verifier = createMathVerifier(parseMathOptions({}));
  const problem = { ...toyProblem, reference: { answer: '9' } };
  // Two ways to 9: one through a false step (2 + 2 = 5, then 5 + 4 = 9), one through true steps.
  const menu: Record<string, ToyStep[]> = {
    '': [
      ['2 + 2 = 5', 0.7],
      ['2 + 3 = 5', 0.3],
    ],
    '2 + 2 = 5': [['5 + 4 = 9. The answer is 9', 1, true]],
    '2 + 3 = 5': [['5 + 4 = 9. The answer is 9', 1, true]],
  };

  it('prunes a false step: it is a failed leaf with value 0, never expanded, never verified', async () => {
    const policy = menuPolicy(menu);
    const r = await runSearch(problem, cfg({ search: { width: 2 } }), { policy, reward: null, verifier });
    expect(r.tree.has(1, FLAG.FALSE_STEP)).toBe(true);
    expect(r.tree.verdicts.get(1)).toMatchObject({ kind: 'fail', reason: 'false_step' });
    expect(r.tree.evalValue[1]).toBe(0);
    // Like an illegal move it is never selected, so it does not drag down its parent's value.
    expect(r.tree.visits[1]).toBe(0);
    expect(r.tree.visits[0]).toBe(r.tree.visits[2]);
    expect(r.tree.valueSum[0]).toBeCloseTo(r.tree.valueSum[2], 9);
    expect(policy.calls).not.toContain('2 + 2 = 5');
    expect(r.solutions.map((id) => r.tree.stepsTo(id))).toEqual([['2 + 3 = 5', '5 + 4 = 9. The answer is 9']]);
    expect(r.tree.toJSON()[1].stepVerdict).toMatchObject({ kind: 'fail', step: 0 });
    // Step pair: the true step is chosen over the false one.
    const records = extractRecords(r, cfg({ search: { width: 2 } }), provenance);
    expect(records.pairs.find((p) => p.origin === 'step')).toMatchObject({ chosen: '2 + 3 = 5', rejected: '2 + 2 = 5' });
    expect(records.traces[0].verdicts.steps).toEqual(['pass', 'pass']);
  });

  it('a node whose every step is false is a dead end worth 0, and the search goes on elsewhere', async () => {
    const dead: Record<string, ToyStep[]> = {
      '': [
        ['1 + 1 = 2', 0.6],
        ['2 + 3 = 5', 0.4],
      ],
      '1 + 1 = 2': [['2 + 2 = 5', 1]],
      '2 + 3 = 5': [['5 + 4 = 9. The answer is 9', 1, true]],
    };
    const r = await runSearch(problem, cfg({ search: { width: 1 } }), { policy: menuPolicy(dead), reward: null, verifier });
    expect(r.tree.stepsTo(r.chosen)).toEqual(['2 + 3 = 5', '5 + 4 = 9. The answer is 9']);
    const deadEnd = r.tree.children(0).find((c) => r.tree.text[c] === '1 + 1 = 2')!;
    expect(r.tree.has(deadEnd, FLAG.EXHAUSTED)).toBe(true);
    expect(r.tree.q(deadEnd)).toBeLessThan(0.5);
    expect(r.stats.stoppedBy).toBe('exhausted');
  });

  it('beam search does not count a pruned false step as a finished solution', async () => {
    const config = cfg({ algorithm: 'beam', search: { width: 2, beamSize: 1 } });
    const r = await runSearch(problem, config, { policy: menuPolicy(menu), reward: null, verifier });
    expect(r.success).toBe(true);
    expect(r.tree.stepsTo(r.chosen)).toEqual(['2 + 3 = 5', '5 + 4 = 9. The answer is 9']);
  });

  it('without pruning, a right answer after a false step is not a verified trace and its labels turn false', async () => {
    const config = cfg({ search: { width: 2, pruneFalseSteps: false } });
    const r = await runSearch(problem, config, { policy: menuPolicy(menu), reward: null, verifier });
    const tainted = r.tree.children(1)[0];
    expect(r.tree.verdicts.get(tainted)).toMatchObject({ kind: 'fail', reason: 'false_step', answer: '9' });
    expect(r.tree.answerVerdicts.get(tainted)?.kind).toBe('pass');
    expect(r.stats.falseStepSolutions).toBe(1);
    expect(r.solutions).toHaveLength(1);
    const records = extractRecords(r, config, provenance);
    expect(records.traces).toHaveLength(1);
    expect(records.traces[0].completion.startsWith('2 + 3 = 5')).toBe(true);
    expect(records.filters.traces.falseStep).toBe(1);
    const taintedLabels = records.steps.find((s) => s.completions[0] === '2 + 2 = 5')!;
    expect(taintedLabels.labels).toEqual([false, false]);
    // No pair chooses the false path.
    for (const p of records.pairs) expect(p.chosen.includes('2 + 2 = 5')).toBe(false);
  });

  it('with filters.verifiedSteps and pruning off, the answer alone decides (as before)', async () => {
    const config = cfg({ search: { width: 2, pruneFalseSteps: false }, filters: { verifiedSteps: false } });
    const r = await runSearch(problem, config, { policy: menuPolicy(menu), reward: null, verifier });
    expect(r.solutions).toHaveLength(2);
    expect(r.tree.stepVerdicts.size).toBe(0);
  });
});
