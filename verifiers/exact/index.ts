// A minimal final-answer verifier: extracts "The answer is X", "#### X", "\boxed{X}" or "Answer: X"
// from the last step and compares it with the reference exactly (numbers by value, text case-folded).
// For anything beyond plain numbers use the `math` verifier. Imports only src/core.

import { z } from 'zod';
import { defineVerifier, throwIfAborted, type Verdict } from '../../src/core/index.js';

const PATTERNS: readonly RegExp[] = [
  /\\boxed\{([^{}]*)\}/g,
  /####\s*([^\n]+)/g,
  /the answer is[:\s]*([^\n]+)/gi,
  /answer:\s*([^\n]+)/gi,
];

/** The last answer-like span in `text`, by pattern priority; undefined when none matches. */
export function extractFinalAnswer(text: string): string | undefined {
  for (const pattern of PATTERNS) {
    let last: string | undefined;
    for (const m of text.matchAll(pattern)) last = m[1];
    if (last !== undefined) return last.trim();
  }
  return undefined;
}

/** Canonical form: "$1,200.50." -> "1200.5"; non-numbers are trimmed and case-folded. */
export function canonicalAnswer(raw: string): string {
  const s = raw.trim().replace(/[.;]+$/, '').replace(/^\$/, '').replace(/\s+/g, ' ');
  const numeric = s.replace(/,(?=\d{3}\b)/g, '');
  if (/^-?\d+(\.\d+)?$/.test(numeric)) {
    const [int, frac = ''] = numeric.split('.');
    const sign = int.startsWith('-') ? '-' : '';
    const digits = int.replace('-', '').replace(/^0+(?=\d)/, '');
    const f = frac.replace(/0+$/, '');
    const out = f === '' ? `${sign}${digits}` : `${sign}${digits}.${f}`;
    return out === '-0' ? '0' : out;
  }
  return s.toLowerCase();
}

export const exactAnswerVerifier = defineVerifier({
  kind: 'exact-answer',
  options: z.strictObject({}),
  create() {
    return {
      name: 'exact-answer',
      async check(problem, trajectory, ctx): Promise<Verdict> {
        throwIfAborted(ctx.signal);
        ctx.usage.verifierCalls += 1;
        const gold = problem.reference?.answer;
        if (gold === undefined) return { kind: 'abstain', reason: 'no_reference' };
        const last = trajectory.steps.length > 0 ? trajectory.steps[trajectory.steps.length - 1] : '';
        const raw = extractFinalAnswer(last);
        if (raw === undefined) return { kind: 'fail', reason: 'no_answer' };
        const answer = canonicalAnswer(raw);
        const equal = answer === canonicalAnswer(gold);
        return { kind: equal ? 'pass' : 'fail', reason: equal ? 'exact' : 'mismatch', answer };
      },
    };
  },
});
