// The piscina pool that runs one search per task in worker threads. The main thread schedules,
// retries tasks whose worker died, and alone writes files; workers never touch the run directory.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { McgError } from '../core/errors.js';
import type { ProblemOutcome } from '../data/outcome.js';
import type { WorkerInit, WorkerTask } from './messages.js';

export interface PoolOptions {
  /** Worker threads (default: available cores). */
  workers?: number;
  /** Searches run concurrently in one worker (for backends that wait on the network; default 1). */
  concurrentPerWorker?: number;
}

/** Default worker count: the cores this process may use. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * The worker entry, which must be compiled JavaScript: next to this file in dist/, or (when this module
 * runs from TypeScript sources, as in the tests) the built copy in dist/, which `npm run build` writes.
 */
function workerEntry(): string {
  const candidates = [new URL('./worker.js', import.meta.url), new URL('../../dist/src/pool/worker.js', import.meta.url)];
  for (const url of candidates) if (existsSync(fileURLToPath(url))) return url.href;
  throw new McgError('PLUGIN_UNAVAILABLE', `the pool worker ${fileURLToPath(candidates[1])} is missing: run "npm run build" first`);
}

export function checkPoolOptions(options: PoolOptions): { workers: number; concurrentPerWorker: number } {
  const workers = options.workers ?? defaultWorkerCount();
  const concurrentPerWorker = options.concurrentPerWorker ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new McgError('CONFIG_INVALID', `workers must be an integer in [1, 256], got ${JSON.stringify(options.workers)}`);
  }
  if (!Number.isInteger(concurrentPerWorker) || concurrentPerWorker < 1 || concurrentPerWorker > 1024) {
    throw new McgError('CONFIG_INVALID', `concurrentPerWorker must be an integer in [1, 1024], got ${JSON.stringify(options.concurrentPerWorker)}`);
  }
  return { workers, concurrentPerWorker };
}

export class SearchPool {
  private readonly pool: Piscina;
  private readonly abortFlag = new Int32Array(new SharedArrayBuffer(4));
  readonly workers: number;
  readonly concurrentPerWorker: number;

  constructor(options: PoolOptions = {}) {
    const { workers, concurrentPerWorker } = checkPoolOptions(options);
    this.workers = workers;
    this.concurrentPerWorker = concurrentPerWorker;
    const init: WorkerInit = { abortFlag: this.abortFlag };
    this.pool = new Piscina({
      filename: workerEntry(),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: concurrentPerWorker,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Worker threads start with a small young generation; searches allocate many short-lived objects,
      // and with the default they ran about 25 % slower than the same search on the main thread.
      resourceLimits: { maxYoungGenerationSizeMb: 48 },
      workerData: init,
    });
    // A worker that dies is replaced by piscina; its task's promise rejects and the caller retries it.
    this.pool.on('error', () => undefined);
  }

  /** Tasks the pool can usefully hold at once (the scheduler keeps twice this many submitted). */
  get capacity(): number {
    return this.workers * this.concurrentPerWorker;
  }

  /** True once `abandon()` was called. */
  get abandoned(): boolean {
    return Atomics.load(this.abortFlag, 0) !== 0;
  }

  /** Searches one problem in a worker. Rejects when the worker dies or the run is abandoned. */
  run(task: WorkerTask): Promise<ProblemOutcome> {
    return this.pool.run(task) as Promise<ProblemOutcome>;
  }

  /** Asks every search in flight to stop at its next check (cooperative; no thread is terminated). */
  abandon(): void {
    Atomics.store(this.abortFlag, 0, 1);
  }

  /** Stops the workers once their tasks are done. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
