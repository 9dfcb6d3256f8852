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
  private readonly starts: number[] = [];
  private readonly spent: TokenEntry[] = [];
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
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { tokens: Math.max(0, Math.ceil(estimatedTokens)), resolve, reject, unsubscribe: () => undefined };
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
    let drop = 0;
    while (drop < this.starts.length && this.starts[drop] <= from) drop++;
    if (drop > 0) this.starts.splice(0, drop);
    drop = 0;
    while (drop < this.spent.length && this.spent[drop].at <= from) this.spentTotal -= this.spent[drop++].tokens;
    if (drop > 0) this.spent.splice(0, drop);
  }

  /** Earliest time (limiter clock) at which `tokens` more fit in the window. */
  private tokensReadyAt(tokens: number, now: number): number {
    const limit = this.limits.tokensPerWindow;
    if (limit === null || this.spent.length === 0 || this.spentTotal + tokens <= limit) return now;
    let total = this.spentTotal;
    for (const entry of this.spent) {
      total -= entry.tokens;
      if (total + tokens <= limit || total === 0) return entry.at + this.limits.windowMs;
    }
    return this.spent[this.spent.length - 1].at + this.limits.windowMs;
  }

  private requestsReadyAt(now: number): number {
    const limit = this.limits.requestsPerWindow;
    if (limit === null || this.starts.length < limit) return now;
    return this.starts[this.starts.length - limit] + this.limits.windowMs;
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
      const readyAt = Math.max(this.pausedUntil, this.requestsReadyAt(now), this.tokensReadyAt(head.tokens, now));
      if (readyAt > now) {
        // Not a busy wait: one timer for the moment the head may start (a release or abort re-pumps).
        this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(readyAt - now)));
        return;
      }
      this.queue.shift();
      head.unsubscribe();
      this.inFlight++;
      this.starts.push(now);
      const entry: TokenEntry = { at: now, tokens: head.tokens };
      this.spent.push(entry);
      this.spentTotal += entry.tokens;
      let released = false;
      head.resolve({
        release: (tokensUsed?: number) => {
          if (released) return;
          released = true;
          if (tokensUsed !== undefined && Number.isFinite(tokensUsed) && tokensUsed >= 0) {
            // Only adjust entries still in the window (an old one has already left the total).
            if (this.spent.includes(entry)) this.spentTotal += tokensUsed - entry.tokens;
            entry.tokens = tokensUsed;
          }
          this.inFlight--;
          this.pump();
        },
      });
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
