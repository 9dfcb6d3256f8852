// Exact rational numbers on BigInt, with size guards: the in-thread "rational" rung of the math checker.
// Imports nothing; every operation that could grow without bound checks a digit budget first.

/** Thrown when an exact result would exceed the digit budget (the caller reports `too_large`). */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

const LOG10_2 = Math.log10(2);

/** Decimal digits of |n| (approximate from the bit length; exact enough for budgets). */
export function digitsOf(n: bigint): number {
  if (n === 0n) return 1;
  const bits = (n < 0n ? -n : n).toString(2).length;
  return Math.floor((bits - 1) * LOG10_2) + 1;
}

function absBig(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : absBig(n).toString(16).length * 4;
}

/** Euclid's gcd; callers only use it on moderate sizes (see `Rational.reduce`). */
export function gcdBig(a: bigint, b: bigint): bigint {
  a = absBig(a);
  b = absBig(b);
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Above this many bits per part, fractions are kept unreduced (Euclid would cost more than it saves). */
const REDUCE_MAX_BITS = 8192;

/**
 * An exact fraction `num / den` with `den > 0`. Not always reduced: large parts are left as they are
 * (equality uses cross-multiplication, so this never changes a comparison).
 */
export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) throw new RangeError('Rational: zero denominator');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    this.num = num;
    this.den = den;
  }

  static readonly ZERO = new Rational(0n);
  static readonly ONE = new Rational(1n);

  static fromInt(n: number | bigint): Rational {
    return new Rational(BigInt(n));
  }

  /**
   * Parses a plain decimal literal (`-12`, `0.25`, `.5`, `1.5e-3`, `2E10`). Returns null for anything else.
   * `maxDigits` bounds the size of the result (so `1e999999999` is refused rather than built).
   */
  static parseDecimal(text: string, maxDigits: number): Rational | null {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (m === null || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
    const sign = m[1] === '-' ? -1n : 1n;
    const intPart = m[2];
    const frac = m[3] ?? '';
    const exp = m[4] === undefined ? 0 : Number(m[4]);
    if (!Number.isSafeInteger(exp)) throw new TooLargeError(`exponent ${m[4]} is too large`);
    const shift = exp - frac.length;
    const mantissa = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
    if (Math.abs(shift) + intPart.length + frac.length > maxDigits) throw new TooLargeError(`literal ${text.slice(0, 40)} exceeds ${maxDigits} digits`);
    if (shift >= 0) return new Rational(sign * mantissa * 10n ** BigInt(shift)).reduce();
    return new Rational(sign * mantissa, 10n ** BigInt(-shift)).reduce();
  }

  isInteger(): boolean {
    return this.den === 1n || this.num % this.den === 0n;
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  sign(): number {
    return this.num === 0n ? 0 : this.num > 0n ? 1 : -1;
  }

  /** Reduced copy (gcd), unless the parts are too big for that to be cheap. */
  reduce(): Rational {
    if (this.den === 1n) return this;
    if (bitLength(this.num) > REDUCE_MAX_BITS || bitLength(this.den) > REDUCE_MAX_BITS) return this;
    const g = gcdBig(this.num, this.den);
    return g === 1n ? this : new Rational(this.num / g, this.den / g);
  }

  add(o: Rational): Rational {
    if (this.den === o.den) return new Rational(this.num + o.num, this.den).reduce();
    return new Rational(this.num * o.den + o.num * this.den, this.den * o.den).reduce();
  }

  sub(o: Rational): Rational {
    return this.add(o.neg());
  }

  mul(o: Rational): Rational {
    return new Rational(this.num * o.num, this.den * o.den).reduce();
  }

  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError('Rational: division by zero');
    return new Rational(this.num * o.den, this.den * o.num).reduce();
  }

  neg(): Rational {
    return new Rational(-this.num, this.den);
  }

  equals(o: Rational): boolean {
    return this.num * o.den === o.num * this.den;
  }

  /** Largest digit count of numerator and denominator. */
  digits(): number {
    return Math.max(digitsOf(this.num), digitsOf(this.den));
  }

  /** Nearest double (may be 0 or ±Infinity for huge/tiny values; callers check). */
  toNumber(): number {
    const dn = digitsOf(this.num);
    const dd = digitsOf(this.den);
    if (dn < 300 && dd < 300) return Number(this.num) / Number(this.den);
    // Scale both to ~17 significant digits before dividing.
    const shiftN = Math.max(0, dn - 17);
    const shiftD = Math.max(0, dd - 17);
    const n = Number(this.num / 10n ** BigInt(shiftN));
    const d = Number(this.den / 10n ** BigInt(shiftD));
    return (n / d) * 10 ** (shiftN - shiftD);
  }

  /**
   * Canonical text: an integer, a terminating decimal (`0.5`, `-2.75`) when the reduced denominator has
   * only the factors 2 and 5 and the result stays short, otherwise `p/q`.
   */
  toCanonicalString(): string {
    const r = this.reduce();
    if (r.den === 1n) return r.num.toString();
    let d = r.den;
    let twos = 0;
    let fives = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      fives++;
    }
    const places = Math.max(twos, fives);
    if (d === 1n && places <= 12) {
      const scaled = (r.num * 10n ** BigInt(places)) / r.den;
      const neg = scaled < 0n;
      const s = absBig(scaled).toString().padStart(places + 1, '0');
      const text = `${s.slice(0, s.length - places)}.${s.slice(s.length - places)}`;
      return neg ? `-${text}` : text;
    }
    return `${r.num}/${r.den}`;
  }

  /**
   * `this ^ exp` for an integer exponent, refusing results above `maxDigits` digits before computing them.
   */
  powInt(exp: bigint, maxDigits: number): Rational {
    if (exp === 0n) return Rational.ONE;
    if (this.num === 0n) {
      if (exp < 0n) throw new RangeError('Rational: 0 to a negative power');
      return Rational.ZERO;
    }
    const e = exp < 0n ? -exp : exp;
    const base = exp < 0n ? new Rational(this.den, this.num) : this;
    const isUnit = (x: bigint) => x === 1n || x === -1n;
    if (isUnit(base.num) && isUnit(base.den)) {
      return new Rational(base.num < 0n && e % 2n === 1n ? -1n : 1n);
    }
    const perStep = Math.max(digitsOf(base.num), digitsOf(base.den));
    // Estimate the result's digits from log10 of the larger part: |digits| ~ e * log10(max(|num|, den)).
    const logMax = Math.max(log10Abs(base.num), log10Abs(base.den));
    if (e > BigInt(maxDigits) * 4n || Number(e) * logMax > maxDigits) {
      throw new TooLargeError(`power with ${perStep}-digit base and exponent ${e.toString().slice(0, 30)} exceeds ${maxDigits} digits`);
    }
    return new Rational(base.num ** e, base.den ** e).reduce();
  }

  /**
   * Exact `k`-th root if it exists (e.g. sqrt(9/4) = 3/2), else null. `k` in [2, 64].
   */
  root(k: number): Rational | null {
    if (this.num < 0n && k % 2 === 0) return null;
    const r = this.reduce();
    const n = integerRoot(absBig(r.num), k);
    const d = integerRoot(r.den, k);
    if (n === null || d === null) return null;
    return new Rational(r.num < 0n ? -n : n, d);
  }
}

