// Turns a problem and a trajectory into what the sandbox runs: the program text, the test scripts and
// the number of assertion call sites in the tests. Pure string work; imports core types only.

import type { CodeLanguage, Problem, Trajectory } from '../../src/core/index.js';

/** Info strings of fenced blocks taken as code of each language (an empty info string counts too). */
const FENCE_LANGUAGES: Record<CodeLanguage, Set<string>> = {
  javascript: new Set(['', 'js', 'javascript', 'node', 'nodejs', 'mjs', 'cjs']),
  python: new Set(['', 'python', 'py', 'python3']),
};

/** What the sandbox runs for one check. */
export interface ProgramPlan {
  /** The language of the program and tests (the sandbox that runs them). */
  language: CodeLanguage;
  /** `prefix + code`, or the code alone when a fenced block already declares the entry point. */
  program: string;
  /** Test scripts, run in order after the program. */
  tests: string[];
  /** True when the tests came as a list: then each script is one test for partial credit. */
  testsAreList: boolean;
  /** Assertion call sites in the test source (see {@link countAssertionSites}). */
  assertionSites: number;
  /** True when the code was taken from a fenced block of the trajectory text. */
  fenced: boolean;
  /** True when `reference.prefix` was put in front of the code. */
  prefixed: boolean;
}

/**
 * The code in a model's text: the content of the last fenced block of the language (```js,
 * ```javascript, ```node for JavaScript; ```python, ```py for Python; a bare ``` for both) when there
 * is one, otherwise the whole text. A last block left open (the model hit its length limit) counts,
 * running to the end of the text. Fences with other languages are ignored.
 */
export function extractCode(text: string, language: CodeLanguage = 'javascript'): { code: string; fenced: boolean } {
  const accepted = FENCE_LANGUAGES[language];
  const fence = /^[ \t]*(`{3,})[ \t]*([^\n`]*)\n/gm;
  let last: string | undefined;
  for (let open = fence.exec(text); open !== null; open = fence.exec(text)) {
    const ticks = open[1];
    const info = open[2].trim().split(/\s+/)[0].toLowerCase();
    const bodyStart = open.index + open[0].length;
    const close = new RegExp(`^[ \\t]*${ticks}[ \\t]*$`, 'm');
    close.lastIndex = 0;
    const rest = text.slice(bodyStart);
    const m = close.exec(rest);
    const body = m === null ? rest : rest.slice(0, m.index);
    if (accepted.has(info)) last = body.endsWith('\n') ? body.slice(0, -1) : body;
    if (m === null) break;
    fence.lastIndex = bodyStart + m.index + m[0].length;
  }
  return last === undefined ? { code: text, fenced: false } : { code: last, fenced: true };
}

/** True when `code` declares `name` as a function, class or variable (so it is a whole program). */
export function declaresEntryPoint(code: string, name: string, language: CodeLanguage = 'javascript'): boolean {
  if (language === 'python') {
    if (!/^[A-Za-z_]\w*$/.test(name)) return false;
    return new RegExp(`^(?:async\\s+)?def\\s+${name}\\s*\\(|^class\\s+${name}\\b|^${name}\\s*=`, 'm').test(code);
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const n = name.replace(/\$/g, '\\$');
  return new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*\\(|\\b(?:const|let|var)\\s+${n}\\s*=|\\bclass\\s+${n}\\b`).test(code);
}

/**
 * Assertion call sites in test source: `console.assert(`, `assert(` / `assert.<name>(`, and, when the
 * tests declare `function compare(` (the helper MBJSP tests wrap lodash isEqual in), its `compare(`
 * calls. Declarations (`function assert(`) are not sites. Used as the number of tests when a run stops
 * before reaching them all.
 */
export function countAssertionSites(source: string, language: CodeLanguage = 'javascript'): number {
  if (language === 'python') return source.match(/^[ \t]*assert\b/gm)?.length ?? 0;
  const patterns = [/\bconsole\s*\.\s*assert\s*\(/g, /(?<![\w$])(?<!\.\s*)(?<!function\s+)assert(?:\s*\.\s*[A-Za-z]+)?\s*\(/g];
  if (/\bfunction\s+compare\s*\(/.test(source)) patterns.push(/(?<![\w$])(?<!\.\s*)(?<!function\s+)compare\s*\(/g);
  let count = 0;
  for (const p of patterns) count += source.match(p)?.length ?? 0;
  return count;
}

/** Test scripts of a problem: `meta.testCases` (a list) wins over `reference.tests` (string or list). */
export function readTests(problem: Problem): { tests: string[]; testsAreList: boolean } {
  const fromMeta = problem.meta?.testCases;
  if (Array.isArray(fromMeta) && fromMeta.every((t) => typeof t === 'string')) {
    return { tests: fromMeta as string[], testsAreList: true };
  }
  const ref: unknown = problem.reference?.tests;
  if (Array.isArray(ref) && ref.every((t) => typeof t === 'string')) return { tests: ref as string[], testsAreList: true };
  if (typeof ref === 'string' && ref.trim() !== '') return { tests: [ref], testsAreList: false };
  return { tests: [], testsAreList: false };
}

/**
 * Builds the program for `trajectory`: the code is `trajectory.steps.join('\n')`, or the last fenced
 * block of it (see {@link extractCode}); the program is `reference.prefix + code`, except that a fenced
 * block declaring `reference.entryPoint` is taken as a whole program and runs without the prefix.
 * Returns undefined when the problem has no tests.
 */
export function planProgram(problem: Problem, trajectory: Trajectory): ProgramPlan | undefined {
  const { tests, testsAreList } = readTests(problem);
  if (tests.length === 0) return undefined;
  const language = problem.reference?.language ?? 'javascript';
  const { code, fenced } = extractCode(trajectory.steps.join('\n'), language);
  const prefix = problem.reference?.prefix ?? '';
  const entryPoint = problem.reference?.entryPoint;
  const prefixed = prefix !== '' && !(fenced && entryPoint !== undefined && declaresEntryPoint(code, entryPoint, language));
  return {
    language,
    program: prefixed ? prefix + code : code,
    tests,
    testsAreList,
    assertionSites: testsAreList ? 0 : countAssertionSites(tests[0], language),
    fenced,
    prefixed,
  };
}
