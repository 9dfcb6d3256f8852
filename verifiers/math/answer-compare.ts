// The equivalence ladder: exact string -> exact rational -> numeric (relative tolerance) -> symbolic, with
// structured answers (tuples, sets, intervals, equations, inequalities, matrices, choices, text) compared
// part by part. Synchronous and pure; the expensive rungs go through a `SymbolicEnv`: the host's env
// refuses them (the caller then re-runs the comparison in the guarded worker, whose env uses mathjs).

import { normalizeAnswer, type NormalizedAnswer } from './answer-normalize.js';
import { Rational, TooLargeError, gcdBig } from './exact-number.js';
import { DEFAULT_PARSE_LIMITS, ParseError, freeSymbols, parseMath, printNode, type MathNode, type RelOp } from './expr-parse.js';
import { DomainError, exactValue, floatValue, hasDecimal } from './numeric-eval.js';

/** Reason codes of a comparison (a subset of the core's `VerdictReason`). */
export type CompareReason =
  | 'exact'
  | 'rational'
  | 'numeric'
  | 'symbolic'
  | 'set'
  | 'tuple'
  | 'interval'
  | 'text'
  | 'mismatch'
  | 'parse_error'
  | 'timeout'
  | 'too_large';

export interface Comparison {
  equal: boolean;
  reason: CompareReason;
  /** Which side failed to parse, for `parse_error`. */
  side?: 'gold' | 'pred';
  /** Short explanation (a parse error, the rung that decided). */
  detail?: string;
}

export type PercentPolicy = 'either' | 'strip' | 'fraction';

/** What the ladder needs from the options (see `mathOptionsSchema` for defaults and ranges). */
export interface CompareOptions {
  /** Relative tolerance of the numeric and symbolic rungs. */
  tolerance: number;
  /** `28%` vs `28` / `0.28`: `either` accepts both, `strip` only 28, `fraction` only 0.28. */
  percent: PercentPolicy;
  /** `accept`: 2/4 equals 1/2; `reject`: a predicted fraction must be in lowest terms. */
  unreducedFractions: 'accept' | 'reject';
  /** Units must match when true; otherwise they are dropped. */
  strictUnits: boolean;
  /** Exact-arithmetic digit budget. */
  maxDigits: number;
  /** AST node budget per answer. */
  maxNodes: number;
  /** Nesting budget per answer. */
  maxDepth: number;
  /** Longest answer (after extraction) in characters. */
  maxAnswerChars: number;
  /** Random points of the symbolic rung. */
  symbolicPoints: number;
  /** Difference trees up to this many nodes go through mathjs simplify when the random points do not show equality. */
  simplifyMaxNodes: number;
  /** Seed of the symbolic rung's random points (points also depend on the pair being compared). */
  seed: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  tolerance: 1e-6,
  percent: 'either',
  unreducedFractions: 'accept',
  strictUnits: false,
  maxDigits: 10_000,
  maxNodes: 2000,
  maxDepth: 100,
  maxAnswerChars: 5000,
  symbolicPoints: 8,
  simplifyMaxNodes: 40,
  seed: 0,
};

/** How two expressions must relate in the symbolic rung. */
export type SymbolicMode = 'equal' | 'proportional' | 'positive-proportional';

/** The expensive rungs. The host's env throws `NeedsWorkerError`; the worker's env runs mathjs. */
export interface SymbolicEnv {
  /** Expressions with free variables: `equal` (a = b), or a = c*b for a constant c != 0 (c > 0). */
  compareSymbolic(a: MathNode, b: MathNode, mode: SymbolicMode, opts: CompareOptions, pairKey: string): boolean;
  /** Constants the double rung cannot settle (overflow, underflow, complex values). */
  compareHighPrecision(a: MathNode, b: MathNode, opts: CompareOptions): boolean;
}

/** Thrown by the host env: this comparison needs the guarded worker. */
export class NeedsWorkerError extends Error {
  override readonly name = 'NeedsWorkerError';
}

/** The host's env: never evaluates anything expensive. */
export const HOST_ENV: SymbolicEnv = {
  compareSymbolic() {
    throw new NeedsWorkerError('symbolic comparison');
  },
  compareHighPrecision() {
    throw new NeedsWorkerError('high-precision comparison');
  },
};

/** A prepared answer: normalised text plus its AST (null when it did not parse). */
export interface ParsedAnswer {
  norm: NormalizedAnswer;
  node: MathNode | null;
  /** Why the AST is missing. */
  error?: { reason: 'parse_error' | 'too_large'; message: string };
}

