// Client-side limits: concurrency, requests and tokens per window, shared by every plugin of one
// server in the process. Measured by the fake server (arrival times, requests in flight) and by the
// limiter itself with a hand-driven clock.

import { afterAll, describe, expect, it } from 'vitest';
import { RequestLimiter, sharedLimiter, type Permit } from '../../../policies/openai-http/index.js';
import { isMcgError } from '../../../src/index.js';
import { FakeOpenAIServer } from './fake-server.js';
import { FAST, arithProblems, createPolicy, createReward, makeCtx } from './helpers.js';

const problems = arithProblems(4, 23);
const servers: FakeOpenAIServer[] = [];
async function fresh(latencyMs = 0): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start({ seed: 4, latencyMs });
  s.registerProblems(problems);
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('measured by the server', () => {
  it('never more requests in flight than maxConcurrency, summed over two plugins of one server', async () => {
    const server = await fresh(40);
    const a = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxConcurrency: 3 });
    const b = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxConcurrency: 3 });
    const calls = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).propose({ problem: problems[i % 4], steps: [] }, 2, makeCtx(`c${i}`)));
    await Promise.all(calls);
    expect(server.requests).toHaveLength(24);
    expect(server.maxInFlight).toBe(3);
  });

  it('no more than requestsPerMinute request starts in any window, however many calls wait', async () => {
    const server = await fresh();
    const windowMs = 600;
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, requestsPerMinute: 4, rateWindowMs: windowMs });
    const n = 13;
    await Promise.all(Array.from({ length: n }, (_, i) => policy.propose({ problem: problems[i % 4], steps: [] }, 1, makeCtx(`r${i}`))));
    expect(server.requests).toHaveLength(n);
    // Arrival jitter on a loaded machine can only bring two starts a window apart a little closer:
    // measure with a shorter window. Without the limit all 13 arrive at once.
    expect(server.maxInWindow(windowMs - 150)).toBeLessThanOrEqual(4);
    // 13 requests at 4 per window need at least 3 full windows between the first and the last.
    const times = server.requests.map((r) => r.arrivedAt);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3 * windowMs - 150);
  });

  it('the reward plugin shares the limiter of its server with the policy', async () => {
    const server = await fresh();
    const windowMs = 500;
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, requestsPerMinute: 3, rateWindowMs: windowMs });
    const reward = await createReward({ baseUrl: server.url, model: 'prm', ...FAST, requestsPerMinute: 3, rateWindowMs: windowMs });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      work.push(policy.propose({ problem: problems[0], steps: [] }, 1, makeCtx(`p${i}`)));
      work.push(reward.score([{ problem: problems[0], steps: ['1 + 1 = 2'] }], makeCtx(`s${i}`)));
    }
    await Promise.all(work);
    expect(server.requests).toHaveLength(10);
    expect(server.maxInWindow(windowMs - 150)).toBeLessThanOrEqual(3);
  });

  it('tokensPerMinute holds back requests whose estimated tokens would overflow the window', async () => {
    const server = await fresh();
    // Without usage in the answers the estimates stand (with usage they are corrected downwards).
    server.setFaultRate(1, [{ kind: 'no-usage' }]);
    const windowMs = 600;
    // Each request is estimated at its prompt (< 100 rough tokens) + 100 max tokens: 400 per window admits 2.
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST, maxTokens: 100, tokensPerMinute: 400, rateWindowMs: windowMs });
    await Promise.all(Array.from({ length: 6 }, (_, i) => policy.propose({ problem: problems[i % 4], steps: [] }, 1, makeCtx(`t${i}`))));
    expect(server.requests).toHaveLength(6);
    expect(server.maxInWindow(windowMs - 150)).toBeLessThanOrEqual(2);
    const times = server.requests.map((r) => r.arrivedAt);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2 * windowMs - 150);
  });
});

