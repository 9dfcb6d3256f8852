// Plain data that crosses between the main thread and pool workers (structured clone).

import type { Config } from '../core/config.js';
import type { Problem } from '../core/types.js';

/** One problem to search in a worker. */
export interface WorkerTask {
  problem: Problem;
  /** The validated run configuration (plain data). */
  config: Config;
  /** Directory that relative plugin paths resolve against. */
  baseDir: string;
  /** Plugin-fault attempts inside the worker. */
  maxAttempts: number;
}

/** What every worker receives once (`workerData`). */
export interface WorkerInit {
  /** Int32Array over a SharedArrayBuffer; index 0 becomes 1 to abandon the searches in flight. */
  abortFlag: Int32Array;
}
