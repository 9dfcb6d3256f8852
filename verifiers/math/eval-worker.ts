// Entry of the guarded evaluation worker: one comparison per message, run on the full ladder with the
// mathjs env. The host terminates this thread when a comparison overruns its time limit. Messages are
// plain data (`WorkerRequest` in, `WorkerResponse` out); errors cross as `{ code, message }`. Core is
// imported module by module, not through the barrel, to keep the worker's start-up short.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { toErrorData } from '../../src/core/errors.js';
import { DEFAULT_COMPARE_OPTIONS, compareAnswersWith, type CompareOptions } from './answer-compare.js';
import { createMathjsEnv } from './symbolic-env.js';
import { WORKER_MARKER, WORKER_PROTOCOL, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

export type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

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

/** Warms the mathjs instances up (creation, simplify, compile) so a first request is not billed for it. */
function warmUp(): void {
  handleRequest({ v: WORKER_PROTOCOL, id: 0, gold: '(x+1)^2', pred: 'x^2+2x+1', options: WARM_UP_OPTIONS });
  handleRequest({ v: WORKER_PROTOCOL, id: 0, gold: '\\sqrt{2}/200!', pred: '\\sqrt{2}/201!', options: WARM_UP_OPTIONS });
}

const WARM_UP_OPTIONS: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS };

// Serve only in a thread the guard started (other worker threads, e.g. a piscina pool importing the
// plugin, must keep their parentPort to themselves).
if (!isMainThread && parentPort !== null && (workerData as { marker?: unknown } | null)?.marker === WORKER_MARKER) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => port.postMessage(handleRequest(req)));
  warmUp();
  port.postMessage({ v: WORKER_PROTOCOL, ready: true } satisfies WorkerResponse);
}
