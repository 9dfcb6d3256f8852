// The HTTP client shared by the OpenAI-compatible policy and reward plugins: JSON POSTs over keep-alive
// connections, admitted by the per-server limiter, with a per-attempt timeout, bounded retries
// (429 honouring Retry-After, 5xx, network errors, timeouts, malformed bodies), zod validation of
// every response, cancellation, and errors that never carry the API key. Imports only src/core.

import http from 'node:http';
import https from 'node:https';
import type { z } from 'zod';
import { McgError, type Rng } from '../../src/core/index.js';
import { abortedError, computeBackoffMs, isRetryableStatus, onAbort, parseRetryAfterMs, sleep } from './backoff.js';
import { sharedLimiter, type RateLimits, type RequestLimiter } from './rate-limiter.js';

/** Characters of a response body kept in error messages and details. */
export const ERROR_BODY_CHARS = 500;

/** What a client needs besides the limits. */
export interface HttpClientOptions {
  /** Base URL the request paths are appended to, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /** Bearer token sent in the Authorization header, or undefined for none. Never logged or echoed. */
  apiKey: string | undefined;
  /** Per-attempt limit from sending the request to reading the whole body, in ms. */
  timeoutMs: number;
  /** Retries after the first attempt (so at most maxRetries + 1 requests per call). */
  maxRetries: number;
  /** Backoff delay scale (ms) and ceiling of one computed delay (ms). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Total time one call may spend sleeping between attempts, in ms; a retry that would exceed it is not made. */
  maxBackoffTotalMs: number;
  /** Largest response body accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
  /** Limits of the server, shared with every other client of the same origin in this process. */
  limits: RateLimits;
}

/** Per-call inputs of `post`. */
export interface PostOptions<T> {
  signal: AbortSignal;
  /** Jitter source for backoff delays (split it from the call's rng so it does not shift other draws). */
  rng: Rng;
  /** Tokens this request is expected to use (prompt + max generated), for the tokens-per-window limit. */
  estimatedTokens: number;
  /** Further checks after the schema (e.g. the number of choices); returns why the response is unusable. */
  check?: (data: T) => string | undefined;
  /** Tokens the response reports (usage.total_tokens); replaces the estimate in the tokens window. */
  tokensUsed?: (data: T) => number | undefined;
}

/** A validated response and what it cost. */
export interface PostResult<T> {
  data: T;
  /** Requests made (1 = no retry). */
  attempts: number;
  /** Sum of the attempts' wall times from sending to the last byte (limiter waits and backoff excluded), ms. */
  requestMs: number;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Why one attempt did not give a usable response. */
interface Failure {
  retryable: boolean;
  reason: string;
  status?: number;
  body?: string;
  retryAfterMs?: number;
}

const agents = new Map<string, http.Agent>();

/** One keep-alive agent per origin, shared like the limiter: sockets are reused across plugins. */
function agentFor(origin: string, isHttps: boolean): http.Agent {
  let agent = agents.get(origin);
  if (agent === undefined) {
    // No socket cap here: the limiter's maxConcurrency is the one cap, so nothing queues unseen.
    const options: http.AgentOptions = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' };
    agent = isHttps ? new https.Agent(options) : new http.Agent(options);
    agents.set(origin, agent);
  }
  return agent;
}

/** `origin + path` of a URL, without credentials, query or fragment (what errors may show). */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Replaces every occurrence of `secret` (and of its Bearer header form) in `text`. Servers sometimes
 * echo the credential they rejected; what we pass on must not carry it.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text;
  return text.split(secret).join('[redacted]');
}

/** Head of a response body for an error message: whitespace collapsed, at most `ERROR_BODY_CHARS`. */
export function trimBody(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= ERROR_BODY_CHARS ? flat : `${flat.slice(0, ERROR_BODY_CHARS)}...[${flat.length - ERROR_BODY_CHARS} more chars]`;
}

/**
 * A JSON-over-HTTP client for one base URL. Every call is admitted by the shared limiter of the
 * server's origin, retried on transient failures with seeded exponential backoff, validated with a
 * zod schema, and cancelled by its AbortSignal (in-flight sockets are closed).
 */
export class OpenAIHttpClient {
  readonly baseUrl: string;
  readonly origin: string;
  readonly limiter: RequestLimiter;
  private readonly options: HttpClientOptions;
  private readonly agent: http.Agent;
  private readonly isHttps: boolean;

  constructor(options: HttpClientOptions) {
    const base = new URL(options.baseUrl);
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
    this.origin = base.origin;
    this.isHttps = base.protocol === 'https:';
    this.options = options;
    this.limiter = sharedLimiter(this.origin, options.limits);
    this.agent = agentFor(this.origin, this.isHttps);
  }

