import { describe, expect, it } from 'vitest';
import { ExclusionTrie, exclusionWeights, Rng } from '../../src/index.js';

describe('sampling without replacement (exclusion trie)', () => {
  it('covered mass is the sampler probability of the known sequences', () => {
    const trie = new ExclusionTrie();
    expect(trie.remainingMass()).toBe(1);
    // Two sequences sharing their first token: p(1,2) = .6 * .5, p(1,3) = .6 * .25.
    trie.add([1, 2], [0.6, 0.5]);
    expect(trie.remainingMass()).toBeCloseTo(1 - 0.3, 12);
    trie.add([1, 3], [0.6, 0.25]);
    expect(trie.remainingMass()).toBeCloseTo(1 - 0.45, 12);
    // Adding a known sequence again changes nothing.
    trie.add([1, 3], [0.6, 0.25]);
    expect(trie.size).toBe(2);
    expect(trie.remainingMass()).toBeCloseTo(0.55, 12);
    // Next-token factors at the root: token 1 keeps 1 - .75 of its mass; others are untouched.
    const w = exclusionWeights(trie.root);
    expect(w.get(1)).toBeCloseTo(0.25, 12);
    expect(w.has(4)).toBe(false);
    // Below token 1, the two known continuations are blocked completely.
    const below = exclusionWeights(trie.walk([1])!);
    expect(below.get(2)).toBe(0);
    expect(below.get(3)).toBe(0);
    expect(trie.walk([7])).toBeNull();
  });

  it('drawing with the factors gives the conditional distribution over unknown sequences', () => {
    // A two-token "model": first token a or b (.7/.3), second x or y (.8/.2) whatever came first.
    const first = [0.7, 0.3];
    const second = [0.8, 0.2];
    const trie = new ExclusionTrie();
    trie.add([0, 0], [0.7, 0.8]); // the most likely sequence (p .56) is known
    const counts = new Map<string, number>();
    const rng = Rng.fromSeed(3);
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const seq: number[] = [];
      for (const dist of [first, second]) {
        const at = trie.walk(seq);
        const w = at === null ? new Map<number, number>() : exclusionWeights(at);
        seq.push(rng.pick(dist.map((p, t) => p * (w.get(t) ?? 1))));
      }
      const key = seq.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.has('00')).toBe(false);
    // The rest keep their relative odds: p(01) = .14, p(10) = .24, p(11) = .06, out of .44.
    expect((counts.get('01') ?? 0) / n).toBeCloseTo(0.14 / 0.44, 1);
    expect((counts.get('10') ?? 0) / n).toBeCloseTo(0.24 / 0.44, 1);
    expect((counts.get('11') ?? 0) / n).toBeCloseTo(0.06 / 0.44, 1);
  });

  it('fromCandidates: null without a list, an empty trie for an empty one, candidates without token data skipped', () => {
    expect(ExclusionTrie.fromCandidates(undefined)).toBeNull();
    expect(ExclusionTrie.fromCandidates([])!.size).toBe(0);
    const t = ExclusionTrie.fromCandidates([
      { text: 'a', logprob: -1, tokens: 1, ending: 'step' },
      { text: 'b', logprob: -1, tokens: 1, ending: 'step', tokenIds: [5], tokenProbs: [0.9] },
    ])!;
    expect(t.size).toBe(1);
    expect(t.remainingMass()).toBeCloseTo(0.1, 12);
  });
});
