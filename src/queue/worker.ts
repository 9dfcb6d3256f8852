// A queue worker: takes search jobs from BullMQ and runs each on this box's piscina pool, returning
// the problem's outcome as the job's result. It never writes a run directory.
// - A job from another package version, or whose config hashes differently here, is refused: put
//   back for another worker (never failed), reported on stderr and to the coordinator.
// - A worker that dies mid-job loses nothing: its job's lock expires and BullMQ's stalled-job check
//   (run by every live worker) puts the job back. A problem whose workers died `maxAttempts` times
//   returns an error outcome, which the coordinator commits to errors.jsonl like a local failure.
// - close(): no new jobs; those in flight finish. abandon(): those in flight stop and go back to the
//   queue without counting an attempt.

import { DelayedError, Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseConfig, type Config } from '../core/config.js';
import { isMcgError, McgError, toErrorData } from '../core/errors.js';
import { configHash, type ProblemOutcome } from '../data/outcome.js';
import { SearchPool, checkPoolOptions } from '../pool/pool.js';
import { VERSION } from '../version.js';
import { parseJobData, type QueueJobData } from './protocol.js';
import { processLabel, redisClient, RedisWatch, runKeys, waitForRedis } from './redis.js';
import { parseQueueTarget, type QueueTarget } from './target.js';

