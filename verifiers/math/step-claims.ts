// Arithmetic claims inside a solution step ("12 * 7 = 84", "3 + 4 = 7 + 2 = 9", "$5 x 3 = $15",
// "1,200 / 4 = 300", "<<16-3-4=9>>", "210 + 91 is 301") and whether each holds, with exact rationals.
// A process check: it says nothing about steps without numbers-only equalities. Pure; in-thread.

import { TooLargeError } from './exact-number.js';
import { ParseError, parseMath, type MathNode } from './expr-parse.js';
import { DomainError, exactValue, floatValue, hasDecimal } from './numeric-eval.js';

export interface ClaimOptions {
  /** Relative tolerance when a side is irrational (sqrt, pi). Default 1e-6. */
  tolerance: number;
  /** Digit budget of exact arithmetic. Default 10000. */
  maxDigits: number;
  /** Longest step text examined; the rest is ignored. Default 20000. */
  maxStepChars: number;
}

export const DEFAULT_CLAIM_OPTIONS: ClaimOptions = { tolerance: 1e-6, maxDigits: 10_000, maxStepChars: 20_000 };

export interface ArithmeticClaim {
  /** `left = right` as found (after clean-up), for reports. */
  text: string;
  left: string;
  right: string;
  /** Whether the equality holds (rounded decimals on the right are accepted to their last digit). */
  holds: boolean;
  /** Where it came from: a GSM8K `<<...>>` calculator annotation or the step's prose/LaTeX. */
  source: 'annotation' | 'text';
}

export interface StepClaims {
  claims: ArithmeticClaim[];
  /** `pass`: every claim holds; `fail`: at least one does not; `abstain`: no claim found. */
  verdict: 'pass' | 'fail' | 'abstain';
}

/**
 * Finds the arithmetic claims of one step and checks each. Claims are equalities whose sides are
 * numbers-only expressions (no variables); chains give one claim per `=`. Ordered as found.
 */
export function checkStepClaims(step: string, options: Partial<ClaimOptions> = {}): StepClaims {
  const opts = { ...DEFAULT_CLAIM_OPTIONS, ...options };
  let text = step.length > opts.maxStepChars ? step.slice(0, opts.maxStepChars) : step;
  const claims: ArithmeticClaim[] = [];
  const seen = new Set<string>();
  const push = (c: ArithmeticClaim) => {
    const key = `${c.left.replace(/\s+/g, '')}=${c.right.replace(/\s+/g, '')}`;
    if (seen.has(key)) return;
    seen.add(key);
    claims.push(c);
  };

  // 1. Calculator annotations <<expr=value>>; removed from the prose afterwards.
  text = text.replace(/<<([^<>=]{1,400})=([^<>]{1,100})>>/g, (_m, left: string, right: string) => {
    const c = judgeClaim([left, right], opts, 'annotation');
    for (const x of c) push(x);
    return '';
  });

  // 2. Chains in the prose / LaTeX, sentence by sentence; sentences that test or refute an equality
  //    ("plugging in 0 we get 0 = \sqrt{11} + 4", "1 = 3 + 4 is not true") state no claim.
  for (const sentence of splitSentences(text)) {
    if (HYPOTHETICAL.test(sentence)) continue;
    const clean = cleanStepText(sentence);
    for (const chain of findChains(clean)) {
      for (const c of judgeClaim(chain.parts, opts, 'text', chain.soft)) push(c);
    }
  }
  const verdict = claims.length === 0 ? 'abstain' : claims.every((c) => c.holds) ? 'pass' : 'fail';
  return { claims, verdict };
}

/** Words that mark an equality as tested, supposed or refuted rather than claimed. */
const HYPOTHETICAL = /\b(?:not|false|contradiction|contradicts|impossible|extraneous|plug|plugs|plugging|plugged|suppose|assume|whether|incorrect|wrong)\b|n't\b|\\neq?\b|≠/i;

/** Sentences of a step: split after . ! ? before a capital, a math delimiter, or at line breaks. */
function splitSentences(s: string): string[] {
  return s.split(/(?<=[.!?])\s+(?=[A-Z$\\\d])|\n+/).filter((x) => x.trim() !== '');
}

