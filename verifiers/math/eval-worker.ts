// Entry of the guarded evaluation worker: one comparison per message, run on the full ladder with the
// mathjs env. The host terminates this thread when a comparison overruns its time limit. Messages are
// plain data (`WorkerRequest` in, `WorkerResponse` out); errors cross as `{ code, message }`.

import { isMainThread, parentPort } from 'node:worker_threads';
import { toErrorData, type McgErrorData } from '../../src/core/index.js';
import { compareAnswersWith, type CompareOptions, type Comparison } from './answer-compare.js';
import { createMathjsEnv } from './symbolic-env.js';

/** Protocol version; bump when the message shapes change. */
export const WORKER_PROTOCOL = 1;

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

let env: ReturnType<typeof createMathjsEnv> | null = null;

/** Handles one request (also callable in-thread, e.g. from tests). */
export default function handleRequest(req: WorkerRequest): WorkerResponse {
  env ??= createMathjsEnv();
  try {
    return { v: WORKER_PROTOCOL, id: req.id, result: compareAnswersWith(req.gold, req.pred, req.options, env) };
  } catch (err) {
    return { v: WORKER_PROTOCOL, id: req.id, error: toErrorData(err) };
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => port.postMessage(handleRequest(req)));
  env = createMathjsEnv();
  port.postMessage({ v: WORKER_PROTOCOL, ready: true } satisfies WorkerResponse);
}
