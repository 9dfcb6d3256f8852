// In-thread evaluation of constant answers: exact rationals on BigInt (the `rational` rung) and doubles
// with an overflow/underflow flag (the cheap `numeric` rung). Both are bounded: node counts come from the
// parser, digits/exponents/factorials are checked before they are computed. Imports the AST and numbers.

import { Rational, TooLargeError, binomialBig, factorialBig, gcdBig } from './exact-number.js';
import type { MathNode } from './expr-parse.js';

export interface NumericLimits {
  /** Largest number of decimal digits an exact intermediate may have (default 10000). */
  maxDigits: number;
}

/** The value is undefined (division by zero, a root of a negative number in the reals). */
export class DomainError extends Error {
  override readonly name = 'DomainError';
}

/**
 * Exact value of a constant expression built from integers, decimals, + - * /, integer powers, exact roots,
 * factorials, binomials, abs/floor/ceil/gcd/lcm/min/max. Returns null when the value is not (known to be)
 * rational (pi, sqrt 2, a variable). Throws `TooLargeError` beyond `maxDigits`, `DomainError` for 1/0.
 */
export function exactValue(n: MathNode, limits: NumericLimits): Rational | null {
  switch (n.t) {
    case 'num':
      return Rational.parseDecimal(n.text, limits.maxDigits);
    case 'neg': {
      const a = exactValue(n.arg, limits);
      return a === null ? null : a.neg();
    }
    case 'bin': {
      // Both sides are evaluated even when one is irrational, so size limits are enforced everywhere.
      const a = exactValue(n.left, limits);
      if (n.op === '^') {
        if (a === null) {
          exactValue(n.right, limits);
          return null;
        }
        return exactPower(a, n.right, limits);
      }
      const b = exactValue(n.right, limits);
      if (a === null || b === null) return null;
      let r: Rational;
      switch (n.op) {
        case '+':
          r = a.add(b);
          break;
        case '-':
          r = a.sub(b);
          break;
        case '*':
          r = a.mul(b);
          break;
        case '/':
          if (b.isZero()) throw new DomainError('division by zero');
          r = a.div(b);
          break;
      }
      if (r.digits() > limits.maxDigits) throw new TooLargeError(`intermediate exceeds ${limits.maxDigits} digits`);
      return r;
    }
    case 'fact': {
      const a = exactValue(n.arg, limits);
      if (a === null) return null;
      if (!a.isInteger() || a.sign() < 0) throw new DomainError('factorial of a non-natural number');
      const k = a.reduce().num;
      if (k > 1_000_000_000n) throw new TooLargeError(`${k}! is too large`);
      return new Rational(factorialBig(Number(k), limits.maxDigits));
    }
    case 'call':
      return exactCall(n.fn, n.args, limits);
    default:
      return null;
  }
}

function exactPower(base: Rational, expNode: MathNode, limits: NumericLimits): Rational | null {
  const e = exactValue(expNode, limits);
  if (e === null) return null;
  const er = e.reduce();
  if (er.den === 1n) {
    if (base.isZero() && er.num < 0n) throw new DomainError('zero to a negative power');
    return base.powInt(er.num, limits.maxDigits);
  }
  // Rational exponent p/q: exact only when the q-th root of the base is rational.
  if (er.den > 64n) return null;
  const root = base.root(Number(er.den));
  if (root === null) return null;
  return root.powInt(er.num, limits.maxDigits);
}

function exactCall(fn: string, args: MathNode[], limits: NumericLimits): Rational | null {
  const vals: Rational[] = [];
  let complete = true;
  for (const a of args) {
    const v = exactValue(a, limits);
    if (v === null) complete = false;
    else vals.push(v);
  }
  if (!complete) return null;
  switch (fn) {
    case 'sqrt':
      if (vals.length !== 1) return null;
      if (vals[0].sign() < 0) return null;
      return vals[0].root(2);
    case 'nthroot': {
      if (vals.length !== 2 || !vals[1].isInteger()) return null;
      const k = Number(vals[1].reduce().num);
      if (k < 2 || k > 64) return null;
      return vals[0].root(k);
    }
    case 'abs':
      return vals.length === 1 ? (vals[0].sign() < 0 ? vals[0].neg() : vals[0]) : null;
    case 'floor':
    case 'ceil': {
      if (vals.length !== 1) return null;
      const r = vals[0].reduce();
      let q = r.num / r.den;
      if (r.num % r.den !== 0n) {
        if (fn === 'floor' && r.num < 0n) q -= 1n;
        if (fn === 'ceil' && r.num > 0n) q += 1n;
      }
      return new Rational(q);
    }
    case 'binom': {
      if (vals.length !== 2 || !vals[0].isInteger() || !vals[1].isInteger()) return null;
      const nn = vals[0].reduce().num;
      const kk = vals[1].reduce().num;
      if (nn < 0n || nn > 100_000_000n) return null;
      return new Rational(binomialBig(Number(nn), Number(kk), limits.maxDigits));
    }
    case 'gcd':
    case 'lcm': {
      if (vals.length < 2 || vals.some((v) => !v.isInteger())) return null;
      let acc = vals[0].reduce().num;
      for (const v of vals.slice(1)) {
        const x = v.reduce().num;
        if (fn === 'gcd') acc = gcdBig(acc, x);
        else {
          const g = gcdBig(acc, x);
          acc = g === 0n ? 0n : (acc / g) * x;
          if (acc < 0n) acc = -acc;
        }
      }
      return new Rational(acc);
    }
    case 'max':
    case 'min': {
      if (vals.length === 0) return null;
      let best = vals[0];
      for (const v of vals) {
        const d = v.sub(best).sign();
        if ((fn === 'max' && d > 0) || (fn === 'min' && d < 0)) best = v;
      }
      return best;
    }
    default:
      return null;
  }
}