/** Normalises and parses one answer under the options' limits. Never throws for bad input. */
export function prepareAnswer(text: string, opts: CompareOptions): ParsedAnswer {
  if (text.length > opts.maxAnswerChars) {
    return { norm: { text: text.slice(0, 200), unit: null, isText: false, choice: null }, node: null, error: { reason: 'too_large', message: `answer longer than ${opts.maxAnswerChars} characters` } };
  }
  const norm = normalizeAnswer(text);
  if (norm.isText || norm.choice !== null) return { norm, node: null };
  try {
    const node = parseMath(norm.text, { ...DEFAULT_PARSE_LIMITS, maxNodes: opts.maxNodes, maxDepth: opts.maxDepth });
    return { norm, node };
  } catch (err) {
    if (err instanceof TooLargeError) return { norm, node: null, error: { reason: 'too_large', message: err.message } };
    if (err instanceof ParseError) return { norm, node: null, error: { reason: 'parse_error', message: err.message } };
    if (err instanceof RangeError) return { norm, node: null, error: { reason: 'too_large', message: err.message } };
    throw err;
  }
}

const EQUAL = (reason: CompareReason): Comparison => ({ equal: true, reason });
const MISMATCH = (detail?: string): Comparison => (detail === undefined ? { equal: false, reason: 'mismatch' } : { equal: false, reason: 'mismatch', detail });

/**
 * Compares a gold answer and a predicted answer (both already extracted) on the ladder. Synchronous:
 * with `HOST_ENV` it throws `NeedsWorkerError` as soon as an expensive rung is needed.
 * Never throws for bad input: parse failures and size limits come back as reasons.
 */
export function compareAnswersWith(gold: string, pred: string, opts: CompareOptions, env: SymbolicEnv): Comparison {
  const g = prepareAnswer(gold, opts);
  const p = prepareAnswer(pred, opts);
  return comparePrepared(g, p, opts, env, `${gold}\u0000${pred}`);
}

/** The ladder on prepared answers (see `compareAnswersWith`). */
export function comparePrepared(g: ParsedAnswer, p: ParsedAnswer, opts: CompareOptions, env: SymbolicEnv, pairKey: string): Comparison {
  if (g.error?.reason === 'too_large' || p.error?.reason === 'too_large') {
    return { equal: false, reason: 'too_large', detail: (g.error ?? p.error)?.message };
  }
  if (opts.strictUnits && (g.norm.unit ?? '') !== (p.norm.unit ?? '')) {
    return MISMATCH(`units differ: ${g.norm.unit ?? 'none'} vs ${p.norm.unit ?? 'none'}`);
  }
  if (g.norm.text === p.norm.text) return EQUAL('exact');
  if (g.norm.choice !== null || p.norm.choice !== null) {
    return g.norm.choice !== null && g.norm.choice === p.norm.choice ? EQUAL('exact') : MISMATCH('choice');
  }
  if (g.norm.isText || p.norm.isText) {
    return foldText(g.norm.text) === foldText(p.norm.text) ? EQUAL('text') : MISMATCH('text');
  }
  if (g.node === null || p.node === null) {
    if (foldText(g.norm.text) === foldText(p.norm.text)) return EQUAL('text');
    const side = g.node === null ? 'gold' : 'pred';
    const message = (side === 'gold' ? g.error : p.error)?.message ?? 'unparsed';
    return { equal: false, reason: 'parse_error', side, detail: `${side}: ${message}` };
  }
  const ctx: Ctx = { opts, env, pairKey };
  try {
    return compareNodes(g.node, p.node, ctx, 0);
  } catch (err) {
    if (err instanceof TooLargeError) return { equal: false, reason: 'too_large', detail: err.message };
    if (err instanceof RangeError) return { equal: false, reason: 'too_large', detail: err.message };
    throw err;
  }
}

function foldText(s: string): string {
  return s
    .toLowerCase()
    .replace(/\\text\s*/g, '')
    .replace(/[{}\s.]/g, '');
}

interface Ctx {
  opts: CompareOptions;
  env: SymbolicEnv;
  pairKey: string;
}

// ---------------------------------------------------------------------------------------------------
// Preparation: ± expansion, relation chains, assignments.

const MAX_VARIANTS = 16;

