// Worker-thread entry of the Python sandbox: one Pyodide interpreter (CPython compiled to WebAssembly),
// loaded once and reused for many checks. Started by python-runner.ts, which watches the clock from
// outside and terminates this thread when a script will not stop. Imports pyodide, node built-ins, the
// harness source and the protocol only.
//
// What candidate code can reach: the interpreter and its in-memory file system. The `js` module is an
// empty object, `pyodide_js` and the FFI modules are unregistered and blocked by the harness's audit
// hook, WebAssembly memory is capped, and the host globals that could reach the network or the process
// are removed from this thread once the interpreter is up.

import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPyodide, type PyodideInterface } from 'pyodide';
import { PYTHON_HARNESS_SOURCE } from './python-harness.js';
import type { RunJob, ScriptFailure, ScriptOutcome } from './protocol.js';
import { CONTROL_INTERRUPT, CONTROL_OVERTIME, CONTROL_SCRIPT, truncateMessage as truncate, type PythonWorkerData, type WorkerMessage } from './python-protocol.js';

type Py = PyodideInterface;
interface PyFn {
  (...args: unknown[]): PyValue;
  destroy(): void;
}
interface PyValue {
  toJs(): unknown;
  destroy(): void;
}

const data = workerData as PythonWorkerData;
const control = new Int32Array(data.control);
const port = parentPort;
if (port === null) throw new Error('python-worker must run in a worker thread');

// WebAssembly memory grows through Memory.prototype.grow (Emscripten's heap resize); past the cap the
// grow fails, malloc returns NULL and Python raises MemoryError.
const memoryCap = data.memoryLimitMb * 1024 * 1024;
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(delta: number): number;
}
const MemoryProto = (globalThis as unknown as { WebAssembly: { Memory: { prototype: WasmMemory } } }).WebAssembly.Memory.prototype;
const originalGrow = MemoryProto.grow;
let capActive = false;
Object.defineProperty(MemoryProto, 'grow', {
  value: function grow(this: WasmMemory, delta: number): number {
    if (capActive && this.buffer.byteLength + delta * 65536 > memoryCap) throw new RangeError('the sandbox memory limit was reached');
    return originalGrow.call(this, delta);
  },
  writable: false,
  configurable: false,
});

// Console output of the current check: all of it while short, then head and tail; total counted.
const output = { all: '' as string | null, head: '', tail: '', chars: 0, keep: 1024, total: 1_048_576, script: -1, over: false };
const decoder = new TextDecoder();
function capture(bytes: Uint8Array): number {
  const text = decoder.decode(bytes, { stream: true });
  const half = Math.floor(output.keep / 2);
  output.chars += text.length;
  if (output.all !== null) {
    output.all += text;
    if (output.all.length > output.keep) {
      output.head = output.all.slice(0, half);
      output.tail = output.all.slice(output.all.length - half);
      output.all = null;
    }
  } else {
    output.tail = (output.tail + text).slice(-half);
  }
  if (output.chars > output.total && !output.over) {
    output.over = true;
    Atomics.store(control, CONTROL_INTERRUPT, 2);
  }
  return bytes.length;
}
function outputText(): string {
  if (output.all !== null) return output.all;
  return `${output.head}\n...[${output.chars - output.head.length - output.tail.length} characters omitted]...\n${output.tail}`;
}

/** A failure of the harness itself (resetting or preparing a check), not of the candidate. */
class HarnessError extends Error {}

interface Harness {
  begin: PyFn;
  runProgram: PyFn;
  runStatement: PyFn;
  assertions: PyFn;
}

async function start(): Promise<{ py: Py; harness: Harness }> {
  // Emscripten's NODEFS reads its flag constants through process.binding, which the permission model
  // denies; hand it the same constants from node:fs and node:os.
  const proc = process as unknown as { binding(name: string): unknown };
  const binding = proc.binding;
  proc.binding = (name: string): unknown => (name === 'constants' ? { fs: fsConstants, os: osConstants } : binding.call(process, name));
  const indexURL = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
  const py = await loadPyodide({
    indexURL,
    jsglobals: Object.freeze(Object.create(null)) as object,
    env: { PYTHONHASHSEED: '0', HOME: '/home/pyodide', PYTHONDONTWRITEBYTECODE: '1' },
    stdout: () => undefined,
    stderr: () => undefined,
    checkAPIVersion: true,
  });
  py.setStdin({ stdin: () => null });
  py.setStdout({ write: capture });
  py.setStderr({ write: capture });
  py.setInterruptBuffer(control);
  py.unregisterJsModule('js');
  py.unregisterJsModule('pyodide_js');
  const dictCtor = py.globals.get('dict') as PyFn;
  const privateNs = dictCtor() as unknown as { get(key: string): PyFn; destroy(): void; delete(key: string): void };
  dictCtor.destroy();
  py.runPython(PYTHON_HARNESS_SOURCE, { globals: privateNs as never, filename: '<mcg-harness>' });
  const install = privateNs.get('_mcg_install');
  const fns = install() as unknown as { get(i: number): PyFn; destroy(): void };
  const harness: Harness = { begin: fns.get(0), runProgram: fns.get(1), runStatement: fns.get(2), assertions: fns.get(3) };
  fns.destroy();
  install.destroy();
  // The namespace stays (with its __builtins__): it is the globals of the harness's frames, which the
  // warnings machinery reads when a compile warns.
  privateNs.delete('_mcg_install');
  privateNs.destroy();
  capActive = true;
  // Nothing below needs the host any more: drop what could reach the network or the process.
  for (const name of ['process', 'fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource', 'Buffer', 'require', 'module', 'navigator', 'Worker', 'BroadcastChannel', 'MessageChannel', 'importScripts']) {
    try {
      delete (globalThis as Record<string, unknown>)[name];
    } catch {
      // not configurable: leave it
    }
  }
  port?.postMessage({ type: 'ready' } satisfies WorkerMessage);
  return { py, harness };
}

