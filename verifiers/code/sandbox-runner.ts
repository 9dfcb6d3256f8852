// Child-process entry of the code sandbox: loads isolated-vm, keeps one isolate, and runs one job at a
// time in a fresh context. Started by sandbox-pool.ts with `child_process.fork`; talks over IPC with
// the plain messages of protocol.ts. Imports isolated-vm, the harness source and the protocol only.
//
// Limits: CPU time is measured with process.cpuUsage() (this process does nothing else while a script
// runs) and enforced by disposing the isolate; the wall-clock budget uses isolated-vm's own timeout.
// If a disposed isolate does not let go (isolated-vm can loop in native code while copying a thrown
// value), the runner reports the timeout and kills itself; the pool starts a new runner.

import ivm from 'isolated-vm';
import { HARNESS_FILENAME, HARNESS_SOURCE, TEST_FAILED_GLOBAL } from './sandbox-harness.js';
import { ASYNC_GLOBAL } from './async-global.js';
import {
  PROTOCOL_VERSION,
  type ChildMessage,
  type ParentMessage,
  type RunJob,
  type RunResult,
  type ScriptFailure,
  type ScriptOutcome,
  type TestMeta,
} from './protocol.js';

/** How often the CPU watchdog samples process CPU time, in ms. */
const WATCHDOG_INTERVAL_MS = 5;
/** How long a disposed isolate may take to unwind before the runner gives up on it, in ms. */
const DISPOSE_GRACE_MS = 500;
/** Longest error message kept per script, in characters. */
const MAX_MESSAGE_CHARS = 300;
/** Wall-clock timeout of a call to the harness control function (trusted code, microseconds normally), in ms. */
const CONTROL_TIMEOUT_MS = 1000;
/**
 * Timer callbacks fired after one script before its timers count as never-ending (an interval that is
 * never cleared, a timeout that re-arms itself): the script is then `unsettled`. Low enough to be
 * reached well within any CPU limit, so the verdict does not depend on the machine's speed.
 */
export const MAX_TIMER_FIRINGS = 1_000;
/** Run before a test that mentions `assert`: which function the name resolves to for test code. */
const ASSERT_BINDING_PROBE = `try { ${ASYNC_GLOBAL}.sameAssert(assert); } catch (_) { ${ASYNC_GLOBAL}.sameAssert(undefined); }`;

/** What a control call can carry: JSON text, or a value handed back into the isolate by reference. */
type ControlArg = string | ReturnType<ivm.Reference<unknown>['derefInto']>;
type Control = ivm.Reference<(command: string, arg?: ControlArg) => string>;

interface IsolateSlot {
  isolate: ivm.Isolate;
  memoryLimitMb: number;
  harness: ivm.Script;
}

let slot: IsolateSlot | undefined;
/** Set when the runner must exit after the current job (an isolate that would not unwind). */
let poisoned = false;

function send(message: ChildMessage, then?: () => void): void {
  if (process.send === undefined) return;
  process.send(message, undefined, {}, () => then?.());
}

function catastrophic(message: string): void {
  // isolated-vm asks us to stop using the process: report, then abort so the pool sees a crash.
  send({ type: 'fatal', message: `isolated-vm catastrophic error: ${message}` }, () => process.abort());
  setTimeout(() => process.abort(), 200).unref();
}

async function acquireSlot(memoryLimitMb: number): Promise<{ slot: IsolateSlot; fresh: boolean }> {
  if (slot !== undefined && !slot.isolate.isDisposed && slot.memoryLimitMb === memoryLimitMb) return { slot, fresh: false };
  releaseSlot();
  const isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb, onCatastrophicError: catastrophic });
  const harness = await isolate.compileScript(HARNESS_SOURCE, { filename: HARNESS_FILENAME });
  slot = { isolate, memoryLimitMb, harness };
  return { slot, fresh: true };
}

function releaseSlot(): void {
  if (slot === undefined) return;
  const old = slot;
  slot = undefined;
  try {
    if (!old.isolate.isDisposed) old.isolate.dispose();
  } catch {
    // already gone
  }
}