/** Expands ± into variants; structural nodes keep their shape. */
function variants(n: MathNode): MathNode[] {
  switch (n.t) {
    case 'pm': {
      const rights = variants(n.right);
      const lefts = n.left === null ? [null] : variants(n.left);
      const out: MathNode[] = [];
      for (const l of lefts) {
        for (const r of rights) {
          const plus: MathNode = l === null ? r : { t: 'bin', op: '+', left: l, right: r };
          const minus: MathNode = l === null ? { t: 'neg', arg: r } : { t: 'bin', op: '-', left: l, right: r };
          if (n.minusFirst) out.push(minus, plus);
          else out.push(plus, minus);
        }
      }
      return cap(out);
    }
    case 'neg':
      return variants(n.arg).map((a) => ({ t: 'neg', arg: a }));
    case 'fact':
    case 'pct':
      return variants(n.arg).map((a) => ({ t: n.t, arg: a }));
    case 'bin': {
      const out: MathNode[] = [];
      for (const l of variants(n.left)) for (const r of variants(n.right)) out.push({ t: 'bin', op: n.op, left: l, right: r });
      return cap(out);
    }
    case 'call': {
      let acc: MathNode[][] = [[]];
      for (const a of n.args) {
        const next: MathNode[][] = [];
        for (const prefix of acc) for (const v of variants(a)) next.push([...prefix, v]);
        acc = cap(next);
      }
      return acc.map((args) => ({ t: 'call', fn: n.fn, args }));
    }
    default:
      return [n];
  }
}

function cap<T>(xs: T[]): T[] {
  if (xs.length > MAX_VARIANTS) throw new TooLargeError(`more than ${MAX_VARIANTS} ± variants`);
  return xs;
}

function containsPm(n: MathNode): boolean {
  switch (n.t) {
    case 'pm':
      return true;
    case 'neg':
    case 'fact':
    case 'pct':
      return containsPm(n.arg);
    case 'bin':
      return containsPm(n.left) || containsPm(n.right);
    case 'call':
      return n.args.some(containsPm);
    default:
      return false;
  }
}

/** Rewrites a node for comparison: ± becomes a set, relation chains shrink, `x \in S` becomes S. */
function prepare(n: MathNode): MathNode {
  switch (n.t) {
    case 'list':
    case 'set': {
      const items: MathNode[] = [];
      for (const it of n.items) {
        // A group of assignments is one solution tuple ("p=5, q=2"); other nested groups flatten.
        if (it.t === 'list') {
          const parts = it.items.map(prepare);
          if (parts.every(isAssignment)) items.push({ t: 'group', open: '(', close: ')', items: parts.map((x) => (x as MathNode & { t: 'rel' }).parts[1]) });
          else items.push(...parts);
          continue;
        }
        const p = prepare(it);
        if (p.t === 'set' && it.t !== 'set') items.push(...p.items);
        else items.push(p);
      }
      return { t: n.t, items };
    }
    case 'group':
      return { ...n, items: n.items.map(prepare) };
    case 'rel': {
      let parts = n.parts.map(prepare);
      let ops = n.ops;
      if (ops.length >= 2 && ops.every((o) => o === '=')) {
        // "x = 5+5+1 = 11" means x = 11; "1 = z = x = 0" means its last relation x = 0.
        parts = isNameLike(parts[0]) ? [parts[0], parts[parts.length - 1]] : parts.slice(-2);
        ops = ['='];
      }
      if (ops.length === 1 && ops[0] === 'in' && isNameLike(parts[0])) return parts[1];
      // "x = 1 ± 2": an assignment of a set.
      if (ops.length === 1 && ops[0] === '=' && parts[1].t === 'set' && n.parts[1].t !== 'set' && isNameLike(parts[0])) return parts[1];
      return { t: 'rel', ops, parts };
    }
    case 'bin': {
      const m = matrixArithmetic(n);
      if (m !== null) return m;
      if (containsPm(n)) return { t: 'set', items: variants(n) };
      return n;
    }
    default:
      if (containsPm(n)) return { t: 'set', items: variants(n) };
      return n;
  }
}

const MAX_MATRIX_CELLS = 400;

/**
 * Sums, differences, scalar multiples and products of literal matrices, entry by entry as ASTs
 * ("A + B" with both written out), or null when the node is not matrix arithmetic.
 */
