// Retry timing for the HTTP backends: which failures are worth another attempt, exponential backoff
// with seeded jitter, `Retry-After` parsing, and an abortable sleep. Pure functions except `sleep`.
// Imports only src/core.

import { McgError, type Rng } from '../../src/core/index.js';

/** Backoff settings (all in milliseconds). */
export interface BackoffOptions {
  /** Delay scale of the first retry; retry k waits about `baseMs * 2^k` (default 500). */
  baseMs: number;
  /** Ceiling of one computed delay before jitter (default 10 000). A longer `Retry-After` still wins. */
  maxMs: number;
}

/**
 * Delay before retry number `retry` (0 = first retry): "equal jitter", i.e. half of the exponential
 * step plus a uniform draw over the other half, so concurrent clients spread out while every client
 * still waits at least half the step. When the server sent `Retry-After`, never less than that.
 * `rng` supplies the jitter (seeded: the same call path retries after the same delays).
 */
export function computeBackoffMs(retry: number, options: BackoffOptions, rng: Rng, retryAfterMs?: number): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(retry, 30));
  const jittered = step / 2 + rng.float() * (step / 2);
  return Math.ceil(retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered));
}

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds (`"2"`, also `"1.5"`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `nowEpochMs`). Also reads OpenAI's `retry-after-ms`.
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  nowEpochMs: number = Date.now(),
): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)));
  const value = first(headers['retry-after']);
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.max(0, Math.ceil(Number(text) * 1000));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowEpochMs);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** True for HTTP statuses worth retrying: those the OpenAI SDKs retry (408, 409, 429, 5xx) and 425 Too Early. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** The error every cancelled wait or request rejects with. */
export function abortedError(what: string, signal: AbortSignal): McgError {
  return new McgError('ABORTED', `${what} was aborted`, { cause: signal.reason });
}

const abortSubscribers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `fn` once when `signal` aborts; returns the unsubscribe function. A search's many requests in
 * flight share one signal: this attaches a single listener per signal and fans out, instead of one
 * listener per request (which trips Node's MaxListenersExceededWarning past ten).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let subscribers = abortSubscribers.get(signal);
  if (subscribers === undefined) {
    const set = new Set<() => void>();
    subscribers = set;
    abortSubscribers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        abortSubscribers.delete(signal);
        for (const f of [...set]) f();
      },
      { once: true },
    );
  }
  const set = subscribers;
  set.add(fn);
  return () => {
    set.delete(fn);
  };
}

/** Waits `ms`, or rejects with `ABORTED` as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortedError('waiting to retry', signal));
      return;
    }
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortedError('waiting to retry', signal));
    });
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, Math.max(0, ms));
  });
}
