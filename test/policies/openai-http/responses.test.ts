// How the `openai` policy reads answers: candidates per choice, logprob sums (NaN when absent),
// endings from finish_reason / stop_reason / matched_stop / the final-answer pattern, and usage.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FINAL_PATTERN, mapEnding, sumLogprobs } from '../../../policies/openai-http/index.js';
import { FakeOpenAIServer, fakeTokens, type FakeServerOptions } from './fake-server.js';
import { FAST, arithProblems, createPolicy, makeCtx } from './helpers.js';

const [problem] = arithProblems(1, 11);
const servers: FakeOpenAIServer[] = [];

async function startServer(options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start(options);
  s.registerProblems([problem]);
  servers.push(s);
  return s;
}

let vllm: FakeOpenAIServer;
beforeAll(async () => {
  vllm = await startServer({ seed: 2 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('logprobs', () => {
  it('sum token logprobs per choice (completions) and count the choice tokens', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', ...FAST });
    const out = await policy.propose({ problem, steps: [] }, 3, makeCtx('lp'));
    expect(out).toHaveLength(3);
    for (const c of out) {
      const tokens = fakeTokens(c.text);
      expect(c.tokens).toBe(tokens.length);
      // The fake server gives every token of a correct step -0.05.
      expect(c.logprob).toBeCloseTo(-0.05 * tokens.length, 9);
    }
  });

  it('sum chat logprobs from logprobs.content', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', endpoint: 'chat', ...FAST });
    const [c] = await policy.propose({ problem, steps: [] }, 1, makeCtx('lp-chat'));
    expect(c.logprob).toBeCloseTo(-0.05 * fakeTokens(c.text).length, 9);
  });

  it('give mistaken steps lower logprobs than correct ones (what PUCT priors see)', async () => {
    const noisy = await startServer({ seed: 5, wrongStepRate: 0.5 });
    const policy = await createPolicy({ baseUrl: noisy.baseUrl, model: 'm', ...FAST });
    const out = await policy.propose({ problem, steps: [] }, 16, makeCtx('mix'));
    const perToken = out.map((c) => c.logprob / c.tokens);
    expect(perToken.some((x) => x < -0.5)).toBe(true);
    expect(perToken.some((x) => x > -0.1)).toBe(true);
  });

  it('are NaN when not requested or not returned', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', logprobs: false, ...FAST });
    const out = await policy.propose({ problem, steps: [] }, 2, makeCtx());
    for (const c of out) {
      expect(Number.isNaN(c.logprob)).toBe(true);
      expect(c.tokens).toBeGreaterThan(0);
    }
  });

  it('sumLogprobs: NaN for missing or null entries, clamped to <= 0', () => {
    expect(sumLogprobs([-0.5, -0.25])).toBe(-0.75);
    expect(Number.isNaN(sumLogprobs(undefined))).toBe(true);
    expect(Number.isNaN(sumLogprobs([]))).toBe(true);
    expect(Number.isNaN(sumLogprobs([-1, null]))).toBe(true);
    expect(sumLogprobs([1e-12, 0])).toBe(0);
  });
});

describe('endings', () => {
  const pattern = new RegExp(DEFAULT_FINAL_PATTERN);

  it('map finish_reason and the matched stop', () => {
    expect(mapEnding({ text: '3 + 4 = 7', finishReason: 'stop', stopMatch: '\n\n' }, pattern, 'step')).toBe('step');
    expect(mapEnding({ text: 'done', finishReason: 'stop', stopMatch: null }, pattern, 'step')).toBe('final');
    expect(mapEnding({ text: 'done', finishReason: 'stop', stopMatch: 151645 }, pattern, 'step')).toBe('final');
    expect(mapEnding({ text: 'cut', finishReason: 'length', stopMatch: null }, pattern, 'step')).toBe('length');
    expect(mapEnding({ text: 'x', finishReason: 'content_filter', stopMatch: undefined }, pattern, 'step')).toBe('length');
    expect(mapEnding({ text: 'x', finishReason: null, stopMatch: undefined }, pattern, 'step')).toBe('length');
    expect(mapEnding({ text: 'x', finishReason: 'stop', stopMatch: undefined }, pattern, 'step')).toBe('step');
    expect(mapEnding({ text: 'x', finishReason: 'stop', stopMatch: undefined }, pattern, 'final')).toBe('final');
  });

  it('make a step with a final-answer marker final (\\boxed{, The answer is, ####)', () => {
    for (const text of ['so it is \\boxed{42}', 'The answer is 42', '#### 42']) {
      expect(mapEnding({ text, finishReason: 'stop', stopMatch: '\n\n' }, pattern, 'step')).toBe('final');
    }
    expect(mapEnding({ text: 'The answer is 4', finishReason: 'length', stopMatch: null }, pattern, 'step')).toBe('length');
  });

  it('come out as step, step, ..., final along a solution (vLLM stop_reason)', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', ...FAST });
    const steps: string[] = [];
    const endings: string[] = [];
    for (let i = 0; i < 10; i++) {
      const [c] = await policy.propose({ problem, steps }, 1, makeCtx(`walk${i}`, { greedy: true }));
      steps.push(c.text);
      endings.push(c.ending);
      if (c.ending === 'final') break;
    }
    expect(endings[endings.length - 1]).toBe('final');
    expect(endings.slice(0, -1).every((e) => e === 'step')).toBe(true);
    expect(steps[steps.length - 1]).toBe(`The answer is ${problem.reference!.answer}`);
  });

  it('read SGLang matched_stop the same way', async () => {
    const sglang = await startServer({ stopStyle: 'sglang' });
    const policy = await createPolicy({ baseUrl: sglang.baseUrl, model: 'm', finalPattern: 'NEVER-MATCHES', ...FAST });
    const worked = (problem.meta!.worked as { steps: unknown[] }).steps.length;
    const first = await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(first[0].ending).toBe('step');
    const steps = Array.from({ length: worked }, () => 'x = 1');
    const last = await policy.propose({ problem, steps }, 1, makeCtx());
    expect(last[0].ending).toBe('final');
  });

  it('without a reported stop match rely on unknownStopAs and the final pattern (OpenAI-style servers)', async () => {
    const plain = await startServer({ stopStyle: 'none' });
    const policy = await createPolicy({ baseUrl: plain.baseUrl, model: 'm', ...FAST });
    const worked = (problem.meta!.worked as { steps: unknown[] }).steps.length;
    const [first] = await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(first.ending).toBe('step');
    const [last] = await policy.propose({ problem, steps: Array.from({ length: worked }, () => 'x = 1') }, 1, makeCtx());
    expect(last.text).toMatch(/^The answer is/);
    expect(last.ending).toBe('final');
  });

  it('report length when max_tokens cuts a step', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', maxTokens: 2, ...FAST });
    const [c] = await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(c.ending).toBe('length');
    expect(c.tokens).toBe(2);
  });
});