/** Rewrites LaTeX and GSM8K habits into plain arithmetic the chain finder can read. */
function cleanStepText(s: string): string {
  return s
    .replace(/\\\\(?=[a-zA-Z])/g, '\\')
    .replace(/\\(?:left|right)(?![a-zA-Z])/g, '')
    .replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac')
    .replace(/\\(?:times|cdot)(?![a-zA-Z])|[×⋅·∙]/g, '*')
    .replace(/\\div(?![a-zA-Z])|÷/g, '/')
    .replace(/[\u2212\u2013]/g, '-')
    .replace(/\\[,!;: ]|~|\{,\}/g, '')
    .replace(/\\\$|\$|\\\(|\\\)|\\\[|\\\]/g, ' ')
    .replace(/\\%/g, '%')
    .replace(/\\(?:approx|simeq)(?![a-zA-Z])|≈/g, '=')
    .replace(/(\d),(\d{3})(?![\d])/g, '$1$2')
    .replace(/(\d),(\d{3})(?![\d])/g, '$1$2')
    // Mixed numbers "3 1/2" and space-grouped thousands "350 000" (GSM8K prose).
    .replace(/(?<![\d./])(\d+) (\d+)\/(\d+)(?![\d/])/g, '($1+$2/$3)')
    .replace(/(?<![\d.])(\d{1,3})((?: \d{3})+)(?![\d/]|\.\d)/g, (_m, head: string, rest: string) => head + rest.replace(/ /g, ''))
    .replace(/(\d)\s*[xX]\s*(?=\$?\s*[\d.])/g, '$1 * ')
    .replace(/(\d)\s+times\s+(?=\d)/g, '$1 * ')
    // "210 + 91 is 301": a soft equality, claimed only when its left side computes something.
    .replace(/(\S)\s+(?:is|equals|makes|gives|is equal to)\s+(?=[-]?\s*\d)/g, '$1 ≐ ');
}

/** Characters an arithmetic side may contain (LaTeX fractions and roots included). */
const SIDE_CHAR = /[0-9.+\-*/^()%!\s{}\\a-z[\]]/;

/**
 * Splits the text at "=" signs into chains of candidate sides. The leftmost and rightmost sides are grown
 * outwards over arithmetic characters only; a side glued to a letter (`2p = 0.58`) is dropped.
 */
function findChains(s: string): { parts: string[]; soft: boolean[] }[] {
  const chains: { parts: string[]; soft: boolean[] }[] = [];
  const eqs: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '≐') {
      eqs.push(i);
      continue;
    }
    if (s[i] !== '=') continue;
    const prev = s[i - 1] ?? '';
    const next = s[i + 1] ?? '';
    if (prev === '<' || prev === '>' || prev === '!' || prev === '=' || next === '=') continue;
    eqs.push(i);
  }
  let k = 0;
  while (k < eqs.length) {
    // A run of '=' whose middle sides are pure arithmetic.
    let end = k;
    while (end + 1 < eqs.length && isArithmetic(s.slice(eqs[end] + 1, eqs[end + 1]))) end++;
    const parts: string[] = [];
    const left = growLeft(s, eqs[k]);
    // "the coefficient of 5^3 is 4", "the conjugate of 5 + \sqrt{3} is ...": "of X is Y" names X, it does not compute it.
    const ofPhrase = s[eqs[k]] === '≐' && /\b(?:of|for|to|in|at|when|where)\s*$/i.test(s.slice(0, Math.max(0, s.lastIndexOf(left, eqs[k]))));
    parts.push(ofPhrase ? '' : left);
    for (let j = k; j < end; j++) parts.push(s.slice(eqs[j] + 1, eqs[j + 1]).trim());
    parts.push(growRight(s, eqs[end]));
    chains.push({ parts, soft: eqs.slice(k, end + 1).map((e) => s[e] === '≐') });
    k = end + 1;
  }
  return chains;
}

function isArithmetic(t: string): boolean {
  const x = stripCommands(t).trim();
  return x !== '' && /^[0-9.+\-*/^()%\s{}[\]]+$/.test(x) && /\d/.test(x);
}

/** Removes the LaTeX commands a side may use, to test what is left. */
function stripCommands(t: string): string {
  return t.replace(/\\(?:frac|sqrt|cdot|times|pi)(?![a-zA-Z])/g, ' ');
}

