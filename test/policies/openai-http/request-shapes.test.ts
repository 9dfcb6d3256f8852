// What the `openai` policy sends: the /completions and /chat/completions bodies as the server
// receives them (prompt text, n, stop, sampling, seed, logprobs, continuation flags), and headers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAIServer } from './fake-server.js';
import { FAST, arithProblems, createPolicy, makeCtx } from './helpers.js';

let server: FakeOpenAIServer;
const [problem] = arithProblems(1);

beforeAll(async () => {
  server = await FakeOpenAIServer.start({ seed: 1 });
  server.registerProblems([problem]);
});
afterAll(async () => {
  await server.close();
});

describe('completions requests', () => {
  it('send the prompt, every step and a trailing delimiter, n = width, the step stop, sampling and logprobs', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm-1', maxTokens: 77, temperature: 0.9, topP: 0.95, ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: ['a step', 'another step'] }, 3, makeCtx('shape'));
    const rec = server.requests[before];
    expect(rec.path).toBe('/v1/completions');
    expect(rec.method).toBe('POST');
    expect(rec.headers['content-type']).toBe('application/json');
    expect(rec.body).toEqual({
      model: 'm-1',
      prompt: `${problem.prompt}\n\na step\n\nanother step\n\n`,
      n: 3,
      max_tokens: 77,
      temperature: 0.9,
      top_p: 0.95,
      stop: ['\n\n'],
      seed: expect.any(Number),
      logprobs: 1,
    });
    expect(Number.isInteger(rec.body.seed) && rec.body.seed >= 0 && rec.body.seed < 2 ** 31).toBe(true);
  });

  it('at the root the prompt is the rendered template alone, ending with the delimiter', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', promptTemplate: 'Q: {prompt}{delimiter}A:{delimiter}', stepDelimiter: '\n', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: [] }, 2, makeCtx('root'));
    expect(server.requests[before].body.prompt).toBe(`Q: ${problem.prompt}\nA:\n`);
    expect(server.requests[before].body.stop).toEqual(['\n']);
  });

  it('greedy calls send temperature 0, top_p 1 and n 1', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', temperature: 0.8, ...FAST });
    const before = server.requests.length;
    const out = await policy.propose({ problem, steps: [] }, 4, makeCtx('g', { greedy: true }));
    expect(out).toHaveLength(1);
    expect(server.requests[before].body).toMatchObject({ n: 1, temperature: 0, top_p: 1 });
  });

  it('derive the seed from the call rng: same rng path, same seed; another path, another seed', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: [] }, 2, makeCtx('seed-a'));
    await policy.propose({ problem, steps: [] }, 2, makeCtx('seed-a'));
    await policy.propose({ problem, steps: [] }, 2, makeCtx('seed-b'));
    const seeds = server.requests.slice(before).map((r) => r.body.seed);
    expect(seeds[0]).toBe(seeds[1]);
    expect(seeds[2]).not.toBe(seeds[0]);
  });

  it('omit seed and logprobs when turned off, honour custom stops and merge extraBody under the fixed fields', async () => {
    const policy = await createPolicy({
      baseUrl: server.baseUrl,
      model: 'm',
      sendSeed: false,
      logprobs: false,
      stop: ['\n\n', 'Step'],
      extraBody: { top_k: 20, model: 'ignored', repetition_penalty: 1.1 },
      ...FAST,
    });
    const before = server.requests.length;
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    const body = server.requests[before].body;
    expect(body.seed).toBeUndefined();
    expect(body.logprobs).toBeUndefined();
    expect(body.stop).toEqual(['\n\n', 'Step']);
    expect(body.top_k).toBe(20);
    expect(body.repetition_penalty).toBe(1.1);
    expect(body.model).toBe('m');
  });

  it('send no Authorization header without apiKeyEnv', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    expect(server.requests[before].headers.authorization).toBeUndefined();
  });

  it('send the key read from apiKeyEnv only in the Authorization header', async () => {
    const key = 'sk-test-shape-0123456789abcdef';
    process.env.MCG_TEST_SHAPE_KEY = key;
    try {
      const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', apiKeyEnv: 'MCG_TEST_SHAPE_KEY', ...FAST });
      expect(policy.name).not.toContain(key);
      const before = server.requests.length;
      await policy.propose({ problem, steps: ['x'] }, 2, makeCtx());
      const rec = server.requests[before];
      expect(rec.headers.authorization).toBe(`Bearer ${key}`);
      expect(rec.raw).not.toContain(key);
      for (const [name, value] of Object.entries(rec.headers)) if (name !== 'authorization') expect(String(value)).not.toContain(key);
    } finally {
      delete process.env.MCG_TEST_SHAPE_KEY;
    }
  });
});

