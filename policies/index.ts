// Public entry `mcts-gen/policies`: the built-in policy and reward-model plugin definitions.
export { scriptedPolicy, scriptedReward, isOnCorrectPath } from './scripted/index.js';