function matrixArithmetic(n: MathNode): MathNode | null {
  if (n.t !== 'bin' || (n.op !== '+' && n.op !== '-' && n.op !== '*')) return null;
  const l = n.left.t === 'bin' ? matrixArithmetic(n.left) ?? n.left : n.left;
  const r = n.right.t === 'bin' ? matrixArithmetic(n.right) ?? n.right : n.right;
  const lm = l.t === 'matrix' ? l : null;
  const rm = r.t === 'matrix' ? r : null;
  if (lm === null && rm === null) return null;
  const cells = (m: MathNode & { t: 'matrix' }) => m.rows.length * (m.rows[0]?.length ?? 0);
  if ((lm !== null && cells(lm) > MAX_MATRIX_CELLS) || (rm !== null && cells(rm) > MAX_MATRIX_CELLS)) throw new TooLargeError('matrix too large');
  const rect = (m: MathNode & { t: 'matrix' }) => m.rows.every((row) => row.length === m.rows[0].length);
  if ((lm !== null && !rect(lm)) || (rm !== null && !rect(rm))) return null;
  const bin = (op: '+' | '-' | '*', a: MathNode, b: MathNode): MathNode => ({ t: 'bin', op, left: a, right: b });
  if (n.op === '*') {
    if (lm !== null && rm !== null) {
      const inner = lm.rows[0].length;
      if (rm.rows.length !== inner) return null;
      const cols = rm.rows[0].length;
      const rows = lm.rows.map((row) =>
        Array.from({ length: cols }, (_, j) => row.map((a, k) => bin('*', a, rm.rows[k][j])).reduce((acc, x) => bin('+', acc, x))),
      );
      return { t: 'matrix', rows };
    }
    const m = (lm ?? rm) as MathNode & { t: 'matrix' };
    const scalar = lm === null ? l : r;
    if (scalar.t === 'matrix' || scalar.t === 'group' || scalar.t === 'set' || scalar.t === 'list') return null;
    return { t: 'matrix', rows: m.rows.map((row) => row.map((x) => bin('*', scalar, x))) };
  }
  if (lm === null || rm === null) return null;
  if (lm.rows.length !== rm.rows.length || lm.rows[0].length !== rm.rows[0].length) return null;
  return { t: 'matrix', rows: lm.rows.map((row, i) => row.map((a, j) => bin(n.op as '+' | '-', a, rm.rows[i][j]))) };
}

/** A name rather than an expression: x, a_3, f(x), |AB|, AB, A:B, (p, q), NO/BO. */
function isNameLike(n: MathNode): boolean {
  switch (n.t) {
    case 'sym':
      return n.name !== 'inf' && n.name !== 'pi';
    case 'call':
      return n.fn === 'abs' ? isNameLike(n.args[0]) : !/^(sin|cos|tan|sqrt|log|exp|nthroot)$/.test(n.fn);
    case 'bin':
      return (n.op === '*' || n.op === '/') && isNameLike(n.left) && isNameLike(n.right);
    case 'ratio':
      return n.parts.every(isNameLike);
    case 'group':
      return n.items.every(isNameLike);
    default:
      return false;
  }
}

function isRelation(n: MathNode, op?: RelOp): boolean {
  return n.t === 'rel' && (op === undefined || n.ops.every((o) => o === op));
}

function isAssignment(n: MathNode): n is MathNode & { t: 'rel' } {
  return n.t === 'rel' && n.ops.length === 1 && n.ops[0] === '=' && isNameLike(n.parts[0]);
}

// ---------------------------------------------------------------------------------------------------
// Structural comparison.

type Shape = 'set' | 'tuple' | 'interval' | 'union' | 'matrix' | 'relation' | 'ratio' | 'scalar';

function shapeOf(n: MathNode): Shape {
  switch (n.t) {
    case 'list':
    case 'set':
      return 'set';
    case 'group':
      if (n.items.length === 2 && (n.open === '[' || n.close === ']')) return 'interval';
      return 'tuple';
    case 'union':
      return 'union';
    case 'matrix':
      return 'matrix';
    case 'rel':
      return 'relation';
    case 'ratio':
      return 'ratio';
    default:
      return 'scalar';
  }
}

