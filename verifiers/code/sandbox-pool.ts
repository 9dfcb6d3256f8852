// The parent side of the code sandbox: a pool of runner child processes (sandbox-runner.ts), each with
// one isolate, fed one job at a time over IPC. Never loads isolated-vm itself and spawns nothing until
// the first job. Imports node built-ins, core errors and the protocol only.
//
// Why processes and not worker threads: isolated-vm can take its whole process down (V8 out-of-memory
// aborts, catastrophic errors) and can loop in native code where no thread termination reaches; a child
// process can be killed (SIGKILL) and replaced, and its crash leaves the generation run standing.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { McgError } from '../../src/core/index.js';
import {
  PROTOCOL_VERSION,
  type ChildMessage,
  type RunJob,
  type RunResult,
  type SandboxLimits,
  type ScriptOutcome,
  type TestMeta,
} from './protocol.js';

/** What a caller asks the pool to run (the pool adds the message envelope and id). */
export interface SandboxJob {
  program: string;
  tests: string[];
  limits: SandboxLimits;
  /** Seed of the in-sandbox Math.random (unsigned 32-bit). */
  seed: number;
  /** Per-test facts read from the original sources (see protocol.ts). */
  testMeta?: TestMeta[];
}

export interface SandboxPoolOptions {
  /** Runner processes; jobs beyond this many wait in a FIFO queue. */
  size: number;
  /** Which runner: isolated-vm for JavaScript (default), Pyodide for Python. */
  language?: SandboxLanguage;
  /** WebAssembly memory of each Python interpreter, in MB (default 512). */
  pythonMemoryLimitMb?: number;
  /** Time the parent waits beyond a job's `wallTimeMs` before killing a silent runner, in ms (default 3000; Python 20000). */
  graceMs?: number;
  /** Time a runner may take to start (load tsx / isolated-vm), in ms (default 60000). */
  startTimeoutMs?: number;
}

/** Languages the sandbox runs. */
export type SandboxLanguage = 'javascript' | 'python';

/** How a runner is started: the built `.js` (confined reads) or the `.ts` source through tsx. */
export type RunnerLaunch =
  | { kind: 'js'; dir: string; isolatedVmDir: string }
  | { kind: 'ts'; tsxUrl: string }
  | { kind: 'python-js'; dir: string; pyodideDir: string }
  | { kind: 'python-ts'; tsxUrl: string };

/**
 * Node flags of a runner process. Both kinds run under Node's permission model with no file writes.
 * The built runner also gets no child processes and no worker threads, and may read only its own
 * folder and the isolated-vm package. Under tsx (development and tests) reads are open and child
 * processes and workers are allowed, because tsx compiles through esbuild's service process and a
 * loader thread.
 */
export function runnerExecArgv(launch: RunnerLaunch): string[] {
  if (launch.kind === 'python-js' || launch.kind === 'python-ts') return pythonRunnerExecArgv(launch);
  // isolated-vm requires --no-node-snapshot on Node 20+.
  const base = ['--no-node-snapshot', ...PERMISSION_FLAGS, '--allow-addons'];
  if (launch.kind === 'js') return [...base, readOnly(launch.dir), readOnly(launch.isolatedVmDir)];
  return [...base, '--allow-fs-read=*', '--allow-worker', '--allow-child-process', '--import', launch.tsxUrl];
}

/** The permission model with nothing allowed, and its start-up warnings silenced. */
const PERMISSION_FLAGS = ['--experimental-permission', '--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning'];

/** A read grant for one folder and what it contains. */
function readOnly(dir: string): string {
  return `--allow-fs-read=${dir}${dir.endsWith(sep) ? '' : sep}`;
}

/**
 * Node flags of a Python runner process: the permission model with no file writes and no child
 * processes; it may start worker threads (the interpreter runs in one) and, when built, read only its
 * own folder and the pyodide package. Code generation from strings is off in the whole process, so
 * nothing that reaches a JavaScript function from Python can compile new JavaScript.
 */
