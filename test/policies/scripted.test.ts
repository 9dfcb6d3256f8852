import { describe, expect, it } from 'vitest';
import { Rng, createDefaultRegistry, emptyUsage, generateArithProblems, solveWorked, workedSolutionOf, type CallContext } from '../../src/index.js';
import { isOnCorrectPath } from '../../policies/index.js';

const env = { baseDir: '.' };
const ctx = (seed: string, greedy = false): CallContext => ({ signal: new AbortController().signal, rng: Rng.fromSeed(seed), usage: emptyUsage(), ...(greedy ? { greedy } : {}) });

describe('built-in arithmetic problems', () => {
  it('are deterministic, nested by count, and carry a consistent worked solution', () => {
    const a = generateArithProblems({ count: 50, seed: 4 });
    const b = generateArithProblems({ count: 10, seed: 4 });
    expect(a.slice(0, 10)).toEqual(b);
    expect(new Set(a.map((p) => p.id)).size).toBe(50);
    for (const p of a) {
      const worked = workedSolutionOf(p)!;
      expect(worked.steps.length).toBeGreaterThanOrEqual(2);
      expect(worked.steps.length).toBeLessThanOrEqual(5);
      const results = solveWorked(worked);
      expect(String(results[results.length - 1])).toBe(p.reference?.answer);
      // Integers all the way: divisions are exact.
      for (const r of results) expect(Number.isInteger(r)).toBe(true);
      // Every literal operand appears in the problem text.
      for (const s of worked.steps) for (const x of [s.a, s.b]) if (typeof x === 'number') expect(p.prompt).toContain(String(x));
    }
  });
});

describe('scripted policy and reward', () => {
  it('with errorRate 0 solves every problem step by step, ending with "The answer is N"', async () => {
    const policy = await createDefaultRegistry().create('policy', { kind: 'scripted', options: { errorRate: 0 } }, env);
    for (const problem of generateArithProblems({ count: 20, seed: 1 })) {
      const steps: string[] = [];
      for (;;) {
        const [c] = await policy.propose({ problem, steps }, 1, ctx('x'));
        steps.push(c.text);
        if (c.ending === 'final') break;
      }
      expect(steps[steps.length - 1]).toBe(`The answer is ${problem.reference?.answer}`);
      expect(isOnCorrectPath(workedSolutionOf(problem)!, steps)).toBe(true);
    }
  });

  it('samples wrong steps at the configured rate and propagates them to the answer', async () => {
    const policy = await createDefaultRegistry().create('policy', { kind: 'scripted', options: { errorRate: 0.3 } }, env);
    // A problem whose second step uses the first step's result.
    const problem = generateArithProblems({ count: 20, seed: 2 }).find((p) => typeof workedSolutionOf(p)!.steps[1].a === 'object')!;
    const c = ctx('rate');
    const out = await policy.propose({ problem, steps: [] }, 64, c);
    const wrong = out.filter((x) => !isOnCorrectPath(workedSolutionOf(problem)!, [x.text])).length;
    expect(wrong / 64).toBeGreaterThan(0.15);
    expect(wrong / 64).toBeLessThan(0.45);
    expect(c.usage.generatedTokens).toBe(out.reduce((n, x) => n + x.tokens, 0));
    expect(c.usage.policyCalls).toBe(1);
    // A wrong first result flows into the next step's operand and the final answer.
    const bad = out.find((x) => !isOnCorrectPath(workedSolutionOf(problem)!, [x.text]))!;
    const claimed = bad.text.split('= ')[1];
    const [next] = await policy.propose({ problem, steps: [bad.text] }, 1, ctx('n', true));
    expect(next.text.startsWith(`${claimed} `)).toBe(true);
  });

  it('greedy decoding is one fixed choice per prefix', async () => {
    const policy = await createDefaultRegistry().create('policy', { kind: 'scripted', options: { errorRate: 0.5 } }, env);
    const [problem] = generateArithProblems({ count: 1, seed: 8 });
    const a = await policy.propose({ problem, steps: [] }, 4, ctx('a', true));
    const b = await policy.propose({ problem, steps: [] }, 4, ctx('b', true));
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('the reward model is a noisy oracle with the configured accuracy, stable per trajectory', async () => {
    const reward = await createDefaultRegistry().create('reward', { kind: 'scripted', options: { accuracy: 0.8 } }, env);
    const policy = await createDefaultRegistry().create('policy', { kind: 'scripted', options: { errorRate: 0.5 } }, env);
    let agree = 0;
    let total = 0;
    for (const problem of generateArithProblems({ count: 60, seed: 6 })) {
      const cands = await policy.propose({ problem, steps: [] }, 4, ctx(problem.id));
      const batch = cands.map((c) => ({ problem, steps: [c.text] }));
      const s1 = await reward.score(batch, ctx('r1'));
      const s2 = await reward.score(batch, ctx('r2'));
      expect([...s2]).toEqual([...s1]);
      for (let i = 0; i < batch.length; i++) {
        total++;
        if ((s1[i] > 0.5) === isOnCorrectPath(workedSolutionOf(problem)!, batch[i].steps)) agree++;
      }
    }
    expect(agree / total).toBeGreaterThan(0.7);
    expect(agree / total).toBeLessThan(0.9);
  });

  it('problems without a worked solution are a clear plugin error', async () => {
    const policy = await createDefaultRegistry().create('policy', { kind: 'scripted' }, env);
    await expect(policy.propose({ problem: { id: 'q', prompt: 'x', domain: 'math' }, steps: [] }, 2, ctx('e'))).rejects.toMatchObject({
      code: 'PLUGIN_FAILED',
      message: expect.stringContaining('problem "q" has none'),
    });
  });
});
