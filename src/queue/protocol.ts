// What crosses Redis: a job (one problem, the run's config and its hash, the package version) and
// its result (the problem's outcome, as a pool worker returns it). Both are checked on arrival: a job
// by the worker before it searches, a result by the coordinator before it commits.

import { z } from 'zod';
import { McgError } from '../core/errors.js';
import { hashHex } from '../core/hash.js';
import type { Problem } from '../core/types.js';
import type { ProblemOutcome } from '../data/outcome.js';
import { MAX_ID_CHARS } from '../data/problems.js';

export const JOB_SCHEMA = 'mcts-gen.job/1';
/** BullMQ job name of a search. */
export const JOB_NAME = 'search';

export interface QueueJobData {
  schema: typeof JOB_SCHEMA;
  runId: string;
  problem: Problem;
  /** The validated run config, as plain data. The worker parses it again and compares hashes. */
  config: unknown;
  configHash: string;
  /** Package version of the coordinator; a worker of another version refuses the job. */
  version: string;
  /** Directory that relative plugin paths resolve against (the coordinator's; `--base-dir` overrides). */
  baseDir: string;
  /** Attempts per problem (plugin faults inside a search, and worker deaths) before it is an error. */
  maxAttempts: number;
}

const problemSchema = z
  .object({
    id: z.string().min(1).max(MAX_ID_CHARS),
    prompt: z.string(),
    domain: z.string(),
    reference: z.record(z.string(), z.unknown()).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const jobSchema = z.object({
  schema: z.literal(JOB_SCHEMA),
  runId: z.string().regex(/^[0-9a-f]{16}$/),
  problem: problemSchema,
  config: z.record(z.string(), z.unknown()),
  configHash: z.string().min(1).max(64),
  version: z.string().min(1).max(64),
  baseDir: z.string(),
  maxAttempts: z.number().int().min(1).max(100),
});

/** Checks a job's data; throws INPUT_INVALID naming the first bad key. */
export function parseJobData(data: unknown): QueueJobData {
  const r = jobSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new McgError('INPUT_INVALID', `malformed job data at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data as QueueJobData;
}

const recordList = z.array(z.record(z.string(), z.unknown()));
const resultSchema = z.union([
  z
    .object({
      ok: z.literal(true),
      problem: problemSchema,
      attempts: z.number().int().min(0),
      records: z.object({ traces: recordList, pairs: recordList, steps: recordList, tree: z.record(z.string(), z.unknown()).optional() }).loose(),
      stats: z.record(z.string(), z.unknown()),
    })
    .loose(),
  z
    .object({
      ok: z.literal(false),
      problem: problemSchema,
      attempts: z.number().int().min(0),
      error: z.object({ code: z.string(), message: z.string() }).loose(),
    })
    .loose(),
]);

/**
 * Checks a job's result against the problem it was for. A result that does not parse is returned as
 * an error outcome (it is committed to errors.jsonl), never committed as records.
 */
export function parseJobResult(value: unknown, problem: Problem): ProblemOutcome {
  if (value === null || value === undefined) return { ok: false, problem, attempts: 1, error: { code: 'QUEUE_FAILED', message: 'a worker completed the job without a result' } };
  const r = resultSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, problem, attempts: 1, error: { code: 'QUEUE_FAILED', message: `a worker returned a malformed result (${issue.path.join('.') || '(root)'}: ${issue.message})` } };
  }
  if (r.data.problem.id !== problem.id) {
    return { ok: false, problem, attempts: 1, error: { code: 'QUEUE_FAILED', message: `a worker returned the result of problem ${JSON.stringify(r.data.problem.id)} for ${JSON.stringify(problem.id)}` } };
  }
  return r.data as unknown as ProblemOutcome;
}

/**
 * BullMQ job id of a problem in a run: `<runId>.<problem id>`, the id made safe for BullMQ (no ":",
 * bounded length) with a hash when that changed it. The same problem in the same run is one job.
 */
export function jobIdFor(runId: string, problemId: string): string {
  const safe = problemId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return safe === problemId ? `${runId}.${safe}` : `${runId}.${safe}-${hashHex(problemId, 8)}`;
}

/** The run id of a coordinator: its config hash and output directory (so a resumed run finds its jobs). */
export function runIdFor(configHash: string, outDirAbsolute: string): string {
  return hashHex(`${configHash}\u241e${outDirAbsolute}`, 16);
}