describe('usage', () => {
  it("adds the server's token counts, one policy call and the request time", async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', ...FAST });
    const ctx = makeCtx('usage');
    const before = vllm.requests.length;
    const out = await policy.propose({ problem, steps: ['1 + 1 = 2'] }, 2, ctx);
    const prompt = vllm.requests[before].body.prompt as string;
    expect(ctx.usage.promptTokens).toBe(fakeTokens(prompt).length);
    expect(ctx.usage.generatedTokens).toBe(out.reduce((s, c) => s + c.tokens, 0));
    expect(ctx.usage.policyCalls).toBe(1);
    expect(ctx.usage.modelMs).toBeGreaterThan(0);
  });

  it('counts roughly when the response has no usage', async () => {
    const policy = await createPolicy({ baseUrl: vllm.baseUrl, model: 'm', logprobs: false, ...FAST });
    const ctx = makeCtx('no-usage');
    vllm.injectFaults({ kind: 'no-usage' });
    const out = await policy.propose({ problem, steps: [] }, 2, ctx);
    expect(out).toHaveLength(2);
    expect(ctx.usage.promptTokens).toBeGreaterThan(10);
    expect(ctx.usage.generatedTokens).toBe(out.reduce((s, c) => s + c.tokens, 0));
    expect(ctx.usage.generatedTokens).toBeGreaterThan(0);
  });
});