function log10Abs(n: bigint): number {
  if (n === 0n) return 0;
  const s = absBig(n).toString();
  if (s.length < 300) return Math.log10(Number(absBig(n)));
  return s.length - 1 + Math.log10(Number(s.slice(0, 15)) / 1e14);
}

/** Exact integer k-th root of n >= 0, or null when n is not a perfect k-th power. */
export function integerRoot(n: bigint, k: number): bigint | null {
  if (n < 2n) return n;
  const kb = BigInt(k);
  // Newton's method from an overestimate.
  const bits = n.toString(2).length;
  let x = 1n << BigInt(Math.ceil(bits / k) + 1);
  for (;;) {
    const y = ((kb - 1n) * x + n / x ** (kb - 1n)) / kb;
    if (y >= x) break;
    x = y;
  }
  return x ** kb === n ? x : null;
}

/**
 * n! exactly, refusing n whose factorial would exceed `maxDigits` digits (Stirling estimate).
 */
export function factorialBig(n: number, maxDigits: number): bigint {
  if (!Number.isInteger(n) || n < 0) throw new RangeError('factorial of a non-natural number');
  if (n > 1 && log10Factorial(n) > maxDigits) throw new TooLargeError(`${n}! exceeds ${maxDigits} digits`);
  let out = 1n;
  for (let i = 2; i <= n; i++) out *= BigInt(i);
  return out;
}

/** log10(n!) by Stirling's series (accurate to well under one digit for n >= 1). */
export function log10Factorial(n: number): number {
  if (n < 2) return 0;
  const ln = n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n);
  return ln / Math.LN10;
}

/** Binomial coefficient C(n, k) exactly, with the same digit guard. */
export function binomialBig(n: number, k: number, maxDigits: number): bigint {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n < 0) throw new RangeError('binomial of non-natural numbers');
  if (k < 0 || k > n) return 0n;
  k = Math.min(k, n - k);
  if (log10Factorial(n) - log10Factorial(k) - log10Factorial(n - k) > maxDigits) throw new TooLargeError(`C(${n}, ${k}) exceeds ${maxDigits} digits`);
  if (k > 1_000_000) throw new TooLargeError(`C(${n}, ${k}) is too expensive`);
  let out = 1n;
  for (let i = 1; i <= k; i++) out = (out * BigInt(n - k + i)) / BigInt(i);
  return out;
}
