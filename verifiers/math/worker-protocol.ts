// Messages between the host (`worker-guard.ts`) and the evaluation worker (`eval-worker.ts`): plain,
// versioned data. Kept apart from the worker entry so the host never loads the worker's modules (mathjs).

import type { McgErrorData } from '../../src/core/errors.js';
import type { CompareOptions, Comparison } from './answer-compare.js';

/** Protocol version; bump when the message shapes change. */
export const WORKER_PROTOCOL = 1;

/** `workerData` marker: the entry only serves messages in a thread started by the guard with it. */
export const WORKER_MARKER = 'mcts-gen/math-eval-worker';

export interface WorkerRequest {
  v: typeof WORKER_PROTOCOL;
  id: number;
  gold: string;
  pred: string;
  options: CompareOptions;
}

export type WorkerResponse =
  | { v: typeof WORKER_PROTOCOL; id: number; result: Comparison }
  | { v: typeof WORKER_PROTOCOL; id: number; error: McgErrorData }
  | { v: typeof WORKER_PROTOCOL; ready: true };
