// Shared set-up for the HTTP plugin tests: call contexts, plugins built through a registry (so
// options are parsed as a run would), and the arithmetic problems the fake server solves.

import {
  Rng,
  createDefaultRegistry,
  emptyUsage,
  generateArithProblems,
  type CallContext,
  type PluginRegistry,
  type Policy,
  type Problem,
  type RewardModel,
} from '../../../src/index.js';
import { openaiPolicy, openaiReward } from '../../../policies/openai-http/index.js';

/** A registry with the two HTTP kinds (until the default registry carries them). */
export function httpRegistry(): PluginRegistry {
  return createDefaultRegistry().register('policy', 'openai', openaiPolicy).register('reward', 'openai-reward', openaiReward);
}

export function makeCtx(seed = 'test', extra: { greedy?: boolean; signal?: AbortSignal } = {}): CallContext {
  const ctx: CallContext = { signal: extra.signal ?? new AbortController().signal, rng: Rng.fromSeed(seed), usage: emptyUsage() };
  if (extra.greedy === true) ctx.greedy = true;
  return ctx;
}

export function createPolicy(options: Record<string, unknown>): Promise<Policy> {
  return httpRegistry().create('policy', { kind: 'openai', options }, { baseDir: '.' });
}

export function createReward(options: Record<string, unknown>): Promise<RewardModel> {
  return httpRegistry().create('reward', { kind: 'openai-reward', options }, { baseDir: '.' });
}

/** Fast-retry client options for tests (small backoff, short timeout). */
export const FAST = { backoffBaseMs: 5, backoffMaxMs: 40, timeoutMs: 2000 } as const;

export function arithProblems(count: number, seed = 3): Problem[] {
  return generateArithProblems({ count, seed, minSteps: 2, maxSteps: 4 });
}