/** True when the expression contains a decimal literal (an approximation, compared with tolerance). */
export function hasDecimal(n: MathNode): boolean {
  switch (n.t) {
    case 'num':
      return /[.eE]/.test(n.text);
    case 'neg':
    case 'fact':
    case 'pct':
      return hasDecimal(n.arg);
    case 'bin':
      return hasDecimal(n.left) || hasDecimal(n.right);
    case 'call':
      return n.args.some(hasDecimal);
    case 'pm':
      return (n.left !== null && hasDecimal(n.left)) || hasDecimal(n.right);
    default:
      return false;
  }
}

export interface FloatValue {
  value: number;
  /** False when an intermediate overflowed or underflowed (the double cannot be trusted). */
  reliable: boolean;
}

/**
 * Double value of a constant real expression, or null when it has variables, the imaginary unit or an
 * unknown function. `reliable` is false after overflow/underflow (0 from nonzero parts, ±Infinity from
 * finite parts) so callers escalate instead of comparing noise.
 */
export function floatValue(n: MathNode): FloatValue | null {
  const state = { reliable: true };
  const v = floatEval(n, state);
  if (v === null) return null;
  if (Number.isNaN(v)) return { value: v, reliable: false };
  return { value: v, reliable: state.reliable };
}

function check(v: number, inputs: number[], state: { reliable: boolean }): number {
  if (!Number.isFinite(v) && inputs.every(Number.isFinite)) state.reliable = false;
  if (v === 0 && inputs.every((x) => x !== 0)) state.reliable = false;
  if (v !== 0 && Math.abs(v) < 1e-290) state.reliable = false;
  return v;
}

function floatEval(n: MathNode, state: { reliable: boolean }): number | null {
  switch (n.t) {
    case 'num': {
      const v = Number(n.text);
      if (!Number.isFinite(v)) state.reliable = false;
      return v;
    }
    case 'sym':
      if (n.name === 'pi') return Math.PI;
      if (n.name === 'e') return Math.E;
      if (n.name === 'inf') return Infinity;
      return null;
    case 'neg': {
      const a = floatEval(n.arg, state);
      return a === null ? null : -a;
    }
    case 'bin': {
      const a = floatEval(n.left, state);
      if (a === null) return null;
      const b = floatEval(n.right, state);
      if (b === null) return null;
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return check(a * b, [a, b], state);
        case '/':
          if (b === 0) {
            state.reliable = false;
            return NaN;
          }
          return check(a / b, [a, b], state);
        case '^': {
          if (a < 0 && !Number.isInteger(b)) return null; // complex in general: leave to the symbolic rung
          return check(a ** b, [a, b], state);
        }
      }
      return null;
    }
    case 'fact': {
      const a = floatEval(n.arg, state);
      if (a === null) return null;
      if (!Number.isInteger(a) || a < 0) return NaN;
      if (a > 170) {
        state.reliable = false;
        return Infinity;
      }
      let out = 1;
      for (let i = 2; i <= a; i++) out *= i;
      return out;
    }
    case 'call': {
      const args: number[] = [];
      for (const x of n.args) {
        const v = floatEval(x, state);
        if (v === null) return null;
        args.push(v);
      }
      const r = floatCall(n.fn, args);
      return r === null ? null : check(r, args, state);
    }
    default:
      return null;
  }
}

function floatCall(fn: string, a: number[]): number | null {
  const x = a[0];
  switch (fn) {
    case 'sqrt':
      return x < 0 ? null : Math.sqrt(x);
    case 'nthroot': {
      const k = a[1];
      if (!Number.isInteger(k) || k < 1) return NaN;
      if (x < 0) return k % 2 === 1 ? -Math.pow(-x, 1 / k) : null;
      return Math.pow(x, 1 / k);
    }
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'tan':
      return Math.tan(x);
    case 'sec':
      return 1 / Math.cos(x);
    case 'csc':
      return 1 / Math.sin(x);
    case 'cot':
      return 1 / Math.tan(x);
    case 'arcsin':
    case 'asin':
      return Math.asin(x);
    case 'arccos':
    case 'acos':
      return Math.acos(x);
    case 'arctan':
    case 'atan':
      return Math.atan(x);
    case 'sinh':
      return Math.sinh(x);
    case 'cosh':
      return Math.cosh(x);
    case 'tanh':
      return Math.tanh(x);
    case 'log':
      if (x <= 0) return null;
      return a.length === 2 ? Math.log(x) / Math.log(a[1]) : Math.log(x);
    case 'log10':
      return x <= 0 ? null : Math.log10(x);
    case 'exp':
      return Math.exp(x);
    case 'abs':
      return Math.abs(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'max':
      return Math.max(...a);
    case 'min':
      return Math.min(...a);
    default:
      return null;
  }
}
