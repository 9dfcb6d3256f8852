// The expensive rungs, run only inside the guarded worker: mathjs simplify of the difference, evaluation at
// random points drawn from the seeded Rng, and 64-digit BigNumber evaluation of constants that overflow
// doubles. Imports the restricted mathjs instance, the AST and the core Rng (from its own module rather
// than the core barrel: every module a worker loads adds to its start-up time).

import { Rng } from '../../src/core/rng.js';
import { TooLargeError } from './exact-number.js';
import { CONSTANTS, type MathNode } from './expr-parse.js';
import type { CompareOptions, SymbolicEnv, SymbolicMode } from './answer-compare.js';
import { createSafeMath, type SafeMath } from './safe-math.js';

/** Thrown when an AST uses something the mathjs printer cannot express (an uninterpreted function). */
class UnprintableError extends Error {}

const FUNCTION_NAMES: Record<string, string> = {
  sqrt: 'sqrt', nthroot: 'nthRoot', sin: 'sin', cos: 'cos', tan: 'tan', sec: 'sec', csc: 'csc', cot: 'cot',
  arcsin: 'asin', asin: 'asin', arccos: 'acos', acos: 'acos', arctan: 'atan', atan: 'atan', arcsec: 'asec',
  arccsc: 'acsc', arccot: 'acot', sinh: 'sinh', cosh: 'cosh', tanh: 'tanh', log: 'log', ln: 'log', log10: 'log10',
  exp: 'exp', abs: 'abs', floor: 'floor', ceil: 'ceil', binom: 'combinations', gcd: 'gcd', lcm: 'lcm', max: 'max',
  min: 'min',
};

/** Prints an AST as a mathjs expression; free symbols become v0, v1, ... (so `gamma` cannot mean Γ). */
export function printForMathjs(n: MathNode, names: Map<string, string>): string {
  switch (n.t) {
    case 'num': {
      const t = n.text.startsWith('.') ? `0${n.text}` : n.text;
      return t;
    }
    case 'sym': {
      if (n.name === 'pi') return 'pi';
      if (n.name === 'e') return 'e';
      if (n.name === 'i') return 'i';
      if (n.name === 'inf') return 'Infinity';
      if (CONSTANTS.has(n.name)) throw new UnprintableError(n.name);
      let v = names.get(n.name);
      if (v === undefined) {
        v = `v${names.size}`;
        names.set(n.name, v);
      }
      return v;
    }
    case 'neg':
      return `(-${printForMathjs(n.arg, names)})`;
    case 'bin':
      return `(${printForMathjs(n.left, names)} ${n.op} ${printForMathjs(n.right, names)})`;
    case 'fact':
      return `factorial(${printForMathjs(n.arg, names)})`;
    case 'pct':
      return `(${printForMathjs(n.arg, names)} / 100)`;
    case 'call': {
      const fn = FUNCTION_NAMES[n.fn];
      if (fn === undefined) throw new UnprintableError(n.fn);
      return `${fn}(${n.args.map((a) => printForMathjs(a, names)).join(', ')})`;
    }
    default:
      throw new UnprintableError(n.t);
  }
}

/** Both sides in mathjs syntax with one shared variable naming; undefined when either cannot be printed. */
function printPair(a: MathNode, b: MathNode): { sa: string; sb: string; names: Map<string, string> } | undefined {
  const names = new Map<string, string>();
  try {
    return { sa: printForMathjs(a, names), sb: printForMathjs(b, names), names };
  } catch (err) {
    if (err instanceof UnprintableError) return undefined;
    throw err;
  }
}

function countNodes(n: MathNode): number {
  switch (n.t) {
    case 'neg':
    case 'fact':
    case 'pct':
      return 1 + countNodes(n.arg);
    case 'bin':
      return 1 + countNodes(n.left) + countNodes(n.right);
    case 'call':
      return 1 + n.args.reduce((s, a) => s + countNodes(a), 0);
    default:
      return 1;
  }
}

interface Value {
  re: number;
  im: number;
}

function toValue(x: unknown): Value | null {
  if (typeof x === 'number') return { re: x, im: 0 };
  if (typeof x === 'object' && x !== null && 're' in x && 'im' in x) {
    const c = x as { re: number; im: number };
    return { re: Number(c.re), im: Number(c.im) };
  }
  if (typeof x === 'object' && x !== null && typeof (x as { toNumber?: unknown }).toNumber === 'function') {
    return { re: (x as { toNumber(): number }).toNumber(), im: 0 };
  }
  return null;
}

function magnitude(v: Value): number {
  return Math.hypot(v.re, v.im);
}

function isFiniteValue(v: Value): boolean {
  return Number.isFinite(v.re) && Number.isFinite(v.im);
}

/** Close in the symbolic rung: relative, with a small absolute floor for cancellation noise near zero. */
function closeValues(a: Value, b: Value, tol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  return d <= tol * Math.max(magnitude(a), magnitude(b), 1e-6);
}

/**
 * Evaluates both expressions at `opts.symbolicPoints` random points. `equal`: every valid point agrees
 * (for proportional modes: one constant ratio, positive when asked); `different`: a point disagrees;
 * `inconclusive`: fewer than 3 points were in both domains.
 */