function compareNodes(gRaw: MathNode, pRaw: MathNode, ctx: Ctx, depth: number): Comparison {
  if (depth > 20) throw new TooLargeError('answer structure nests too deeply');
  let g = prepare(gRaw);
  let p = prepare(pRaw);

  // Assignments: "k = 1" vs "1" compares 1; a predicted "x = 5" vs gold "5" compares 5.
  if (isAssignment(g) && !isRelation(p)) g = g.parts[1];
  if (p.t === 'rel' && p.ops.length === 1 && p.ops[0] === '=' && !isRelation(g)) p = p.parts[1];

  // Sets of one element compare as that element.
  if (p.t === 'set' && p.items.length === 1 && g.t !== 'set' && g.t !== 'list') p = p.items[0];
  if (g.t === 'set' && g.items.length === 1 && p.t !== 'set' && p.t !== 'list') g = g.items[0];
  if (p.t === 'list' && p.items.length === 1) p = p.items[0];
  if (g.t === 'list' && g.items.length === 1) g = g.items[0];

  const gs = shapeOf(g);
  const ps = shapeOf(p);

  // Inequalities meet intervals: "-2 <= x <= 7" is [-2, 7].
  if ((gs === 'relation') !== (ps === 'relation') && (gs === 'interval' || ps === 'interval' || gs === 'tuple' || ps === 'tuple' || gs === 'union' || ps === 'union')) {
    const gi = gs === 'relation' ? relationToInterval(g) : g;
    const pi = ps === 'relation' ? relationToInterval(p) : p;
    if (gi !== null && pi !== null) {
      const r = compareNodes(gi, pi, ctx, depth + 1);
      return r.equal && r.reason === 'tuple' ? EQUAL('interval') : r;
    }
    return MISMATCH('relation vs interval');
  }

  if (gs === 'set' || ps === 'set') {
    const gItems = g.t === 'set' || g.t === 'list' ? g.items : null;
    const pItems = p.t === 'set' || p.t === 'list' ? p.items : null;
    if (gItems !== null && pItems !== null) return compareUnordered(gItems, pItems, ctx, depth, 'set');
    // One answer written twice ("15\\frac{39}{40}, or \\frac{639}{40}"): every element equals the other side.
    if (pItems !== null && gItems === null && pItems.length > 1 && shapeOf(g) === 'scalar') {
      const all = compareUnordered([g], pItems, ctx, depth, 'set');
      if (all.equal) return compareNodes(g, pItems[0], ctx, depth + 1);
    }
    // A bare list against a tuple: the tuple gives the order.
    if (g.t === 'list' && ps === 'tuple' && p.t === 'group') return compareOrdered(g.items, p.items, ctx, depth, 'tuple');
    if (p.t === 'list' && gs === 'tuple' && g.t === 'group') return compareOrdered(g.items, p.items, ctx, depth, 'tuple');
    return MISMATCH('set vs non-set');
  }

  if (gs === 'tuple' || gs === 'interval' || ps === 'tuple' || ps === 'interval') {
    if (g.t !== 'group' || p.t !== 'group') return MISMATCH(`${gs} vs ${ps}`);
    if (g.items.length !== p.items.length) return MISMATCH('different lengths');
    const isInterval = gs === 'interval' || ps === 'interval';
    if (isInterval) return compareIntervals(toInterval(g), toInterval(p), ctx, depth);
    return compareOrdered(g.items, p.items, ctx, depth, 'tuple');
  }

  if (gs === 'union' || ps === 'union') {
    if (g.t !== 'union' || p.t !== 'union') return MISMATCH('union vs non-union');
    const r = compareUnordered(g.items, p.items, ctx, depth, 'interval');
    return r;
  }

  if (gs === 'matrix' || ps === 'matrix') {
    if (g.t !== 'matrix' || p.t !== 'matrix') return MISMATCH('matrix vs non-matrix');
    if (g.rows.length !== p.rows.length || g.rows.some((r, i) => r.length !== p.rows[i].length)) return MISMATCH('matrix shape');
    return compareOrdered(g.rows.flat(), p.rows.flat(), ctx, depth, 'tuple');
  }

  if (gs === 'ratio' || ps === 'ratio') {
    if (g.t !== 'ratio' || p.t !== 'ratio' || g.parts.length !== p.parts.length) return MISMATCH('ratio');
    return compareOrdered(g.parts, p.parts, ctx, depth, 'tuple');
  }

  if (gs === 'relation' || ps === 'relation') {
    if (g.t !== 'rel' || p.t !== 'rel') return MISMATCH('relation vs expression');
    return compareRelations(g, p, ctx, depth);
  }

  return compareScalars(g, p, ctx);
}

function compareOrdered(gs: MathNode[], ps: MathNode[], ctx: Ctx, depth: number, reason: CompareReason): Comparison {
  if (gs.length !== ps.length) return MISMATCH('different lengths');
  for (let i = 0; i < gs.length; i++) {
    const r = compareNodes(gs[i], ps[i], ctx, depth + 1);
    if (!r.equal) return r.reason === 'mismatch' ? MISMATCH(`element ${i + 1} differs`) : r;
  }
  return EQUAL(reason);
}

const MAX_SET_ITEMS = 64;

/**
 * Set equality: every gold element equals some predicted element and vice versa (duplicates collapse, so
 * "(3,17,3,7)" written twice is one element). Identical printed elements pair without evaluation.
 */
function compareUnordered(gs: MathNode[], ps: MathNode[], ctx: Ctx, depth: number, reason: CompareReason): Comparison {
  if (gs.length > MAX_SET_ITEMS || ps.length > MAX_SET_ITEMS) throw new TooLargeError(`more than ${MAX_SET_ITEMS} elements`);
  const memo = new Map<string, boolean>();
  let failure: Comparison | null = null;
  const printedG = gs.map((x) => printNode(x));
  const printedP = ps.map((x) => printNode(x));
  const eq = (i: number, j: number): boolean => {
    if (printedG[i] === printedP[j]) return true;
    const key = `${i},${j}`;
    let v = memo.get(key);
    if (v === undefined) {
      const r = compareNodes(gs[i], ps[j], ctx, depth + 1);
      if (!r.equal && r.reason !== 'mismatch' && failure === null) failure = r;
      v = r.equal;
      memo.set(key, v);
    }
    return v;
  };
  const covered = (i: number, side: 'g' | 'p'): boolean => {
    const n = side === 'g' ? ps.length : gs.length;
    const printed = side === 'g' ? printedG[i] : printedP[i];
    const others = side === 'g' ? printedP : printedG;
    if (others.includes(printed)) return true;
    for (let j = 0; j < n; j++) if (side === 'g' ? eq(i, j) : eq(j, i)) return true;
    return false;
  };
  for (let i = 0; i < gs.length; i++) if (!covered(i, 'g')) return failure ?? MISMATCH(`gold element ${i + 1} has no match`);
  for (let j = 0; j < ps.length; j++) if (!covered(j, 'p')) return failure ?? MISMATCH(`predicted element ${j + 1} has no match`);
  return EQUAL(reason);
}

