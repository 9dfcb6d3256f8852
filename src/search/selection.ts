// Selection rules for tree search. The loop in mcts.ts does not know which rule it runs: a rule is a
// function from (tree, parent) to a child, built from its parameters. Pure; imports src/core only.

import { NONE, type TreeStore } from '../core/tree.js';

/** Picks a child of `parent` (skipping those `skip` rejects); returns NONE when none is left. */
export type SelectChild = (tree: TreeStore, parent: number, skip?: (child: number) => boolean) => number;

/**
 * PUCT exploration weight c(s) = cInit + log((N(s) + cBase + 1) / cBase).
 * Defaults cInit = 1.25 and cBase = 19652 are MuZero's (Schrittwieser et al. 2020, appendix B).
 */
export function puctC(parentVisits: number, cInit: number, cBase: number): number {
  return cInit + Math.log((parentVisits + cBase + 1) / cBase);
}

/**
 * PUCT score Q(s,a) + c(s) * P(s,a) * sqrt(max(1, N(s))) / (1 + N(s,a)).
 * `q` is the child's value, or the unvisited value when it has no visits. The sqrt uses max(1, N(s))
 * so that priors order the children at the first selection after an expansion (N(s) = 0 there).
 */
export function puctScore(q: number, prior: number, parentVisits: number, childVisits: number, c: number): number {
  return q + (c * prior * Math.sqrt(Math.max(1, parentVisits))) / (1 + childVisits);
}

/** UCT (UCB1) score Q + c * sqrt(ln N(s) / N(s,a)); +Infinity for an unvisited child. */
export function uctScore(q: number, parentVisits: number, childVisits: number, c: number): number {
  if (childVisits <= 0) return Number.POSITIVE_INFINITY;
  return q + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / childVisits);
}

/**
 * Visits and value of a node as selection sees them: each pending simulation through the node counts as
 * `virtualLoss` extra visits with value 0, so concurrent simulations spread over different leaves.
 */
export function effectiveStats(tree: TreeStore, node: number, virtualLoss: number): { n: number; q: number } {
  const visits = tree.visits[node];
  const n = visits + tree.pending[node] * virtualLoss;
  if (n <= 0) return { n: 0, q: Number.NaN };
  const q = tree.q(node);
  return { n, q: (q * visits) / n };
}

export interface PuctOptions {
  cInit: number;
  cBase: number;
  unvisitedValue: number;
  virtualLoss: number;
}

/** Selection by PUCT; ties go to the earlier child. */
export function createPuct(options: PuctOptions): SelectChild {
  return (tree, parent, skip) => {
    const parentStats = effectiveStats(tree, parent, options.virtualLoss);
    const c = puctC(parentStats.n, options.cInit, options.cBase);
    let best = NONE;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let ch = tree.firstChild[parent]; ch !== NONE; ch = tree.nextSibling[ch]) {
      if (skip?.(ch) === true) continue;
      const { n, q } = effectiveStats(tree, ch, options.virtualLoss);
      const score = puctScore(n > 0 ? q : options.unvisitedValue, tree.prior[ch], parentStats.n, n, c);
      if (score > bestScore) {
        bestScore = score;
        best = ch;
      }
    }
    return best;
  };
}

export interface UctOptions {
  c: number;
  virtualLoss: number;
}

/** Selection by UCT: unvisited children first (in order), then UCB1; ties go to the earlier child. */
export function createUct(options: UctOptions): SelectChild {
  return (tree, parent, skip) => {
    const parentStats = effectiveStats(tree, parent, options.virtualLoss);
    let best = NONE;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let ch = tree.firstChild[parent]; ch !== NONE; ch = tree.nextSibling[ch]) {
      if (skip?.(ch) === true) continue;
      const { n, q } = effectiveStats(tree, ch, options.virtualLoss);
      const score = uctScore(q, parentStats.n, n, options.c);
      if (score > bestScore) {
        bestScore = score;
        best = ch;
      }
    }
    return best;
  };
}

/**
 * Priors from candidate logprobs: softmax of logprob / temperature (optionally per token first).
 * Uniform when any logprob is unknown (NaN). One prior per candidate, same order, summing to 1.
 */
export function priorsFromLogprobs(
  logprobs: readonly number[],
  tokens: readonly number[],
  temperature: number,
  lengthNorm: boolean,
): Float64Array {
  const n = logprobs.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (logprobs.some((x) => !Number.isFinite(x))) {
    out.fill(1 / n);
    return out;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const lp = lengthNorm ? logprobs[i] / Math.max(1, tokens[i]) : logprobs[i];
    out[i] = lp / temperature;
    if (out[i] > max) max = out[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(out[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}