function call(fn: PyFn, ...args: unknown[]): unknown[] {
  const value = fn(...args);
  try {
    return value.toJs() as unknown[];
  } finally {
    value.destroy();
  }
}

function outcomeOf(raw: unknown[], scriptNumber: number): ScriptOutcome {
  const [status, failure, message] = raw as [string, string, string];
  const overtime = Atomics.load(control, CONTROL_OVERTIME) === scriptNumber;
  if (overtime) return { ok: false, failure: 'timeout', message: 'time limit exceeded' };
  if (output.over && output.script === scriptNumber) return { ok: false, failure: 'output_limit', message: `output exceeded ${output.total} characters` };
  if (status === 'ok') return { ok: true };
  // The harness says `interrupted` for a KeyboardInterrupt; one the runner did not send is the program's own.
  const known: ScriptFailure[] = ['assertion', 'syntax_error', 'runtime_error', 'oom'];
  return { ok: false, failure: known.includes(failure as ScriptFailure) ? (failure as ScriptFailure) : 'runtime_error', message: truncate(message) };
}

function setScript(number: number): void {
  output.script = number;
  Atomics.store(control, CONTROL_INTERRUPT, 0);
  Atomics.store(control, CONTROL_SCRIPT, number);
}

function runJob(py: Py, harness: Harness, job: RunJob): WorkerMessage {
  output.all = '';
  output.head = '';
  output.tail = '';
  output.chars = 0;
  output.over = false;
  output.keep = job.limits.maxOutputBytes;
  output.total = job.limits.maxOutputTotalBytes;
  Atomics.store(control, CONTROL_OVERTIME, 0);
  const nonce = (job.seed >>> 0).toString(16).padStart(8, '0');
  const testList = py.toPy(job.tests) as unknown as PyValue;
  let shapes: unknown[];
  try {
    shapes = call(harness.begin, job.program, testList, job.seed >>> 0, nonce);
  } catch (err) {
    // No candidate code has run in this check yet: a failure here is the harness's.
    throw new HarnessError(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  } finally {
    testList.destroy();
  }
  setScript(1);
  const program = outcomeOf(call(harness.runProgram), 1);
  const tests: ScriptOutcome[] = [];
  for (let i = 0; i < job.tests.length; i += 1) {
    const number = i + 2;
    if (!program.ok) {
      tests.push({ ok: false, failure: 'not_run' });
      continue;
    }
    const shape = shapes[i];
    let outcome: ScriptOutcome = { ok: true };
    if (typeof shape !== 'number') {
      const [failure, message] = shape as [string, string];
      outcome = { ok: false, failure: failure === 'syntax_error' ? 'syntax_error' : 'runtime_error', message: truncate(message) };
    } else {
      setScript(number);
      for (let s = 0; s < shape; s += 1) {
        outcome = outcomeOf(call(harness.runStatement, i, s), number);
        if (!outcome.ok) break;
      }
      if (outcome.ok) outcome = outcomeOf(['ok', '', ''], number);
    }
    tests.push(outcome);
    port?.postMessage({ type: 'script', id: job.id, index: i, outcome } satisfies WorkerMessage);
  }
  setScript(0);
  const [assertionsRun] = call(harness.assertions) as [number];
  return { type: 'done', id: job.id, program, tests, assertionsRun, output: outputText(), outputChars: output.chars };
}

const ready = start();
ready.catch((err: unknown) => {
  port?.postMessage({ type: 'broken', id: 0, message: `the Python interpreter did not start: ${err instanceof Error ? err.message : String(err)}` } satisfies WorkerMessage);
});

port.on('message', (job: RunJob) => {
  void ready.then(({ py, harness }) => {
    let reply: WorkerMessage;
    try {
      reply = runJob(py, harness, job);
    } catch (err) {
      // A Python error escaping the harness, or a fatal interpreter error: this interpreter is done.
      reply = {
        type: 'broken',
        id: job.id,
        message: truncate(err instanceof Error ? `${err instanceof HarnessError ? 'harness' : err.name}: ${err.message}` : String(err)),
        harness: err instanceof HarnessError,
      };
    }
    port.postMessage(reply);
  });
});
