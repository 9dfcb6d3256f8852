// Seeded, splittable pseudo-random numbers (xoshiro128**). The only source of randomness in the
// project: every stochastic choice takes an Rng, so equal seeds give byte-identical results.

import { hash128 } from './hash.js';

/**
 * A seeded generator. `split(label)` derives an independent child from this generator's *seed path*
 * (not its current state), so a child's stream does not depend on how many numbers the parent has drawn:
 * work can be scheduled in any order and still draw the same numbers.
 */
export class Rng {
  /** The seed path this generator was created from, e.g. `"7/problem:gsm8k-12/expand:0.3"`. */
  readonly path: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  private constructor(path: string) {
    this.path = path;
    const [a, b, c, d] = hash128(path);
    this.a = a;
    this.b = b;
    this.c = c;
    // xoshiro state must not be all zero.
    this.d = (a | b | c | d) === 0 ? 1 : d;
  }

  /** A generator for a seed (an integer or any string). */
  static fromSeed(seed: number | string): Rng {
    return new Rng(String(seed));
  }

  /** An independent child generator keyed by `label`. Same parent path + label => same stream. */
  split(label: string | number): Rng {
    return new Rng(`${this.path}/${label}`);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of precision. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). `n` must be a positive integer below 2^32. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    // Rejection sampling for an unbiased result.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    for (;;) {
      const u = this.float() * 2 - 1;
      const v = this.float() * 2 - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
  }

  /** Gamma(shape, 1) variate (Marsaglia-Tsang; boosted for shape < 1). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`Rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) {
      const u = this.float();
      return this.gamma(shape + 1) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A sample from a symmetric Dirichlet(alpha) over `n` categories. */
  dirichlet(alpha: number, n: number): Float64Array {
    const out = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      out[i] = this.gamma(alpha);
      sum += out[i];
    }
    for (let i = 0; i < n; i++) out[i] = sum > 0 ? out[i] / sum : 1 / n;
    return out;
  }

  /** Index drawn in proportion to non-negative `weights`. */
  pick(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The per-problem seed path: depends only on the run seed and the problem id, never on scheduling. */
export function problemRng(runSeed: number | string, problemId: string): Rng {
  return Rng.fromSeed(runSeed).split(`problem:${problemId}`);
}
