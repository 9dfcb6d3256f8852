// The built-in plugin kinds, each behind a lazy import() so that importing the library loads no model
// runtime, sandbox or math engine until a run asks for that kind.

import { PluginRegistry } from './core/plugin.js';

/** A registry holding every built-in kind. Users may register their own kinds on it (or on a new one). */
export function createDefaultRegistry(): PluginRegistry {
  return new PluginRegistry()
    .register('policy', 'scripted', async () => (await import('../policies/scripted/index.js')).scriptedPolicy)
    .register('reward', 'scripted', async () => (await import('../policies/scripted/index.js')).scriptedReward)
    .register('verifier', 'exact-answer', async () => (await import('../verifiers/exact/index.js')).exactAnswerVerifier);
}

/** The process-wide default registry used when no registry is passed. */
export const defaultRegistry: PluginRegistry = createDefaultRegistry();
