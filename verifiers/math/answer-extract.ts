// Final-answer extraction from model text: \boxed{}/\fbox{} (nested braces), GSM8K "#### N", "Final Answer:",
// "The answer is", "Answer:" / a last-line "A: N", and an opt-in last-number fallback. Rules run in a
// configurable priority; the result names the rule that fired. Pure string work, imports nothing.

/**
 * Extraction rules that can be ordered. `last-math` (the last $...$, \(...\) or \[...\] segment) is not in
 * the default priority; `whole-text` and `last-number` only run as the opt-in fallback.
 */
export const EXTRACTION_RULES = ['boxed', 'gsm8k', 'final-answer', 'answer-is', 'answer-colon', 'last-math'] as const;
export type ExtractionRule = (typeof EXTRACTION_RULES)[number] | 'whole-text' | 'last-number';

/**
 * Default priority. "Final Answer:" outranks \boxed{} because Minerva-style outputs end with
 * "Final Answer: The final answer is X" after boxing intermediate results; a boxed final answer inside
 * that line is still taken from the box.
 */
export const DEFAULT_EXTRACTION_PRIORITY: readonly (typeof EXTRACTION_RULES)[number][] = ['final-answer', 'boxed', 'gsm8k', 'answer-is', 'answer-colon'];

export interface ExtractOptions {
  /** Rules tried in order; the first that matches wins. */
  priority: readonly (typeof EXTRACTION_RULES)[number][];
  /**
   * When no rule matches: the whole text if it is a bare expression (one line, no prose), else the last
   * number (not glued to a preceding letter). Default false.
   */
  lastNumberFallback: boolean;
}

export const DEFAULT_EXTRACT_OPTIONS: ExtractOptions = { priority: DEFAULT_EXTRACTION_PRIORITY, lastNumberFallback: false };

export interface ExtractedAnswer {
  /** The answer text as written (not normalised). */
  answer: string;
  /** The rule that fired. */
  rule: ExtractionRule;
}

/** Returns the final answer of `text`, or null when no enabled rule finds one. */
export function extractAnswer(text: string, options: ExtractOptions = DEFAULT_EXTRACT_OPTIONS): ExtractedAnswer | null {
  for (const rule of options.priority) {
    if (rule === 'last-math') {
      // The weak rules compete on position: a number after the last math segment is the later answer.
      const seg = lastMathSegment(text);
      if (seg === null) continue;
      if (options.lastNumberFallback) {
        const num = lastNumberMatch(text);
        if (num !== null && num.start >= seg.end) return { answer: num.text, rule: 'last-number' };
      }
      return { answer: seg.inner, rule };
    }
    const found = RULES[rule](text);
    if (found !== null && found.trim() !== '') return { answer: found.trim(), rule };
  }
  if (options.lastNumberFallback) {
    const whole = text.replace(/<\|im_(?:start|end)\|>[\s\S]*$/, '').trim();
    if (whole !== '' && whole.length <= 500 && !whole.includes('\n') && isBareExpression(whole)) return { answer: whole, rule: 'whole-text' };
    const num = lastNumber(text);
    if (num !== null) return { answer: num, rule: 'last-number' };
  }
  return null;
}

const RULES: Record<(typeof EXTRACTION_RULES)[number], (text: string) => string | null> = {
  boxed: extractBoxed,
  gsm8k: extractGsm8k,
  'final-answer': extractFinalAnswer,
  'answer-is': extractAnswerIs,
  'answer-colon': extractAnswerColon,
  'last-math': lastMath,
};

interface Box {
  start: number;
  end: number;
  content: string;
}

/**
 * Every \boxed / \fbox with its content, in text order (brace-balanced; `\boxed 5` too). Braces are
 * matched in one pass, so many unbalanced boxes cost linear time.
 */
function findBoxes(text: string): Box[] {
  const out: Box[] = [];
  const re = /\\(?:boxed|fbox)\b/g;
  let closeOf: Int32Array | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    let i = m.index + m[0].length;
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      closeOf ??= matchBraces(text);
      const j = closeOf[i];
      if (j < 0) continue; // unbalanced: not a box
      out.push({ start: m.index, end: j + 1, content: text.slice(i + 1, j) });
      re.lastIndex = j + 1;
    } else {
      const word = /^[^\s$]+/.exec(text.slice(i, i + 200));
      if (word !== null) out.push({ start: m.index, end: i + word[0].length, content: word[0] });
    }
  }
  return out;
}

/** For each "{" the index of its matching "}" (-1 when unmatched); escaped braces are skipped. */
function matchBraces(text: string): Int32Array {
  const closeOf = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') stack.push(i);
    else if (c === '}' && stack.length > 0) closeOf[stack.pop() as number] = i;
  }
  return closeOf;
}

