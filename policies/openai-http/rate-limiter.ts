// Client-side limits per backend server: requests in flight, request starts and tokens per sliding
// window, and a pause after a 429 that named a `Retry-After`. A module-level registry keyed by the
// server's origin makes every search (and every plugin) in this process share one budget per server.
// Imports only src/core.

import { abortedError, onAbort } from './backoff.js';

/** Limits of one server, as configured by a plugin. */
export interface RateLimits {
  /** Requests in flight at once, >= 1. */
  maxConcurrency: number;
  /** Request starts allowed in any window of `windowMs`; null = unlimited. */
  requestsPerWindow: number | null;
  /** Tokens (prompt + generated) allowed in any window of `windowMs`; null = unlimited. */
  tokensPerWindow: number | null;
  /** Length of the sliding window in ms (60 000 for per-minute limits). */
  windowMs: number;
}

/** A granted slot: call `release` exactly once when the request is over (later calls are ignored). */
export interface Permit {
  /**
   * Frees the concurrency slot. `tokensUsed`, when known from the response, replaces the estimate this
   * request was admitted with in the tokens window; a failed request passes 0.
   */
  release(tokensUsed?: number): void;
}

interface Waiter {
  tokens: number;
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  unsubscribe: () => void;
}

interface TokenEntry {
  at: number;
  tokens: number;
  /** True while the entry is inside the window (counted in the running total). */
  live: boolean;
}