describe('expansions wider than choicesPerRequest', () => {
  it('are split into concurrent requests with their own seeds, one policy call in all', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', choicesPerRequest: 2, ...FAST });
    const ctx = makeCtx('split');
    const before = server.requests.length;
    const out = await policy.propose({ problem, steps: [] }, 5, ctx);
    const recs = server.requests.slice(before);
    expect(out).toHaveLength(5);
    expect(recs.map((r) => r.body.n).sort()).toEqual([1, 2, 2]);
    expect(new Set(recs.map((r) => r.body.seed)).size).toBe(3);
    expect(ctx.usage.policyCalls).toBe(1);
    expect(ctx.usage.generatedTokens).toBe(out.reduce((s, c) => s + c.tokens, 0));
    // The first part draws its seed as an unsplit request would.
    const single = await createPolicy({ baseUrl: server.baseUrl, model: 'm', ...FAST });
    const mark = server.requests.length;
    await single.propose({ problem, steps: [] }, 2, makeCtx('split'));
    expect(recs.map((r) => r.body.seed)).toContain(server.requests[mark].body.seed);
  });

  it('fail as a whole when one part fails, closing the others', async () => {
    const own = await FakeOpenAIServer.start({ seed: 3 });
    own.registerProblems([problem]);
    try {
      own.injectFaults({ kind: 'hang' }, { kind: 'status', status: 400, body: 'bad request' });
      const policy = await createPolicy({ baseUrl: own.baseUrl, model: 'm', choicesPerRequest: 1, ...FAST, timeoutMs: 600_000 });
      await expect(policy.propose({ problem, steps: [] }, 3, makeCtx())).rejects.toThrow(/HTTP 400: bad request/);
      expect(await own.waitForClientClose(1, 5000)).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe('chat requests', () => {
  it('continue the partial assistant message with vLLM flags', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'chat-m', endpoint: 'chat', systemPrompt: 'Reason step by step.', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: ['s1', 's2'] }, 2, makeCtx('chat'));
    const rec = server.requests[before];
    expect(rec.path).toBe('/v1/chat/completions');
    expect(rec.body).toEqual({
      model: 'chat-m',
      messages: [
        { role: 'system', content: 'Reason step by step.' },
        { role: 'user', content: problem.prompt },
        { role: 'assistant', content: 's1\n\ns2\n\n' },
      ],
      continue_final_message: true,
      add_generation_prompt: false,
      n: 2,
      max_tokens: 256,
      temperature: 0.7,
      top_p: 1,
      stop: ['\n\n'],
      seed: expect.any(Number),
      logprobs: true,
    });
  });

  it('at the root send only the user message and a normal generation prompt', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'chat-m', endpoint: 'chat', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: [] }, 1, makeCtx());
    const body = server.requests[before].body;
    expect(body.messages).toEqual([{ role: 'user', content: problem.prompt }]);
    expect(body.continue_final_message).toBeUndefined();
    expect(body.add_generation_prompt).toBeUndefined();
  });

  it('with chatContinuation "none" send the partial solution as a plain assistant turn', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'chat-m', endpoint: 'chat', chatContinuation: 'none', ...FAST });
    const before = server.requests.length;
    await policy.propose({ problem, steps: ['s1'] }, 1, makeCtx());
    const body = server.requests[before].body;
    expect(body.messages[1]).toEqual({ role: 'assistant', content: 's1\n\n' });
    expect(body.continue_final_message).toBeUndefined();
    expect(body.add_generation_prompt).toBeUndefined();
  });
});

describe('rollout requests', () => {
  it('ask for one completion without step stops and split it into steps up to the final answer', async () => {
    const policy = await createPolicy({ baseUrl: server.baseUrl, model: 'm', rolloutMaxTokens: 500, ...FAST });
    const before = server.requests.length;
    const steps = await policy.rollout!({ problem, steps: [] }, makeCtx('roll'));
    const body = server.requests[before].body;
    expect(body.stop).toBeUndefined();
    expect(body.n).toBe(1);
    expect(body.max_tokens).toBe(500);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.slice(0, -1).every((s) => s.ending === 'step')).toBe(true);
    expect(steps[steps.length - 1]).toMatchObject({ text: `The answer is ${problem.reference!.answer}`, ending: 'final' });
  });
});