function growLeft(s: string, eq: number): string {
  let i = eq - 1;
  while (i >= 0 && SIDE_CHAR.test(s[i])) {
    // Letters only as parts of known commands (\frac, \sqrt).
    if (/[a-z]/.test(s[i])) {
      const cmd = /\\(?:frac|sqrt|pi)$/.exec(s.slice(Math.max(0, i - 5), i + 1));
      if (cmd === null) break;
      i -= cmd[0].length;
      continue;
    }
    if (s[i] === '\\') break;
    // A period followed by a space ends a sentence.
    if (s[i] === '.' && /\s/.test(s[i + 1] ?? '')) break;
    i--;
  }
  const stop = s[i] ?? '';
  let side = s.slice(i + 1, eq);
  // Sentence punctuation swept up on the way ("simplify. \frac{14}{2}") cannot start a side.
  const lead = /^(?:\s|\.(?!\d))*/.exec(side)?.[0] ?? '';
  // Glued to a name or a subscript/superscript: not a standalone number ("2p", "S_{14}", "x^2").
  if (lead === '' && side.length > 0 && /[A-Za-z0-9_^\\'.]/.test(stop)) return '';
  side = side.slice(lead.length).trim();
  // Starting with an operator means the expression continues into a name ("x^2 =", "7m + 2 =", "f^{-1}(6) =");
  // a minus sign is a sign only after a word, punctuation or the start ("is -3 + 5 = 2").
  if (/^[+*/^_)}\]%]/.test(side)) return '';
  const before = s.slice(0, i + 1).trimEnd();
  if (side.startsWith('-') && /[\d)}\]]$/.test(before)) return '';
  // After a lone letter the side continues an expression: "x - 3 = 5", "23 slices x $4 = $92".
  if (/(?:^|[^A-Za-z\\])[B-HJ-Zb-z]$/.test(before)) return '';
  // Drop unmatched opening text such as "(" of a sentence: keep the longest balanced suffix.
  return balanceSuffix(side);
}

function growRight(s: string, eq: number): string {
  let i = eq + 1;
  while (i < s.length && SIDE_CHAR.test(s[i])) {
    if (/[a-z]/.test(s[i])) {
      const cmd = /^\\(?:frac|sqrt|pi)/.exec(s.slice(i - 1, i + 5));
      if (cmd === null || s[i - 1] !== '\\') break;
      i += cmd[0].length - 1;
      continue;
    }
    if (s[i] === '\\' && !/^\\(?:frac|sqrt|pi)/.test(s.slice(i))) break;
    i++;
  }
  const stop = s[i] ?? '';
  let side = s.slice(eq + 1, i);
  const glued = side.length > 0 && !/\s$/.test(side);
  if (glued && /[A-Za-z_^]/.test(stop)) return '';
  side = side.trim();
  // A sentence-ending period is not a decimal point.
  side = side.replace(/\.+$/, '');
  return balancePrefix(side);
}

function balanceSuffix(t: string): string {
  let depth = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    const c = t[i];
    if (c === ')' || c === '}' || c === ']') depth++;
    else if (c === '(' || c === '{' || c === '[') {
      depth--;
      if (depth < 0) return t.slice(i + 1).trim();
    }
  }
  return t;
}

function balancePrefix(t: string): string {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth < 0) return t.slice(0, i).trim();
    }
  }
  return t;
}

