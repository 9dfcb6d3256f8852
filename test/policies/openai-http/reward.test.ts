// The `openai-reward` reward model against the fake server's vLLM pooling endpoints: a PRM on
// /pooling (STEP rows, or per-token rows picked via /tokenize), an ORM on /classify and /score;
// request shapes, batching, clamping, usage and malformed answers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clampScore } from '../../../policies/openai-http/index.js';
import { isMcgError, solveWorked, workedSolutionOf, type McgError, type Trajectory } from '../../../src/index.js';
import { FakeOpenAIServer, SEPARATOR_TOKEN_ID, fakeTokens } from './fake-server.js';
import { FAST, arithProblems, createReward, makeCtx } from './helpers.js';

const problems = arithProblems(3, 41);
const servers: FakeOpenAIServer[] = [];
async function fresh(pooling: 'step' | 'token' = 'step'): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start({ seed: 8, pooling });
  s.registerProblems(problems);
  servers.push(s);
  return s;
}
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await fresh();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** The correct steps of a problem ("a op b = r"), and the final answer step. */
function solution(i: number): string[] {
  const p = problems[i];
  const worked = workedSolutionOf(p)!;
  const results = solveWorked(worked);
  const steps = worked.steps.map((s, k) => {
    const a = typeof s.a === 'number' ? s.a : results[s.a.ref];
    const b = typeof s.b === 'number' ? s.b : results[s.b.ref];
    return `${a} ${s.op} ${b} = ${results[k]}`;
  });
  return [...steps, `The answer is ${worked.answer}`];
}

/** A good prefix, and the same prefix with the last step's result off by one. */
function goodAndBad(i: number, length: number): [Trajectory, Trajectory] {
  const steps = solution(i).slice(0, length);
  const bad = [...steps];
  bad[bad.length - 1] = bad[bad.length - 1].replace(/= (-?\d+)$/, (_m, r: string) => `= ${Number(r) + 1}`);
  return [
    { problem: problems[i], steps },
    { problem: problems[i], steps: bad },
  ];
}

describe('pooling (process reward model)', () => {
  it('sends every trajectory of a batch in one request, steps each followed by the separator', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'prm', ...FAST });
    expect(reward.granularity).toBe('step');
    const [good, bad] = goodAndBad(0, 2);
    const before = server.requests.length;
    const scores = await reward.score([good, bad], makeCtx());
    expect(server.requests.length - before).toBe(1);
    const rec = server.requests[before];
    expect(rec.path).toBe('/pooling');
    expect(rec.body).toEqual({
      model: 'prm',
      input: [`${problems[0].prompt}\n\n${good.steps[0]}<extra_0>${good.steps[1]}<extra_0>`, `${problems[0].prompt}\n\n${bad.steps[0]}<extra_0>${bad.steps[1]}<extra_0>`],
    });
    // P(good) of the last step: 0.9 on the right path, 0.1 off it.
    expect(Array.from(scores)).toEqual([0.9, 0.1]);
  });

  it('scores the last step: a wrong earlier step keeps a later right-looking step low', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'prm', ...FAST });
    const [, bad] = goodAndBad(1, 1);
    const next = solution(1)[1];
    const scores = await reward.score([{ problem: problems[1], steps: [...bad.steps, next] }], makeCtx());
    expect(scores[0]).toBe(0.1);
  });

  it('uses the inputTemplate (e.g. a PRM chat template) around the steps', async () => {
    const template = '<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n{steps}<|im_end|><|endoftext|>';
    const reward = await createReward({ baseUrl: server.url, model: 'prm', inputTemplate: template, ...FAST });
    const [good] = goodAndBad(2, 2);
    const before = server.requests.length;
    const scores = await reward.score([good], makeCtx());
    expect(server.requests[before].body.input[0]).toBe(`<|im_start|>user\n${problems[2].prompt}<|im_end|>\n<|im_start|>assistant\n${good.steps[0]}<extra_0>${good.steps[1]}<extra_0><|im_end|><|endoftext|>`);
    expect(scores[0]).toBe(0.9);
  });

  it('splits batches larger than maxBatch into several requests, keeping the order', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'prm', maxBatch: 2, ...FAST });
    const batch: Trajectory[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [good, bad] = goodAndBad(i, 1);
      batch.push(good, bad);
      expected.push(0.9, 0.1);
    }
    const before = server.requests.length;
    const scores = await reward.score(batch, makeCtx());
    expect(server.requests.length - before).toBe(3);
    expect(Array.from(scores)).toEqual(expected);
  });

  it('gives a trajectory without steps 0.5 without sending it, and adds usage', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'prm', ...FAST });
    const [good] = goodAndBad(0, 1);
    const ctx = makeCtx();
    const before = server.requests.length;
    const scores = await reward.score([{ problem: problems[0], steps: [] }, good], ctx);
    expect(Array.from(scores)).toEqual([0.5, 0.9]);
    expect(server.requests[before].body.input).toHaveLength(1);
    expect(ctx.usage.rewardCalls).toBe(1);
    expect(ctx.usage.promptTokens).toBe(fakeTokens(server.requests[before].body.input[0]).length);
    expect(ctx.usage.modelMs).toBeGreaterThan(0);
  });

  it('with per-token rows (ALL pooling) picks the separator rows found by /tokenize', async () => {
    const tokenServer = await fresh('token');
    const plain = await createReward({ baseUrl: tokenServer.url, model: 'prm', ...FAST });
    const [good, bad] = goodAndBad(0, 2);
    const err = await plain.score([good], makeCtx()).catch((e: unknown) => e as McgError);
    expect(isMcgError(err, 'BACKEND_HTTP')).toBe(true);
    expect((err as McgError).message).toContain('expected one row per step separator (2)');

    const reward = await createReward({ baseUrl: tokenServer.url, model: 'prm', separatorTokenId: SEPARATOR_TOKEN_ID, ...FAST });
    const before = tokenServer.requests.length;
    const scores = await reward.score([good, bad], makeCtx());
    expect(Array.from(scores)).toEqual([0.9, 0.1]);
    const paths = tokenServer.requests.slice(before).map((r) => r.path);
    expect(paths).toEqual(['/pooling', '/tokenize', '/tokenize']);
  });

  it('retries a malformed answer and reports persistent ones as BACKEND_HTTP', async () => {
    const s = await fresh();
    const reward = await createReward({ baseUrl: s.url, model: 'prm', ...FAST, maxRetries: 1 });
    const [good] = goodAndBad(0, 1);
    s.injectFaults({ kind: 'wrong-shape' });
    expect(Array.from(await reward.score([good], makeCtx()))).toEqual([0.9]);
    s.injectFaults({ kind: 'status', status: 500 }, { kind: 'bad-json' });
    const err = await reward.score([good], makeCtx()).catch((e: unknown) => e as McgError);
    expect(isMcgError(err, 'BACKEND_HTTP')).toBe(true);
    expect((err as McgError).message).toContain('malformed response (not JSON');
  });
});

