// Reading problems from JSONL as published: native rows, GSM8K, MATH / MATH-500, HumanEval-X JS and
// MBJSP. Every line is untrusted: size limits, a defined outcome, and errors that name file:line.

import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { McgError } from '../core/errors.js';
import { hashHex } from '../core/hash.js';
import { parseCodeLanguage, publishedCodeFields } from '../core/text.js';
import type { Problem } from '../core/types.js';

/** Longest input line accepted (characters). */
export const MAX_LINE_CHARS = 1_000_000;
/** Longest problem id accepted. */
export const MAX_ID_CHARS = 256;

/** A line that could not be read as a problem. */
export interface BadLine {
  file: string;
  line: number;
  reason: string;
  text: string;
}

export type ParsedLine = { ok: true; problem: Problem } | { ok: false; reason: string };

function str(row: Record<string, unknown>, key: string): string | undefined {
  const v = row[key];
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

/** The last `\boxed{...}` content (nested braces allowed), or undefined. */
export function lastBoxed(text: string): string | undefined {
  const at = Math.max(text.lastIndexOf('\\boxed{'), text.lastIndexOf('\\fbox{'));
  if (at < 0) return undefined;
  let i = text.indexOf('{', at) + 1;
  const start = i;
  let depth = 1;
  for (; i < text.length && depth > 0; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
  }
  return depth === 0 ? text.slice(start, i - 1) : undefined;
}

/**
 * One parsed JSON row -> a Problem, recognising the published formats:
 * - native: `{id?, prompt, domain?, answer? | tests?, entryPoint?, meta?}`
 * - GSM8K: `{question, answer}` where the answer ends with `#### N`
 * - MATH / MATH-500: `{problem, answer? , solution?, unique_id?}` (answer from the last \boxed{} of solution)
 * - HumanEval-X JS / MBJSP: `{task_id, prompt, test, entry_point?, canonical_solution?}`
 * - MBPP / HumanEval Python: the same shape with `language: "python"` (or an `MBPP/` / `HumanEval/`
 *   task id); a `def check(candidate)` test gets `check(<entry_point>)` appended
 * Rows without an id get one from a hash of their prompt. Unknown extra fields are kept in `meta.source`.
 */
export function problemFromRow(row: unknown): ParsedLine {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { ok: false, reason: 'line is not a JSON object' };
  const r = row as Record<string, unknown>;
  let problem: Problem;
  if (typeof r.test === 'string' && typeof r.prompt === 'string') {
    // HumanEval-X JS / MBJSP / MathQA-X: the prompt is code the solution continues.
    const id = str(r, 'task_id') ?? str(r, 'id');
    const named = str(r, 'language');
    const stated = named === undefined ? undefined : parseCodeLanguage(named);
    if (named !== undefined && stated === undefined) return { ok: false, reason: `"language" must be javascript or python, got "${named}"` };
    // HumanEval-X rows name no entry point (it is the function the prompt declares); Python tests
    // define check(candidate) and the script calls it on the entry point.
    const { language, entryPoint, tests } = publishedCodeFields(id, r.prompt, r.test, str(r, 'entry_point') ?? str(r, 'entryPoint'), stated);
    problem = {
      id: id ?? `p-${hashHex(r.prompt, 12)}`,
      prompt: r.prompt,
      domain: 'code',
      reference: { tests, prefix: r.prompt, ...(entryPoint === undefined ? {} : { entryPoint }), ...(language === 'python' ? { language } : {}) },
    };
    const solution = str(r, 'canonical_solution');
    if (solution !== undefined) problem.reference!.solution = solution;
  } else if (typeof r.question === 'string' && typeof r.answer === 'string' && /####\s*\S/.test(r.answer)) {
    // GSM8K.
    const m = r.answer.match(/####\s*([^\n]+)\s*$/);
    if (m === null) return { ok: false, reason: 'GSM8K answer has no final "#### N" line' };
    problem = {
      id: str(r, 'id') ?? `gsm8k-${hashHex(r.question, 12)}`,
      prompt: r.question,
      domain: 'math',
      reference: { answer: m[1].trim(), solution: r.answer },
    };
  } else if (typeof r.problem === 'string') {
    // MATH / MATH-500.
    const solution = str(r, 'solution');
    const answer = str(r, 'answer') ?? (solution === undefined ? undefined : lastBoxed(solution));
    if (answer === undefined) return { ok: false, reason: 'MATH row has neither "answer" nor a \\boxed{} answer in "solution"' };
    problem = {
      id: str(r, 'unique_id') ?? str(r, 'id') ?? `math-${hashHex(r.problem, 12)}`,
      prompt: r.problem,
      domain: 'math',
      reference: solution === undefined ? { answer } : { answer, solution },
    };
  } else if (typeof r.prompt === 'string' || typeof r.question === 'string') {
    // Native.
    const prompt = (typeof r.prompt === 'string' ? r.prompt : r.question) as string;
    const domain = str(r, 'domain') ?? (typeof r.tests === 'string' || Array.isArray(r.tests) ? 'code' : 'math');
    const answer = str(r, 'answer');
    const tests = typeof r.tests === 'string' ? r.tests : Array.isArray(r.tests) ? (r.tests as unknown[]).map(String) : undefined;
    if (answer === undefined && tests === undefined) return { ok: false, reason: 'row has a prompt but neither "answer" nor "tests"' };
    problem = { id: str(r, 'id') ?? `p-${hashHex(prompt, 12)}`, prompt, domain, reference: {} };
    if (answer !== undefined) problem.reference!.answer = answer;
    if (tests !== undefined) problem.reference!.tests = tests;
    const entryPoint = str(r, 'entryPoint') ?? str(r, 'entry_point');
    if (entryPoint !== undefined) problem.reference!.entryPoint = entryPoint;
    const named = str(r, 'language');
    if (named !== undefined && tests !== undefined) {
      const language = parseCodeLanguage(named);
      if (language === undefined) return { ok: false, reason: `"language" must be javascript or python, got "${named}"` };
      if (language === 'python') problem.reference!.language = language;
    }
    if (typeof r.meta === 'object' && r.meta !== null && !Array.isArray(r.meta)) problem.meta = r.meta as Record<string, unknown>;
  } else {
    return {
      ok: false,
      reason: 'unrecognised row: expected native {prompt, answer|tests}, GSM8K {question, answer}, MATH {problem, answer|solution} or HumanEval-X {prompt, test}',
    };
  }
  if (problem.id.length === 0 || problem.id.length > MAX_ID_CHARS) return { ok: false, reason: `id must be 1 to ${MAX_ID_CHARS} characters` };
  if (problem.prompt.trim() === '') return { ok: false, reason: 'prompt is empty' };
  return { ok: true, problem };
}

/** Parses one text line. Blank lines are the caller's business (skipped by readProblems). */
export function parseProblemLine(text: string): ParsedLine {
  if (text.length > MAX_LINE_CHARS) return { ok: false, reason: `line is longer than ${MAX_LINE_CHARS} characters` };
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON (${(err as Error).message})` };
  }
  return problemFromRow(row);
}

export interface ReadProblemsOptions {
  /** `error` (default): throw INPUT_INVALID naming file:line. `skip`: report through onBadLine and go on. */
  onBadInput?: 'error' | 'skip';
  onBadLine?: (bad: BadLine) => void;
}

/**
 * Streams problems from a JSONL file (without loading it whole). Duplicate ids are bad lines: ids key
 * seeds, records and the resume ledger.
 */
export async function* readProblems(file: string, options: ReadProblemsOptions = {}): AsyncGenerator<Problem> {
  const name = basename(file);
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new McgError('IO_FAILED', `${file}: cannot read (${(err as Error).message})`, { cause: err })));
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const ids = new Set<string>();
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      if (text.trim() === '') continue;
      let parsed = parseProblemLine(text);
      if (parsed.ok && ids.has(parsed.problem.id)) parsed = { ok: false, reason: `duplicate problem id "${parsed.problem.id}"` };
      if (!parsed.ok) {
        if ((options.onBadInput ?? 'error') === 'error') {
          throw new McgError('INPUT_INVALID', `${name}:${lineNo}: ${parsed.reason}`, { details: { file, line: lineNo } });
        }
        options.onBadLine?.({ file, line: lineNo, reason: parsed.reason, text: text.length > 2000 ? `${text.slice(0, 2000)}...` : text });
        continue;
      }
      ids.add(parsed.problem.id);
      yield parsed.problem;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}