const HAS_OPERATOR = /[\d)}]\s*[-+*/^]\s*[\d(\\.{]|\\frac|\\sqrt|%|\)\s*\(|\d\s*\(|[\d)]!/;

interface SideValue {
  text: string;
  node: MathNode;
  exact: ReturnType<typeof exactValue>;
  float: number | null;
  /** Digits after the decimal point when the side is a plain decimal (for rounded results). */
  places: number | null;
  /** The leading literal when the side starts "N op ..." (running totals: "3 + 4 = 7 + 2 = 9"). */
  lead: SideValue | null;
  /** For a side "N%": N itself (the percent read as a number), else null. */
  pctNumber: ReturnType<typeof exactValue>;
}

function evaluateSide(text: string, opts: ClaimOptions): SideValue | null {
  const t = text.trim().replace(/^\+/, '');
  if (t === '' || !/\d/.test(t)) return null;
  // "17 % 5" is a remainder, not a percentage: ambiguous, so no claim.
  if (/%\s*\d/.test(t)) return null;
  if (/[A-Za-z]/.test(stripCommands(t))) return null;
  let node: MathNode;
  try {
    node = parseMath(t.replace(/\s*%/g, '%'), { maxNodes: 500, maxDepth: 60, maxMatrixCells: 0 });
  } catch (err) {
    if (err instanceof ParseError || err instanceof TooLargeError) return null;
    throw err;
  }
  if (!isNumeric(node)) return null;
  let exact: ReturnType<typeof exactValue> = null;
  try {
    exact = exactValue(percentToFraction(node), opts);
  } catch (err) {
    if (err instanceof TooLargeError || err instanceof DomainError || err instanceof RangeError) return null;
    throw err;
  }
  const fv = floatValue(percentToFraction(node));
  const float = fv !== null && fv.reliable ? fv.value : exact !== null ? exact.toNumber() : null;
  if (exact === null && float === null) return null;
  const dec = /^-?\d*\.(\d+)$/.exec(t);
  const places = dec === null ? (/^-?\d+$/.test(t) ? 0 : null) : dec[1].length;
  const leadMatch = /^(-?\d+(?:\.\d+)?)\s*[-+*/]/.exec(t);
  const lead = leadMatch === null ? null : evaluateSide(leadMatch[1], opts);
  let pctNumber: ReturnType<typeof exactValue> = null;
  if (node.t === 'pct') {
    try {
      pctNumber = exactValue(node.arg, opts);
    } catch {
      pctNumber = null;
    }
  }
  return { text: t, node, exact, float, places, lead, pctNumber };
}

function isNumeric(n: MathNode): boolean {
  switch (n.t) {
    case 'num':
      return true;
    case 'sym':
      return n.name === 'pi';
    case 'neg':
    case 'fact':
    case 'pct':
      return isNumeric(n.arg);
    case 'bin':
      return isNumeric(n.left) && isNumeric(n.right);
    case 'call':
      return ['sqrt', 'nthroot', 'abs', 'binom'].includes(n.fn) && n.args.every(isNumeric);
    default:
      return false;
  }
}

function percentToFraction(n: MathNode): MathNode {
  switch (n.t) {
    case 'pct':
      return { t: 'bin', op: '/', left: percentToFraction(n.arg), right: { t: 'num', text: '100' } };
    case 'neg':
    case 'fact':
      return { t: n.t, arg: percentToFraction(n.arg) };
    case 'bin':
      return { t: 'bin', op: n.op, left: percentToFraction(n.left), right: percentToFraction(n.right) };
    case 'call':
      return { t: 'call', fn: n.fn, args: n.args.map(percentToFraction) };
    default:
      return n;
  }
}

/** a equals b: exactly, or b is a's value rounded/truncated to b's decimal places, or within tolerance. */
function sidesAgree(a: SideValue, b: SideValue, opts: ClaimOptions): boolean {
  if (a.exact !== null && b.exact !== null && a.exact.equals(b.exact)) return true;
  // "18 / 450 * 100 = 4%": after "* 100" a percent is read as its number.
  if (b.pctNumber !== null && a.exact !== null && b.pctNumber.equals(a.exact)) return true;
  if (a.pctNumber !== null && b.exact !== null && a.pctNumber.equals(b.exact)) return true;
  const x = a.float;
  const y = b.float;
  if (x === null || y === null) return false;
  const approximate = a.exact === null || b.exact === null || hasDecimal(a.node) || hasDecimal(b.node);
  if (!approximate) return false;
  for (const [val, side] of [[x, b], [y, a]] as const) {
    if (side.places !== null && side.places > 0) {
      const unit = 10 ** -side.places;
      const other = side === b ? y : x;
      if (Math.abs(val - other) < unit * (1 + 1e-9)) return true;
    }
  }
  return Math.abs(x - y) <= opts.tolerance * Math.max(Math.abs(x), Math.abs(y));
}

function judgeClaim(parts: string[], opts: ClaimOptions, source: ArithmeticClaim['source'], soft: boolean[] = []): ArithmeticClaim[] {
  const sides = parts.map((p) => (p === '' ? null : evaluateSide(p, opts)));
  const out: ArithmeticClaim[] = [];
  for (let i = 0; i + 1 < sides.length; i++) {
    const a = sides[i];
    const b = sides[i + 1];
    if (a === null || b === null) continue;
    if (!HAS_OPERATOR.test(a.text) && !HAS_OPERATOR.test(b.text)) continue;
    // "53 is 5 + 3 ...": a soft equality needs a computation on its left, and "2/5 is equal to 12.8
    // hectares" / "40% is 240 students" name a part of a quantity rather than compute it.
    if (soft[i] === true && (!HAS_OPERATOR.test(a.text) || /^\s*\d+\s*\/\s*\d+\s*$|^\s*[\d.]+\s*%\s*$/.test(a.text))) continue;
    let holds = sidesAgree(a, b, opts);
    // Running totals: "3 + 4 = 7 + 2 = 9" states 3 + 4 = 7, then 7 + 2 = 9.
    if (!holds && b.lead !== null && HAS_OPERATOR.test(b.text)) holds = sidesAgree(a, b.lead, opts);
    out.push({ text: `${a.text} = ${b.text}`, left: a.text, right: b.text, holds, source });
  }
  return out;
}