/** A FIFO of timestamps-ordered items with O(1) amortised removal from the front. */
class Window<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The i-th oldest item. */
  at(i: number): T {
    return this.items[this.head + i];
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes the oldest item. */
  shift(): T {
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Admits requests first come, first served, while all limits hold: fewer than `maxConcurrency` in
 * flight, fewer than `requestsPerWindow` starts and at most `tokensPerWindow` tokens in the last
 * `windowMs`, and not paused. A request larger than the whole token budget is admitted alone into an
 * empty window rather than never. Waiting is cancelled by the caller's AbortSignal (`ABORTED`).
 */
export class RequestLimiter {
  private limits: RateLimits;
  private readonly now: () => number;
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  // Only kept while the matching limit is set: with no limit nothing is recorded.
  private readonly starts = new Window<number>();
  private readonly spent = new Window<TokenEntry>();
  private spentTotal = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(limits: RateLimits, now: () => number = () => performance.now()) {
    this.limits = { ...limits };
    this.now = now;
  }

  /** Current limits (a copy). */
  get current(): RateLimits {
    return { ...this.limits };
  }

  /** Requests admitted and not yet released. */
  get active(): number {
    return this.inFlight;
  }

  /** Requests waiting to be admitted. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Keeps the stricter of the current limits and `other`: the lower concurrency, and per window kind
   * the lower rate (compared per ms when the windows differ). Lets several plugin configs share a server.
   */
  tighten(other: RateLimits): void {
    const a = this.limits;
    const pick = (x: number | null, wx: number, y: number | null, wy: number): [number | null, number] => {
      if (x === null) return [y, wy];
      if (y === null) return [x, wx];
      return x / wx <= y / wy ? [x, wx] : [y, wy];
    };
    const [requests, wr] = pick(a.requestsPerWindow, a.windowMs, other.requestsPerWindow, other.windowMs);
    const [tokens, wt] = pick(a.tokensPerWindow, a.windowMs, other.tokensPerWindow, other.windowMs);
    // One window for both kinds: when the winners disagree, scale the token limit onto the request window.
    const windowMs = requests !== null ? wr : wt;
    this.limits = {
      maxConcurrency: Math.min(a.maxConcurrency, other.maxConcurrency),
      requestsPerWindow: requests,
      tokensPerWindow: tokens === null ? null : Math.max(1, Math.floor((tokens * windowMs) / wt)),
      windowMs,
    };
    this.pump();
  }

  /** Admits nobody before `until` (limiter clock, ms). Used after a 429 with `Retry-After`. */
  pauseUntil(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
    this.pump();
  }

  /**
   * Waits until a request of about `estimatedTokens` may start, then counts it as started.
   * Rejects with `ABORTED` if `signal` fires first (the request never counts).
   */
  acquire(estimatedTokens: number, signal: AbortSignal): Promise<Permit> {
    if (signal.aborted) return Promise.reject(abortedError('waiting for the rate limiter', signal));
    const tokens = Math.max(0, Math.ceil(estimatedTokens));
    // Fast path: nobody waiting and every limit holds now.
    if (this.queue.length === 0 && this.inFlight < this.limits.maxConcurrency) {
      const now = this.now();
      this.prune(now);
      if (this.readyAt(tokens, now) <= now) return Promise.resolve(this.grant(tokens, now));
    }
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { tokens, resolve, reject, unsubscribe: () => undefined };
      waiter.unsubscribe = onAbort(signal, () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortedError('waiting for the rate limiter', signal));
        this.pump();
      });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private prune(now: number): void {
    const from = now - this.limits.windowMs;
    while (this.starts.size > 0 && this.starts.at(0) <= from) this.starts.shift();
    while (this.spent.size > 0 && this.spent.at(0).at <= from) {
      const entry = this.spent.shift();
      entry.live = false;
      this.spentTotal -= entry.tokens;
    }
  }

  /** Earliest time (limiter clock) at which `tokens` more fit in the window. */
  private tokensReadyAt(tokens: number, now: number): number {
    const limit = this.limits.tokensPerWindow;
    if (limit === null || this.spent.size === 0 || this.spentTotal + tokens <= limit) return now;
    let total = this.spentTotal;
    for (let i = 0; i < this.spent.size; i++) {
      const entry = this.spent.at(i);
      total -= entry.tokens;
      if (total + tokens <= limit || total === 0) return entry.at + this.limits.windowMs;
    }
    return this.spent.at(this.spent.size - 1).at + this.limits.windowMs;
  }

  private requestsReadyAt(now: number): number {
    const limit = this.limits.requestsPerWindow;
    if (limit === null || this.starts.size < limit) return now;
    return this.starts.at(this.starts.size - limit) + this.limits.windowMs;
  }

  /** When a request of `tokens` may start, given the pause and both windows (<= now: at once). */
  private readyAt(tokens: number, now: number): number {
    return Math.max(this.pausedUntil, this.requestsReadyAt(now), this.tokensReadyAt(tokens, now));
  }

  /** Counts a request as started now and returns its permit. */
  private grant(tokens: number, now: number): Permit {
    this.inFlight++;
    if (this.limits.requestsPerWindow !== null) this.starts.push(now);
    let entry: TokenEntry | undefined;
    if (this.limits.tokensPerWindow !== null) {
      entry = { at: now, tokens, live: true };
      this.spent.push(entry);
      this.spentTotal += tokens;
    }
    let released = false;
    return {
      release: (tokensUsed?: number) => {
        if (released) return;
        released = true;
        if (entry !== undefined && tokensUsed !== undefined && Number.isFinite(tokensUsed) && tokensUsed >= 0) {
          // Only an entry still in the window is in the running total.
          if (entry.live) this.spentTotal += tokensUsed - entry.tokens;
          entry.tokens = tokensUsed;
        }
        this.inFlight--;
        this.pump();
      },
    };
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      if (this.inFlight >= this.limits.maxConcurrency) return; // a release pumps again
      const now = this.now();
      this.prune(now);
      const head = this.queue[0];
      const readyAt = this.readyAt(head.tokens, now);
      if (readyAt > now) {
        // Not a busy wait: one timer for the moment the head may start (a release or abort re-pumps).
        this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(readyAt - now)));
        return;
      }
      this.queue.shift();
      head.unsubscribe();
      head.resolve(this.grant(head.tokens, now));
    }
  }
}

const sharedLimiters = new Map<string, RequestLimiter>();

/**
 * The process-wide limiter of the server at `origin` (e.g. `http://gpu-box:8000`). The first caller
 * creates it with `limits`; later callers tighten it (the stricter of each limit wins), so two plugin
 * configs pointing at one server never exceed either one's limits together.
 */
export function sharedLimiter(origin: string, limits: RateLimits): RequestLimiter {
  let limiter = sharedLimiters.get(origin);
  if (limiter === undefined) {
    limiter = new RequestLimiter(limits);
    sharedLimiters.set(origin, limiter);
  } else {
    limiter.tighten(limits);
  }
  return limiter;
}

/** Forgets every shared limiter (tests; a process that reconfigures its servers). Waiters are kept. */
export function resetSharedLimiters(): void {
  sharedLimiters.clear();
}
