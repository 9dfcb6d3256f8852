// The built-in plugin kinds, each behind a lazy import() so that importing the library loads no model
// runtime, sandbox or math engine until a run asks for that kind.

import { PluginRegistry } from './core/plugin.js';

/** A registry holding every built-in kind. Users may register their own kinds on it (or on a new one). */
export function createDefaultRegistry(): PluginRegistry {
  return new PluginRegistry()
    .register('policy', 'scripted', async () => (await import('../policies/scripted/index.js')).scriptedPolicy)
    .register('policy', 'openai', async () => (await import('../policies/openai-http/index.js')).openaiPolicy)
    .register('policy', 'onnx', async () => (await import('../policies/onnx/index.js')).onnxPolicy)
    .register('policy', 'embedded', async () => (await import('../policies/onnx/index.js')).embeddedPolicy)
    .register('reward', 'scripted', async () => (await import('../policies/scripted/index.js')).scriptedReward)
    .register('reward', 'openai-reward', async () => (await import('../policies/openai-http/index.js')).openaiReward)
    .register('reward', 'onnx-prm', async () => (await import('../policies/onnx/index.js')).onnxPrm)
    .register('reward', 'embedded-prm', async () => (await import('../policies/onnx/index.js')).embeddedPrm)
    .register('reward', 'onnx-orm', async () => (await import('../policies/onnx/index.js')).onnxOrm)
    .register('reward', 'logprob', async () => (await import('../policies/logprob/index.js')).logprobReward)
    .register('reward', 'math-steps', async () => (await import('../verifiers/math/index.js')).mathStepReward)
    .register('verifier', 'math', async () => (await import('../verifiers/math/index.js')).mathVerifier)
    .register('verifier', 'code', async () => (await import('../verifiers/code/index.js')).codeVerifier)
    .register('verifier', 'exact-answer', async () => (await import('../verifiers/exact/index.js')).exactAnswerVerifier);
}

/** The process-wide default registry used when no registry is passed. */
export const defaultRegistry: PluginRegistry = createDefaultRegistry();
