// What one searched problem yields (records and figures, or an error), as plain data that can cross
// a thread; the flat record list in file order; the config hash records carry.

import type { Config } from '../core/config.js';
import type { McgErrorData } from '../core/errors.js';
import { hashHex } from '../core/hash.js';
import type { Problem, Usage } from '../core/types.js';
import type { StopReason } from '../search/runtime.js';
import type { ExtractedRecords } from './extract.js';
import { SCHEMA, type ErrorRecord, type PairRecord, type StepRecord, type TraceRecord, type TreeRecord } from './records.js';

/** Per-problem figures that the run summary folds together. */
export interface ProblemStats {
  algorithm: string;
  /** The committed answer passed the verifier. */
  success: boolean;
  /** At least one verified solution was found. */
  solved: boolean;
  usage: Usage;
  simulations: number;
  nodes: number;
  stoppedBy: StopReason;
  /** Generated tokens spent on candidates that were dropped (duplicates of a sibling, empty steps). */
  duplicateTokens: number;
  /** Steps whose arithmetic claims failed the process check. */
  falseSteps: number;
  /** Solutions whose final answer passed but which hold a false step (so not verified). */
  falseStepSolutions: number;
  wallMs: number;
}

export type ProblemOutcome =
  | { ok: true; problem: Problem; attempts: number; records: ExtractedRecords; stats: ProblemStats }
  | { ok: false; problem: Problem; attempts: number; error: McgErrorData };

/** Any record a run produces. */
export type RunRecord = TraceRecord | PairRecord | StepRecord | TreeRecord | ErrorRecord;

/** Hash of a validated config: the same settings give the same hash. */
export function configHash(config: Config): string {
  return hashHex(JSON.stringify(config), 16);
}

/** Flat records of one outcome, in file order: traces, pairs, steps, tree, or the error record. */
export function outcomeRecords(outcome: ProblemOutcome): RunRecord[] {
  if (!outcome.ok) {
    return [{ schema: SCHEMA.error, problemId: outcome.problem.id, code: outcome.error.code, message: outcome.error.message, attempts: outcome.attempts }];
  }
  const r = outcome.records;
  return [...r.traces, ...r.pairs, ...r.steps, ...(r.tree === undefined ? [] : [r.tree])];
}