describe('classify and score (outcome reward models)', () => {
  it('classify: one request with every text, P(good class) per input', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'orm', mode: 'classify', ...FAST });
    expect(reward.granularity).toBe('outcome');
    const full = solution(0);
    const wrongAnswer = [...full.slice(0, -1), 'The answer is 0'];
    const before = server.requests.length;
    const scores = await reward.score(
      [
        { problem: problems[0], steps: full },
        { problem: problems[0], steps: wrongAnswer },
      ],
      makeCtx(),
    );
    const rec = server.requests[before];
    expect(rec.path).toBe('/classify');
    expect(rec.body).toEqual({ model: 'orm', input: [`${problems[0].prompt}\n\n${full.join('\n\n')}`, `${problems[0].prompt}\n\n${wrongAnswer.join('\n\n')}`] });
    expect(Array.from(scores)).toEqual([0.85, 0.15]);
  });

  it('score: text_1 = problems, text_2 = solutions, at a configurable path', async () => {
    const reward = await createReward({ baseUrl: server.url, model: 'orm', mode: 'score', path: '/v1/score', ...FAST });
    const full = solution(1);
    const before = server.requests.length;
    const scores = await reward.score([{ problem: problems[1], steps: full }], makeCtx());
    const rec = server.requests[before];
    expect(rec.path).toBe('/v1/score');
    expect(rec.body).toEqual({ model: 'orm', text_1: [problems[1].prompt], text_2: [full.join('\n\n')] });
    expect(Array.from(scores)).toEqual([0.85]);
  });

  it('a result count that does not match the inputs is malformed', async () => {
    const s = await fresh();
    s.setFaultRate(1, [{ kind: 'wrong-shape' }]);
    const reward = await createReward({ baseUrl: s.url, model: 'orm', mode: 'classify', ...FAST, maxRetries: 0 });
    const err = await reward.score([{ problem: problems[0], steps: ['x'] }], makeCtx()).catch((e: unknown) => e as McgError);
    expect(isMcgError(err, 'BACKEND_HTTP')).toBe(true);
    expect((err as McgError).message).toMatch(/malformed response \(data/);
  });

  it('clampScore keeps scores in [0, 1]', () => {
    expect(clampScore(-0.2)).toBe(0);
    expect(clampScore(1.0000001)).toBe(1);
    expect(clampScore(0.3)).toBe(0.3);
  });
});