function pythonRunnerExecArgv(launch: Extract<RunnerLaunch, { kind: 'python-js' | 'python-ts' }>): string[] {
  const base = [...PERMISSION_FLAGS, '--allow-worker', '--disallow-code-generation-from-strings'];
  if (launch.kind === 'python-js') return [...base, readOnly(launch.dir), readOnly(launch.pyodideDir)];
  return [...base, '--allow-fs-read=*', '--allow-child-process', '--import', launch.tsxUrl];
}

/**
 * The runner entry beside this file: `sandbox-runner.js` (or `python-runner.js`) when built, else the
 * `.ts` source through tsx (with its disk cache off, since the runner may not write files). `env` is
 * added to the runner's.
 */
export function resolveRunnerEntry(language: SandboxLanguage = 'javascript'): { file: string; execArgv: string[]; env: Record<string, string> } {
  const require = createRequire(import.meta.url);
  if (language === 'python') {
    const pyJs = fileURLToPath(new URL('./python-runner.js', import.meta.url));
    if (existsSync(pyJs)) {
      return { file: pyJs, execArgv: runnerExecArgv({ kind: 'python-js', dir: dirname(pyJs), pyodideDir: dirname(require.resolve('pyodide/package.json')) }), env: {} };
    }
    const pyTs = fileURLToPath(new URL('./python-runner.ts', import.meta.url));
    return { file: pyTs, execArgv: runnerExecArgv({ kind: 'python-ts', tsxUrl: pathToFileURL(require.resolve('tsx')).href }), env: { TSX_DISABLE_CACHE: '1' } };
  }
  const js = fileURLToPath(new URL('./sandbox-runner.js', import.meta.url));
  if (existsSync(js)) {
    return { file: js, execArgv: runnerExecArgv({ kind: 'js', dir: dirname(js), isolatedVmDir: dirname(require.resolve('isolated-vm/package.json')) }), env: {} };
  }
  const ts = fileURLToPath(new URL('./sandbox-runner.ts', import.meta.url));
  return { file: ts, execArgv: runnerExecArgv({ kind: 'ts', tsxUrl: pathToFileURL(require.resolve('tsx')).href }), env: { TSX_DISABLE_CACHE: '1' } };
}

interface Pending {
  id: number;
  job: RunJob;
  resolve(result: RunResult): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | undefined;
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  child: ChildProcess | undefined;
  ready: boolean;
  pid: number | undefined;
  current: Pending | undefined;
  stderrTail: string;
  startTimer: NodeJS.Timeout | undefined;
}

const STDERR_TAIL_CHARS = 2000;
/** Consecutive runner start failures after which queued jobs are rejected with PLUGIN_UNAVAILABLE. */
const MAX_START_FAILURES = 2;

/** A result for a job whose runner went away (crash, kill, silence). */
function lostResult(job: RunJob, failure: ScriptOutcome['failure'], message: string, internal: boolean): RunResult {
  return {
    type: 'result',
    id: job.id,
    program: { ok: false, failure, message },
    tests: job.tests.map((): ScriptOutcome => ({ ok: false, failure: 'not_run' })),
    assertions: { run: 0, passed: 0 },
    output: '',
    outputChars: 0,
    isolateReplaced: true,
    ...(internal ? { internalError: message } : {}),
  };
}

/**
 * A pool of sandbox runner processes. `run` resolves with the runner's report, or with a `crash`
 * report when the runner died mid-job (it is replaced on the next job); it rejects only with
 * `ABORTED` (signal, or `close()`) and `PLUGIN_UNAVAILABLE` (runners cannot start).
 */
export class SandboxPool {
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private readonly graceMs: number;
  private readonly startTimeoutMs: number;
  private readonly language: SandboxLanguage;
  private readonly pythonMemoryLimitMb: number;
  private nextId = 1;
  private startFailures = 0;
  private closed = false;

