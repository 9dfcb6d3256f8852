// Fault handling of the shared client, driven through the `openai` policy against the fake server:
// 429 with Retry-After (seconds and HTTP-date), 5xx, hangs past the timeout, truncated and non-JSON
// bodies, wrong shapes, wrong n, resets; bounded retries with clear BACKEND_HTTP errors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMcgError, type McgError } from '../../../src/index.js';
import { computeBackoffMs, isRetryableStatus, parseRetryAfterMs } from '../../../policies/openai-http/index.js';
import { Rng } from '../../../src/index.js';
import { FakeOpenAIServer, type Fault } from './fake-server.js';
import { FAST, arithProblems, createPolicy, makeCtx } from './helpers.js';

const [problem] = arithProblems(1, 17);
const servers: FakeOpenAIServer[] = [];

/** A fresh server per test: its limiter (keyed by origin) and request log are its own. */
async function fresh(): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start({ seed: 9 });
  s.registerProblems([problem]);
  servers.push(s);
  return s;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function expectMcgError(p: Promise<unknown>): Promise<McgError> {
  try {
    await p;
  } catch (err) {
    expect(isMcgError(err)).toBe(true);
    return err as McgError;
  }
  throw new Error('expected a rejection');
}

describe('retried faults', () => {
  const once: [string, Fault][] = [
    ['500', { kind: 'status', status: 500 }],
    ['502', { kind: 'status', status: 502, body: '<html>bad gateway</html>' }],
    ['503', { kind: 'status', status: 503 }],
    ['408', { kind: 'status', status: 408 }],
    ['a truncated body (connection closed mid-body)', { kind: 'truncated' }],
    ['a JSON body cut in half', { kind: 'bad-json' }],
    ['an HTML body', { kind: 'non-json' }],
    ['JSON of the wrong shape', { kind: 'wrong-shape' }],
    ['the wrong number of choices', { kind: 'wrong-n' }],
    ['a reset connection', { kind: 'reset' }],
  ];
  it.each(once)('%s is retried and the call succeeds with the right candidates', async (_name, fault) => {
    const server = await fresh();
    server.injectFaults(fault);
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const out = await policy.propose({ problem, steps: [] }, 3, makeCtx('retry'));
    expect(out).toHaveLength(3);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0].fault).toBe(fault.kind);
    expect(server.requests[1].fault).toBeUndefined();
  });

  it('several faults in a row are retried until a good answer (within maxRetries)', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 500 }, { kind: 'non-json' }, { kind: 'wrong-n' }, { kind: 'status', status: 503 });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', maxRetries: 4, ...FAST });
    const out = await policy.propose({ problem, steps: [] }, 2, makeCtx());
    expect(out).toHaveLength(2);
    expect(server.requests).toHaveLength(5);
  });

  it('a hang past timeoutMs is abandoned (the server sees the connection closed) and retried', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'hang' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, timeoutMs: 300 });
    const out = await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(out).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(await server.waitForClientClose(1, 5000)).toBe(true);
    expect(server.requests[0].closedByClient).toBe(true);
  });

  it('a slow answer within timeoutMs is not retried', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'slow', ms: 150 });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, timeoutMs: 5000 });
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(server.requests).toHaveLength(1);
  });

  it('a missing usage is not a fault', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'no-usage' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(server.requests).toHaveLength(1);
  });

  it('a seeded 30% fault rate over every fault kind loses no call', async () => {
    const server = await fresh();
    const kinds: Fault[] = [
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'truncated' },
      { kind: 'bad-json' },
      { kind: 'non-json' },
      { kind: 'wrong-shape' },
      { kind: 'wrong-n' },
      { kind: 'reset' },
      { kind: 'hang' },
      { kind: 'no-usage' },
    ];
    server.setFaultRate(0.3, kinds);
    // The timeout only has to end hangs: long enough that no normal answer on a loaded machine hits it.
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, timeoutMs: 1000, maxRetries: 8 });
    const calls = 40;
    for (let i = 0; i < calls; i++) expect(await policy.propose({ problem, steps: [] }, 2, makeCtx(`r${i}`))).toHaveLength(2);
    const faulted = server.requests.filter((r) => r.fault !== undefined && r.fault !== 'no-usage').length;
    expect(faulted).toBeGreaterThan(0);
    // Every call ended in exactly one good answer: requests = calls + retried faults.
    expect(server.requests.length).toBe(calls + faulted);
  });
});