export interface QueueWorkerOptions {
  url: string;
  name?: string;
  /** Pool threads (default: available cores). */
  workers?: number;
  concurrentPerWorker?: number;
  /** Replaces the coordinator's directory for relative plugin paths (`--base-dir`). */
  baseDir?: string;
  /**
   * How long a job stays locked to this worker without a renewal (default 30 000 ms; renewed every
   * half of it). Also the stalled-job check's period: a dead worker's jobs return within about twice this.
   */
  lockDurationMs?: number;
  /** Events: a job started, ended, was refused or put back; Redis lost or back. */
  onEvent?: (event: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { event: 'ready'; worker: string; threads: number; queue: string }
  | { event: 'done'; jobId: string; problemId: string; ok: boolean; ms: number; generatedTokens: number }
  | { event: 'returned'; jobId: string; problemId: string }
  | { event: 'refused'; jobId: string; runId: string; reason: string }
  | { event: 'error'; jobId?: string; message: string }
  | { event: 'redis'; connected: boolean; message?: string };

/** A running queue worker. */
export interface QueueWorkerHandle {
  readonly label: string;
  readonly threads: number;
  /** Jobs finished (committed or not, that is the coordinator's business), refused, returned. */
  readonly counts: { done: number; failed: number; refused: number; returned: number; active: number };
  /** Takes no new job and resolves once those in flight have finished and been handed back. */
  close(): Promise<void>;
  /** Stops the searches in flight at their next check and puts their jobs back in the queue. */
  abandon(): void;
}

const REFUSAL_TTL_S = 24 * 3600;
const REFUSAL_DELAY_MS = 2000;

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const target: QueueTarget = parseQueueTarget(options.url, options.name);
  const { workers: threads, concurrentPerWorker } = checkPoolOptions({ workers: options.workers, concurrentPerWorker: options.concurrentPerWorker });
  const lockDuration = options.lockDurationMs ?? 30_000;
  if (!Number.isInteger(lockDuration) || lockDuration < 1000) throw new McgError('CONFIG_INVALID', `lock duration must be an integer of at least 1000 ms, got ${JSON.stringify(options.lockDurationMs)}`);
  const label = processLabel();
  const emit = (e: QueueWorkerEvent): void => options.onEvent?.(e);

  const client = redisClient(target, { connectionName: `mcts-gen-worker:${label}` });
  try {
    await waitForRedis(client, target, 10_000);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  const pool = new SearchPool({ workers: threads, concurrentPerWorker });
  const counts = { done: 0, failed: 0, refused: 0, returned: 0, active: 0 };
  const configs = new Map<string, Config>();
  const reported = new Set<string>();
  let abandoning = false;

  /** Refuses a job: told once per run and reason, and put back (delayed) for a worker that can take it. */
  const refuse = async (job: Job, token: string | undefined, data: { runId: string }, reason: string): Promise<never> => {
    counts.refused++;
    const key = `${data.runId}\u241e${reason}`;
    if (!reported.has(key)) {
      reported.add(key);
      emit({ event: 'refused', jobId: job.id ?? '', runId: data.runId, reason });
      const refusals = runKeys(target.name, data.runId).refusals;
      await client.multi().hset(refusals, `${label}|${reason.slice(0, 1000)}`, String(Date.now())).expire(refusals, REFUSAL_TTL_S).exec().catch(() => undefined);
    }
    await job.moveToDelayed(Date.now() + REFUSAL_DELAY_MS, token);
    throw new DelayedError();
  };

  const processor = async (job: Job, token?: string): Promise<ProblemOutcome> => {
    let data: QueueJobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      const runId = typeof (job.data as { runId?: unknown })?.runId === 'string' ? String((job.data as { runId: string }).runId).slice(0, 64) : 'unknown';
      return refuse(job, token, { runId }, (err as Error).message);
    }
    if (data.version !== VERSION) {
      return refuse(job, token, data, `the run was started by mcts-gen ${data.version} and this worker is ${VERSION}: run workers of the coordinator's version`);
    }
    let config = configs.get(data.configHash);
    if (config === undefined) {
      try {
        config = parseConfig(data.config);
      } catch (err) {
        return refuse(job, token, data, `the run's config does not validate here: ${toErrorData(err).message}`);
      }
      const here = configHash(config);
      if (here !== data.configHash) {
        return refuse(job, token, data, `the run's config hashes to ${here} here but to ${data.configHash} on the coordinator (different defaults or plugins): run workers of the coordinator's version`);
      }
      configs.set(data.configHash, config);
    }
    // Workers lost this job this many times (BullMQ's stalled count): past the limit it is an error.
    if (job.stalledCounter >= data.maxAttempts) {
      counts.failed++;
      const outcome: ProblemOutcome = {
        ok: false,
        problem: data.problem,
        attempts: job.stalledCounter,
        error: { code: 'INTERNAL', message: `worker failed: the job lost its worker ${job.stalledCounter} times while searching this problem (the worker process died, or could not renew its lock)` },
      };
      emit({ event: 'done', jobId: job.id ?? '', problemId: data.problem.id, ok: false, ms: 0, generatedTokens: 0 });
      return outcome;
    }
    counts.active++;
    const started = performance.now();
    try {
      const outcome = await pool.run({ problem: data.problem, config, baseDir: options.baseDir ?? data.baseDir, maxAttempts: data.maxAttempts });
      counts.done++;
      if (!outcome.ok) counts.failed++;
      emit({ event: 'done', jobId: job.id ?? '', problemId: data.problem.id, ok: outcome.ok, ms: Math.round(performance.now() - started), generatedTokens: outcome.ok ? outcome.stats.usage.generatedTokens : 0 });
      return outcome;
    } catch (err) {
      if (abandoning || pool.abandoned) {
        counts.returned++;
        await job.moveToWait(token);
        emit({ event: 'returned', jobId: job.id ?? '', problemId: data.problem.id });
        throw new WaitingError();
      }
      // A pool thread died: a failed attempt, which BullMQ retries up to the job's attempts.
      emit({ event: 'error', jobId: job.id ?? '', message: toErrorData(err).message });
      throw err;
    } finally {
      counts.active--;
    }
  };

  const worker = new Worker(target.name, processor, {
    connection: client,
    concurrency: pool.capacity,
    lockDuration,
    stalledInterval: lockDuration,
    // Stalls are counted against the run's maxAttempts by the processor (stalledCounter), which
    // turns them into an error outcome; BullMQ's own limit is only a backstop.
    maxStalledCount: 1000,
    name: `mcts-gen-worker:${label}`,
    autorun: false,
  });
  const watch = new RedisWatch(client);
  let wasDown = false;
  const redisTimer = setInterval(() => {
    const down = watch.downForMs() > 0;
    if (down !== wasDown) emit({ event: 'redis', connected: !down, message: down ? watch.error : undefined });
    wasDown = down;
  }, 1000);
  redisTimer.unref();
  worker.on('error', (err) => {
    if (isMcgError(err)) emit({ event: 'error', message: err.message });
  });
  void worker.run().catch((err: unknown) => emit({ event: 'error', message: toErrorData(err).message }));
  await worker.waitUntilReady();
  emit({ event: 'ready', worker: label, threads: pool.capacity, queue: `${target.display} (queue "${target.name}")` });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await worker.close();
      clearInterval(redisTimer);
      await pool.close();
      client.disconnect();
    })();
    return closing;
  };
  return {
    label,
    threads: pool.capacity,
    counts,
    close,
    abandon: () => {
      abandoning = true;
      pool.abandon();
      void close();
    },
  };
}