  constructor(options: SandboxPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, (): Slot => ({
      child: undefined,
      ready: false,
      pid: undefined,
      current: undefined,
      stderrTail: '',
      startTimer: undefined,
    }));
    // A Python runner may be starting a fresh interpreter (seconds) before it takes the job.
    this.graceMs = options.graceMs ?? (options.language === 'python' ? 20_000 : 3000);
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.language = options.language ?? 'javascript';
    this.pythonMemoryLimitMb = options.pythonMemoryLimitMb ?? 512;
  }

  /** Runs one job. Jobs start in submission order as runners free up. */
  run(job: SandboxJob, signal?: AbortSignal): Promise<RunResult> {
    if (this.closed) return Promise.reject(new McgError('ABORTED', 'the code sandbox was closed'));
    if (signal?.aborted) return Promise.reject(new McgError('ABORTED', 'the operation was aborted', { cause: signal.reason }));
    return new Promise<RunResult>((resolve, reject) => {
      const id = this.nextId++;
      const pending: Pending = {
        id,
        job: { type: 'run', version: PROTOCOL_VERSION, id, ...job },
        resolve,
        reject,
        signal,
        onAbort: undefined,
        slot: undefined,
        timer: undefined,
      };
      if (signal !== undefined) {
        pending.onAbort = () => this.abort(pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Process ids of the running runners (for tests and diagnostics). */
  processIds(): number[] {
    return this.slots.flatMap((s) => (s.ready && s.pid !== undefined ? [s.pid] : []));
  }

  /** Process ids of the runners busy with a job right now (a test hook: kill one to simulate a crash). */
  busyProcessIds(): number[] {
    return this.slots.flatMap((s) => (s.current !== undefined && s.pid !== undefined ? [s.pid] : []));
  }

  /** Stops every runner. Queued and running jobs reject with `ABORTED`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, () => p.reject(new McgError('ABORTED', 'the code sandbox was closed')));
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      const p = slot.current;
      if (p !== undefined) this.settle(p, () => p.reject(new McgError('ABORTED', 'the code sandbox was closed')));
      slot.current = undefined;
      const child = slot.child;
      if (child === undefined) continue;
      exits.push(
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          try {
            if (child.connected) child.send({ type: 'shutdown' });
            child.disconnect();
          } catch {
            child.kill('SIGKILL');
          }
        }),
      );
    }
    await Promise.all(exits);
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.current !== undefined) continue;
      if (slot.child === undefined) {
        this.spawn(slot);
        continue;
      }
      if (!slot.ready) continue;
      const next = this.queue.shift() as Pending;
      this.dispatch(slot, next);
    }
  }

  private dispatch(slot: Slot, pending: Pending): void {
    const child = slot.child as ChildProcess;
    slot.current = pending;
    pending.slot = slot;
    this.setRef(slot, true);
    pending.timer = setTimeout(() => {
      // The runner enforces the wall budget itself; silence past it means the runner is stuck.
      if (slot.current !== pending) return;
      const message = `the sandbox process did not answer within ${pending.job.limits.wallTimeMs + this.graceMs} ms and was replaced`;
      slot.current = undefined;
      this.settle(pending, () => pending.resolve(lostResult(pending.job, 'runner_timeout', message, false)));
      this.kill(slot);
    }, pending.job.limits.wallTimeMs + this.graceMs);
    child.send(pending.job, (err) => {
      if (err !== null && slot.current === pending) {
        slot.current = undefined;
        this.settle(pending, () => pending.resolve(lostResult(pending.job, 'crash', `could not send the job to the sandbox process: ${err.message}`, true)));
        this.kill(slot);
      }
    });
  }

  private spawn(slot: Slot): void {
    const { file, execArgv, env } = resolveRunnerEntry(this.language);
    const extra = this.language === 'python' ? { MCG_PYTHON_MEMORY_MB: String(this.pythonMemoryLimitMb) } : {};
    const child = fork(file, [], { execArgv, env: { ...process.env, ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    slot.child = child;
    slot.ready = false;
    slot.pid = child.pid;
    slot.stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderrTail = (slot.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: ChildMessage) => this.onMessage(slot, child, message));
    child.on('error', (err) => {
      slot.stderrTail = (slot.stderrTail + `\n${err.message}`).slice(-STDERR_TAIL_CHARS);
    });
    child.on('exit', (code, signal) => this.onExit(slot, child, code, signal));
    slot.startTimer = setTimeout(() => {
      if (slot.child === child && !slot.ready) {
        slot.stderrTail += `\nthe sandbox process did not start within ${this.startTimeoutMs} ms`;
        child.kill('SIGKILL');
      }
    }, this.startTimeoutMs);
  }

  private onMessage(slot: Slot, child: ChildProcess, message: ChildMessage): void {
    if (slot.child !== child) return;
    if (message.type === 'ready') {
      clearTimeout(slot.startTimer);
      slot.ready = true;
      slot.pid = message.pid;
      this.startFailures = 0;
      this.setRef(slot, false);
      this.pump();
      return;
    }
    if (message.type === 'fatal') {
      slot.stderrTail = (slot.stderrTail + `\n${message.message}`).slice(-STDERR_TAIL_CHARS);
      return;
    }
    const pending = slot.current;
    if (pending === undefined || pending.id !== message.id) return;
    slot.current = undefined;
    this.settle(pending, () => pending.resolve(message));
    if (message.runnerExiting === true) {
      this.kill(slot);
      return;
    }
    this.setRef(slot, false);
    this.pump();
  }

  private onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    clearTimeout(slot.startTimer);
    const wasReady = slot.ready;
    slot.child = undefined;
    slot.ready = false;
    slot.pid = undefined;
    const pending = slot.current;
    slot.current = undefined;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    if (pending !== undefined) {
      const tail = slot.stderrTail.trim().split('\n').slice(-3).join(' | ');
      const message = `the sandbox process died during the check (${how})${tail === '' ? '' : `: ${tail}`}`;
      this.settle(pending, () => pending.resolve(lostResult(pending.job, 'crash', message.slice(0, 500), true)));
    }
    if (this.closed) return;
    if (!wasReady) {
      this.startFailures += 1;
      if (this.startFailures >= MAX_START_FAILURES) {
        const tail = slot.stderrTail.trim().slice(-800);
        const err = new McgError('PLUGIN_UNAVAILABLE', `the code sandbox process failed to start (${how})${tail === '' ? '' : `: ${tail}`}`);
        this.startFailures = 0;
        for (const p of this.queue.splice(0)) this.settle(p, () => p.reject(err));
        return;
      }
    }
    this.pump();
  }

  private abort(pending: Pending): void {
    const reason = pending.signal?.reason;
    const queued = this.queue.indexOf(pending);
    if (queued !== -1) this.queue.splice(queued, 1);
    const slot = pending.slot;
    if (slot !== undefined && slot.current === pending) {
      // A running check is stopped by replacing its runner: nothing else interrupts a busy isolate.
      slot.current = undefined;
      this.kill(slot);
    }
    this.settle(pending, () => pending.reject(new McgError('ABORTED', 'the operation was aborted', { cause: reason })));
  }

  private kill(slot: Slot): void {
    const child = slot.child;
    slot.child = undefined;
    slot.ready = false;
    slot.pid = undefined;
    clearTimeout(slot.startTimer);
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.pump();
  }

  /** Runs `finish` once per job, after detaching its timer and abort listener. */
  private settle(pending: Pending, finish: () => void): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.onAbort = undefined;
    pending.slot = undefined;
    finish();
  }

  /** Idle runners do not keep the parent's event loop alive; busy ones do. */
  private setRef(slot: Slot, busy: boolean): void {
    const child = slot.child;
    if (child === undefined) return;
    if (busy) {
      child.ref();
      child.channel?.ref();
      (child.stderr as { ref?: () => void } | null)?.ref?.();
    } else {
      child.unref();
      child.channel?.unref();
      (child.stderr as { unref?: () => void } | null)?.unref?.();
    }
  }
}
