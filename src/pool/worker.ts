// Pool worker entry (one default export, as piscina expects): rebuilds plugins from their specs
// (cached per config for the worker's life), searches one problem, returns its outcome as plain data.
// Cancellation is cooperative: the main thread raises a shared flag and the search stops between
// simulations or decode steps; the thread is never terminated inside a native call.

import { workerData } from 'node:worker_threads';
import { defaultRegistry } from '../builtin-plugins.js';
import { McgError } from '../core/errors.js';
import { configHash, type ProblemOutcome } from '../data/outcome.js';
import { PluginCache, solveProblem } from '../generate.js';
import type { WorkerInit, WorkerTask } from './messages.js';

const init = (workerData ?? {}) as Partial<WorkerInit>;
const caches = new Map<string, PluginCache>();
const ABORT_POLL_MS = 20;

function cacheFor(task: WorkerTask): PluginCache {
  const key = `${configHash(task.config)}|${task.baseDir}`;
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = new PluginCache(task.config, defaultRegistry, { baseDir: task.baseDir });
    caches.set(key, cache);
  }
  return cache;
}

export default async function runTask(task: WorkerTask): Promise<ProblemOutcome> {
  const controller = new AbortController();
  const flag = init.abortFlag;
  const poll =
    flag === undefined
      ? undefined
      : setInterval(() => {
          if (Atomics.load(flag, 0) !== 0) controller.abort(new McgError('ABORTED', 'the run was abandoned'));
        }, ABORT_POLL_MS);
  try {
    return await solveProblem(task.problem, task.config, cacheFor(task), { signal: controller.signal, maxAttempts: task.maxAttempts });
  } finally {
    if (poll !== undefined) clearInterval(poll);
  }
}
