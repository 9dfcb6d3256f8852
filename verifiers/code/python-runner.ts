// Child-process entry of the Python sandbox: keeps one warm Pyodide interpreter in a worker thread
// (python-worker.ts) with V8 resource limits, feeds it one job at a time and enforces the time limits
// from outside. Started by sandbox-pool.ts with `child_process.fork`; talks to the pool with the same
// plain messages as the JavaScript runner (protocol.ts). Imports node built-ins and this folder only.
//
// Limits: each script (the program, then each test) may run `cpuTimeMsPerTest` of wall-clock time; past
// it the interpreter is interrupted (KeyboardInterrupt at the next bytecode) and, if the script still has
// not stopped `INTERRUPT_GRACE_MS` later (a loop that swallows the interrupt, a long call inside C), the
// worker thread is terminated and a new interpreter is started. The whole check gets `wallTimeMs`.

import { Worker } from 'node:worker_threads';
import {
  PROTOCOL_VERSION,
  type ChildMessage,
  type ParentMessage,
  type RunJob,
  type RunResult,
  type ScriptFailure,
  type ScriptOutcome,
} from './protocol.js';
import { CONTROL_INTERRUPT, CONTROL_OVERTIME, CONTROL_SCRIPT, CONTROL_SLOTS, truncateMessage as truncate, type PythonWorkerData, type WorkerMessage } from './python-protocol.js';

/** How often the watchdog looks at the running script, in ms. */
const WATCHDOG_INTERVAL_MS = 10;
/** Time a script has to stop after being interrupted before its interpreter is terminated, in ms. */
const INTERRUPT_GRACE_MS = 1000;
/** Time an interpreter may take to start, in ms. */
const START_TIMEOUT_MS = 60_000;
/** JavaScript heap of the interpreter's thread (the Python heap is WebAssembly memory, capped apart), in MB. */
const WORKER_HEAP_MB = 256;

/** WebAssembly memory of one interpreter, in MB (env `MCG_PYTHON_MEMORY_MB`, set by the pool). */
const memoryLimitMb = Number(process.env.MCG_PYTHON_MEMORY_MB ?? '512');

interface Interpreter {
  worker: Worker;
  control: Int32Array;
  ready: Promise<void>;
  /** Set when the worker has exited (terminated, crashed, out of memory). */
  exited: { code: number; error?: Error } | undefined;
  onMessage: ((message: WorkerMessage) => void) | undefined;
  onExit: (() => void) | undefined;
}

let current: Interpreter | undefined;

function send(message: ChildMessage, then?: () => void): void {
  if (process.send === undefined) return;
  process.send(message, undefined, {}, () => then?.());
}

function spawnInterpreter(): Interpreter {
  const shared = new SharedArrayBuffer(CONTROL_SLOTS * 4);
  // From source (tests, development) the worker is TypeScript: a two-line bootstrap loads it through tsx.
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './python-worker.ts' : './python-worker.js', import.meta.url);
  const target = fromSource
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`
    : entry;
  const worker = new Worker(target, {
    eval: fromSource,
    workerData: { control: shared, memoryLimitMb } satisfies PythonWorkerData,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 8 },
    stdout: true,
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  const interp: Interpreter = { worker, control: new Int32Array(shared), ready: Promise.resolve(), exited: undefined, onMessage: undefined, onExit: undefined };
  interp.ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Python interpreter did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    worker.once('message', (message: WorkerMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve();
      else reject(new Error(message.type === 'broken' ? message.message : 'unexpected first message from the Python interpreter'));
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Python interpreter exited while starting (code ${code})${interp.exited?.error ? `: ${interp.exited.error.message}` : ''}`));
    });
  });
  interp.ready.catch(() => undefined);
  worker.on('message', (message: WorkerMessage) => interp.onMessage?.(message));
  worker.on('error', (error) => {
    interp.exited = { code: -1, error };
  });
  worker.on('exit', (code) => {
    interp.exited = { code, ...(interp.exited?.error ? { error: interp.exited.error } : {}) };
    interp.onExit?.();
  });
  return interp;
}

/** The warm interpreter, started when missing (or dead). */
function acquire(): Interpreter {
  if (current === undefined || current.exited !== undefined) current = spawnInterpreter();
  return current;
}

function retire(interp: Interpreter): void {
  if (current === interp) current = undefined;
  if (interp.exited === undefined) void interp.worker.terminate();
}

