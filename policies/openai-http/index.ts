// Public surface of the OpenAI-compatible HTTP backends: the `openai` policy and `openai-reward`
// reward model plugin definitions, their option schemas, and the shared client pieces (limiter,
// backoff) for tools that want the same transport. Imports only src/core.

export { openaiPolicy, openaiPolicyOptions, OpenAIPolicy, mapEnding, sumLogprobs, renderTemplate, DEFAULT_FINAL_PATTERN, type OpenAIPolicyOptions } from './policy.js';
export { openaiReward, openaiRewardOptions, OpenAIRewardModel, clampScore, REWARD_PATHS, type OpenAIRewardOptions } from './reward.js';
export { OpenAIHttpClient, redactSecret, trimBody, describeUrl, ERROR_BODY_CHARS, type HttpClientOptions, type PostOptions, type PostResult } from './http-client.js';
export { clientOptionsShape, createHttpClient, baseUrlSchema, type ClientOptions } from './client-options.js';
export { RequestLimiter, sharedLimiter, resetSharedLimiters, type RateLimits, type Permit } from './rate-limiter.js';
export { computeBackoffMs, parseRetryAfterMs, isRetryableStatus, sleep, onAbort, type BackoffOptions } from './backoff.js';
