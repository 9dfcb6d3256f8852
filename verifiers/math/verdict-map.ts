// Maps checker results onto the core's Verdict / StepVerdict shapes (shared by the plugin and the CLI).
// Imports core types and the step-claim checker only.

import type { StepVerdict, Verdict } from '../../src/core/index.js';
import type { CheckResult } from './math-checker.js';
import { checkStepClaims, type ClaimOptions } from './step-claims.js';

/** Longest `detail` a verdict carries (characters). */
const DETAIL_MAX_CHARS = 200;

function shorten(s: string): string {
  return s.length <= DETAIL_MAX_CHARS ? s : `${s.slice(0, DETAIL_MAX_CHARS - 3)}...`;
}

/**
 * Verdict of one check. `pass` when equivalent; `fail` for a wrong, missing (`no_answer`), unparseable or
 * absurdly large prediction; `error` when the gold answer cannot be read or the comparison timed out
 * (undecided, worth 0 as a reward like a failure).
 */
export function verdictOf(r: CheckResult): Verdict {
  const detail = r.extracted === null ? r.detail : `${r.rule}: ${r.extracted}${r.detail === undefined ? '' : ` (${r.detail})`}`;
  let kind: Verdict['kind'];
  if (r.equal) kind = 'pass';
  else if (r.reason === 'timeout' || (r.reason === 'parse_error' && r.side === 'gold')) kind = 'error';
  else kind = 'fail';
  const v: Verdict = { kind, reason: r.reason, score: r.equal ? 1 : 0 };
  if (r.answer !== null) v.answer = r.answer;
  if (detail !== undefined) v.detail = shorten(detail);
  return v;
}

/**
 * Per-step verdicts of the arithmetic claims in each step: one per step, same order, `step` 0-based;
 * reason `arithmetic` (all claims hold), `mismatch` (one fails) or `no_claims` (kind `abstain`).
 */
export function stepVerdictsOf(steps: readonly string[], options: Partial<ClaimOptions> = {}): StepVerdict[] {
  return steps.map((text, step) => {
    const r = checkStepClaims(text, options);
    const failed = r.claims.filter((c) => !c.holds).length;
    return {
      step,
      kind: r.verdict,
      reason: r.verdict === 'pass' ? 'arithmetic' : r.verdict === 'fail' ? 'mismatch' : 'no_claims',
      claims: r.claims.length,
      failedClaims: failed,
    };
  });
}
