// Reads a code task row as published (native, HumanEval-X JavaScript, MBJSP, MBPP / HumanEval Python)
// into a Problem and the code to check. Pure; imports core types and errors only. Fields a row has beyond those read are ignored.

import { McgError, findDeclaredName, parseCodeLanguage, publishedCodeFields, type CodeLanguage, type Problem } from '../../src/core/index.js';

export type CodeTaskFormat = 'native' | 'humaneval-x' | 'mbjsp' | 'mbpp' | 'humaneval-py';

/** A row turned into what the verifier (and the search) need. */
export interface CodeTask {
  /** `domain: 'code'`; `reference.tests`, `reference.entryPoint`, `reference.prefix` as the format gives them. */
  problem: Problem;
  /** The code to check: native `code`, or the row's `completion`, else its `canonical_solution` ('' if none). */
  code: string;
  format: CodeTaskFormat;
  /** `task_id` of the row, when it has one. */
  taskId?: string;
  /** The language the code is run as. */
  language: CodeLanguage;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(row: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = row[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new McgError('INPUT_INVALID', `${where}: "${key}" must be a string, got ${typeof value}`);
  return value;
}

export { findDeclaredName };

/**
 * Turns one input row into `{ problem, code }`:
 * - native `{ language?, code, tests: string | string[], entryPoint?, id?, prompt? }`: the code is a
 *   whole program; a list of tests goes to `meta.testCases` (each one its own test) and, joined with
 *   newlines, to `reference.tests`;
 * - HumanEval-X JS `{ task_id, prompt, canonical_solution | completion, test, declaration?, ... }`,
 *   MBJSP `{ task_id, prompt, entry_point, canonical_solution | completion, test, language }` and
 *   MBPP / HumanEval Python rows (same fields, `language: "python"` or an `MBPP/` / `HumanEval/` id):
 *   the prompt (which ends inside the function) becomes `reference.prefix`, so program = prompt + code,
 *   then the `test` script runs (a Python `def check(candidate)` test gets `check(<entry_point>)` appended).
 * The language is the row's `language`, else `defaultLanguage` when given, else JavaScript for native rows
 * and a guess from the task id and prompt for published rows. `index` (0-based) names rows without an
 * id. Throws `INPUT_INVALID` naming the field for rows of no known shape; never runs anything.
 */
export function toCodeTask(row: unknown, index = 0, defaultLanguage?: CodeLanguage): CodeTask {
  const where = `row ${index}`;
  if (!isRecord(row)) throw new McgError('INPUT_INVALID', `${where}: a code task must be a JSON object`);
  const named = optionalString(row, 'language', where);
  const stated = named === undefined ? defaultLanguage : parseCodeLanguage(named);
  if (named !== undefined && stated === undefined) {
    throw new McgError('INPUT_INVALID', `${where}: "language" must be "javascript" or "python", got "${named}"`);
  }
  const taskId = optionalString(row, 'task_id', where);
  const rawId = row.id ?? taskId;
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : `code-${index}`;

  if (row.tests !== undefined) {
    const code = row.code;
    if (typeof code !== 'string') throw new McgError('INPUT_INVALID', `${where}: "code" must be a string (native rows have code and tests)`);
    const tests = row.tests;
    const list = Array.isArray(tests) ? tests : undefined;
    if (list !== undefined && !list.every((t) => typeof t === 'string')) {
      throw new McgError('INPUT_INVALID', `${where}: "tests" must be a string or an array of strings`);
    }
    if (list === undefined && typeof tests !== 'string') {
      throw new McgError('INPUT_INVALID', `${where}: "tests" must be a string or an array of strings, got ${typeof tests}`);
    }
    const entryPoint = optionalString(row, 'entryPoint', where) ?? optionalString(row, 'entry_point', where);
    const language = stated ?? 'javascript';
    const problem: Problem = {
      id,
      prompt: optionalString(row, 'prompt', where) ?? '',
      domain: 'code',
      reference: {
        tests: list === undefined ? (tests as string) : (list as string[]).join('\n'),
        ...(entryPoint === undefined ? {} : { entryPoint }),
        ...(language === 'python' ? { language } : {}),
      },
      meta: list === undefined ? { format: 'native' } : { format: 'native', testCases: list as string[] },
    };
    return { problem, code, format: 'native', language, ...(taskId === undefined ? {} : { taskId }) };
  }

  if (row.test !== undefined) {
    const prompt = optionalString(row, 'prompt', where);
    const test = optionalString(row, 'test', where);
    if (prompt === undefined || test === undefined) {
      throw new McgError('INPUT_INVALID', `${where}: HumanEval-X / MBJSP / MBPP rows need "prompt" and "test" strings`);
    }
    const completion = optionalString(row, 'completion', where);
    const solution = optionalString(row, 'canonical_solution', where);
    const explicitEntry = optionalString(row, 'entry_point', where);
    const { language, entryPoint, tests } = publishedCodeFields(taskId, prompt, test, explicitEntry, stated);
    const format: CodeTaskFormat =
      language === 'python'
        ? taskId?.startsWith('MBPP/') === true
          ? 'mbpp'
          : 'humaneval-py'
        : taskId?.startsWith('MBJSP/') === true || (explicitEntry !== undefined && row.declaration === undefined)
          ? 'mbjsp'
          : 'humaneval-x';
    const problem: Problem = {
      id,
      prompt,
      domain: 'code',
      reference: {
        tests,
        prefix: prompt,
        ...(entryPoint === undefined ? {} : { entryPoint }),
        ...(solution === undefined ? {} : { solution }),
        ...(language === 'python' ? { language } : {}),
      },
      meta: { format },
    };
    return { problem, code: completion ?? solution ?? '', format, language, ...(taskId === undefined ? {} : { taskId }) };
  }

  throw new McgError(
    'INPUT_INVALID',
    `${where}: not a code task (expected native {code, tests} or HumanEval-X / MBJSP / MBPP {prompt, test, canonical_solution | completion})`,
  );
}
