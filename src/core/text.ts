// Text helpers shared by the search and the records: normalisation for dedup, truncation.

/** Normalised form of a step or completion for duplicate detection: trimmed, whitespace collapsed. */
export function normalizeStepText(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** True for the characters JavaScript's `\s` matches. */
function isSpaceCode(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Rough token count for text with no tokenizer at hand: each run of ASCII letters, each digit and each
 * other non-space character (UTF-16 unit) counts one; the same count as /[A-Za-z]+|\d|[^\sA-Za-z\d]/g
 * matches, without allocating (it runs for every proposed step).
 */
export function countRoughTokens(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (letter) {
      if (!inWord) n++;
      inWord = true;
      continue;
    }
    inWord = false;
    if (!isSpaceCode(c)) n++;
  }
  return n;
}

/** The function a HumanEval-style prompt declares last (`const name = (` or `function name(`). */
export function findDeclaredName(prompt: string): string | undefined {
  const re = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\(|function\b|[A-Za-z_$][\w$]*\s*=>)/g;
  let name: string | undefined;
  for (let m = re.exec(prompt); m !== null; m = re.exec(prompt)) name = m[1] ?? m[2];
  return name;
}

/** Languages code problems are written in. */
export type CodeLanguage = 'javascript' | 'python';

const LANGUAGE_NAMES: Record<string, CodeLanguage> = {
  javascript: 'javascript',
  js: 'javascript',
  node: 'javascript',
  nodejs: 'javascript',
  python: 'python',
  python3: 'python',
  py: 'python',
};

/** The language a `language` field names (case-insensitive; `js`, `py`, `python3` too), or undefined. */
export function parseCodeLanguage(name: string): CodeLanguage | undefined {
  return LANGUAGE_NAMES[name.trim().toLowerCase()];
}

/** The function a Python prompt defines last at the top level (`def name(`). */
export function findPythonDefName(prompt: string): string | undefined {
  const re = /^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/gm;
  let name: string | undefined;
  for (let m = re.exec(prompt); m !== null; m = re.exec(prompt)) name = m[1];
  return name;
}

/**
 * The language of a published code row that names none: Python for MBPP / HumanEval (Python) task ids
 * (`MBPP/…`, `HumanEval/…`) and for prompts that define a Python function and no JavaScript one;
 * otherwise JavaScript (HumanEval-X `JavaScript/…`, MBJSP).
 */
export function guessCodeLanguage(taskId: string | undefined, prompt: string): CodeLanguage {
  if (taskId !== undefined && /^(?:MBPP|HumanEval|Python)\//.test(taskId)) return 'python';
  if (findPythonDefName(prompt) !== undefined && findDeclaredName(prompt) === undefined) return 'python';
  return 'javascript';
}

/**
 * A HumanEval-style Python test (`def check(candidate): ...`) as a script that runs: `check(<entry>)`
 * is appended unless the test already calls `check(` at its top level. When the entry point is itself
 * named `check`, the test's function is renamed `check__test` so it does not replace the solution.
 * Other tests are returned as they are.
 */
export function pythonTestScript(test: string, entryPoint: string | undefined): string {
  if (entryPoint === undefined || !/^def\s+check\s*\(/m.test(test) || /^check\s*\(/m.test(test)) return test;
  const body = test.endsWith('\n') ? test : `${test}\n`;
  if (entryPoint === 'check') return `${body.replace(/^def\s+check\s*\(/m, 'def check__test(')}\ncheck__test(check)\n`;
  return `${body}\ncheck(${entryPoint})\n`;
}

/**
 * Language, entry point and test script of a published code row (HumanEval-X, MBJSP, MBPP, HumanEval
 * Python): `language` when stated (else guessed, see guessCodeLanguage), the stated entry point or the
 * function the prompt declares last, and for Python the test made runnable by pythonTestScript.
 */
export function publishedCodeFields(
  taskId: string | undefined,
  prompt: string,
  test: string,
  entryPoint: string | undefined,
  language: CodeLanguage | undefined,
): { language: CodeLanguage; entryPoint: string | undefined; tests: string } {
  const lang = language ?? guessCodeLanguage(taskId, prompt);
  const entry = entryPoint ?? (lang === 'python' ? findPythonDefName(prompt) : findDeclaredName(prompt));
  return { language: lang, entryPoint: entry, tests: lang === 'python' ? pythonTestScript(test, entry) : test };
}
