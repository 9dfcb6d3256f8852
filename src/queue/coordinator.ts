// The coordinator's side of a queued run: one BullMQ job per problem (job id = run id + problem id,
// so adding it twice adds nothing), results collected as jobs complete (events, plus a poll that
// catches what an outage hid) and handed to the run, which commits them with its ledger. A job is
// removed from Redis only after its problem is committed, so a coordinator killed at any moment
// finds, on --resume, every result that finished while it was away. Delivery is at least once;
// the ledger makes records exactly once.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { McgError } from '../core/errors.js';
import type { Problem } from '../core/types.js';
import type { ProblemOutcome } from '../data/outcome.js';
import { VERSION } from '../version.js';
import { JOB_NAME, JOB_SCHEMA, jobIdFor, parseJobResult, type QueueJobData } from './protocol.js';
import { evictionPolicy, processLabel, redisClient, RedisWatch, runKeys, waitForRedis } from './redis.js';
import { DEFAULT_QUEUE_NAME, parseQueueTarget, type QueueTarget } from './target.js';

/** How a run reaches its queue (`RunOptions.queue`). */
export interface QueueRunOptions {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /** BullMQ queue name shared with the workers (default `mcts-gen`). */
  name?: string;
  /** Jobs enqueued and not yet committed, at most (default 256): bounds Redis memory and a stop's drain. */
  window?: number;
  /** Fail the run (resumable) once Redis has been unreachable this long (default 120 000 ms). */
  redisTimeoutMs?: number;
  /** The queue's figures, about once a second. */
  onStatus?: (status: QueueStatus) => void;
  /** Things the user should know: a worker's refusal, a risky eviction policy, no worker yet. */
  onNotice?: (message: string) => void;
}

/** The queue as the coordinator sees it. */
export interface QueueStatus {
  /** Worker processes connected to the queue (undefined when the server hides CLIENT LIST). */
  workers: number | undefined;
  /** Jobs of every run on this queue waiting for a worker (waiting, delayed and prioritised). */
  waiting: number;
  /** Jobs being searched now. */
  active: number;
  /** This run's jobs enqueued and not yet committed. */
  outstanding: number;
  /** Milliseconds Redis has been unreachable (0 while connected). */
  redisDownMs: number;
}

export interface CoordinatorRun {
  runId: string;
  config: unknown;
  configHash: string;
  baseDir: string;
  maxAttempts: number;
}

interface Waiter {
  problem: Problem;
  resolve: (outcome: ProblemOutcome) => void;
  reject: (err: unknown) => void;
}

const LOCK_TTL_MS = 15_000;
const LOCK_REFRESH_MS = 3_000;
const STATUS_MS = 1_000;
const POLL_EVERY_TICKS = 5;
const NO_WORKER_NOTICE_MS = 10_000;

const REFRESH_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const TAKE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export const DEFAULT_QUEUE_WINDOW = 256;