interface Interval {
  lo: MathNode;
  hi: MathNode;
  loClosed: boolean;
  hiClosed: boolean;
}

function toInterval(g: MathNode & { t: 'group' }): Interval {
  return { lo: g.items[0], hi: g.items[1], loClosed: g.open === '[', hiClosed: g.close === ']' };
}

function isInfinite(n: MathNode): boolean {
  return (n.t === 'sym' && n.name === 'inf') || (n.t === 'neg' && isInfinite(n.arg));
}

function compareIntervals(a: Interval, b: Interval, ctx: Ctx, depth: number): Comparison {
  // An infinite end is open whatever bracket was written.
  const loA = a.loClosed && !isInfinite(a.lo);
  const loB = b.loClosed && !isInfinite(b.lo);
  const hiA = a.hiClosed && !isInfinite(a.hi);
  const hiB = b.hiClosed && !isInfinite(b.hi);
  if (loA !== loB || hiA !== hiB) return MISMATCH('interval ends differ');
  const lo = compareNodes(a.lo, b.lo, ctx, depth + 1);
  if (!lo.equal) return lo.reason === 'mismatch' ? MISMATCH('lower end differs') : lo;
  const hi = compareNodes(a.hi, b.hi, ctx, depth + 1);
  if (!hi.equal) return hi.reason === 'mismatch' ? MISMATCH('upper end differs') : hi;
  return EQUAL('interval');
}

const NEG_INF: MathNode = { t: 'neg', arg: { t: 'sym', name: 'inf' } };
const POS_INF: MathNode = { t: 'sym', name: 'inf' };

/** `x > 5` -> (5, inf); `-2 <= x < 7` -> [-2, 7); null when the relation is not a one-variable range. */
function relationToInterval(n: MathNode): MathNode | null {
  if (n.t !== 'rel') return null;
  const isConst = (x: MathNode) => freeSymbols(x).size === 0;
  const group = (lo: MathNode, hi: MathNode, loClosed: boolean, hiClosed: boolean): MathNode => ({
    t: 'group',
    open: loClosed ? '[' : '(',
    close: hiClosed ? ']' : ')',
    items: [lo, hi],
  });
  if (n.parts.length === 2) {
    const [l, r] = n.parts;
    const op = n.ops[0];
    if (op === '=' || op === '!=' || op === 'in') return null;
    if (isNameLike(l) && isConst(r)) {
      if (op === '<' || op === '<=') return group(NEG_INF, r, false, op === '<=');
      return group(r, POS_INF, op === '>=', false);
    }
    if (isNameLike(r) && isConst(l)) {
      if (op === '<' || op === '<=') return group(l, POS_INF, op === '<=', false);
      return group(NEG_INF, l, false, op === '>=');
    }
    return null;
  }
  if (n.parts.length === 3 && isNameLike(n.parts[1]) && isConst(n.parts[0]) && isConst(n.parts[2])) {
    const [o1, o2] = n.ops;
    const up = (o: RelOp) => o === '<' || o === '<=';
    const down = (o: RelOp) => o === '>' || o === '>=';
    if (up(o1) && up(o2)) return group(n.parts[0], n.parts[2], o1 === '<=', o2 === '<=');
    if (down(o1) && down(o2)) return group(n.parts[2], n.parts[0], o2 === '>=', o1 === '>=');
  }
  return null;
}

