// Public surface of the onnx backend: the `onnx` policy and the `onnx-prm` / `onnx-orm` reward-model
// plugin definitions, their option schemas and the parts tools may reuse (cache, processors, stop
// strings). Importing this module does not load onnxruntime-node: `create` imports it on first use.

export { onnxPolicy, onnxPolicyOptions, createOnnxPolicy, OnnxPolicy, DEFAULT_FINAL_PATTERN, type OnnxPolicyOptions, type OnnxPolicyStats } from './policy.js';
export { onnxPrm, onnxOrm, onnxPrmOptions, onnxOrmOptions, createOnnxPrm, createOnnxOrm, OnnxPrm, OnnxOrm, type OnnxPrmOptions, type OnnxOrmOptions, type OnnxRewardStats } from './reward.js';
export { PrefixKvCache, sliceKv, kvBytes, type KvState, type KvEntry, type KvHit, type KvCacheStats } from './kv-cache.js';
export {
  buildProcessors,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
  minPProcessor,
  sampleToken,
  softmax,
  logSumExp,
  argmax,
  type LogitsProcessor,
  type SamplingSettings,
} from './logits-processors.js';
export { findStopString, rescanFrom, type StopMatch } from './stop-strings.js';
export {
  renderPrefix,
  renderTrajectory,
  resolvePromptFormat,
  createPromptRenderer,
  findChatTemplate,
  specialTokenVariables,
  chatMessages,
  DEFAULT_PROMPT_TEMPLATE,
  PROMPT_FORMATS,
  type PromptFormat,
  type PromptRenderer,
  type PromptSettings,
  type ResolvedPromptFormat,
} from './prompt-format.js';
export { OnnxDecoder, newMeter, type CallMeter, type RowResult, type GenerateSettings } from './decoder.js';
export { readModelDirectory, resolveModelFile, modelFileCandidates, MODEL_FILE_CANDIDATES, MODEL_DTYPES, type ModelDtype, type ModelDirectory, type TextTokenizer } from './model-dir.js';
export { analyzeSignature, loadOrt, type ModelSignature } from './session.js';
export {
  embeddedPolicy,
  embeddedPrm,
  embeddedPolicyOptions,
  embeddedPrmOptions,
  embeddedModelsDir,
  embeddedModelDir,
  EMBEDDED_POLICY,
  EMBEDDED_PRM,
  EMBEDDED_POLICY_DEFAULTS,
  EMBEDDED_PRM_DEFAULTS,
  EMBEDDED_STEP_DELIMITER,
  type EmbeddedPolicyOptions,
  type EmbeddedPrmOptions,
} from './embedded.js';
