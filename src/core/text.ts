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
