// Host side of the guarded evaluation worker: a single worker thread running one comparison at a time,
// terminated and replaced when a comparison overruns `timeoutMs` (or the caller aborts), so hostile input
// cannot stall or crash the host. Works from built JavaScript and from TypeScript sources (vitest, tsx).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { McgError } from '../../src/core/index.js';
import type { CompareOptions, Comparison } from './answer-compare.js';
import { WORKER_MARKER, WORKER_PROTOCOL, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

export interface GuardOptions {
  /** Heap limit of the worker (MB); a comparison that exhausts it returns `too_large`. Default 256. */
  memoryLimitMb?: number;
}

/** Time a fresh worker may take to load (tsx + mathjs) before it counts as failed. */
const STARTUP_TIMEOUT_MS = 60_000;

interface Task {
  req: WorkerRequest;
  timeoutMs: number;
  resolve(c: Comparison): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

/** How to start the worker: the compiled `.js` beside this file, or the `.ts` source through tsx. */
function spawnWorker(memoryLimitMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: memoryLimitMb };
  const workerData = { marker: WORKER_MARKER };
  const jsUrl = new URL('./eval-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(jsUrl))) return new Worker(jsUrl, { resourceLimits, workerData });
  const tsUrl = new URL('./eval-worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(tsUrl))) throw new McgError('PLUGIN_UNAVAILABLE', `math evaluation worker not found beside ${fileURLToPath(import.meta.url)}`);
  // Running from TypeScript sources: register tsx inside the worker, then load the entry.
  const require = createRequire(import.meta.url);
  let api: string;
  try {
    api = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch (err) {
    throw new McgError('PLUGIN_UNAVAILABLE', 'running the math verifier from TypeScript sources needs tsx (or build it with tsc)', { cause: err });
  }
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(tsUrl.href)}); });`;
  return new Worker(code, { eval: true, resourceLimits, workerData });
}

/**
 * Runs comparisons in a worker thread with a hard time limit. Requests queue and run one at a time;
 * the queue's order is the call order.
 */
export class WorkerGuard {
  private worker: Worker | null = null;
  private ready = false;
  private readonly queue: Task[] = [];
  private current: Task | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;
  /** Workers started so far (1 + replacements after timeouts or crashes). */
  spawned = 0;

  constructor(private readonly options: GuardOptions) {}

  /**
   * Compares `gold` and `pred` in the worker, at most `timeoutMs` once started. Resolves `timeout` when the
   * worker overruns (the worker is then replaced), `too_large` when it runs out of memory; rejects with
   * `ABORTED` if `signal` fires.
   */
  run(gold: string, pred: string, options: CompareOptions, timeoutMs: number, signal?: AbortSignal): Promise<Comparison> {
    if (this.closed) return Promise.reject(new McgError('INTERNAL', 'the math evaluation worker is closed'));
    if (signal?.aborted) return Promise.reject(new McgError('ABORTED', 'the operation was aborted', { cause: signal.reason }));
    return new Promise<Comparison>((resolve, reject) => {
      const task: Task = { req: { v: WORKER_PROTOCOL, id: this.nextId++, gold, pred, options }, timeoutMs, resolve, reject, signal, onAbort: null };
      if (signal !== undefined) {
        task.onAbort = () => this.abortTask(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.queue.push(task);
      this.pump();
    });
  }

  /** True once `close` ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Terminates the worker; queued comparisons reject. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.queue];
    this.queue.length = 0;
    if (this.current !== null) pending.push(this.current);
    this.current = null;
    this.clearTimer();
    for (const t of pending) this.settle(t, () => t.reject(new McgError('INTERNAL', 'the math evaluation worker was closed')));
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker;
    const w = spawnWorker(this.options.memoryLimitMb ?? 256);
    this.spawned++;
    this.ready = false;
    w.on('message', (msg: WorkerResponse) => this.onMessage(w, msg));
    w.on('error', (err) => this.onFailure(w, err));
    w.on('exit', (code) => this.onFailure(w, new Error(`worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.current !== null || this.closed) return;
    const task = this.queue.shift();
    if (task === undefined) {
      this.worker?.unref();
      return;
    }
    this.current = task;
    let w: Worker;
    try {
      w = this.ensureWorker();
    } catch (err) {
      this.current = null;
      this.settle(task, () => task.reject(err));
      this.pump();
      return;
    }
    w.ref();
    if (this.ready) this.start(w, task);
    else this.timer = setTimeout(() => this.onStartupTimeout(w, task), STARTUP_TIMEOUT_MS);
  }

  private onStartupTimeout(w: Worker, task: Task): void {
    if (this.current !== task || w !== this.worker) return;
    this.onFailure(w, new Error(`the worker did not start within ${STARTUP_TIMEOUT_MS} ms`));
    void w.terminate();
  }

  private start(w: Worker, task: Task): void {
    w.postMessage(task.req);
    this.timer = setTimeout(() => this.onTimeout(task), task.timeoutMs);
  }

  private onMessage(w: Worker, msg: WorkerResponse): void {
    if (w !== this.worker) return;
    if ('ready' in msg) {
      this.ready = true;
      this.clearTimer();
      if (this.current !== null) this.start(w, this.current);
      return;
    }
    const task = this.current;
    if (task === null || msg.id !== task.req.id) return;
    this.clearTimer();
    this.current = null;
    if ('error' in msg) this.settle(task, () => task.reject(McgError.fromJSON(msg.error)));
    else this.settle(task, () => task.resolve(msg.result));
    this.pump();
  }

  private onTimeout(task: Task): void {
    if (this.current !== task) return;
    this.timer = null;
    this.current = null;
    this.replaceWorker();
    this.settle(task, () => task.resolve({ equal: false, reason: 'timeout', detail: `evaluation exceeded ${task.timeoutMs} ms` }));
    this.pump();
  }

  private onFailure(w: Worker, err: Error): void {
    if (w !== this.worker) return;
    this.worker = null;
    this.ready = false;
    const task = this.current;
    this.current = null;
    this.clearTimer();
    if (task !== null) {
      const oom = /memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${(err as { code?: string }).code ?? ''} ${err.message}`);
      if (oom) this.settle(task, () => task.resolve({ equal: false, reason: 'too_large', detail: 'evaluation ran out of memory' }));
      else this.settle(task, () => task.reject(new McgError('PLUGIN_FAILED', `math evaluation worker failed: ${err.message}`, { cause: err })));
    }
    this.pump();
  }

  private abortTask(task: Task): void {
    const idx = this.queue.indexOf(task);
    if (idx >= 0) this.queue.splice(idx, 1);
    else if (this.current === task) {
      this.current = null;
      this.clearTimer();
      this.replaceWorker();
    } else return;
    this.settle(task, () => task.reject(new McgError('ABORTED', 'the operation was aborted', { cause: task.signal?.reason })));
    this.pump();
  }

  private replaceWorker(): void {
    const w = this.worker;
    this.worker = null;
    this.ready = false;
    if (w !== null) void w.terminate();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private settle(task: Task, fn: () => void): void {
    if (task.onAbort !== null) task.signal?.removeEventListener('abort', task.onAbort);
    task.onAbort = null;
    fn();
  }
}

/** Idle time after the last checker releases a shared guard before its worker is terminated (ms). */
const SHARED_IDLE_MS = 5000;

interface SharedEntry {
  guard: WorkerGuard;
  users: number;
  idle: NodeJS.Timeout | null;
}

const sharedGuards = new Map<number, SharedEntry>();

/**
 * A process-wide guard per heap limit, shared by all checkers (starting a worker loads mathjs, which costs
 * far more than a comparison). Pair every call with `releaseSharedGuard`; the worker is terminated
 * `SHARED_IDLE_MS` after the last release, and never keeps the process alive while idle.
 */
export function acquireSharedGuard(memoryLimitMb: number): WorkerGuard {
  let e = sharedGuards.get(memoryLimitMb);
  if (e === undefined || e.guard.isClosed) {
    e = { guard: new WorkerGuard({ memoryLimitMb }), users: 0, idle: null };
    sharedGuards.set(memoryLimitMb, e);
  }
  if (e.idle !== null) clearTimeout(e.idle);
  e.idle = null;
  e.users++;
  return e.guard;
}

/** Releases a guard taken with `acquireSharedGuard`. */
export function releaseSharedGuard(guard: WorkerGuard): void {
  for (const [key, e] of sharedGuards) {
    if (e.guard !== guard) continue;
    e.users = Math.max(0, e.users - 1);
    if (e.users === 0 && e.idle === null) {
      e.idle = setTimeout(() => {
        if (e.users > 0) return;
        sharedGuards.delete(key);
        void e.guard.close();
      }, SHARED_IDLE_MS);
      e.idle.unref();
    }
    return;
  }
}

/** Terminates every shared worker now (tests, shutdown). */
export async function closeSharedGuards(): Promise<void> {
  const all = [...sharedGuards.values()];
  sharedGuards.clear();
  for (const e of all) if (e.idle !== null) clearTimeout(e.idle);
  await Promise.all(all.map((e) => e.guard.close()));
}