  /**
   * POSTs `body` as JSON to `baseUrl + path` and returns the response validated by `schema`.
   * Retries 408/409/425/429/5xx, network errors, timeouts and malformed bodies up to `maxRetries`
   * times (and within `maxBackoffTotalMs` of sleeping); other statuses fail at once.
   * Throws `BACKEND_HTTP` (details: url, status, body, attempts) or `ABORTED`.
   */
  async post<T>(path: string, body: unknown, schema: z.ZodType<T>, options: PostOptions<T>): Promise<PostResult<T>> {
    const url = new URL(`${this.baseUrl}${path}`);
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const { signal } = options;
    let attempts = 0;
    let requestMs = 0;
    let slept = 0;
    for (;;) {
      if (signal.aborted) throw abortedError('the HTTP request', signal);
      const permit = await this.limiter.acquire(options.estimatedTokens, signal);
      attempts++;
      let failure: Failure;
      let tokensUsed = 0;
      try {
        const t0 = performance.now();
        let raw: RawResponse | undefined;
        try {
          raw = await this.send(url, payload, signal);
        } catch (err) {
          if (signal.aborted) throw abortedError('the HTTP request', signal);
          raw = undefined;
          failure = { retryable: true, reason: (err as Error).message };
        } finally {
          requestMs += performance.now() - t0;
        }
        if (raw !== undefined) {
          const outcome = this.interpret(raw, schema, options);
          if ('data' in outcome) {
            tokensUsed = options.tokensUsed?.(outcome.data) ?? options.estimatedTokens;
            return { data: outcome.data, attempts, requestMs };
          }
          failure = outcome.failure;
          if (raw.status === 429 && failure.retryAfterMs !== undefined) this.limiter.pauseUntil(performance.now() + failure.retryAfterMs);
        }
      } finally {
        permit.release(tokensUsed);
      }
      failure = failure!;
      if (!failure.retryable || attempts > this.options.maxRetries) throw this.error(url, failure, attempts);
      const delay = computeBackoffMs(attempts - 1, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs }, options.rng, failure.retryAfterMs);
      if (slept + delay > this.options.maxBackoffTotalMs) {
        throw this.error(url, failure, attempts, `the next retry (in ${delay} ms) would exceed maxBackoffTotalMs ${this.options.maxBackoffTotalMs}`);
      }
      slept += delay;
      await sleep(delay, signal);
    }
  }

  private interpret<T>(raw: RawResponse, schema: z.ZodType<T>, options: PostOptions<T>): { data: T } | { failure: Failure } {
    const { status } = raw;
    if (status < 200 || status > 299) {
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfterMs(raw.headers) : undefined;
      return { failure: { retryable: isRetryableStatus(status), reason: `HTTP ${status}`, status, body: raw.body, retryAfterMs } };
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.body);
    } catch (err) {
      return { failure: { retryable: true, reason: `malformed response (not JSON: ${(err as Error).message})`, status, body: raw.body } };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length === 0 ? 'body' : issue.path.map(String).join('.');
      return { failure: { retryable: true, reason: `malformed response (${where}: ${issue.message})`, status, body: raw.body } };
    }
    const problem = options.check?.(parsed.data);
    if (problem !== undefined) return { failure: { retryable: true, reason: `malformed response (${problem})`, status, body: raw.body } };
    return { data: parsed.data };
  }

  private error(url: URL, failure: Failure, attempts: number, why?: string): McgError {
    const key = this.options.apiKey;
    const body = failure.body === undefined ? undefined : redactSecret(trimBody(failure.body), key);
    const reason = redactSecret(failure.reason, key);
    const tail = why ?? (failure.retryable ? `gave up after ${attempts} attempts` : 'not retried');
    const message = `POST ${describeUrl(url)}: ${reason}${body === undefined || body === '' ? '' : `: ${body}`} (${tail})`;
    const details: Record<string, unknown> = { url: describeUrl(url), attempts };
    if (failure.status !== undefined) details.status = failure.status;
    if (body !== undefined) details.body = body;
    return new McgError('BACKEND_HTTP', message, { details });
  }

  /** One request: resolves with the whole response, rejects on network errors and timeouts. */
  private send(url: URL, payload: Buffer, signal: AbortSignal): Promise<RawResponse> {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': payload.length,
      'user-agent': 'mcts-gen',
    };
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    const maxBytes = this.options.maxResponseBytes ?? 64 * 1024 * 1024;
    const timeoutMs = this.options.timeoutMs;
    const transport = this.isHttps ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortedError('the HTTP request', signal));
        return;
      }
      let settled = false;
      let req: http.ClientRequest | undefined;
      const finish = (err: Error | undefined, value?: RawResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        if (err !== undefined) {
          req?.destroy();
          reject(err);
        } else {
          resolve(value!);
        }
      };
      const unsubscribe = onAbort(signal, () => finish(abortedError('the HTTP request', signal)));
      const timer = setTimeout(() => finish(new Error(`no complete response within timeoutMs ${timeoutMs}`)), timeoutMs);
      req = transport.request(url, { method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            finish(new Error(`response larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (!res.complete) finish(new Error('connection closed before the response was complete'));
          else finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', () => finish(new Error('connection closed before the response was complete')));
        res.on('close', () => finish(new Error('connection closed before the response was complete')));
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish(new Error(`network error${err.code === undefined ? '' : ` ${err.code}`}: ${err.message}`)));
      req.end(payload);
    });
  }
}