function compareRelations(g: MathNode & { t: 'rel' }, p: MathNode & { t: 'rel' }, ctx: Ctx, depth: number): Comparison {
  // Same-name assignments compare their right-hand sides: y = 2x + 1 vs y = 2x + 3 differ.
  if (isAssignment(g) && isAssignment(p) && printNode(g.parts[0]) === printNode(p.parts[0])) {
    return compareNodes(g.parts[1], p.parts[1], ctx, depth + 1);
  }
  const gi = relationToInterval(g);
  const pi = relationToInterval(p);
  if (gi !== null && pi !== null) {
    const r = compareNodes(gi, pi, ctx, depth + 1);
    if (r.equal) return r.reason === 'tuple' ? EQUAL('interval') : r;
  }
  if (g.parts.length === 2 && p.parts.length === 2) {
    const og = orient(g);
    const op = orient(p);
    if (og === null || op === null || og.op !== op.op) return MISMATCH('relations differ');
    const mode: SymbolicMode = og.op === '=' || og.op === '!=' ? 'proportional' : 'positive-proportional';
    return compareProportional(og.f, op.f, mode, ctx);
  }
  // Chains: the same relation symbols (possibly read right to left) and equal parts.
  if (g.parts.length === p.parts.length) {
    const same = g.ops.every((o, i) => o === p.ops[i]);
    if (same) return compareOrdered(g.parts, p.parts, ctx, depth, 'symbolic');
    const flipped = g.ops.every((o, i) => o === flipOp(p.ops[p.ops.length - 1 - i]));
    if (flipped) return compareOrdered(g.parts, [...p.parts].reverse(), ctx, depth, 'symbolic');
  }
  return MISMATCH('relations differ');
}

function flipOp(o: RelOp): RelOp {
  switch (o) {
    case '<':
      return '>';
    case '>':
      return '<';
    case '<=':
      return '>=';
    case '>=':
      return '<=';
    default:
      return o;
  }
}

/** `l op r` as `f op' 0` with op' in {=, !=, <, <=}. */
function orient(n: MathNode & { t: 'rel' }): { f: MathNode; op: RelOp } | null {
  const [l, r] = n.parts;
  const op = n.ops[0];
  const diff = (a: MathNode, b: MathNode): MathNode => ({ t: 'bin', op: '-', left: a, right: b });
  switch (op) {
    case '=':
    case '!=':
      return { f: diff(l, r), op };
    case '<':
    case '<=':
      return { f: diff(l, r), op };
    case '>':
      return { f: diff(r, l), op: '<' };
    case '>=':
      return { f: diff(r, l), op: '<=' };
    default:
      return null;
  }
}

function compareProportional(a: MathNode, b: MathNode, mode: SymbolicMode, ctx: Ctx): Comparison {
  const vars = freeSymbols(a);
  freeSymbols(b, vars);
  if (hasUninterpreted(vars)) return printNode(a) === printNode(b) ? EQUAL('exact') : MISMATCH('uninterpreted function');
  if (vars.size === 0) {
    // Constant relations ("1 = 1"): compare the two differences as numbers.
    return compareScalars(a, b, ctx);
  }
  return ctx.env.compareSymbolic(a, b, mode, ctx.opts, ctx.pairKey) ? EQUAL('symbolic') : MISMATCH('symbolic');
}

