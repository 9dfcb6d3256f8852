// A whole run into a directory: reads problems (from a file or an iterable), skips those a resumed
// run already committed, searches the rest, commits each problem's records, reports progress, and
// writes summary.json. Graceful stop: `stopAfterCurrent()` ends after the problem in flight.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseConfig, type Config, type ConfigInput } from './core/config.js';
import { McgError } from './core/errors.js';
import type { PluginEnv, PluginRegistry } from './core/plugin.js';
import type { Problem } from './core/types.js';
import { defaultRegistry } from './builtin-plugins.js';
import { configHash } from './data/outcome.js';
import { readProblems } from './data/problems.js';
import type { RunSummary } from './data/summary.js';
import { RunWriter } from './data/writer.js';
import { PluginCache, solveProblem } from './generate.js';

/** Progress of a run, reported after every committed problem. */
export interface RunProgress {
  /** Problems committed in this invocation (resumed ones excluded). */
  done: number;
  /** Problems this invocation will attempt, when known. */
  total: number | undefined;
  /** Problems skipped because a resumed run had already committed them. */
  skipped: number;
  succeeded: number;
  solved: number;
  failures: number;
  generatedTokens: number;
  elapsedMs: number;
  lastProblemId: string;
}

export interface RunOptions {
  outDir: string;
  /** Problems: a JSONL file (read as published) or any iterable of problems. */
  input: { file: string } | { problems: Iterable<Problem> | AsyncIterable<Problem>; total?: number };
  config?: ConfigInput | Config;
  registry?: PluginRegistry;
  env?: PluginEnv;
  resume?: boolean;
  overwrite?: boolean;
  fsync?: boolean;
  maxAttempts?: number;
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** Polled before each problem: true stops the run cleanly (committed work stays, summary written). */
  shouldStop?: () => boolean;
  now?: () => number;
}

export interface RunResult {
  summary: RunSummary;
  /** True when the run stopped before reading every problem (shouldStop). */
  stoppedEarly: boolean;
  progress: RunProgress;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts non-blank lines of a file (for a progress total) without loading it. */
export async function countLines(file: string): Promise<number> {
  let n = 0;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') n++;
  return n;
}

/** Runs the configured search over every problem and writes the run directory. */
export async function runToDirectory(options: RunOptions): Promise<RunResult> {
  const config = parseConfig(options.config ?? {});
  const now = options.now ?? (() => performance.now());
  const writer = RunWriter.open(options.outDir, config, { resume: options.resume, overwrite: options.overwrite, fsync: options.fsync });
  const cache = new PluginCache(config, options.registry ?? defaultRegistry, options.env ?? { baseDir: process.cwd() });
  const hash = configHash(config);
  const started = now();
  const resumed = writer.finished.size;
  let total: number | undefined;
  let problems: Iterable<Problem> | AsyncIterable<Problem>;
  if ('file' in options.input) {
    total = await countLines(options.input.file);
    problems = readProblems(options.input.file, { onBadInput: config.onBadInput, onBadLine: (bad) => writer.reject(bad) });
  } else {
    problems = options.input.problems;
    total = options.input.total ?? (Array.isArray(problems) ? problems.length : undefined);
  }
  if (total !== undefined) total = Math.max(0, total - resumed);
  const progress: RunProgress = { done: 0, total, skipped: 0, succeeded: 0, solved: 0, failures: 0, generatedTokens: 0, elapsedMs: 0, lastProblemId: '' };
  let stoppedEarly = false;
  try {
    for await (const problem of problems) {
      // Let signals and timers run between problems even when every plugin answers synchronously.
      await yieldToEventLoop();
      if (options.shouldStop?.() === true) {
        stoppedEarly = true;
        break;
      }
      if (options.signal?.aborted) throw new McgError('ABORTED', 'the run was aborted');
      if (writer.finished.has(problem.id)) {
        progress.skipped++;
        continue;
      }
      const outcome = await solveProblem(problem, config, cache, { signal: options.signal, maxAttempts: options.maxAttempts, now: options.now, hash });
      writer.commit(outcome);
      progress.done++;
      progress.lastProblemId = problem.id;
      if (outcome.ok) {
        if (outcome.stats.success) progress.succeeded++;
        if (outcome.stats.solved) progress.solved++;
        progress.generatedTokens += outcome.stats.usage.generatedTokens;
      } else {
        progress.failures++;
      }
      progress.elapsedMs = now() - started;
      options.onProgress?.({ ...progress });
    }
  } finally {
    await cache.close();
    // Whatever happened, what was committed stays committed and the summary describes it.
    writer.close();
  }
  progress.elapsedMs = now() - started;
  return { summary: writer.summary(), stoppedEarly, progress };
}