function comparePoints(
  m: SafeMath,
  na: ReturnType<SafeMath['parse']>,
  nb: ReturnType<SafeMath['parse']>,
  vars: string[],
  mode: SymbolicMode,
  opts: CompareOptions,
  pairKey: string,
  allowComplex: boolean,
): 'equal' | 'different' | 'inconclusive' {
  const fa = m.compile(na);
  const fb = m.compile(nb);
  const rng = Rng.fromSeed(`math-verify/${opts.seed}`).split(pairKey);
  const ratios: Value[] = [];
  let valid = 0;
  const wanted = opts.symbolicPoints;
  for (let attempt = 0; attempt < wanted * 4 && valid < wanted; attempt++) {
    const scope: Record<string, number> = {};
    for (const v of vars) {
      const u = 0.3 + 2.7 * rng.float();
      // Every other attempt may use negative values, so |x| and x differ.
      scope[v] = attempt % 2 === 1 && rng.chance(0.5) ? -u : u;
    }
    let va: Value | null;
    let vb: Value | null;
    try {
      va = toValue(fa(scope));
      vb = toValue(fb(scope));
    } catch {
      continue;
    }
    if (va === null || vb === null || !isFiniteValue(va) || !isFiniteValue(vb)) continue;
    if (!allowComplex && (Math.abs(va.im) > 1e-12 * Math.max(1, Math.abs(va.re)) || Math.abs(vb.im) > 1e-12 * Math.max(1, Math.abs(vb.re)))) continue;
    if (!allowComplex) {
      va = { re: va.re, im: 0 };
      vb = { re: vb.re, im: 0 };
    }
    valid++;
    if (mode === 'equal') {
      if (!closeValues(va, vb, opts.tolerance)) return 'different';
      continue;
    }
    // Proportional: a = c * b with one constant c (c > 0 for inequalities).
    const mb = magnitude(vb);
    const ma = magnitude(va);
    if (mb < 1e-9 || ma < 1e-9) {
      if (mb < 1e-9 && ma < 1e-9) continue;
      return 'different';
    }
    const denom = vb.re * vb.re + vb.im * vb.im;
    ratios.push({ re: (va.re * vb.re + va.im * vb.im) / denom, im: (va.im * vb.re - va.re * vb.im) / denom });
  }
  if (valid < Math.min(3, wanted)) return 'inconclusive';
  if (mode === 'equal') return 'equal';
  if (ratios.length === 0) return 'inconclusive';
  const c = ratios[0];
  if (!ratios.every((r) => closeValues(r, c, Math.max(opts.tolerance, 1e-9)))) return 'different';
  if (mode === 'positive-proportional' && !(Math.abs(c.im) < 1e-9 && c.re > 0)) return 'different';
  return 'equal';
}

/** The mathjs-backed env (create once per worker; instances are not shared across threads). */
export function createMathjsEnv(): SymbolicEnv {
  let plain: SafeMath | null = null;
  let big: SafeMath | null = null;
  const getPlain = () => (plain ??= createSafeMath());
  const getBig = () => (big ??= createSafeMath(64));

  return {
    compareSymbolic(a: MathNode, b: MathNode, mode: SymbolicMode, opts: CompareOptions, pairKey: string): boolean {
      const m = getPlain();
      const printed = printPair(a, b);
      if (printed === undefined) return false;
      const { sa, sb, names } = printed;
      let na: ReturnType<SafeMath['parse']>;
      let nb: ReturnType<SafeMath['parse']>;
      try {
        na = m.parse(sa);
        nb = m.parse(sb);
      } catch {
        return false; // outside the whitelist: compared as different
      }
      const allowComplex = /\bi\b/.test(sa) || /\bi\b/.test(sb);

      // Random points from the seeded Rng (same pair => same points) decide in ~0.2 ms; mathjs simplify of
      // the difference (~10 ms even on small trees, superlinear beyond) runs only when they do not say
      // "equal": it can still prove equality where doubles cancel badly or no point is in the domain.
      const points = comparePoints(m, na, nb, [...names.values()], mode, opts, pairKey, allowComplex);
      if (points === 'equal') return true;
      if (countNodes(a) + countNodes(b) + 1 <= opts.simplifyMaxNodes) {
        try {
          const diff = m.simplify(m.parse(`(${sa}) - (${sb})`));
          if (diff.type === 'ConstantNode') {
            const v = toValue((diff as unknown as { value: unknown }).value);
            if (v !== null && v.re === 0 && v.im === 0) return true;
          }
        } catch {
          // simplify can fail on valid input (unsupported rules): the points' answer stands
        }
      }
      return false;
    },

    compareHighPrecision(a: MathNode, b: MathNode, opts: CompareOptions): boolean {
      const m = getBig();
      const printed = printPair(a, b);
      if (printed === undefined) return false;
      const { sa, sb } = printed;
      let va: unknown;
      let vb: unknown;
      try {
        va = m.evaluate(m.parse(sa), {});
        vb = m.evaluate(m.parse(sb), {});
      } catch {
        return false; // undefined value (e.g. a domain error): compared as different
      }
      const math = m.math;
      const finite = (x: unknown) => {
        const v = toValue(x);
        return v !== null && isFiniteValue(v);
      };
      if (!finite(va) || !finite(vb)) {
        // Only "infinite" if the text never said infinity.
        if (/Infinity/.test(sa) || /Infinity/.test(sb)) return String(va) === String(vb);
        throw new TooLargeError('value outside the representable range');
      }
      const isBig = (x: unknown) => typeof x === 'object' && x !== null && (x as { isBigNumber?: boolean }).isBigNumber === true;
      if (isBig(va) && isBig(vb)) {
        const diff = math.abs(math.subtract(va as never, vb as never) as never) as unknown as { lte(x: unknown): boolean };
        const scale = math.max(math.abs(va as never), math.abs(vb as never)) as unknown;
        const bound = math.multiply(scale as never, math.bignumber(opts.tolerance * (1 + 1e-9)) as never);
        return diff.lte(bound);
      }
      const x = toValue(va);
      const y = toValue(vb);
      return x !== null && y !== null && closeValues(x, y, opts.tolerance);
    },
  };
}