function isOutOfMemory(error: Error | undefined): boolean {
  return (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}

async function runJob(job: RunJob): Promise<RunResult> {
  const interp = acquire();
  let fresh = false;
  try {
    await interp.ready;
  } catch (err) {
    retire(interp);
    const message = truncate(err instanceof Error ? err.message : String(err));
    return lost(job, { ok: false, failure: 'crash', message }, [], true, message);
  }
  const started = Date.now();
  const received: ScriptOutcome[] = [];

  return new Promise<RunResult>((resolve) => {
    let finished = false;
    let seenScript = 0;
    let scriptStart = started;
    let interruptedAt = 0;
    let interruptedScript = 0;

    const finish = (result: RunResult): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      interp.onMessage = undefined;
      interp.onExit = undefined;
      resolve(result);
    };

    // The script the worker was in when it was stopped gets `failure`; those before keep their
    // outcomes, those after are `not_run`.
    const stopped = (failure: ScriptFailure, message: string, internal: boolean): void => {
      const at = Math.max(1, Atomics.load(interp.control, CONTROL_SCRIPT) || seenScript || 1);
      retire(interp);
      fresh = true;
      const stoppedHere: ScriptOutcome = { ok: false, failure, message };
      const tests = job.tests.map((_, i) => received[i] ?? (i + 2 === at ? stoppedHere : undefined));
      finish(lost(job, at === 1 ? stoppedHere : { ok: true }, tests, internal, message));
    };

    const watchdog = setInterval(() => {
      const now = Date.now();
      const script = Atomics.load(interp.control, CONTROL_SCRIPT);
      if (script !== seenScript) {
        seenScript = script;
        scriptStart = now;
      }
      if (now - started > job.limits.wallTimeMs) {
        stopped('wall_timeout', `wall-clock limit of ${job.limits.wallTimeMs} ms exceeded`, false);
        return;
      }
      if (script === 0) return;
      if (interruptedScript === script) {
        if (now - interruptedAt > INTERRUPT_GRACE_MS) stopped('timeout', `time limit of ${job.limits.cpuTimeMsPerTest} ms exceeded; the script did not stop when interrupted`, false);
        return;
      }
      if (now - scriptStart > job.limits.cpuTimeMsPerTest) {
        interruptedScript = script;
        interruptedAt = now;
        Atomics.store(interp.control, CONTROL_OVERTIME, script);
        Atomics.store(interp.control, CONTROL_INTERRUPT, 2);
        // The script may have ended between the two reads: do not interrupt the next one.
        if (Atomics.load(interp.control, CONTROL_SCRIPT) !== script) Atomics.store(interp.control, CONTROL_INTERRUPT, 0);
      }
    }, WATCHDOG_INTERVAL_MS);

    interp.onMessage = (message) => {
      if (message.type === 'script' && message.id === job.id) {
        received[message.index] = message.outcome;
        return;
      }
      if (message.type === 'done' && message.id === job.id) {
        // Execution stops at a failed assertion, so every assertion reached held but the last of a failing test.
        const passed = Math.max(0, message.assertionsRun - (message.tests.some((t) => !t.ok) ? 1 : 0));
        finish({
          type: 'result',
          id: job.id,
          program: message.program,
          tests: message.tests,
          assertions: { run: message.assertionsRun, passed },
          output: message.output,
          outputChars: message.outputChars,
          isolateReplaced: fresh,
        });
        return;
      }
      if (message.type === 'broken') {
        // The interpreter failed inside a script (a fatal error in the runtime, a stack overflow in C):
        // that script fails; the interpreter is replaced. A failure while the harness prepared the
        // check is the sandbox's (`error/sandbox_crash`).
        if (message.harness === true) stopped('crash', `the Python sandbox failed to prepare the check: ${message.message}`, true);
        else stopped('runtime_error', `the Python interpreter failed: ${message.message}`, false);
      }
    };
    interp.onExit = () => {
      const error = interp.exited?.error;
      if (isOutOfMemory(error)) stopped('oom', 'the interpreter ran out of memory', false);
      else stopped('crash', truncate(`the Python interpreter exited (code ${interp.exited?.code ?? '?'})${error ? `: ${error.message}` : ''}`), true);
    };
    interp.worker.postMessage(job);
  });
}

/** The result of a job whose interpreter was stopped or lost: outcomes known so far, the rest `not_run`. */
function lost(job: RunJob, program: ScriptOutcome, tests: Array<ScriptOutcome | undefined>, internal: boolean, message: string): RunResult {
  return {
    type: 'result',
    id: job.id,
    program,
    tests: job.tests.map((_, i): ScriptOutcome => tests[i] ?? { ok: false, failure: 'not_run' }),
    assertions: { run: 0, passed: 0 },
    output: '',
    outputChars: 0,
    isolateReplaced: true,
    ...(internal ? { internalError: message } : {}),
  };
}

let queue: Promise<void> = Promise.resolve();

process.on('message', (message: ParentMessage) => {
  if (message.type === 'shutdown') process.exit(0);
  if (message.type === 'run') {
    if (message.version !== PROTOCOL_VERSION) {
      send({ type: 'fatal', message: `protocol version ${message.version} is not ${PROTOCOL_VERSION}` });
      return;
    }
    queue = queue.then(async () => {
      const result = await runJob(message);
      send(result);
      // A replaced interpreter starts now, so the next job finds it warm.
      if (current === undefined) acquire();
    });
  }
});
process.on('disconnect', () => process.exit(0));

// Ready once the first interpreter has loaded: the pool's start timeout covers Pyodide's start-up.
const first = acquire();
first.ready.then(
  () => send({ type: 'ready', version: PROTOCOL_VERSION, pid: process.pid }),
  (err: unknown) => {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
  },
);
