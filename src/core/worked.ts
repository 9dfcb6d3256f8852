// Worked solutions of the form "a op b = r" (the built-in arithmetic task and anything shaped like
// it): solving, formatting and parsing. Pure functions; plugins and the task generator share them.

import type { Problem, WorkedSolution, WorkedStep } from './types.js';

/** Applies one arithmetic operation. Division may give a non-integer when operands are wrong upstream. */
export function applyOp(a: number, op: WorkedStep['op'], b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? Number.NaN : a / b;
  }
}

/** Formats a number as a step writes it: integers plainly, others with up to 4 decimals. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return 'undefined';
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toFixed(4)));
}

/** True results of every step of a worked solution. */
export function solveWorked(worked: WorkedSolution): number[] {
  const results: number[] = [];
  for (const step of worked.steps) {
    const a = typeof step.a === 'number' ? step.a : results[step.a.ref];
    const b = typeof step.b === 'number' ? step.b : results[step.b.ref];
    results.push(applyOp(a, step.op, b));
  }
  return results;
}

/** The canonical step text "a op b = r" as the built-in solutions write it. */
export function stepText(a: number, op: WorkedStep['op'], b: number, result: number): string {
  return `${formatNumber(a)} ${op} ${formatNumber(b)} = ${formatNumber(result)}`;
}

/** The canonical final step. */
export function finalText(answer: string): string {
  return `The answer is ${answer}`;
}

/** Reads `meta.worked` if it has the WorkedSolution shape, else undefined. */
export function workedSolutionOf(problem: Problem): WorkedSolution | undefined {
  const w = problem.meta?.worked as WorkedSolution | undefined;
  if (w === undefined || typeof w !== 'object' || !Array.isArray(w.steps) || typeof w.answer !== 'string') return undefined;
  for (const s of w.steps) {
    if (typeof s !== 'object' || s === null || !['+', '-', '*', '/'].includes(s.op)) return undefined;
  }
  return w;
}

/** The number a step claims as its result: the last number after the last "=" (e.g. 84 in "12 * 7 = 84"). */
export function claimedResult(step: string): number | undefined {
  const eq = step.lastIndexOf('=');
  if (eq < 0) return undefined;
  const m = step.slice(eq + 1).match(/-?\d[\d,]*(?:\.\d+)?/);
  if (m === null) return undefined;
  const x = Number(m[0].replace(/,/g, ''));
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Values a trajectory has claimed so far for each worked step: the parsed result of step i when it
 * parses, else the true result (a step the policy wrote in another form is taken at its word).
 */
export function claimedResults(worked: WorkedSolution, steps: readonly string[]): number[] {
  const truth: number[] = [];
  const claimed: number[] = [];
  for (let i = 0; i < worked.steps.length && i < steps.length; i++) {
    const s = worked.steps[i];
    const a = typeof s.a === 'number' ? s.a : claimed[s.a.ref];
    const b = typeof s.b === 'number' ? s.b : claimed[s.b.ref];
    truth.push(applyOp(a, s.op, b));
    claimed.push(claimedResult(steps[i]) ?? truth[i]);
  }
  return claimed;
}
