// A whole run into a directory: reads problems (from a file or an iterable), keeps this shard's,
// skips those a resumed run already committed, searches the rest in this process or on a worker pool,
// commits each problem's records, reports progress, and writes summary.json.
// Graceful stop: `shouldStop()` ends after the problems in flight; `signal` abandons them.

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultRegistry } from './builtin-plugins.js';
import { parseConfig, type Config, type ConfigInput } from './core/config.js';
import { McgError, isMcgError, toErrorData } from './core/errors.js';
import { hash32 } from './core/hash.js';
import type { PluginEnv, PluginRegistry } from './core/plugin.js';
import type { Problem } from './core/types.js';
import { configHash, type ProblemOutcome } from './data/outcome.js';
import { parseProblemLine, readProblems } from './data/problems.js';
import type { RunSummary } from './data/summary.js';
import { RunWriter } from './data/writer.js';
import { PluginCache, solveProblem } from './generate.js';
import { SearchPool, checkPoolOptions } from './pool/pool.js';
import type { QueueCoordinator, QueueRunOptions, QueueStatus } from './queue/coordinator.js';

/** Progress of a run, reported after every committed problem. */
export interface RunProgress {
  /** Problems committed in this invocation (resumed ones excluded). */
  done: number;
  /** Problems this invocation will attempt, when known. */
  total: number | undefined;
  /** Problems skipped because a resumed run had already committed them. */
  skipped: number;
  succeeded: number;
  solved: number;
  failures: number;
  generatedTokens: number;
  elapsedMs: number;
  lastProblemId: string;
  lastOk: boolean;
  /** Workers seen and jobs waiting/active, for a run through a queue. */
  queue?: QueueStatus;
}

/** The progress of a run before its first commit. */
export function emptyProgress(total?: number): RunProgress {
  return { done: 0, total, skipped: 0, succeeded: 0, solved: 0, failures: 0, generatedTokens: 0, elapsedMs: 0, lastProblemId: '', lastOk: true };
}

/** A deterministic slice of the problems: those whose id hashes to `index` modulo `count`. */
export interface Shard {
  index: number;
  count: number;
}

export interface RunOptions {
  outDir: string;
  /** Problems: a JSONL file (read as published) or any iterable of problems. */
  input: { file: string } | { problems: Iterable<Problem> | AsyncIterable<Problem>; total?: number };
  config?: ConfigInput | Config;
  /** Plugin kinds for in-process runs. Workers use the built-in kinds plus `config.pluginModules`. */
  registry?: PluginRegistry;
  env?: PluginEnv;
  resume?: boolean;
  overwrite?: boolean;
  fsync?: boolean;
  /** Attempts per problem (plugin faults and worker deaths) before it goes to errors.jsonl (default 2). */
  maxAttempts?: number;
  /** Worker threads; 0 (default) searches in this process. Ignored with `queue`. */
  workers?: number;
  /**
   * Search through a Redis queue instead (BullMQ): each problem becomes a job that `mcts-gen worker`
   * processes on any box; results are committed here, with the same ledger, files and resume.
   */
  queue?: QueueRunOptions;
  /** Searches per worker at once (network-bound backends). */
  concurrentPerWorker?: number;
  /** Commit problems in input order (otherwise in the order they finish; the set is the same). */
  ordered?: boolean;
  shard?: Shard;
  /** Abandons the problems in flight (nothing partial is written) and rejects with ABORTED. */
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Polled before each new problem: true stops taking problems; those in flight finish and commit. */
  shouldStop?: () => boolean;
  now?: () => number;
}

export interface RunResult {
  summary: RunSummary;
  /** True when the run stopped before reading every problem (shouldStop). */
  stoppedEarly: boolean;
  progress: RunProgress;
}

/** Parses "i/N" (0 <= i < N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m === null ? Number.NaN : Number(m[1]);
  const count = m === null ? Number.NaN : Number(m[2]);
  if (!(count >= 1 && index >= 0 && index < count)) throw new McgError('CONFIG_INVALID', `--shard must be i/N with 0 <= i < N (e.g. 0/4), got ${JSON.stringify(text)}`);
  return { index, count };
}

/** True when `problemId` belongs to `shard`. Stable across machines and versions (a fixed hash). */
export function inShard(problemId: string, shard: Shard | undefined): boolean {
  return shard === undefined || hash32(problemId) % shard.count === shard.index;
}

