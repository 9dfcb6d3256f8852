// Messages and shared-memory slots between the Python runner (child process main thread) and its
// interpreter thread (python-worker.ts), and the message truncation both use. Imports the protocol types only.

import type { ScriptOutcome } from './protocol.js';

/** What the runner passes at start. */
export interface PythonWorkerData {
  /** Shared Int32Array: [0] is Pyodide's interrupt flag (2 = SIGINT), see `CONTROL_*` below. */
  control: SharedArrayBuffer;
  /** Cap of the interpreter's WebAssembly memory, in MB. */
  memoryLimitMb: number;
}

/** Slots of the shared control array (Int32). */
export const CONTROL_INTERRUPT = 0;
/** 1 + the number of the script now running (0: idle); written by the worker. */
export const CONTROL_SCRIPT = 1;
/** Script number (as in CONTROL_SCRIPT) that the runner interrupted for running too long. */
export const CONTROL_OVERTIME = 2;
export const CONTROL_SLOTS = 3;

/** Messages from the worker to the runner. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'script'; id: number; index: number; outcome: ScriptOutcome }
  | { type: 'done'; id: number; program: ScriptOutcome; tests: ScriptOutcome[]; assertionsRun: number; output: string; outputChars: number }
  /** The interpreter failed: inside candidate code (`harness: false`) or in the harness's own set-up of a check. */
  | { type: 'broken'; id: number; message: string; harness?: boolean };

/** Longest error message kept per script, in characters. */
export const MAX_MESSAGE_CHARS = 300;

/** `text` cut to MAX_MESSAGE_CHARS, with `...` where it was cut. */
export function truncateMessage(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS - 3)}...`;
}
