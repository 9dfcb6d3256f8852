// String-level normalisation of a final answer: LaTeX spacing and decoration, \text{}, units, currency,
// percent words, thousands separators, multiple-choice letters. Produces the text the parser reads.
// Pure string work; imports only the parser's name tables.

import { KNOWN_FUNCTIONS } from './expr-parse.js';

export interface NormalizedAnswer {
  /** Cleaned text: what the parser reads and what exact string comparison uses. */
  text: string;
  /**
   * Unit split off the end (`cm^2`, `degree`, `dollars`), lower-cased; null when none. The comparison
   * ignores it unless `strictUnits` is set.
   */
  unit: string | null;
  /** True when the answer is prose (e.g. `Evelyn`, `odd`), compared as case-folded text. */
  isText: boolean;
  /** Multiple-choice letter (`(C)`, `\text{(C)}`, `C` give `C`), or null. */
  choice: string | null;
}

/** Unit words dropped after a number (non-strict mode). Any 2+ letter word after a bare number also is. */
const UNIT_WORDS = new Set([
  'unit', 'units', 'square', 'sq', 'cubic', 'cm', 'mm', 'km', 'm', 'meter', 'meters', 'metre', 'metres', 'centimeter',
  'centimeters', 'kilometer', 'kilometers', 'inch', 'inches', 'in', 'ft', 'foot', 'feet', 'yd', 'yard', 'yards', 'mi',
  'mile', 'miles', 'g', 'kg', 'gram', 'grams', 'kilogram', 'kilograms', 'lb', 'lbs', 'pound', 'pounds', 'oz', 'ounce',
  'ounces', 'l', 'ml', 'liter', 'liters', 'litre', 'litres', 'gallon', 'gallons', 's', 'sec', 'second', 'seconds', 'min',
  'minute', 'minutes', 'h', 'hr', 'hrs', 'hour', 'hours', 'day', 'days', 'week', 'weeks', 'month', 'months', 'year',
  'years', 'degree', 'degrees', 'deg', 'radian', 'radians', 'rad', 'dollar', 'dollars', 'cent', 'cents', 'yuan', 'euro',
  'euros', 'usd', 'rs', 'rupees', 'mph', 'kmh', 'people', 'persons', 'students', 'times', 'ways', 'items', 'pieces',
]);

/** Words that are math, not units (a trailing "pi" or "sqrt" is part of the value). */
const MATH_WORDS = new Set([...KNOWN_FUNCTIONS, 'pi', 'inf', 'infty', 'and', 'or', 'i', 'e']);

/** Letter runs that are notation rather than words. */
const NOT_PROSE = new Set(['sqrt', 'frac', 'infty', 'dots', 'text', 'infinity', 'arcsin', 'arccos', 'arctan']);

/** Time designators that belong to the answer: "4:30 p.m." is not "4:30". */
const TIME_DESIGNATOR = /^(a\.?m\.?|p\.?m\.?)$/i;

/** Spacing and sizing commands with no mathematical meaning. */
const SPACING = /\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg|middle)(?![a-zA-Z])|\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|quad|qquad|enspace|thinspace|medspace|thickspace|hfill|mathstrut|strut|phantom\{[^{}]*\}|hspace\*?\{[^{}]*\}|vspace\*?\{[^{}]*\}|displaylines)(?![a-zA-Z])/g;

/**
 * Normalises an extracted final answer (see `extractAnswer`). Idempotent on its own output text.
 * Handles: `\frac`/`\dfrac`/`\tfrac`/`\cfrac`, `\left`/`\right`, `\!` `\,` `\;` `~`, `\displaystyle`,
 * `\text{}`/`\mathrm{}`/`\mbox{}`/`\textbf{}`, `^\circ`, `\%` and percent words, `\$` and other currency,
 * trailing units and unit words, thousands separators (`1,234`, `10{,}000`, `1\,000`), `\approx` tails,
 * multiple-choice letters, and "and"/"or" between list items.
 */
