// Public entry `mcts-gen/verifiers`: the built-in verifier (and math step-reward) plugin definitions with
// their pure helpers. Importing it loads neither isolated-vm (code checks run in child processes) nor a
// math worker (started on the first hard check).
export * from './math/index.js';
export * from './code/index.js';
export { exactAnswerVerifier, extractFinalAnswer } from './exact/index.js';