function hasUninterpreted(vars: Set<string>): boolean {
  for (const v of vars) if (v.endsWith('()')) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Scalars: percent policy, unreduced fractions, then rational -> numeric -> symbolic.

function stripPct(n: MathNode, mode: 'strip' | 'fraction'): MathNode {
  switch (n.t) {
    case 'pct':
      return mode === 'strip' ? stripPct(n.arg, mode) : { t: 'bin', op: '/', left: stripPct(n.arg, mode), right: { t: 'num', text: '100' } };
    case 'neg':
    case 'fact':
      return { t: n.t, arg: stripPct(n.arg, mode) };
    case 'bin':
      return { t: 'bin', op: n.op, left: stripPct(n.left, mode), right: stripPct(n.right, mode) };
    case 'call':
      return { t: 'call', fn: n.fn, args: n.args.map((a) => stripPct(a, mode)) };
    default:
      return n;
  }
}

function hasPct(n: MathNode): boolean {
  switch (n.t) {
    case 'pct':
      return true;
    case 'neg':
    case 'fact':
      return hasPct(n.arg);
    case 'bin':
      return hasPct(n.left) || hasPct(n.right);
    case 'call':
      return n.args.some(hasPct);
    default:
      return false;
  }
}

function compareScalars(g: MathNode, p: MathNode, ctx: Ctx): Comparison {
  const gp = hasPct(g);
  const pp = hasPct(p);
  if (gp || pp) {
    const policy = ctx.opts.percent;
    if (policy === 'strip' || (gp && pp)) return compareValues(stripPct(g, 'strip'), stripPct(p, 'strip'), ctx);
    if (policy === 'fraction') return compareValues(stripPct(g, 'fraction'), stripPct(p, 'fraction'), ctx);
    const asNumber = compareValues(stripPct(g, 'strip'), stripPct(p, 'strip'), ctx);
    if (asNumber.equal) return asNumber;
    const asFraction = compareValues(stripPct(g, 'fraction'), stripPct(p, 'fraction'), ctx);
    return asFraction.equal ? asFraction : asNumber;
  }
  return compareValues(g, p, ctx);
}

function isUnreducedFraction(n: MathNode): boolean {
  const core = n.t === 'neg' ? n.arg : n;
  if (core.t !== 'bin' || core.op !== '/' || core.left.t !== 'num' || core.right.t !== 'num') return false;
  if (!/^\d+$/.test(core.left.text) || !/^\d+$/.test(core.right.text)) return false;
  const a = BigInt(core.left.text);
  const b = BigInt(core.right.text);
  return b !== 0n && gcdBig(a, b) !== 1n;
}

function compareValues(g: MathNode, p: MathNode, ctx: Ctx): Comparison {
  const { opts } = ctx;
  if (opts.unreducedFractions === 'reject' && isUnreducedFraction(p)) return MISMATCH('fraction not in lowest terms');
  if (g.t === 'based' || p.t === 'based') {
    if (g.t !== 'based' || p.t !== 'based') return MISMATCH('number base');
    const same = g.base === p.base && g.digits.replace(/^0+(?=.)/, '').toLowerCase() === p.digits.replace(/^0+(?=.)/, '').toLowerCase();
    return same ? EQUAL('exact') : MISMATCH('digits differ');
  }
  const vars = freeSymbols(g);
  freeSymbols(p, vars);
  if (hasUninterpreted(vars)) return printNode(g) === printNode(p) ? EQUAL('exact') : MISMATCH('uninterpreted function');
  if (vars.size > 0) {
    return ctx.env.compareSymbolic(g, p, 'equal', opts, ctx.pairKey) ? EQUAL('symbolic') : MISMATCH('symbolic');
  }
  // Constants: exact rationals first (BigInt: 2^100 and 2^100 + 1 differ, 1/2004! and 1/2006! differ).
  let eg: Rational | null = null;
  let ep: Rational | null = null;
  try {
    eg = exactValue(g, opts);
    ep = exactValue(p, opts);
  } catch (err) {
    if (err instanceof DomainError) return MISMATCH(`undefined value: ${err.message}`);
    throw err;
  }
  const approximate = hasDecimal(g) || hasDecimal(p);
  if (eg !== null && ep !== null) {
    if (eg.equals(ep)) return EQUAL('rational');
    if (!approximate) return MISMATCH('different rationals');
    const a = eg.toNumber();
    const b = ep.toNumber();
    if (isReliable(a) && isReliable(b)) return isClose(a, b, opts.tolerance) ? EQUAL('numeric') : MISMATCH('numeric');
  }
  const fg = floatValue(g);
  const fp = floatValue(p);
  if (fg !== null && fp !== null && fg.reliable && fp.reliable) {
    return isClose(fg.value, fp.value, opts.tolerance) ? EQUAL('numeric') : MISMATCH('numeric');
  }
  return ctx.env.compareHighPrecision(g, p, opts) ? EQUAL('numeric') : MISMATCH('numeric');
}

function isReliable(x: number): boolean {
  return Number.isFinite(x) && (x === 0 || Math.abs(x) > 1e-290);
}

/** |a - b| <= tol * max(|a|, |b|) (equal infinities are close). */
export function isClose(a: number, b: number, tol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tol * (1 + 1e-9) * Math.max(Math.abs(a), Math.abs(b));
}

// ---------------------------------------------------------------------------------------------------
// Canonical form for majority voting.

/**
 * A canonical string for a predicted answer: equal answers map to the same string as far as cheaply
 * possible (`1/2`, `0.5`, `\frac{1}{2}` all give `0.5`; sets are sorted; `x = 5` gives `5`).
 */
export function canonicalAnswer(text: string, opts: CompareOptions = DEFAULT_COMPARE_OPTIONS): string {
  const prepared = prepareAnswer(text, opts);
  if (prepared.node === null) return prepared.norm.isText ? foldText(prepared.norm.text) : prepared.norm.text;
  try {
    let n = prepare(prepared.node);
    if (isAssignment(n)) n = n.parts[1];
    return canonicalNode(n, opts);
  } catch {
    return prepared.norm.text;
  }
}

function canonicalNode(n: MathNode, opts: CompareOptions): string {
  switch (n.t) {
    case 'set':
    case 'list': {
      const items = n.items.map((x) => canonicalNode(x, opts)).sort();
      return `{${items.join(', ')}}`;
    }
    case 'group':
      return `${n.open}${n.items.map((x) => canonicalNode(x, opts)).join(', ')}${n.close}`;
    case 'rel':
    case 'union':
    case 'matrix':
    case 'ratio':
      return printNode(n);
    default: {
      if (freeSymbols(n).size === 0) {
        try {
          const v = exactValue(stripPct(n, 'strip'), opts);
          if (v !== null) return `${v.toCanonicalString()}${hasPct(n) ? '%' : ''}`;
        } catch {
          // fall through to the printed form
        }
      }
      return printNode(n);
    }
  }
}
