// Public entry `mcts-gen/policies`: the built-in policy and reward-model plugin definitions. The ONNX and
// HTTP modules load onnxruntime-node, tokenizers or sockets only when a plugin is created.
export { scriptedPolicy, scriptedReward, isOnCorrectPath } from './scripted/index.js';
export { onnxPolicy, onnxPrm, onnxOrm } from './onnx/index.js';
export { openaiPolicy, openaiReward } from './openai-http/index.js';
export { logprobReward, logprobScore, logprobRewardOptions, type LogprobRewardOptions } from './logprob/index.js';
