// Messages between the sandbox pool (parent process) and a sandbox runner (child process).
// Plain, versioned JSON data only; imports nothing, so both sides can load it cheaply.

/** Bumped when a message shape changes; the runner refuses jobs from another version. */
export const PROTOCOL_VERSION = 2;

/** Resource limits of one check, as the runner enforces them. */
export interface SandboxLimits {
  /** Heap limit of the isolate in MB (isolated-vm `memoryLimit`, minimum 8). */
  memoryLimitMb: number;
  /** CPU time allowed to the program and to each test script, in ms (measured on the runner process). */
  cpuTimeMsPerTest: number;
  /** Wall-clock budget of the whole check inside the runner, in ms. */
  wallTimeMs: number;
  /** Console output kept (head and tail), in UTF-16 code units (= bytes for ASCII). */
  maxOutputBytes: number;
  /** Console output beyond which the check fails with `output_limit`, in UTF-16 code units. */
  maxOutputTotalBytes: number;
}

/** One check: the program, then each test script in turn, in one fresh context. */
export interface RunJob {
  type: 'run';
  version: number;
  id: number;
  /** Solution code, run first as a top-level script (filename `solution.js`). */
  program: string;
  /** Test scripts, run in order after the program (filenames `test-<i>.js`). */
  tests: string[];
  limits: SandboxLimits;
  /** Seed of the in-sandbox `Math.random` (an unsigned 32-bit integer). */
  seed: number;
  /** What the parent read from each test's source (same order as `tests`); absent entries mean none. */
  testMeta?: TestMeta[];
}

/** Facts about one test script, read by the parent from its source before instrumenting it. */
export interface TestMeta {
  /** Top-level names the test declares (var/let/const/function/class); the program must not lock them. */
  declared: string[];
  /** True when the test's source mentions `assert`: the helper must still be the harness's when it runs. */
  checksAssert: boolean;
}

/** Why a script did not succeed, as the runner sees it (the parent maps these to verdict reasons). */
export type ScriptFailure =
  | 'assertion'
  | 'syntax_error'
  | 'runtime_error'
  | 'timeout'
  | 'wall_timeout'
  | 'unsettled'
  | 'oom'
  | 'output_limit'
  | 'crash'
  | 'runner_timeout'
  | 'not_run';

export interface ScriptOutcome {
  ok: boolean;
  failure?: ScriptFailure;
  /** Short description (error name and message, location when known), already truncated. */
  message?: string;
}

/** What the runner reports for one job. Every field is plain data copied out of the sandbox. */
export interface RunResult {
  type: 'result';
  id: number;
  program: ScriptOutcome;
  /** One outcome per test script, same order (`not_run` when the program or the wall budget failed first). */
  tests: ScriptOutcome[];
  /** Assertion calls made while tests ran: `console.assert`, `assert.*`, `isEqual` of the lodash shim. */
  assertions: { run: number; passed: number };
  /** Captured console output: head and tail, with a marker where characters were dropped. */
  output: string;
  /** Total console output produced, in UTF-16 code units. */
  outputChars: number;
  /** True when the runner replaced its isolate during this job (timeout, out of memory, disposal). */
  isolateReplaced: boolean;
  /** Set when the runner itself failed (not the solution); the parent reports `sandbox_crash`. */
  internalError?: string;
  /** Set when the runner exits after this report (its isolate is stuck); the pool must not reuse it. */
  runnerExiting?: boolean;
}

/** Sent once the runner has loaded isolated-vm and can take jobs. */
export interface ReadyMessage {
  type: 'ready';
  version: number;
  pid: number;
}

/** Sent when the runner cannot go on (e.g. isolated-vm reported a catastrophic error); it exits next. */
export interface FatalMessage {
  type: 'fatal';
  message: string;
}

export type ParentMessage = RunJob | { type: 'shutdown' };
export type ChildMessage = RunResult | ReadyMessage | FatalMessage;