/**
 * Text between two boxes that only joins them: "\boxed{1}, \boxed{2}", "\boxed{a} \quad\text{and}\quad
 * \boxed{b}", "\text{ for part (a) and }", and a label of the next box ("\) and \( y_2 = \boxed{...}").
 */
const BOX_JOINER =
  /^(?:\s|,|;|&|\.|\$|\\\(|\\\)|\\\[|\\\]|\\quad|\\qquad|\\,|\\;|\\\\|\\text\s*\{\s*(?:and|or|,)?\s*\}|\\text\s*\{[^{}]*\band\b[^{}]*\}|\band\b|\bor\b|[A-Za-z](?:_\{?\w+\}?)?\s*=)*$/;

function extractBoxed(text: string): string | null {
  const boxes = findBoxes(text);
  if (boxes.length === 0) return null;
  const picked = [boxes[boxes.length - 1]];
  for (let k = boxes.length - 2; k >= 0; k--) {
    const between = text.slice(boxes[k].end, picked[0].start);
    if (between.length > 300 || !BOX_JOINER.test(between)) break;
    picked.unshift(boxes[k]);
  }
  return picked.map((b) => b.content.trim()).join(', ');
}

function extractGsm8k(text: string): string | null {
  const all = [...text.matchAll(/####\s*([^\n]*)/g)];
  if (all.length === 0) return null;
  return all[all.length - 1][1].trim();
}

/** Longest answer sentence examined (characters); a longer capture is cut (answers are short). */
const SENTENCE_MAX_CHARS = 5000;

/** How far from the end the weak rules (last-math, trailing math) look (characters). */
const TAIL_CHARS = 20_000;

/** Cleans a captured answer sentence: boxes, "The final answer is", "I hope it is correct", prose. */
function cleanSentence(raw: string): string {
  let s = raw.slice(0, SENTENCE_MAX_CHARS).trim();
  const boxed = extractBoxed(s);
  if (boxed !== null) return boxed;
  s = s.replace(/\s*I hope it is correct\.?\s*$/i, '');
  s = s.replace(/^\**\s*/, '').replace(/\s*\**$/, '');
  const inner = /(?:final\s+)?answer\s+is\s*[:：]?\s*([\s\S]*)$/i.exec(s);
  if (inner !== null) s = inner[1];
  s = s.trim().replace(/^[:：]\s*/, '');
  s = trimSentenceEnd(s);
  // Still prose ("The largest $n$ is 34")? Take what follows the last " is ".
  if (hasProse(s)) {
    const after = /\bis\s+([^\s].*)$/i.exec(s);
    if (after !== null) return trimSentenceEnd(after[1]);
    const math = trailingMath(s);
    if (math !== null) return math;
    const num = lastNumber(s);
    if (num !== null) return num;
  }
  return s;
}

/** Cuts at the first sentence end (a period followed by space/end, not a decimal point), strips quotes. */
function trimSentenceEnd(s: string): string {
  let depth = 0;
  let dollars = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$') dollars++;
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (c === '.' && depth <= 0 && dollars % 2 === 0 && !/\d/.test(s[i + 1] ?? '') && /^(\s|$)/.test(s.slice(i + 1, i + 2))) {
      s = s.slice(0, i);
      break;
    }
  }
  return s.trim().replace(/^["'`]+|["'`]+$/g, '').replace(/^\\"|\\"$/g, '').trim();
}

/** A bare expression: a digit, and no word (2+ letters) outside LaTeX commands except function names. */
function isBareExpression(s: string): boolean {
  if (!/\d/.test(s)) return false;
  const outside = s.replace(/\\[A-Za-z]+|\\text\s*\{[^{}]*\}/g, ' ');
  return !/[A-Za-z]{2,}/.test(outside.replace(/\b(?:sqrt|frac|pi|sin|cos|tan|log|ln|exp)\b/g, ' '));
}

function hasProse(s: string): boolean {
  const outside = s.slice(0, SENTENCE_MAX_CHARS).replace(/\$[^$]*\$|\\\([^\n]{0,2000}?\\\)|\\text\s*\{[^{}]*\}/g, ' ');
  const words = outside.match(/\b[A-Za-z]{2,}\b/g) ?? [];
  return words.filter((w) => !/^(and|or|pi|sqrt|frac|cdot|times)$/i.test(w)).length >= 2;
}

function extractFinalAnswer(text: string): string | null {
  // "Final Answer: X" or a "**Final Answer**" heading with the answer on the next line.
  const all = [...text.matchAll(/final\s+answer\s*(?:\*\*)?\s*(?:[:：]\s*(?:\*\*)?|(?=\n))[ \t]*([^\n]*)/gi)];
  if (all.length === 0) return null;
  const m = all[all.length - 1];
  let rest = m[1];
  if (rest.trim() === '') {
    const after = text.slice((m.index ?? 0) + m[0].length);
    const block = leadingBlock(after);
    if (block === null) return null;
    rest = block;
  }
  return cleanSentence(rest);
}

/** The first display block or non-empty line of `text` (an answer put on the lines after its label). */
function leadingBlock(text: string): string | null {
  const seg = /^\s*(\$\$[\s\S]*?\$\$|\\\[[\s\S]*?\\\]|\$[^$\n]*\$|\\\([^\n]*?\\\))/.exec(text);
  if (seg !== null) return seg[1];
  const line = /^\s*([^\n]+)/.exec(text);
  return line === null ? null : line[1];
}

function extractAnswerIs(text: string): string | null {
  const all = [...text.matchAll(/answer\s+is\s*[:：]?[ \t]*/gi)];
  if (all.length === 0) return null;
  const m = all[all.length - 1];
  const start = (m.index ?? 0) + m[0].length;
  const tail = text.slice(start);
  // A display or inline math segment right after the phrase (possibly on the next lines) is the answer.
  const first = tail.split('\n')[0];
  if (first.trim() === '') {
    const block = leadingBlock(tail);
    return block === null ? null : cleanSentence(block);
  }
  const seg = /^(\$\$[\s\S]*?\$\$|\$[^$]*\$|\\\[[\s\S]*?\\\]|\\\([\s\S]*?\\\))/.exec(tail);
  if (seg !== null) return cleanSentence(seg[1]);
  return cleanSentence(first);
}

function extractAnswerColon(text: string): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const last = lines[lines.length - 1] ?? '';
  const a = /^(?:\*\*)?A(?:\*\*)?\s*[:：]\s*(.+)$/.exec(last);
  if (a !== null) return cleanSentence(a[1]);
  const all = [...text.matchAll(/(?:^|\n)[ \t]*(?:\*\*)?Answer(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*([^\n]*)/gi)];
  if (all.length === 0) return null;
  return cleanSentence(all[all.length - 1][1]);
}

/** Math segments: $$...$$, \[...\], $...$ and \(...\) (inline ones on one line; escaped \$ is not a delimiter). */
const MATH_SEGMENT = /\$\$([\s\S]{0,4000}?)\$\$|\\\[([\s\S]{0,4000}?)\\\]|(?<!\\)\$((?:[^$\n\\]|\\[^\n]){0,2000}?)(?<!\\)\$|\\\(([^\n]{0,2000}?)\\\)/g;

/** The last non-empty math segment of the text (for "... so $(7, 6)$."), with its end offset. */
function lastMathSegment(text: string): { inner: string; end: number } | null {
  const offset = Math.max(0, text.length - TAIL_CHARS);
  let last: { inner: string; end: number } | null = null;
  for (const m of text.slice(offset).matchAll(MATH_SEGMENT)) {
    const inner = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
    if (inner !== '') last = { inner, end: offset + (m.index ?? 0) + m[0].length };
  }
  return last;
}

function lastMath(text: string): string | null {
  return lastMathSegment(text)?.inner ?? null;
}

/** A math segment that ends the text (only punctuation after it). */
function trailingMath(text: string): string | null {
  const t = text.slice(-TAIL_CHARS).replace(/[\s.,;!]*(<\|im_(?:start|end)\|>[\s\S]*)?$/, '');
  let last: { inner: string; end: number } | null = null;
  for (const m of t.matchAll(MATH_SEGMENT)) {
    const inner = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
    last = { inner, end: (m.index ?? 0) + m[0].length };
  }
  return last !== null && last.end === t.length && last.inner !== '' ? last.inner : null;
}

/** The last number in the text (thousands separators, decimals, a simple fraction, a sign). */
function lastNumber(text: string): string | null {
  return lastNumberMatch(text)?.text ?? null;
}

function lastNumberMatch(text: string): { text: string; start: number } | null {
  // Not glued to a preceding letter ("AZYUK2A" has no number); trailing units ("1,000.99m²") are fine.
  const all = [...text.matchAll(/(?<![A-Za-z\d.,])-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?|(?<![A-Za-z\d])-?\.\d+/g)];
  if (all.length === 0) return null;
  const m = all[all.length - 1];
  return { text: m[0].replace(/\s+/g, ''), start: m.index ?? 0 };
}
