// Option checking of `openai` and `openai-reward`: one message per mistake, naming the key path;
// defaults; and the example vLLM config parses with both the run schema and the plugin schema.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openaiPolicyOptions, openaiRewardOptions } from '../../../policies/openai-http/index.js';
import { applyOverrides, isMcgError, parseConfig, type McgError } from '../../../src/index.js';
import { createPolicy, createReward } from './helpers.js';

async function optionError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(isMcgError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as McgError).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

const base = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };

describe('policy options', () => {
  it('have documented defaults', () => {
    const o = openaiPolicyOptions.parse(base);
    expect(o).toMatchObject({
      endpoint: 'completions',
      apiKeyEnv: null,
      stepDelimiter: '\n\n',
      maxTokens: 256,
      temperature: 0.7,
      topP: 1,
      sendSeed: true,
      logprobs: true,
      unknownStopAs: 'step',
      chatContinuation: 'vllm',
      choicesPerRequest: 128,
      rolloutMaxTokens: 1024,
      timeoutMs: 120_000,
      maxRetries: 4,
      backoffBaseMs: 500,
      backoffMaxMs: 10_000,
      maxBackoffTotalMs: 60_000,
      maxConcurrency: 64,
      requestsPerMinute: null,
      tokensPerMinute: null,
      rateWindowMs: 60_000,
    });
    expect(o.stop).toBeUndefined();
    expect(o.promptTemplate).toBeUndefined();
  });

  it('name the key path of each mistake', async () => {
    expect(await optionError(createPolicy({ baseUrl: 'http://x/v1' }))).toBe('policy.options.model is required (a string)');
    expect(await optionError(createPolicy({ ...base, temperature: 3 }))).toBe('policy.options.temperature must be a number in [0, 2], got 3');
    expect(await optionError(createPolicy({ ...base, endpoint: 'responses' }))).toBe('policy.options.endpoint must be one of "completions", "chat", got "responses"');
    expect(await optionError(createPolicy({ ...base, maxTokns: 5 }))).toContain('policy.options.maxTokns is not a known key; did you mean "maxTokens"?');
    expect(await optionError(createPolicy({ ...base, finalPattern: '(' }))).toBe('policy.options.finalPattern must be a valid regular expression, got "("');
    expect(await optionError(createPolicy({ ...base, apiKeyEnv: 'sk-123' }))).toContain('policy.options.apiKeyEnv must be an environment variable name');
    expect(await optionError(createPolicy({ ...base, maxConcurrency: 0 }))).toBe('policy.options.maxConcurrency must be an integer in [1, 4096], got 0');
    expect(await optionError(createPolicy({ ...base, requestsPerMinute: 0 }))).toBe('policy.options.requestsPerMinute must be an integer in [1, 100000000] or null, got 0');
  });

  it('refuse base URLs with credentials, a query or another scheme (the key belongs in apiKeyEnv)', async () => {
    for (const url of ['http://user:sk-secret@127.0.0.1:8000/v1', 'http://127.0.0.1:8000/v1?key=sk-secret', 'ftp://127.0.0.1/v1', 'not a url']) {
      const message = await optionError(createPolicy({ ...base, baseUrl: url }));
      expect(message).toMatch(/^policy\.options\.baseUrl must be an http\(s\) URL without credentials, query or fragment/);
    }
  });
});

describe('reward options', () => {
  it('have documented defaults', () => {
    expect(openaiRewardOptions.parse({ baseUrl: 'http://127.0.0.1:9', model: 'prm' })).toMatchObject({
      mode: 'pooling',
      inputTemplate: '{prompt}\n\n{steps}',
      stepSeparator: '<extra_0>',
      stepDelimiter: '\n\n',
      goodClass: 1,
      separatorTokenId: null,
      maxBatch: 32,
    });
  });

  it('name the key path of each mistake', async () => {
    expect(await optionError(createReward({ baseUrl: 'http://127.0.0.1:9', model: 'prm', mode: 'reward' }))).toBe('reward.options.mode must be one of "pooling", "classify", "score", got "reward"');
    expect(await optionError(createReward({ baseUrl: 'http://127.0.0.1:9', model: 'prm', path: 'pooling' }))).toBe('reward.options.path must be a path starting with "/" (e.g. "/v1/score"), got "pooling"');
  });
});

describe('examples/vllm/run.json', () => {
  const raw = JSON.parse(readFileSync(new URL('../../../examples/vllm/run.json', import.meta.url), 'utf8')) as Record<string, unknown>;

  it('is a valid run config whose policy options parse, with the base URL overridable by --set', () => {
    const config = parseConfig(applyOverrides(raw, ['policy.options.baseUrl=http://gpu-box:8000/v1']));
    expect(config.policy.kind).toBe('openai');
    const options = openaiPolicyOptions.parse(config.policy.options);
    expect(options.baseUrl).toBe('http://gpu-box:8000/v1');
    expect(options.stepDelimiter).toBe(config.stepDelimiter);
  });

  it('run-prm.json adds a PRM on /pooling whose options parse', () => {
    const prm = JSON.parse(readFileSync(new URL('../../../examples/vllm/run-prm.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const config = parseConfig(prm);
    expect(config.reward?.kind).toBe('openai-reward');
    const options = openaiRewardOptions.parse(config.reward!.options);
    expect(options.mode).toBe('pooling');
    expect(options.inputTemplate).toContain('{steps}');
    expect(openaiPolicyOptions.parse(config.policy.options).model).toBe('Qwen/Qwen2.5-Math-7B-Instruct');
  });
});