/** True when a lock token ("host:pid:uuid") names a process of this host that no longer runs. */
function deadHolderHere(token: string): boolean {
  const [host, pidText] = token.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function checkQueueOptions(options: QueueRunOptions): { target: QueueTarget; window: number; redisTimeoutMs: number } {
  const target = parseQueueTarget(options.url, options.name);
  const window = options.window ?? DEFAULT_QUEUE_WINDOW;
  if (!Number.isInteger(window) || window < 1 || window > 100_000) throw new McgError('CONFIG_INVALID', `queue window must be an integer in [1, 100000], got ${JSON.stringify(options.window)}`);
  const redisTimeoutMs = options.redisTimeoutMs ?? 120_000;
  if (!(redisTimeoutMs >= 1000)) throw new McgError('CONFIG_INVALID', `redisTimeoutMs must be at least 1000, got ${JSON.stringify(options.redisTimeoutMs)}`);
  return { target, window, redisTimeoutMs };
}

export class QueueCoordinator {
  private readonly waiters = new Map<string, Waiter>();
  private readonly pendingOps = new Set<Promise<unknown>>();
  private readonly lockToken = `${processLabel()}:${randomUUID()}`;
  private readonly seenRefusals = new Set<string>();
  private readonly watch: RedisWatch;
  private timers: NodeJS.Timeout[] = [];
  private failure: McgError | undefined;
  private closed = false;
  private ticks = 0;
  private noWorkerSince: number | undefined = Date.now();
  private noWorkerNoticed = false;
  /** What the last tick read from Redis (the rest of QueueStatus is derived when asked). */
  private counts: Pick<QueueStatus, 'workers' | 'waiting' | 'active'> = { workers: undefined, waiting: 0, active: 0 };

  private constructor(
    /** Jobs enqueued and not yet committed, at most. */
    readonly window: number,
    private readonly target: QueueTarget,
    private readonly run: CoordinatorRun,
    private readonly options: QueueRunOptions,
    private readonly redisTimeoutMs: number,
    private readonly client: Redis,
    private readonly eventsClient: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
  ) {
    this.watch = new RedisWatch(client);
  }

  /** Connects, takes the run's coordinator lock, and starts listening. */
  static async open(options: QueueRunOptions, run: CoordinatorRun): Promise<QueueCoordinator> {
    const { target, window, redisTimeoutMs } = checkQueueOptions(options);
    const client = redisClient(target, { connectionName: `mcts-gen-coordinator:${processLabel()}` });
    try {
      await waitForRedis(client, target, Math.min(redisTimeoutMs, 10_000));
    } catch (err) {
      client.disconnect();
      throw err;
    }
    const policy = await evictionPolicy(client);
    if (policy !== undefined && policy !== 'noeviction') {
      options.onNotice?.(`Redis at ${target.display} has maxmemory-policy ${policy}: under memory pressure it may evict queued jobs; set maxmemory-policy noeviction`);
    }
    const eventsClient = redisClient(target);
    const queue = new Queue(target.name, { connection: client });
    const events = new QueueEvents(target.name, { connection: eventsClient });
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    const c = new QueueCoordinator(window, target, run, options, redisTimeoutMs, client, eventsClient, queue, events);
    try {
      await c.takeLock();
      await events.waitUntilReady();
    } catch (err) {
      await c.close();
      throw err;
    }
    c.start();
    return c;
  }

  private async takeLock(): Promise<void> {
    const key = runKeys(this.target.name, this.run.runId).lock;
    // A killed coordinator's lock expires within LOCK_TTL_MS: wait that long for it before refusing,
    // unless its holder was a process on this host that is gone (then take it over at once).
    const deadline = Date.now() + LOCK_TTL_MS + 2 * LOCK_REFRESH_MS;
    for (;;) {
      const ok = await this.client.set(key, this.lockToken, 'PX', LOCK_TTL_MS, 'NX');
      if (ok === 'OK') return;
      const holder = await this.client.get(key);
      if (holder !== null && deadHolderHere(holder)) {
        const taken = await this.client.eval(TAKE_LOCK, 1, key, holder, this.lockToken, String(LOCK_TTL_MS));
        if (taken === 1) return;
      }
      if (Date.now() > deadline) {
        throw new McgError(
          'QUEUE_FAILED',
          `another coordinator (${(holder ?? 'unknown').split(':').slice(0, 2).join(':')}) is running this run (same settings and --out) on ${this.target.display}; stop it first`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private start(): void {
    const key = runKeys(this.target.name, this.run.runId).lock;
    this.timers.push(
      setInterval(() => {
        this.client
          .eval(REFRESH_LOCK, 1, key, this.lockToken, String(LOCK_TTL_MS))
          .then((n) => {
            if (n === 0 && this.watch.downForMs() === 0) {
              // Our lock expired (Redis lost it, or we were away longer than its TTL): take it back if free.
              return this.client.set(key, this.lockToken, 'PX', LOCK_TTL_MS, 'NX').then((ok) => {
                if (ok !== 'OK') this.fail(new McgError('QUEUE_FAILED', `another coordinator took over this run on ${this.target.display}; this one stops (its committed work stays)`));
              });
            }
            return undefined;
          })
          .catch(() => undefined);
      }, LOCK_REFRESH_MS),
    );
    this.timers.push(setInterval(() => void this.tick(), STATUS_MS));
    for (const t of this.timers) t.unref();
    const onFinished = ({ jobId }: { jobId: string }): void => {
      if (this.waiters.has(jobId)) this.track(this.check(jobId));
    };
    this.events.on('completed', onFinished);
    this.events.on('failed', onFinished);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined);
    this.pendingOps.add(q);
    void q.finally(() => this.pendingOps.delete(q));
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    this.ticks++;
    const down = this.watch.downForMs();
    if (down > this.redisTimeoutMs) {
      this.fail(new McgError('QUEUE_FAILED', `Redis at ${this.target.display} has been unreachable for ${Math.round(down / 1000)} s${this.watch.error === '' ? '' : ` (${this.watch.error})`}`));
      return;
    }
    if (down > 0) {
      this.options.onStatus?.(this.current);
      return;
    }
    try {
      const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
      this.counts.waiting = (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
      this.counts.active = counts.active ?? 0;
      this.counts.workers = await this.queue.getWorkersCount().catch(() => undefined);
      await this.readRefusals();
    } catch {
      // Redis went away mid-tick: the watchdog handles it.
    }
    if (this.counts.workers === 0 && this.waiters.size > 0) {
      this.noWorkerSince ??= Date.now();
      if (!this.noWorkerNoticed && Date.now() - this.noWorkerSince > NO_WORKER_NOTICE_MS) {
        this.noWorkerNoticed = true;
        this.options.onNotice?.(`no worker is connected to queue "${this.target.name}" on ${this.target.display}: start one with  mcts-gen worker --queue ${this.target.display}${this.target.name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${this.target.name}`}`);
      }
    } else if (this.counts.workers !== 0) {
      this.noWorkerSince = undefined;
      this.noWorkerNoticed = false;
    }
    this.options.onStatus?.(this.current);
    // Events can be missed while Redis restarts: every few ticks, look at each outstanding job.
    if (this.ticks % POLL_EVERY_TICKS === 0) for (const jobId of [...this.waiters.keys()]) this.track(this.check(jobId));
  }

  private async readRefusals(): Promise<void> {
    const all = await this.client.hgetall(runKeys(this.target.name, this.run.runId).refusals);
    // Fields are "worker|reason" (one per worker and reason), values the time of the refusal.
    for (const field of Object.keys(all)) {
      if (this.seenRefusals.has(field)) continue;
      this.seenRefusals.add(field);
      const cut = field.indexOf('|');
      const worker = field.slice(0, cut);
      const message = field.slice(cut + 1);
      this.options.onNotice?.(`worker ${worker} refuses this run's jobs: ${message}`);
    }
  }

  /** The latest queue figures. */
  get current(): QueueStatus {
    return { ...this.counts, outstanding: this.waiters.size, redisDownMs: this.watch.downForMs() };
  }

  /** Enqueues one problem (unless its job exists) and resolves with its outcome once a worker is done. */
  solve(problem: Problem): Promise<ProblemOutcome> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const jobId = jobIdFor(this.run.runId, problem.id);
    const result = new Promise<ProblemOutcome>((resolve, reject) => this.waiters.set(jobId, { problem, resolve, reject }));
    this.track(
      this.add(jobId, problem)
        .then(() => this.check(jobId))
        .catch((err: unknown) => this.settle(jobId, undefined, err)),
    );
    return result;
  }

  private add(jobId: string, problem: Problem): Promise<unknown> {
    const data: QueueJobData = {
      schema: JOB_SCHEMA,
      runId: this.run.runId,
      problem,
      config: this.run.config,
      configHash: this.run.configHash,
      version: VERSION,
      baseDir: this.run.baseDir,
      maxAttempts: this.run.maxAttempts,
    };
    return this.queue.add(JOB_NAME, data, { jobId, attempts: this.run.maxAttempts, removeOnComplete: false, removeOnFail: false });
  }

  /** Looks at a job: completed or failed settles its problem; a job that vanished is added again. */
  private async check(jobId: string): Promise<void> {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined) return;
    // The state first: completed and failed are final, so the job read after it holds the result
    // (a job read first could predate its completion and carry no result yet).
    const state = await this.queue.getJobState(jobId);
    if (state === 'unknown') {
      // Gone without a result (removed by hand, or lost by a Redis without persistence): run it again.
      await this.add(jobId, waiter.problem);
      return;
    }
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(this.queue, jobId);
    if (job === undefined) return;
    if (state === 'completed') {
      this.settle(jobId, parseJobResult(job.returnvalue, waiter.problem));
    } else {
      this.settle(jobId, { ok: false, problem: waiter.problem, attempts: Math.max(1, job.attemptsMade), error: { code: 'INTERNAL', message: `worker failed: ${job.failedReason || 'unknown reason'}` } });
    }
  }

  private settle(jobId: string, outcome: ProblemOutcome | undefined, err?: unknown): void {
    const waiter = this.waiters.get(jobId);
    if (waiter === undefined) return;
    this.waiters.delete(jobId);
    if (outcome !== undefined) waiter.resolve(outcome);
    else waiter.reject(err);
  }

  /** Removes the jobs of committed problems (after the ledger has them; a crash in between is harmless). */
  release(problemIds: Iterable<string>): void {
    for (const id of problemIds) this.track(this.queue.remove(jobIdFor(this.run.runId, id)));
  }

  private fail(err: McgError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const jobId of [...this.waiters.keys()]) this.settle(jobId, undefined, err);
  }

  /** Stops waiting for results: what is outstanding stays in the queue for a later --resume. */
  abandon(): void {
    this.fail(new McgError('ABORTED', 'the run was abandoned; its outstanding jobs stay in the queue'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const connected = this.watch.downForMs() === 0;
    if (connected) {
      await Promise.race([Promise.allSettled([...this.pendingOps]), new Promise((r) => setTimeout(r, 5000).unref())]);
      await this.client.eval(RELEASE_LOCK, 1, runKeys(this.target.name, this.run.runId).lock, this.lockToken).catch(() => undefined);
      await Promise.race([Promise.allSettled([this.events.close(), this.queue.close()]), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    this.client.disconnect();
    this.eventsClient.disconnect();
  }
}
