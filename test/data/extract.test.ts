import { describe, expect, it } from 'vitest';
import { editDistance, extractRecords, parseConfig, runSearch, type ConfigInput, type Provenance } from '../../src/index.js';
import { menuPolicy, setVerifier, tableReward, toyProblem, type ToyStep } from '../helpers/toy.js';

const provenance: Provenance = { package: 'mcts-gen', version: 'test', configHash: 'h', seed: 0, algorithm: 'mcts', policy: 'menu', reward: 'table', verifier: 'set' };

async function extract(menu: Record<string, ToyStep[]>, table: Record<string, number>, good: string[], cfg: ConfigInput = {}) {
  const config = parseConfig({ ...cfg, search: { width: 4, priorLengthNorm: false, ...(cfg.search ?? {}) }, budget: { simulations: 100 } });
  const r = await runSearch(toyProblem, config, { policy: menuPolicy(menu), reward: tableReward(table), verifier: setVerifier(good) });
  return { r, out: extractRecords(r, config, provenance) };
}

const menu: Record<string, ToyStep[]> = {
  '': [['X', 1]],
  X: [
    ['A: the right way', 0.5],
    ['B: a wrong way', 0.3],
    ['C: mixed', 0.2],
  ],
  'X/A: the right way': [['A!', 1, true]],
  'X/B: a wrong way': [['B!', 1, true]],
  'X/C: mixed': [
    ['C1!', 0.5, true],
    ['C2!', 0.5, true],
  ],
};
const table = { X: 0.5, 'A: the right way': 0.9, 'B: a wrong way': 0.1, 'C: mixed': 0.5, 'A!': 0.9, 'B!': 0.1, 'C1!': 0.9, 'C2!': 0.1 };

describe('pair extraction rules', () => {
  it('step pairs share the prefix; chosen reaches a verified answer, rejected only wrong ones; margin over the gap', async () => {
    const { r, out } = await extract(menu, table, ['A!', 'C1!']);
    const step = out.pairs.filter((p) => p.origin === 'step');
    expect(step.length).toBeGreaterThan(0);
    for (const p of step) {
      // Shared prefix: the problem, then the steps down to the common parent, each followed by the delimiter.
      expect(p.prompt).toBe(`${toyProblem.prompt}\n\n${r.tree.stepsTo(p.parentNode).map((x) => `${x}\n\n`).join('')}`);
      expect(r.tree.parent[p.chosenNode]).toBe(p.parentNode);
      expect(r.tree.parent[p.rejectedNode]).toBe(p.parentNode);
      expect(p.margin).toBeGreaterThanOrEqual(0.5);
      // C has a verified answer below it, so it is never rejected; B and C2! are never chosen.
      expect(['B: a wrong way', 'C2!']).toContain(p.rejected);
      expect(['A: the right way', 'C: mixed', 'C1!']).toContain(p.chosen);
    }
    expect(step.map((p) => [r.tree.stepsTo(p.parentNode).join('/'), p.chosen, p.rejected])).toEqual(
      expect.arrayContaining([
        ['X', 'A: the right way', 'B: a wrong way'],
        ['X/C: mixed', 'C1!', 'C2!'],
      ]),
    );
    expect(step.map((p) => p.chosen)).toContain('A: the right way');
    // Trajectory pairs: a verified solution against a failed one, from the problem prompt.
    const traj = out.pairs.filter((p) => p.origin === 'trajectory');
    expect(traj.length).toBeGreaterThan(0);
    for (const p of traj) {
      expect(p.prompt).toBe(`${toyProblem.prompt}\n\n`);
      expect(['X\n\nA: the right way\n\nA!', 'X\n\nC: mixed\n\nC1!']).toContain(p.chosen);
      expect(['X\n\nB: a wrong way\n\nB!', 'X\n\nC: mixed\n\nC2!']).toContain(p.rejected);
    }
  });

  it('a Q-gap or edit distance below the threshold drops the pair and is counted', async () => {
    const wide = await extract(menu, table, ['A!', 'C1!']);
    const strict = await extract(menu, table, ['A!', 'C1!'], { pairs: { minQGap: 0.99 } });
    expect(strict.out.pairs).toHaveLength(0);
    expect(strict.out.filters.pairs.belowThreshold).toBe(wide.out.filters.pairs.candidates);
    const far = await extract(menu, table, ['A!', 'C1!'], { pairs: { minEditDistance: 12, trajectoryPairs: false } });
    // "A: the right way" vs "B: a wrong way" differ by 9 edits: dropped at 12; every kept pair differs by 12 or more.
    const chosenRejected = (ps: typeof far.out.pairs) => ps.map((p) => `${p.chosen} > ${p.rejected}`);
    expect(chosenRejected(far.out.pairs)).not.toContain('A: the right way > B: a wrong way');
    for (const p of far.out.pairs) expect(editDistance(p.chosen, p.rejected)).toBeGreaterThanOrEqual(12);
    const near = await extract(menu, table, ['A!', 'C1!'], { pairs: { minEditDistance: 9, trajectoryPairs: false } });
    expect(chosenRejected(near.out.pairs)).toContain('A: the right way > B: a wrong way');
    expect(editDistance('A: the right way', 'B: a wrong way')).toBe(9);
  });

  it('per-problem caps keep the largest margins', async () => {
    const all = await extract(menu, table, ['A!', 'C1!']);
    const capped = await extract(menu, table, ['A!', 'C1!'], { filters: { maxPairsPerProblem: 1 } });
    expect(capped.out.pairs).toHaveLength(1);
    expect(capped.out.pairs[0].margin).toBe(Math.max(...all.out.pairs.map((p) => p.margin)));
    expect(capped.out.filters.pairs.overCap).toBe(all.out.pairs.length - 1);
  });

  it('traces are verified solutions with steps, values and the verdict; step labels mark steps that lead to a verified answer', async () => {
    const { out } = await extract(menu, table, ['A!', 'C1!']);
    expect(out.traces.map((t) => t.completion).sort()).toEqual(['X\n\nA: the right way\n\nA!', 'X\n\nC: mixed\n\nC1!']);
    for (const t of out.traces) {
      expect(t.verdicts.final.kind).toBe('pass');
      expect(t.messages[1].content).toBe(t.completion);
      expect(t.prompt + t.completion).toContain(toyProblem.prompt);
    }
    const byLast = new Map(out.steps.map((s) => [s.completions[s.completions.length - 1], s]));
    expect(byLast.get('B!')!.labels).toEqual([true, false, false]);
    expect(byLast.get('C2!')!.labels).toEqual([true, true, false]);
    // Soft values: share of verified answers below each step (X: 2 of 4; C: 1 of 2).
    expect(byLast.get('C2!')!.values).toEqual([0.5, 0.5, 0]);
    expect(out.filters.traces.unverified).toBe(2);
  });

  it('minValue and verifiedOnly filters', async () => {
    const loose = await extract(menu, table, ['A!', 'C1!'], { filters: { verifiedOnly: false } });
    expect(loose.out.traces).toHaveLength(4);
    const high = await extract(menu, table, ['A!', 'C1!'], { filters: { minValue: 0.99 } });
    expect(high.out.traces).toHaveLength(0);
    expect(high.out.filters.traces.belowThreshold).toBe(2);
  });
});
