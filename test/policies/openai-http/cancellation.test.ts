// Cancellation: ctx.signal aborts in-flight requests (the server sees the connection closed), waits
// in the limiter and backoff sleeps, always rejecting with ABORTED long before any timeout.

import { afterAll, describe, expect, it } from 'vitest';
import { isMcgError } from '../../../src/index.js';
import { FakeOpenAIServer } from './fake-server.js';
import { FAST, arithProblems, createPolicy, createReward, makeCtx } from './helpers.js';

const [problem] = arithProblems(1, 31);
const servers: FakeOpenAIServer[] = [];
async function fresh(): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start({ seed: 6 });
  s.registerProblems([problem]);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const isAborted = (e: unknown): boolean => isMcgError(e, 'ABORTED');

/** Resolves once the server has seen `n` requests (polling, bounded). */
async function untilRequests(server: FakeOpenAIServer, n: number): Promise<void> {
  for (let i = 0; i < 500 && server.requests.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(server.requests.length).toBeGreaterThanOrEqual(n);
}

describe('cancellation', () => {
  it('aborting an in-flight request rejects with ABORTED at once and closes the connection', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'hang' });
    // A long timeout: only the abort can end this call quickly.
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, timeoutMs: 600_000 });
    const ac = new AbortController();
    const call = policy.propose({ problem, steps: [] }, 2, makeCtx('abort', { signal: ac.signal }));
    await untilRequests(server, 1);
    const t0 = performance.now();
    ac.abort();
    await expect(call).rejects.toSatisfy(isAborted);
    // Generous: the abort is synchronous; anything near the timeout would mean it was ignored.
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await server.waitForClientClose(1, 5000)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('aborting many in-flight requests closes every connection', async () => {
    const server = await fresh();
    server.setFaultRate(1, [{ kind: 'hang' }]);
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, timeoutMs: 600_000 });
    const ac = new AbortController();
    const calls = Array.from({ length: 8 }, (_, i) => policy.propose({ problem, steps: [] }, 1, makeCtx(`m${i}`, { signal: ac.signal })));
    await untilRequests(server, 8);
    ac.abort();
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected' && isAborted(r.reason))).toBe(true);
    expect(await server.waitForClientClose(8, 5000)).toBe(true);
  });

  it('aborting while waiting in the limiter rejects with ABORTED and never sends', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'hang' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxConcurrency: 1, timeoutMs: 600_000 });
    const first = new AbortController();
    const second = new AbortController();
    const a = policy.propose({ problem, steps: [] }, 1, makeCtx('a', { signal: first.signal }));
    await untilRequests(server, 1);
    const b = policy.propose({ problem, steps: ['x'] }, 1, makeCtx('b', { signal: second.signal }));
    second.abort();
    await expect(b).rejects.toSatisfy(isAborted);
    first.abort();
    await expect(a).rejects.toSatisfy(isAborted);
    expect(server.requests).toHaveLength(1);
  });

  it('aborting during a backoff sleep rejects with ABORTED without another attempt', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'status', status: 429, retryAfter: '60' });
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxBackoffTotalMs: 600_000 });
    const ac = new AbortController();
    const call = policy.propose({ problem, steps: [] }, 1, makeCtx('backoff', { signal: ac.signal }));
    await untilRequests(server, 1);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    ac.abort();
    await expect(call).rejects.toSatisfy(isAborted);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const server = await fresh();
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const ac = new AbortController();
    ac.abort();
    await expect(policy.propose({ problem, steps: [] }, 1, makeCtx('pre', { signal: ac.signal }))).rejects.toSatisfy(isAborted);
    expect(server.requests).toHaveLength(0);
  });

  it('many requests in flight on one signal add one abort listener, not one each (no MaxListeners warning)', async () => {
    const server = await fresh();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxConcurrency: 8 });
      const ac = new AbortController();
      await Promise.all(Array.from({ length: 40 }, (_, i) => policy.propose({ problem, steps: [] }, 1, makeCtx(`w${i}`, { signal: ac.signal }))));
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('the reward model is cancelled the same way', async () => {
    const server = await fresh();
    server.injectFaults({ kind: 'hang' });
    const reward = await createReward({ baseUrl: server.url, model: 'prm', ...FAST, timeoutMs: 600_000 });
    const ac = new AbortController();
    const call = reward.score([{ problem, steps: ['1 + 2 = 3'] }], makeCtx('r', { signal: ac.signal }));
    await untilRequests(server, 1);
    ac.abort();
    await expect(call).rejects.toSatisfy(isAborted);
    expect(await server.waitForClientClose(1, 5000)).toBe(true);
  });
});