/** Ids of the readable problems of a JSONL file (bad lines skipped), in order, without keeping the rows. */
export async function scanProblemIds(file: string): Promise<string[]> {
  const ids: string[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const parsed = parseProblemLine(line);
    if (parsed.ok) ids.push(parsed.problem.id);
  }
  return ids;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the configured search over every problem and writes the run directory. */
export async function runToDirectory(options: RunOptions): Promise<RunResult> {
  const config = parseConfig(options.config ?? {});
  const now = options.now ?? (() => performance.now());
  const env = options.env ?? { baseDir: process.cwd() };
  const maxAttempts = options.maxAttempts ?? 2;
  const poolOptions = options.queue === undefined && (options.workers ?? 0) > 0 ? checkPoolOptions({ workers: options.workers, concurrentPerWorker: options.concurrentPerWorker }) : undefined;
  if ((poolOptions !== undefined || options.queue !== undefined) && options.registry !== undefined) {
    throw new McgError('CONFIG_INVALID', `a plugin registry cannot cross into ${options.queue === undefined ? 'worker threads' : 'queue workers'}: name plugin modules in config.pluginModules${options.queue === undefined ? ', or run with workers: 0' : ''}`);
  }
  const hash = configHash(config);
  // Redis first: a run that cannot reach its queue leaves no run directory behind.
  let coordinator: QueueCoordinator | undefined;
  if (options.queue !== undefined) {
    const { QueueCoordinator, runIdFor } = await import('./queue/index.js');
    coordinator = await QueueCoordinator.open(options.queue, { runId: runIdFor(hash, resolve(options.outDir)), config, configHash: hash, baseDir: env.baseDir, maxAttempts });
  }
  let writer: RunWriter;
  try {
    writer = RunWriter.open(options.outDir, config, { resume: options.resume, overwrite: options.overwrite, fsync: options.fsync });
  } catch (err) {
    await coordinator?.close();
    throw err;
  }
  // A coordinator killed between a commit and removing that problem's job left the job behind.
  if (coordinator !== undefined) coordinator.release([...writer.finished].slice(-coordinator.window));
  const started = now();

  let total: number | undefined;
  let problems: Iterable<Problem> | AsyncIterable<Problem>;
  if ('file' in options.input) {
    const ids = await scanProblemIds(options.input.file);
    total = ids.filter((id) => inShard(id, options.shard) && !writer.finished.has(id)).length;
    problems = readProblems(options.input.file, { onBadInput: config.onBadInput, onBadLine: (bad) => writer.reject(bad) });
  } else {
    problems = options.input.problems;
    if (Array.isArray(problems)) total = (problems as Problem[]).filter((p) => inShard(p.id, options.shard) && !writer.finished.has(p.id)).length;
    else if (options.input.total !== undefined) total = Math.max(0, options.input.total - writer.finished.size);
  }

  const progress = emptyProgress(total);
  const commit = (outcome: ProblemOutcome): void => {
    writer.commit(outcome);
    coordinator?.release([outcome.problem.id]);
    progress.done++;
    progress.lastProblemId = outcome.problem.id;
    progress.lastOk = outcome.ok;
    if (outcome.ok) {
      if (outcome.stats.success) progress.succeeded++;
      if (outcome.stats.solved) progress.solved++;
      progress.generatedTokens += outcome.stats.usage.generatedTokens;
    } else {
      progress.failures++;
    }
    progress.elapsedMs = now() - started;
    if (coordinator !== undefined) progress.queue = coordinator.current;
    options.onProgress?.({ ...progress });
  };

  const pool = poolOptions === undefined ? undefined : new SearchPool(poolOptions);
  // Plugins are built only where searches run: in this process (not with a pool or a queue).
  const cache = pool === undefined && coordinator === undefined ? new PluginCache(config, options.registry ?? defaultRegistry, env) : undefined;
  const onAbort = (): void => {
    pool?.abandon();
    coordinator?.abandon();
  };
  options.signal?.addEventListener('abort', onAbort);

  /** One problem: in this process, or in a worker (retried when its worker dies). */
  const solve = async (problem: Problem): Promise<ProblemOutcome> => {
    if (coordinator !== undefined) return coordinator.solve(problem);
    if (pool === undefined) return solveProblem(problem, config, cache!, { signal: options.signal, maxAttempts, now: options.now, hash });
    let lastError = 'not attempted';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        return await pool.run({ problem, config, baseDir: env.baseDir, maxAttempts });
      } catch (err) {
        if (pool.abandoned || options.signal?.aborted) throw new McgError('ABORTED', 'the run was abandoned', { cause: err });
        lastError = toErrorData(err).message;
      }
    }
    return { ok: false, problem, attempts: maxAttempts, error: { code: 'INTERNAL', message: `worker failed: ${lastError}` } };
  };

  let stoppedEarly = false;
  const inFlight = new Map<number, Promise<{ seq: number; outcome: ProblemOutcome }>>();
  const ready = new Map<number, ProblemOutcome>();
  let nextSeq = 0;
  let nextCommit = 0;
  const maxInFlight = coordinator !== undefined ? coordinator.window : pool === undefined ? 1 : pool.capacity * 2;
  const settleOne = async (): Promise<void> => {
    const { seq, outcome } = await Promise.race(inFlight.values());
    inFlight.delete(seq);
    if (options.ordered !== true) {
      commit(outcome);
      return;
    }
    ready.set(seq, outcome);
    while (ready.has(nextCommit)) {
      commit(ready.get(nextCommit)!);
      ready.delete(nextCommit++);
    }
  };

  try {
    try {
      for await (const problem of problems) {
        // Let signals and timers run between problems even when every plugin answers synchronously.
        await yieldToEventLoop();
        if (options.shouldStop?.() === true) {
          stoppedEarly = true;
          break;
        }
        if (options.signal?.aborted) throw new McgError('ABORTED', 'the run was abandoned');
        if (!inShard(problem.id, options.shard)) continue;
        if (writer.finished.has(problem.id)) {
          progress.skipped++;
          continue;
        }
        const seq = nextSeq++;
        inFlight.set(seq, solve(problem).then((outcome) => ({ seq, outcome })));
        while (inFlight.size >= maxInFlight) await settleOne();
      }
      while (inFlight.size > 0) await settleOne();
    } catch (err) {
      // Abandon what is in flight: nothing partial is committed.
      pool?.abandon();
      coordinator?.abandon();
      await Promise.allSettled(inFlight.values());
      if (isMcgError(err, 'ABORTED') || options.signal?.aborted) throw new McgError('ABORTED', 'the run was abandoned', { cause: err });
      throw err;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await cache?.close();
    await pool?.close();
    await coordinator?.close();
    // Whatever happened, what was committed stays committed and the summary describes it.
    writer.close();
  }
  progress.elapsedMs = now() - started;
  return { summary: writer.summary(), stoppedEarly, progress };
}
