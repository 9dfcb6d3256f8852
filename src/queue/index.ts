// Public entry `mcts-gen/queue`: a run spread over many boxes through Redis with BullMQ. The
// coordinator side is `runToDirectory({ queue })` (or `mcts-gen run --queue`); workers are
// `startQueueWorker` (or `mcts-gen worker`).

export { QueueCoordinator, checkQueueOptions, DEFAULT_QUEUE_WINDOW, type QueueRunOptions, type QueueStatus, type CoordinatorRun } from './coordinator.js';
export { startQueueWorker, type QueueWorkerOptions, type QueueWorkerEvent, type QueueWorkerHandle } from './worker.js';
export { parseQueueTarget, DEFAULT_QUEUE_NAME, type QueueTarget } from './target.js';
export { jobIdFor, runIdFor, parseJobData, parseJobResult, JOB_SCHEMA, JOB_NAME, type QueueJobData } from './protocol.js';
