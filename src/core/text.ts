// Text helpers shared by the search and the records: normalisation for dedup, truncation.

/** Normalised form of a step or completion for duplicate detection: trimmed, whitespace collapsed. */
export function normalizeStepText(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Rough token count for text with no tokenizer at hand: words, numbers and punctuation marks. */
export function countRoughTokens(text: string): number {
  const m = text.match(/[A-Za-z]+|\d|[^\sA-Za-z\d]/g);
  return m === null ? 0 : m.length;
}

/** The function a HumanEval-style prompt declares last (`const name = (` or `function name(`). */
export function findDeclaredName(prompt: string): string | undefined {
  const re = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\(|function\b|[A-Za-z_$][\w$]*\s*=>)/g;
  let name: string | undefined;
  for (let m = re.exec(prompt); m !== null; m = re.exec(prompt)) name = m[1] ?? m[2];
  return name;
}