describe('429 and Retry-After', () => {
  it('waits at least Retry-After seconds before the retry', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 429, retryAfter: '1' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].arrivedAt - server.requests[0].arrivedAt).toBeGreaterThanOrEqual(950);
  });

  it('honours an HTTP-date Retry-After', async () => {
    const server = await fresh();
    // HTTP-dates have whole seconds: 2.5 s ahead is at least 1.5 s ahead once truncated.
    server.injectFaults({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 2500).toUTCString() });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].arrivedAt - server.requests[0].arrivedAt).toBeGreaterThanOrEqual(1000);
  });

  it('pauses every other request to the same server until Retry-After has passed', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 429, retryAfter: '1' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxConcurrency: 1 });
    await Promise.all([policy.propose({ problem, steps: [] }, 1, makeCtx('a')), policy.propose({ problem, steps: ['x'] }, 1, makeCtx('b'))]);
    expect(server.requests).toHaveLength(3);
    // The second call was admitted after the 429 and still waited for the pause.
    expect(server.requests[1].arrivedAt - server.requests[0].arrivedAt).toBeGreaterThanOrEqual(950);
  });

  it('gives up at once when Retry-After exceeds maxBackoffTotalMs', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 429, retryAfter: '30' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxBackoffTotalMs: 1000 });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err.code).toBe('BACKEND_HTTP');
    expect(err.message).toContain('HTTP 429');
    expect(err.message).toContain('maxBackoffTotalMs');
    expect(server.requests).toHaveLength(1);
  });

  it('parseRetryAfterMs reads seconds, HTTP-dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfterMs({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, now)).toBe(7000);
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('grows exponentially with equal jitter, is capped, respects Retry-After, and is seeded', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    for (let k = 0; k < 8; k++) {
      const step = Math.min(1000, 100 * 2 ** k);
      const d = computeBackoffMs(k, opts, Rng.fromSeed(k));
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    }
    expect(computeBackoffMs(0, opts, Rng.fromSeed(1), 5000)).toBe(5000);
    expect(computeBackoffMs(3, opts, Rng.fromSeed('x'))).toBe(computeBackoffMs(3, opts, Rng.fromSeed('x')));
  });

  it('retries 408, 409, 425, 429 and 5xx only', () => {
    for (const s of [408, 409, 425, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 413, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe('errors when retries are exhausted or pointless', () => {
  it('a server that always fails: BACKEND_HTTP with status and a trimmed body after maxRetries + 1 requests', async () => {
    const server = await fresh();
    const long = `{"error":"${'x'.repeat(3000)}"}`;
    server.setFaultRate(1, [{ kind: 'status', status: 500, body: long }]);
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxRetries: 3 });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err.code).toBe('BACKEND_HTTP');
    expect(err.message).toContain(`POST ${server.baseUrl}/completions: HTTP 500`);
    expect(err.message).toContain('gave up after 4 attempts');
    expect(err.details).toMatchObject({ status: 500, attempts: 4, url: `${server.baseUrl}/completions` });
    const body = err.details!.body as string;
    expect(body.startsWith('{"error":"xxx')).toBe(true);
    expect(body.length).toBeLessThan(560);
    expect(err.message.length).toBeLessThan(800);
    expect(server.requests).toHaveLength(4);
  });

  it('malformed answers every time: BACKEND_HTTP naming what was wrong', async () => {
    const server = await fresh();
    server.setFaultRate(1, [{ kind: 'wrong-n' }]);
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxRetries: 2 });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 3, makeCtx()));
    expect(err.code).toBe('BACKEND_HTTP');
    expect(err.message).toContain('malformed response (expected 3 choices, got 2)');
    expect(server.requests).toHaveLength(3);

    server.setFaultRate(1, [{ kind: 'non-json' }]);
    const err2 = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err2.message).toContain('malformed response (not JSON');
    expect(err2.details!.body).toContain('502 Bad Gateway');
  });

  it('a 4xx other than 408/409/425/429 is not retried', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 400, body: '{"error":{"message":"max_tokens is too large"}}' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err.code).toBe('BACKEND_HTTP');
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('max_tokens is too large');
    expect(err.message).toContain('not retried');
    expect(server.requests).toHaveLength(1);
  });

  it('a wrong path (404) is not retried', async () => {
    const server = await fresh();
    const policy = await createPolicy({ baseUrl: `${server.url}/nope`, model: 'm', ...FAST });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err.details).toMatchObject({ status: 404, attempts: 1 });
  });

  it('a closed port: network errors are retried, then BACKEND_HTTP', async () => {
    const server = await fresh();
    const url = server.baseUrl;
    await server.close();
    const policy = await createPolicy({ baseUrl: url, model: 'm', ...FAST, maxRetries: 2 });
    const err = await expectMcgError(policy.propose({ problem, steps: [] }, 1, makeCtx()));
    expect(err.code).toBe('BACKEND_HTTP');
    expect(err.message).toMatch(/network error ECONNREFUSED/);
    expect(err.details).toMatchObject({ attempts: 3 });
  });
});