/** Plain text of anything isolated-vm rejected with (an Error copy, or a thrown primitive). */
function describeHostError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  if (err === null || typeof err !== 'object') return { name: 'thrown', message: `thrown ${err === null ? 'null' : typeof err}: ${String(err)}` };
  return { name: 'thrown', message: 'thrown non-Error value' };
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}...`;
}

interface GuardedRun {
  /** `ok`: the script finished; `threw`: it threw `error`; the rest end the isolate. */
  status: 'ok' | 'threw' | 'cpu_timeout' | 'wall_timeout' | 'oom' | 'disposed';
  error?: unknown;
}

/**
 * Runs `task` (one script or one control call) while a watchdog samples process CPU time: past
 * `cpuLimitMs` it disposes the isolate. `wallLimitMs` is passed to isolated-vm as its timeout.
 */
async function runGuarded(isolate: ivm.Isolate, cpuLimitMs: number, task: () => Promise<unknown>): Promise<GuardedRun> {
  const start = process.cpuUsage();
  let cpuExceeded = false;
  let settled = false;
  const outcome = task().then(
    (): GuardedRun => ({ status: 'ok' }),
    (error: unknown): GuardedRun => {
      if (cpuExceeded) return { status: 'cpu_timeout' };
      const { message } = describeHostError(error);
      if (message.includes('disposed during execution due to memory limit')) return { status: 'oom' };
      if (message === 'Script execution timed out.') return { status: 'wall_timeout' };
      if (isolate.isDisposed) return { status: 'disposed', error };
      return { status: 'threw', error };
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<GuardedRun>((resolve) => {
    timer = setInterval(() => {
      if (settled) return;
      const used = process.cpuUsage(start);
      if ((used.user + used.system) / 1000 <= cpuLimitMs) return;
      cpuExceeded = true;
      clearInterval(timer);
      try {
        isolate.dispose();
      } catch {
        // already disposed
      }
      // A disposed isolate normally unwinds at once; if it does not, this process is stuck.
      setTimeout(() => {
        if (!settled) {
          poisoned = true;
          resolve({ status: 'cpu_timeout' });
        }
      }, DISPOSE_GRACE_MS);
    }, WATCHDOG_INTERVAL_MS);
  });
  try {
    return await Promise.race([outcome, watchdog]);
  } finally {
    settled = true;
    clearInterval(timer);
  }
}

function failureOfGuarded(run: GuardedRun, phase: 'compile' | 'run'): ScriptOutcome {
  switch (run.status) {
    case 'ok':
      return { ok: true };
    case 'cpu_timeout':
      return { ok: false, failure: 'timeout', message: 'CPU time limit exceeded' };
    case 'wall_timeout':
      return { ok: false, failure: 'wall_timeout', message: 'wall-clock limit exceeded' };
    case 'oom':
      return { ok: false, failure: 'oom', message: 'memory limit exceeded' };
    case 'disposed':
      return { ok: false, failure: 'crash', message: 'the isolate was disposed during execution' };
    case 'threw': {
      const { name, message } = describeHostError(run.error);
      if (phase === 'compile') return { ok: false, failure: 'syntax_error', message: truncate(`${name}: ${message}`) };
      const oom = name === 'RangeError' && /Array buffer allocation failed|Invalid string length|out of memory/.test(message);
      return { ok: false, failure: oom ? 'oom' : 'runtime_error', message: truncate(name === 'thrown' ? message : `${name}: ${message}`) };
    }
  }
}

/** Wraps one test script so anything it throws is handed to the harness inside the sandbox. */
function wrapTest(source: string): string {
  const strict = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\1/.test(source) ? "'use strict';" : '';
  // The try statement's completion value is the test's own (a promise it returns is then tracked).
  return `${strict}try {\n${source}\n} catch (__mcgError) { ${TEST_FAILED_GLOBAL}(__mcgError); }`;
}

function remainingMs(deadline: number): number {
  return Math.max(1, Math.floor(deadline - Date.now()));
}

function testMetaOf(job: RunJob, index: number): TestMeta {
  const meta = job.testMeta?.[index];
  return { declared: meta?.declared ?? [], checksAssert: meta?.checksAssert ?? false };
}

interface Snapshot {
  assertionsRun: number;
  assertionsPassed: number;
  output: string;
  outputChars: number;
}

/** One sandbox context with the harness installed, and what its control function last reported. */
interface Session {
  isolate: ivm.Isolate;
  context: ivm.Context;
  control: Control;
  last: Snapshot | undefined;
}

/** Runs one job: the program, then each test; see RunResult for what is reported. */
async function runJob(job: RunJob): Promise<RunResult> {
  const { limits } = job;
  const deadline = Date.now() + limits.wallTimeMs;
  const result: RunResult = {
    type: 'result',
    id: job.id,
    program: { ok: false, failure: 'not_run' },
    tests: job.tests.map((): ScriptOutcome => ({ ok: false, failure: 'not_run' })),
    assertions: { run: 0, passed: 0 },
    output: '',
    outputChars: 0,
    isolateReplaced: false,
  };
  const config = JSON.stringify({ seed: job.seed >>> 0, maxOutputBytes: limits.maxOutputBytes, maxOutputTotalBytes: limits.maxOutputTotalBytes });
  let session: Session | undefined;

  /** Adds what a session reported last to the totals (its counters are lost with its isolate otherwise). */
  const fold = (s: Session): void => {
    if (s.last === undefined) return;
    result.assertions.run += s.last.assertionsRun;
    result.assertions.passed += s.last.assertionsPassed;
    result.output = result.output === '' ? s.last.output : `${result.output}\n${s.last.output}`;
    result.outputChars += s.last.outputChars;
    s.last = undefined;
  };

  /** Drops the session; `kill` also replaces the isolate (after a timeout, out of memory or disposal). */
  const endSession = (kill: boolean): void => {
    if (session === undefined) return;
    const s = session;
    session = undefined;
    fold(s);
    if (kill) {
      result.isolateReplaced = true;
      releaseSlot();
      return;
    }
    try {
      s.control.release();
      s.context.release();
    } catch {
      // isolate already disposed
    }
  };

  /** Why the last failed control call failed (the session is gone after one). */
  let controlFailure: GuardedRun = { status: 'disposed' };

  /** Calls the harness control function; undefined when the isolate failed meanwhile (session ended). */
  const control = async (command: string, arg?: ControlArg, timeoutMs = CONTROL_TIMEOUT_MS): Promise<string | undefined> => {
    const s = session as Session;
    let value: unknown;
    const run = await runGuarded(s.isolate, limits.cpuTimeMsPerTest, async () => {
      value = await s.control.apply(undefined, arg === undefined ? [command] : [command, arg], { timeout: timeoutMs });
    });
    if (run.status !== 'ok') {
      controlFailure = run;
      endSession(true);
      return undefined;
    }
    return typeof value === 'string' ? value : '';
  };

  /** The outcome to report when a control call failed around a script. */
  const controlOutcome = (when: string): ScriptOutcome => {
    const outcome = failureOfGuarded(controlFailure, 'run');
    return { ...outcome, message: `${outcome.message ?? ''} (${when})` };
  };

  const snapshot = async (): Promise<void> => {
    const text = await control('snapshot');
    if (text !== undefined && session !== undefined) session.last = JSON.parse(text) as Snapshot;
  };

  /**
   * A fresh context with the harness installed. A reused isolate that cannot even start the harness
   * (e.g. memory still held by the previous check) is replaced once; a fresh isolate that cannot is a
   * runner fault and throws.
   */
  const openSession = async (): Promise<void> => {
    for (;;) {
      const { slot: current, fresh } = await acquireSlot(limits.memoryLimitMb);
      const isolate = current.isolate;
      let initRef: ivm.Reference<(config: string) => unknown> | undefined;
      let controlRef: Control | undefined;
      let context: ivm.Context | undefined;
      const setup = await runGuarded(isolate, limits.cpuTimeMsPerTest, async () => {
        context = await isolate.createContext();
        initRef = (await current.harness.run(context, { reference: true, timeout: remainingMs(deadline) })) as ivm.Reference<(config: string) => unknown>;
        controlRef = (await initRef.apply(undefined, [config], { result: { reference: true }, timeout: remainingMs(deadline) })) as Control;
      });
      initRef?.release();
      if (setup.status === 'ok' && context !== undefined && controlRef !== undefined) {
        session = { isolate, context, control: controlRef, last: undefined };
        return;
      }
      result.isolateReplaced = true;
      releaseSlot();
      if (fresh || poisoned) throw new Error(`the sandbox harness failed to start (${setup.status}: ${describeHostError(setup.error).message})`);
    }
  };

  /**
   * Fires the session's timers one at a time until none is left (microtasks run after each call), within
   * the script's CPU budget and the check's wall budget. Returns a failure, or undefined when the timers
   * ran out or `MAX_TIMER_FIRINGS` were fired (the harness then reports what is still pending).
   */
  const drainTimers = async (cpuStart: NodeJS.CpuUsage): Promise<ScriptOutcome | undefined> => {
    for (let fired = 0; fired < MAX_TIMER_FIRINGS; fired++) {
      const used = process.cpuUsage(cpuStart);
      if ((used.user + used.system) / 1000 > limits.cpuTimeMsPerTest) {
        endSession(true);
        return { ok: false, failure: 'timeout', message: `CPU time limit exceeded while timers ran (${fired} fired)` };
      }
      if (Date.now() >= deadline) {
        endSession(true);
        return { ok: false, failure: 'wall_timeout', message: `wall-clock limit exceeded while timers ran (${fired} fired)` };
      }
      const tick = await control('tick', undefined, remainingMs(deadline));
      if (tick === undefined) return controlOutcome('in a timer callback');
      if (tick === 'idle') return undefined;
    }
    return undefined;
  };

  /** Compiles and runs one script in the session and classifies the outcome. */
  const runScript = async (source: string, filename: string, lineOffset: number, test?: TestMeta): Promise<ScriptOutcome> => {
    const s = session as Session;
    const cpuStart = process.cpuUsage();
    if ((await control('beginScript')) === undefined) return controlOutcome('before the script ran');
    const finish = async (run: GuardedRun): Promise<ScriptOutcome> => {
      // The harness knows about assertion failures, the output limit and unsettled work, even when caught.
      const reported = await control('scriptResult');
      if (reported === undefined) return controlOutcome('after the script ran');
      const parsed = JSON.parse(reported) as { failure: string; message: string };
      await snapshot();
      const outcome: ScriptOutcome =
        parsed.failure !== '' ? { ok: false, failure: parsed.failure as ScriptFailure, message: parsed.message } : run.status === 'threw' ? failureOfGuarded(run, 'run') : { ok: true };
      // An allocation that failed inside the limit leaves the memory held until the isolate goes.
      if (outcome.failure === 'oom') endSession(true);
      return outcome;
    };
    if (test !== undefined) {
      if (test.declared.length > 0) {
        const locked = await control('declared', JSON.stringify(test.declared));
        if (locked === undefined) return controlOutcome('before the test ran');
        if (locked === 'locked') return finish({ status: 'ok' });
      }
      if (test.checksAssert) {
        const probe = await runGuarded(s.isolate, limits.cpuTimeMsPerTest, async () => {
          await s.context.eval(ASSERT_BINDING_PROBE, { timeout: CONTROL_TIMEOUT_MS });
        });
        if (probe.status !== 'ok' && probe.status !== 'threw') {
          endSession(true);
          return failureOfGuarded(probe, 'run');
        }
        const shadowed = await control('assertBinding');
        if (shadowed === undefined) return controlOutcome('before the test ran');
        if (shadowed === 'shadowed') return finish({ status: 'ok' });
      }
    }
    let script: ivm.Script | undefined;
    const compiled = await runGuarded(s.isolate, limits.cpuTimeMsPerTest, async () => {
      script = await s.isolate.compileScript(source, { filename, lineOffset });
    });
    if (compiled.status !== 'ok') {
      if (compiled.status !== 'threw') endSession(true);
      return failureOfGuarded(compiled, 'compile');
    }
    const compiledScript = script as ivm.Script;
    let completion: ivm.Reference<unknown> | undefined;
    const run = await runGuarded(s.isolate, limits.cpuTimeMsPerTest, async () => {
      // The completion value comes back as a Reference: handed back to the harness for a test (a
      // returned promise must fulfil), released unread otherwise.
      completion = (await compiledScript.run(s.context, { reference: true, timeout: remainingMs(deadline) })) as ivm.Reference<unknown> | undefined;
    });
    if (run.status !== 'ok' && run.status !== 'threw') {
      endSession(true);
      return failureOfGuarded(run, 'run');
    }
    compiledScript.release();
    if (completion !== undefined) {
      const ref = completion;
      const handed = test !== undefined && run.status === 'ok' ? await control('completion', ref.derefInto()) : '';
      if (session !== undefined) ref.release();
      if (handed === undefined) return controlOutcome('after the script ran');
    }
    const drained = await drainTimers(cpuStart);
    if (drained !== undefined) return drained;
    return finish(run);
  };

  /** Opens a session and runs the program in it. */
  const startProgram = async (): Promise<ScriptOutcome> => {
    await openSession();
    return runScript(job.program, 'file:///solution.js', 0);
  };

  try {
    result.program = await startProgram();
    if (!result.program.ok) return result;
    for (let i = 0; i < job.tests.length && !poisoned; i++) {
      if (Date.now() >= deadline) {
        result.tests[i] = { ok: false, failure: 'wall_timeout', message: 'wall-clock limit exceeded before this test ran' };
        break;
      }
      if (session === undefined) {
        // The previous test ended the isolate: a new one re-runs the program for the remaining tests.
        const again = await startProgram();
        if (!again.ok) {
          result.tests[i] = { ok: false, failure: again.failure, message: `the program failed when re-run: ${again.message ?? ''}` };
          if (session === undefined) continue;
          endSession(false);
          continue;
        }
      }
      if ((await control('beginTests')) === undefined) {
        result.tests[i] = controlOutcome('before the test ran');
        continue;
      }
      result.tests[i] = await runScript(wrapTest(job.tests[i]), `file:///test-${i}.js`, -1, testMetaOf(job, i));
    }
    return result;
  } finally {
    endSession(poisoned);
  }
}

