import { describe, expect, it } from 'vitest';
import { ALGORITHMS, generateArithProblems, search } from '../../src/index.js';

const scripted = { policy: { kind: 'scripted' }, reward: { kind: 'scripted' } };

describe('determinism', () => {
  it('same seed, same config: identical trees for every algorithm; another seed differs', async () => {
    const [problem] = generateArithProblems({ count: 1, seed: 5 });
    for (const algorithm of ALGORITHMS) {
      const run = async (seed: number) => JSON.stringify((await search(problem, { config: { seed, algorithm, ...scripted, verifiers: { math: { kind: 'exact-answer' } } } })).tree.toJSON());
      const a = await run(1);
      expect(await run(1)).toBe(a);
      if (algorithm !== 'greedy') expect(await run(2)).not.toBe(a);
    }
  });

  it('parallel simulations with an instant policy are deterministic too', async () => {
    const [problem] = generateArithProblems({ count: 1, seed: 9 });
    const config = { seed: 3, search: { parallelSimulations: 4 }, ...scripted, verifiers: { math: { kind: 'exact-answer' } } };
    const a = await search(problem, { config });
    const b = await search(problem, { config });
    expect(JSON.stringify(b.tree.toJSON())).toBe(JSON.stringify(a.tree.toJSON()));
  });

  it('the default embedded policy and PRM give identical trees for the same seed', async () => {
    const [problem] = generateArithProblems({ count: 1, seed: 4 });
    const run = async (seed: number) => JSON.stringify((await search(problem, { config: { seed, budget: { simulations: 8 } } })).tree.toJSON());
    const a = await run(1);
    expect(await run(1)).toBe(a);
    expect(await run(2)).not.toBe(a);
  }, 60_000);
});
