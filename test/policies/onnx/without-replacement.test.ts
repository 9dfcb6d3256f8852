// Sampling without replacement in the real ONNX decoder (the embedded policy): rows of one call are
// distinct, a call with `ctx.exclude` repeats none of the excluded steps, and the token probabilities a
// candidate reports are the sampler's (here temperature 1, no truncation: the model's own).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExclusionTrie, Rng, arithProblemAt, createDefaultRegistry, emptyUsage, normalizeStepText, type Policy, type StepCandidate } from '../../../src/index.js';

const env = { baseDir: process.cwd() };
const ctx = (seed: number, exclude?: readonly StepCandidate[]) => ({
  signal: new AbortController().signal,
  rng: Rng.fromSeed(seed),
  usage: emptyUsage(),
  ...(exclude === undefined ? {} : { exclude }),
});
const problem = arithProblemAt(0, 3);

let policy: Policy;
beforeAll(async () => {
  policy = await createDefaultRegistry().create('policy', { kind: 'embedded', options: {} }, env);
});
afterAll(async () => {
  await policy?.close?.();
});

describe('the onnx policy samples without replacement when asked', () => {
  it('without ctx.exclude, rows are i.i.d.: the near-certain first step repeats', async () => {
    const out = await policy.propose({ problem, steps: [] }, 6, ctx(1));
    expect(out).toHaveLength(6);
    const distinct = new Set(out.map((c) => normalizeStepText(c.text)));
    expect(distinct.size).toBeLessThan(6);
  });

  it('with ctx.exclude, every row is new and none repeats an excluded step', async () => {
    const first = await policy.propose({ problem, steps: [] }, 3, ctx(2, []));
    expect(new Set(first.map((c) => normalizeStepText(c.text))).size).toBe(first.length);
    const next = await policy.propose({ problem, steps: [] }, 3, ctx(3, first));
    const known = new Set(first.map((c) => normalizeStepText(c.text)));
    for (const c of next) expect(known.has(normalizeStepText(c.text))).toBe(false);
    expect(new Set(next.map((c) => normalizeStepText(c.text))).size).toBe(next.length);
  });

  it('reported token probabilities multiply to the candidate probability, and the unseen mass shrinks', async () => {
    const out = await policy.propose({ problem, steps: [] }, 4, ctx(4, []));
    for (const c of out) {
      expect(c.tokenIds).toHaveLength(c.tokens);
      const logq = c.tokenProbs!.reduce((s, p) => s + Math.log(p), 0);
      // Temperature 1 and no truncation: the sampler's probabilities are the model's own.
      expect(logq).toBeCloseTo(c.logprob, 3);
    }
    const trie = ExclusionTrie.fromCandidates(out)!;
    const covered = out.reduce((s, c) => s + Math.exp(c.logprob), 0);
    expect(trie.remainingMass()).toBeCloseTo(1 - covered, 4);
    expect(trie.remainingMass()).toBeLessThan(1);
  });
});