/** Fraction of the memory limit still in use after a job above which the isolate is replaced. */
const RECYCLE_HEAP_FRACTION = 0.5;

/** Replaces the isolate when the last job left much of its memory limit in use (freed only by GC or disposal). */
async function recycleIfHeavy(): Promise<boolean> {
  const current = slot;
  if (current === undefined || current.isolate.isDisposed) return false;
  try {
    const stats = await current.isolate.getHeapStatistics();
    const used = stats.used_heap_size + stats.externally_allocated_size;
    if (used <= current.memoryLimitMb * 1024 * 1024 * RECYCLE_HEAP_FRACTION) return false;
  } catch {
    // an isolate that cannot report is replaced too
  }
  releaseSlot();
  return true;
}

async function handleJob(job: RunJob): Promise<void> {
  let result: RunResult;
  try {
    result = await runJob(job);
    if (!poisoned && (await recycleIfHeavy())) result.isolateReplaced = true;
  } catch (err) {
    releaseSlot();
    result = {
      type: 'result',
      id: job.id,
      program: { ok: false, failure: 'crash', message: truncate(err instanceof Error ? err.message : String(err)) },
      tests: job.tests.map((): ScriptOutcome => ({ ok: false, failure: 'not_run' })),
      assertions: { run: 0, passed: 0 },
      output: '',
      outputChars: 0,
      isolateReplaced: true,
      internalError: truncate(err instanceof Error ? err.message : String(err)),
    };
  }
  if (poisoned) {
    // The old isolate is stuck in native code: report, then end this process (the pool replaces it).
    send({ ...result, runnerExiting: true }, () => process.kill(process.pid, 'SIGKILL'));
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000).unref();
    return;
  }
  send(result);
}

let queue: Promise<void> = Promise.resolve();

process.on('message', (message: ParentMessage) => {
  if (message.type === 'shutdown') {
    releaseSlot();
    process.exit(0);
  }
  if (message.type === 'run') {
    if (message.version !== PROTOCOL_VERSION) {
      send({ type: 'fatal', message: `protocol version ${message.version} is not ${PROTOCOL_VERSION}` });
      return;
    }
    queue = queue.then(() => handleJob(message));
  }
});
// The pool went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', version: PROTOCOL_VERSION, pid: process.pid });