export function normalizeAnswer(raw: string): NormalizedAnswer {
  let s = raw;
  s = replaceUnicode(s);
  // Double-escaped LaTeX ("\\frac" from JSON written by hand) reads as single-escaped.
  s = s.replace(/(?<!\\)\\\\(?=[a-zA-Z])/g, '\\');
  s = stripDelimiters(s);
  s = s.replace(/\\(?:boxed|fbox)\s*\{/g, '{');
  s = s.replace(/\\(?:dfrac|tfrac|cfrac)(?![a-zA-Z])/g, '\\frac');
  s = s.replace(/\\(?:mbox|textnormal|textbf|textit|textrm|textsf|texttt|mathrm|mathbf|mathit|mathsf|mathtt|rm|bf|hbox|emph)(?![a-zA-Z])\s*/g, '\\text');
  s = s.replace(/\\q?quad/g, ' ');
  s = s.replace(SPACING, ' ');
  s = s.replace(/\\left\.|\\right\./g, ' ');
  // Thousands separators written with spacing: "900,\!000", "1\,000", "10{,}000".
  s = s.replace(/,\s*\\!\s*/g, ',');
  s = s.replace(/(\d)\s*\\[,!]\s*(?=\d{3}(?!\d))/g, '$1');
  s = s.replace(/\{\s*,\s*\}/g, '');
  s = s.replace(/(?<!\\)\\!/g, '');
  s = s.replace(/(?<!\\)\\[,;:> ]|~/g, ' ');
  s = approxToValue(s);
  s = s.replace(/\\(?:pmod|bmod|mod)\s*\{[^{}]*\}\s*$/, '');
  s = s.replace(/\(\s*mod\s+\d+\s*\)\s*$/, '');
  s = s.replace(/\\(?:dots|ldots|cdots)(?=\s*$)/, '\\dots');

  // Degrees.
  let unit: string | null = null;
  const degree = /\s*(?:\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree|°)(?:\s*\\text\s*\{?\s*[A-Za-z]*\s*\}?)?/g;
  if (degree.test(s)) {
    s = s.replace(degree, ' ');
    unit = 'degree';
  }

  // Percent.
  s = s.replace(/\\%/g, '%');
  s = s.replace(/\s*\\text\s*\{\s*(?:percent|percentage|pct)\s*\}/gi, '%');
  s = s.replace(/(\d)\s*(?:percent(?:age)?|pct)\b/gi, '$1%');
  s = s.replace(/\s+%/g, '%');

  // Currency.
  s = s.replace(/\\\$|\$|€|£|¥|₹|\\euro|\\pounds/g, ' ');
  s = s.replace(/\b(?:USD|EUR|Rs\.?|INR)\s*(?=[\d.])/g, '');

  // Trailing \text{...} unit (possibly with ^2), then unwrap remaining \text{...}.
  const textUnit = /^(.*?[\d})\]a-zA-Z%])\s*\\text\s*\{\s*([^{}]*?)\s*\}\s*(\^\s*\{?\s*[23]\s*\}?)?\s*\.?\s*$/s.exec(s);
  if (textUnit !== null && isUnitPhrase(textUnit[2])) {
    const pre = textUnit[1].trim();
    if (pre !== '' && !/\\text\s*$/.test(pre)) {
      unit = normalizeUnit(textUnit[2] + (textUnit[3] ?? ''));
      s = pre;
    }
  }
  s = unwrapText(s);
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/[.;,:]+$/, '').trim();
  s = s.replace(/^[:\s]+/, '');

  // "and"/"or" between items, and a leading "and" in "1, 2, and 3".
  s = s.replace(/,?\s+(?:and|or)\s+/gi, ', ');
  s = s.replace(/(?<=[\d)}\]])\s*(?:and|or)\s*(?=[\d({[\\-])/g, ', ');

  // Trailing unit words after a value with no letters.
  const plainUnit = /^(-?[\d.,\s/^()*+\-{}%]*\d[\d.,\s/^()*+\-{}%]*?)\s+([A-Za-z][A-Za-z.]*(?:\s*(?:\^\s*[23]|[²³]))?(?:\s+[A-Za-z][A-Za-z.]*(?:\s*\^\s*[23])?){0,2})$/.exec(s);
  if (plainUnit !== null && isUnitPhrase(plainUnit[2])) {
    unit = normalizeUnit(plainUnit[2]);
    s = plainUnit[1].trim();
  }
  const attached = /^(-?\d[\d.,]*)\s*(cm|mm|km|m|kg|g|ft|in|s|h|ml|l)(\^?[23]|[²³])?$/.exec(s);
  if (attached !== null && unit === null) {
    unit = normalizeUnit(attached[2] + (attached[3] ?? ''));
    s = attached[1];
  }

  s = fixThousands(s);
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(/[.;,]+$/, '').trim();

  const choice = detectChoice(s);
  if (choice !== null) s = choice;
  const isText = choice === null && isProse(s);
  if (isText) s = s.replace(/\s+/g, ' ').trim();
  return { text: s, unit, isText, choice };
}

/**
 * "a \approx b": a name before it ("x \approx 11") is assigned the approximation; a value before it
 * ("x = 1/3 \approx 0.33") is kept and the approximation dropped.
 */
function approxToValue(s: string): string {
  const m = /^([\s\S]*?)\s*(?:\\approx|\\simeq|≈)\s*([\s\S]*)$/.exec(s);
  if (m === null) return s;
  const left = m[1].trim();
  const right = m[2].replace(/\s*(?:\\approx|\\simeq|≈)[\s\S]*$/, '').trim();
  if (/^[A-Za-z](?:_\{?\w+\}?)?$/.test(left) && right !== '') return `${left} = ${right}`;
  return left === '' ? right : left;
}

function replaceUnicode(s: string): string {
  return s
    .replace(/[\u2212\u2013\u2014]/g, '-')
    .replace(/[×⋅·]/g, '\\cdot ')
    .replace(/÷/g, '/')
    .replace(/≤/g, '\\le ')
    .replace(/≥/g, '\\ge ')
    .replace(/≠/g, '\\ne ')
    .replace(/√/g, '\\sqrt')
    .replace(/π/g, '\\pi ')
    .replace(/∞/g, '\\infty ')
    .replace(/∪/g, '\\cup ')
    .replace(/∈/g, '\\in ')
    .replace(/²/g, '^2')
    .replace(/³/g, '^3')
    .replace(/[\u00a0\u2009\u202f\u2002\u2003]/g, ' ')
    .replace(/\f/g, '\\f');
}

/** Removes surrounding `$...$`, `$$...$$`, `\(...\)`, `\[...\]` and a final period. */
function stripDelimiters(s: string): string {
  for (let guard = 0; guard < 5; guard++) {
    const before = s;
    s = s.trim().replace(/[.,;]$/, '').trim();
    if (/^\$\$[\s\S]*\$\$$/.test(s) && s.length >= 4) s = s.slice(2, -2);
    else if (/^\$[\s\S]*\$$/.test(s) && s.length >= 2 && !s.slice(1, -1).includes('$')) s = s.slice(1, -1);
    else if (/^\\\([\s\S]*\\\)$/.test(s)) s = s.slice(2, -2);
    else if (/^\\\[[\s\S]*\\\]$/.test(s)) s = s.slice(2, -2);
    if (s === before) break;
  }
  // Remaining math-mode dollars in "$1$ and $2$" are delimiters, not currency, when they pair up.
  const dollars = (s.match(/(?<!\\)\$/g) ?? []).length;
  if (dollars >= 2 && dollars % 2 === 0) s = s.replace(/(?<!\\)\$+/g, ' ');
  s = s.replace(/\\[()[\]]/g, ' ');
  return s.trim();
}

/** True when a phrase reads as a unit ("cm", "square units", "miles", "cm^2"), not as math. */
function isUnitPhrase(phrase: string): boolean {
  const words = phrase
    .replace(/\^\s*\{?\s*[23]\s*\}?|[²³]/g, '')
    .trim()
    .split(/[\s/]+/)
    .filter((w) => w !== '');
  if (words.length === 0 || words.length > 3) return false;
  if (words.some((w) => TIME_DESIGNATOR.test(w))) return false;
  for (const w of words) {
    const bare = w.replace(/\.$/, '');
    if (!/^[A-Za-z][A-Za-z.]*$/.test(bare)) return false;
    if (MATH_WORDS.has(bare.toLowerCase())) return false;
    if (bare.length < 2 && !UNIT_WORDS.has(bare.toLowerCase())) return false;
  }
  return true;
}

function normalizeUnit(u: string): string {
  return u
    .toLowerCase()
    .replace(/\\text\s*/g, '')
    .replace(/[{}\s\\]/g, '')
    .replace(/\^/g, '')
    .replace(/\.$/, '');
}

/** Replaces `\text{X}` by X (nested braces allowed). */
function unwrapText(s: string): string {
  let out = '';
  let i = 0;
  for (let guard = 0; guard < 10_000 && i < s.length; guard++) {
    const j = s.indexOf('\\text', i);
    if (j < 0) break;
    out += s.slice(i, j);
    let k = j + 5;
    while (s[k] === ' ') k++;
    if (s[k] !== '{') {
      i = k;
      continue;
    }
    let depth = 0;
    let end = k;
    for (; end < s.length; end++) {
      if (s[end] === '{') depth++;
      else if (s[end] === '}' && --depth === 0) break;
    }
    out += ` ${s.slice(k + 1, end).trim()} `;
    i = end + 1;
  }
  return out + s.slice(i);
}

/**
 * Joins thousands separators: `1,234,567` and `1 234 567` (a whole-answer number) at bracket depth 0.
 * Commas inside (), [] and {} separate items, so "(1,234)" stays a pair.
 */
function fixThousands(s: string): string {
  if (/^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s)) return s.replace(/ /g, '');
  let out = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0 && /\d/.test(s[i - 1] ?? '') && /^\d{3}(?!\d)/.test(s.slice(i + 1, i + 5))) {
      // Only when the digits before form a 1-3 digit group (or follow another separator).
      const before = /(\d+)$/.exec(s.slice(0, i))?.[1] ?? '';
      const prevChar = s[i - before.length - 1] ?? '';
      const continues = prevChar === ',';
      if (before.length <= 3 && (continues || !/^0/.test(before)) && prevChar !== '.' && !/\d/.test(prevChar)) {
        continue;
      }
    }
    out += c;
  }
  return out;
}

function detectChoice(s: string): string | null {
  const m = /^\(?\s*([A-J])\s*\)?$/.exec(s.trim());
  return m === null ? null : m[1];
}

/** Prose: a word of 3+ letters that is neither a LaTeX command nor a function/constant name. */
function isProse(s: string): boolean {
  // Environment names and subscripts are notation ("\begin{bmatrix}", "S_{MBCN}").
  s = s.replace(/\\(?:begin|end)\s*\{[^{}]*\}|_\{[^{}]*\}|\\[A-Za-z]+/g, ' ');
  const words = s.match(/(?<![\\a-zA-Z])[A-Za-z]{3,}(?![A-Za-z(])/g);
  if (words === null) return false;
  // "xyz" is a product of variables; a word has a vowel (or is long).
  return words.some((w) => !MATH_WORDS.has(w.toLowerCase()) && !NOT_PROSE.has(w.toLowerCase()) && (w.length >= 4 || /[aeiouy]/i.test(w)));
}
