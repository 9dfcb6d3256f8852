// Options every HTTP plugin shares (server, key, timeouts, retries, limits) as a zod shape, and the
// factory that turns them into a client, reading the API key from the named environment variable.
// Imports only src/core.

import { z } from 'zod';
import { McgError, intIn } from '../../src/core/index.js';
import { OpenAIHttpClient } from './http-client.js';

/** An http(s) base URL without credentials, query or fragment. */
export const baseUrlSchema = z.string({ error: 'must be an http(s) URL (e.g. http://127.0.0.1:8000/v1)' }).refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
    } catch {
      return false;
    }
  },
  { error: 'must be an http(s) URL without credentials, query or fragment (e.g. http://127.0.0.1:8000/v1; put the key in the variable named by apiKeyEnv)' },
);

/** A positive limit or null (no limit). */
function limitOrNull(max: number) {
  const error = `must be an integer in [1, ${max}] or null`;
  return z.number({ error }).int({ error }).min(1, { error }).max(max, { error }).nullable();
}

/** Option keys shared by `openai` and `openai-reward`, with their defaults. */
export const clientOptionsShape = {
  /** Server base URL; request paths are appended (policy: `/completions`, `/chat/completions`). */
  baseUrl: baseUrlSchema,
  /** Name of the environment variable holding the API key (sent as a Bearer token); null for none. */
  apiKeyEnv: z
    .string({ error: 'must be an environment variable name (e.g. "OPENAI_API_KEY") or null' })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name (e.g. "OPENAI_API_KEY") or null' })
    .nullable()
    .default(null),
  /** Per-attempt timeout from sending to the last byte of the response, ms. */
  timeoutMs: intIn(10, 3_600_000).default(120_000),
  /** Retries after the first attempt on 408/409/425/429/5xx, network errors, timeouts and malformed responses. */
  maxRetries: intIn(0, 20).default(4),
  /** First backoff step (ms); step k is base * 2^k with equal jitter, capped by backoffMaxMs. */
  backoffBaseMs: intIn(1, 600_000).default(500),
  backoffMaxMs: intIn(1, 600_000).default(10_000),
  /** Total sleep between attempts of one call, ms; a Retry-After beyond it ends the call. */
  maxBackoffTotalMs: intIn(0, 3_600_000).default(60_000),
  /** Requests in flight to this server from the whole process. */
  maxConcurrency: intIn(1, 4096).default(64),
  /** Request starts per window (rateWindowMs) to this server from the whole process; null = unlimited. */
  requestsPerMinute: limitOrNull(100_000_000).default(null),
  /** Tokens (prompt + generated; admitted on an estimate, corrected from usage) per window; null = unlimited. */
  tokensPerMinute: limitOrNull(1_000_000_000_000).default(null),
  /** Window of the two per-minute limits, ms (default one minute; shorter only for tests). */
  rateWindowMs: intIn(10, 3_600_000).default(60_000),
} as const;

const clientOptionsSchema = z.strictObject(clientOptionsShape);
export type ClientOptions = z.output<typeof clientOptionsSchema>;

/**
 * Builds a client for parsed options. The key is read from `process.env[apiKeyEnv]` once, here; an
 * unset or empty variable is a `CONFIG_INVALID` that names the variable (never a value).
 */
export function createHttpClient(options: ClientOptions, keyPath: string): OpenAIHttpClient {
  let apiKey: string | undefined;
  if (options.apiKeyEnv !== null) {
    apiKey = process.env[options.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      throw new McgError('CONFIG_INVALID', `${keyPath}.options.apiKeyEnv names the environment variable ${options.apiKeyEnv}, which is not set`, {
        details: { path: `${keyPath}.options.apiKeyEnv` },
      });
    }
  }
  return new OpenAIHttpClient({
    baseUrl: options.baseUrl,
    apiKey,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    backoffBaseMs: options.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs,
    maxBackoffTotalMs: options.maxBackoffTotalMs,
    limits: {
      maxConcurrency: options.maxConcurrency,
      requestsPerWindow: options.requestsPerMinute,
      tokensPerWindow: options.tokensPerMinute,
      windowMs: options.rateWindowMs,
    },
  });
}