describe('RequestLimiter (hand-driven clock)', () => {
  function limiter(limits: Partial<ConstructorParameters<typeof RequestLimiter>[0]>, clock: { t: number }): RequestLimiter {
    return new RequestLimiter({ maxConcurrency: 100, requestsPerWindow: null, tokensPerWindow: null, windowMs: 1000, ...limits }, () => clock.t);
  }
  const signal = new AbortController().signal;

  it('admits in order up to maxConcurrency and one more per release', async () => {
    const clock = { t: 0 };
    const l = limiter({ maxConcurrency: 2 }, clock);
    const order: number[] = [];
    const permits: Permit[] = [];
    for (let i = 0; i < 5; i++)
      void l.acquire(1, signal).then((p) => {
        order.push(i);
        permits.push(p);
      });
    await settle();
    expect(order).toEqual([0, 1]);
    permits[0].release();
    permits[0].release(); // a second release is ignored
    await settle();
    expect(order).toEqual([0, 1, 2]);
    expect(l.active).toBe(2);
    expect(l.waiting).toBe(2);
  });

  it('admits requestsPerWindow starts per sliding window', async () => {
    const clock = { t: 0 };
    const l = limiter({ requestsPerWindow: 2, windowMs: 1000 }, clock);
    let admitted = 0;
    for (let i = 0; i < 5; i++) void l.acquire(1, signal).then((p) => (admitted++, p.release()));
    await settle();
    expect(admitted).toBe(2);
    clock.t = 999;
    await new Promise((r) => setTimeout(r, 5));
    await settle();
    expect(admitted).toBe(2);
    clock.t = 1000;
    await new Promise((r) => setTimeout(r, 1100)); // the limiter's own timer fires and re-checks
    expect(admitted).toBe(4);
    clock.t = 2000;
    await new Promise((r) => setTimeout(r, 1100));
    expect(admitted).toBe(5);
  });

  it('counts tokens per window, corrected by the usage a request reports, and admits an oversize request alone', async () => {
    const clock = { t: 0 };
    const l = limiter({ tokensPerWindow: 100 }, clock);
    const p1 = await l.acquire(80, signal);
    let second = false;
    void l.acquire(50, signal).then((p) => ((second = true), p.release(50)));
    await settle();
    expect(second).toBe(false);
    p1.release(30); // the first used only 30: 30 + 50 fits
    await settle();
    expect(second).toBe(true);
    clock.t = 5000;
    const big = await l.acquire(500, signal); // larger than the window, admitted into an empty window
    big.release(500);
    let after = false;
    void l.acquire(1, signal).then((p) => ((after = true), p.release()));
    await settle();
    expect(after).toBe(false);
  });

  it('keeps exact counts over thousands of requests as old ones leave the window', async () => {
    const clock = { t: 0 };
    const l = limiter({ requestsPerWindow: 2500, tokensPerWindow: 10_000, windowMs: 1000 }, clock);
    // 5000 requests of 2 tokens, one per ms: at any time the last 1000 ms hold 1000 starts and 2000 tokens.
    for (let i = 0; i < 5000; i++) {
      clock.t = i;
      (await l.acquire(2, signal)).release(2);
    }
    // 1000 starts in the window: 1500 more fit, the 1501st does not.
    for (let i = 0; i < 1500; i++) (await l.acquire(0, signal)).release(0);
    let admitted = false;
    void l.acquire(0, signal).then(() => (admitted = true));
    await settle();
    expect(admitted).toBe(false);
    // Tokens: 2000 in the window, so 8000 more fit and 8001 do not.
    const l2 = limiter({ tokensPerWindow: 10_000, windowMs: 1000 }, clock);
    for (let i = 0; i < 3000; i++) {
      clock.t = 10_000 + i;
      (await l2.acquire(5, signal)).release(2);
    }
    (await l2.acquire(8000, signal)).release(8000);
    let over = false;
    void l2.acquire(1, signal).then(() => (over = true));
    await settle();
    expect(over).toBe(false);
  });

  it('pauseUntil holds everyone back', async () => {
    const clock = { t: 0 };
    const l = limiter({}, clock);
    l.pauseUntil(500);
    let admitted = false;
    void l.acquire(1, signal).then(() => (admitted = true));
    await settle();
    expect(admitted).toBe(false);
    clock.t = 500;
    await new Promise((r) => setTimeout(r, 600));
    expect(admitted).toBe(true);
  });

  it('a waiter whose signal aborts leaves the queue with ABORTED and does not count', async () => {
    const clock = { t: 0 };
    const l = limiter({ maxConcurrency: 1 }, clock);
    const held = await l.acquire(1, signal);
    const ac = new AbortController();
    const waiting = l.acquire(1, ac.signal);
    let third = false;
    void l.acquire(1, signal).then(() => (third = true));
    ac.abort();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isMcgError(e, 'ABORTED'));
    held.release();
    await settle();
    expect(third).toBe(true);
    expect(l.active).toBe(1);
  });

  it('sharedLimiter is one per origin and keeps the stricter limits', () => {
    const origin = 'http://127.0.0.1:1';
    const a = sharedLimiter(origin, { maxConcurrency: 8, requestsPerWindow: 100, tokensPerWindow: null, windowMs: 60_000 });
    const b = sharedLimiter(origin, { maxConcurrency: 4, requestsPerWindow: 200, tokensPerWindow: 1000, windowMs: 60_000 });
    expect(a).toBe(b);
    expect(a.current).toEqual({ maxConcurrency: 4, requestsPerWindow: 100, tokensPerWindow: 1000, windowMs: 60_000 });
    expect(sharedLimiter('http://127.0.0.1:2', { maxConcurrency: 8, requestsPerWindow: null, tokensPerWindow: null, windowMs: 60_000 })).not.toBe(a);
  });
});
