// Logits processors and the sampler: each processor is a small function from scores to scores
// (temperature, top-k, top-p, min-p), applied in list order; the sampler draws from the result with an
// injected rng. Processors work on a scratch copy the sampler owns, so they may write in place.
// Imports the Rng type only.

import type { Rng } from '../../src/core/index.js';

/** Maps next-token scores (logits) to new scores; -Infinity removes a token. */
export type LogitsProcessor = (scores: Float64Array) => Float64Array;

/** Divides scores by `t` (> 0). t < 1 sharpens, t > 1 flattens. */
export function temperatureProcessor(t: number): LogitsProcessor {
  return (scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] /= t;
    return scores;
  };
}

/** Keeps the `k` highest scores (ties at the k-th score are all kept). */
export function topKProcessor(k: number): LogitsProcessor {
  return (scores) => {
    if (k >= scores.length) return scores;
    const threshold = kthLargest(scores, k);
    for (let i = 0; i < scores.length; i++) if (scores[i] < threshold) scores[i] = Number.NEGATIVE_INFINITY;
    return scores;
  };
}

/** Keeps the smallest set of highest-probability tokens whose mass reaches `p` (nucleus sampling). */
export function topPProcessor(p: number): LogitsProcessor {
  return (scores) => {
    if (p >= 1) return scores;
    const probs = softmax(scores);
    // Sort only tokens that can matter: those above a tiny share of the mass.
    const idx: number[] = [];
    for (let i = 0; i < probs.length; i++) if (probs[i] > 1e-12) idx.push(i);
    idx.sort((a, b) => probs[b] - probs[a] || a - b);
    let mass = 0;
    const keep = new Uint8Array(scores.length);
    for (const i of idx) {
      keep[i] = 1;
      mass += probs[i];
      if (mass >= p) break;
    }
    for (let i = 0; i < scores.length; i++) if (keep[i] === 0) scores[i] = Number.NEGATIVE_INFINITY;
    return scores;
  };
}

/** Removes tokens whose probability is below `minP` times the most likely token's (min-p sampling). */
export function minPProcessor(minP: number): LogitsProcessor {
  return (scores) => {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
    const cut = max + Math.log(minP);
    for (let i = 0; i < scores.length; i++) if (scores[i] < cut) scores[i] = Number.NEGATIVE_INFINITY;
    return scores;
  };
}

export interface SamplingSettings {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  /** 0 = off. */
  minP: number;
}

/** The processor list for the settings, in transformers' order: temperature, top-k, top-p, min-p. */
export function buildProcessors(s: SamplingSettings): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (s.temperature > 0 && s.temperature !== 1) list.push(temperatureProcessor(s.temperature));
  if (s.topK > 0) list.push(topKProcessor(s.topK));
  if (s.topP < 1) list.push(topPProcessor(s.topP));
  if (s.minP > 0) list.push(minPProcessor(s.minP));
  return list;
}

/** Softmax of scores (-Infinity gives 0). */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i] === Number.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** log(sum(exp(scores))). */
export function logSumExp(scores: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i] - max);
  return max + Math.log(sum);
}

/** Index of the highest score (the lowest index on ties). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

export interface SampledToken {
  token: number;
  logprob: number;
  prob: number;
}

/**
 * Picks the next token from raw `logits`: argmax when `rng` is null (greedy), else a draw from the
 * processed distribution. `logprob` is the token's log-probability under the model's own distribution
 * (raw logits, temperature 1), which is what PUCT priors want; `prob` is its probability under the
 * processed distribution the draw uses (before any exclusion weights).
 *
 * `weights` (sparse, token -> factor in [0, 1]) scales the processed distribution before the draw: the
 * search's sampling without replacement passes 1 - (mass already taken below each token). Returns null
 * when the weights leave no mass (every continuation is already known).
 */
export function sampleToken(logits: ArrayLike<number>, processors: readonly LogitsProcessor[], rng: Rng | null): SampledToken;
export function sampleToken(logits: ArrayLike<number>, processors: readonly LogitsProcessor[], rng: Rng | null, weights: ReadonlyMap<number, number> | undefined): SampledToken | null;
export function sampleToken(
  logits: ArrayLike<number>,
  processors: readonly LogitsProcessor[],
  rng: Rng | null,
  weights?: ReadonlyMap<number, number>,
): SampledToken | null {
  const lse = logSumExp(logits);
  let scores: Float64Array = Float64Array.from(logits as ArrayLike<number>);
  if (rng !== null) for (const p of processors) scores = p(scores);
  const probs = softmax(scores);
  let token: number;
  if (weights === undefined || weights.size === 0) {
    token = rng === null ? argmax(logits) : rng.pick(probs);
  } else {
    const w = Float64Array.from(probs);
    let left = 0;
    for (const [t, f] of weights) if (t >= 0 && t < w.length) w[t] *= f;
    for (let i = 0; i < w.length; i++) left += w[i];
    if (!(left > 1e-12)) return null;
    token = rng === null ? argmax(w) : rng.pick(w);
  }
  return { token, logprob: logits[token] - lse, prob: probs[token] };
}

/** The k-th largest value (1-based) of `xs`, by quickselect on a copy. */
export function kthLargest(xs: ArrayLike<number>, k: number): number {
  const a = Float64Array.from(xs as ArrayLike<number>);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
