// Sampling without replacement for step proposals: a trie of the token sequences already proposed at
// one node, each edge carrying the probability the sampler gave that token. From it follow (a) how much
// of the sampler's mass is already covered (what is left is the chance that a fresh sample is new) and
// (b) the factor by which each next token must be scaled so that a new sample is drawn from the
// sampler's distribution conditioned on being none of the known sequences. This is the incremental
// sampling without replacement of Shi, Bieber and Singh (ICML 2020, "UniqueRandomizer").
// Pure; imports the candidate type only.

import type { StepCandidate } from './types.js';

/** One trie node: the sequences sharing this token prefix. */
export interface ExclusionNode {
  /** Child per next token. */
  readonly children: Map<number, ExclusionNode>;
  /** Probability the sampler gave the token leading here (from the parent). */
  q: number;
  /** A known sequence ends here. */
  complete: boolean;
  /** Sampler mass below this node (conditional on reaching it) already covered by known sequences, in [0, 1]. */
  taken: number;
  readonly parent: ExclusionNode | null;
}

function newNode(parent: ExclusionNode | null, q: number): ExclusionNode {
  return { children: new Map(), q, complete: false, taken: 0, parent };
}

/** Known sequences of one node, with their sampler probabilities. */
export class ExclusionTrie {
  readonly root: ExclusionNode = newNode(null, 1);
  /** Sequences added. */
  size = 0;

  /**
   * A trie of the candidates that carry `tokenIds` and `tokenProbs` of equal length (others are skipped);
   * null when `candidates` is undefined (the caller did not ask for sampling without replacement). An
   * empty list gives an empty trie: the rows of one batch still avoid each other.
   */
  static fromCandidates(candidates: readonly StepCandidate[] | undefined): ExclusionTrie | null {
    if (candidates === undefined) return null;
    const trie = new ExclusionTrie();
    for (const c of candidates) trie.addCandidate(c);
    return trie;
  }

  /** Adds a candidate's token sequence when it reports one (ids and probabilities of equal, non-zero length). */
  addCandidate(c: StepCandidate): boolean {
    if (c.tokenIds === undefined || c.tokenProbs === undefined || c.tokenIds.length !== c.tokenProbs.length || c.tokenIds.length === 0) return false;
    this.add(c.tokenIds, c.tokenProbs);
    return true;
  }

  /** Adds a sequence; `probs[i]` is the sampler's probability of `ids[i]` after `ids[0..i)`. */
  add(ids: readonly number[], probs: readonly number[]): void {
    let node = this.root;
    for (let i = 0; i < ids.length; i++) {
      let child = node.children.get(ids[i]);
      if (child === undefined) {
        const q = probs[i];
        child = newNode(node, Number.isFinite(q) ? Math.min(1, Math.max(0, q)) : 0);
        node.children.set(ids[i], child);
      }
      node = child;
    }
    if (node.complete) return;
    node.complete = true;
    this.size++;
    // Covered mass changes only on the path from this sequence to the root.
    for (let n: ExclusionNode | null = node; n !== null; n = n.parent) n.taken = coveredMass(n);
  }

  /** The node reached by following `ids` from the root, or null when the sequence leaves the trie. */
  walk(ids: readonly number[]): ExclusionNode | null {
    let node: ExclusionNode | undefined = this.root;
    for (let i = 0; i < ids.length && node !== undefined; i++) node = node.children.get(ids[i]);
    return node ?? null;
  }

  /** Sampler mass not yet covered by known sequences: the probability that a fresh sample is new. */
  remainingMass(): number {
    return Math.max(0, 1 - this.root.taken);
  }
}

function coveredMass(n: ExclusionNode): number {
  if (n.complete) return 1;
  let sum = 0;
  for (const c of n.children.values()) sum += c.q * c.taken;
  return Math.min(1, sum);
}

/**
 * Factor for each next token at `node` so that sampling draws a sequence that is not yet known:
 * 1 - taken(child) for tokens with a child, 1 for the rest (which are not listed). Sparse.
 */
export function exclusionWeights(node: ExclusionNode): Map<number, number> {
  const out = new Map<number, number>();
  for (const [token, child] of node.children) out.set(token, Math.max(0, 1 - child.taken));
  return out;
}
