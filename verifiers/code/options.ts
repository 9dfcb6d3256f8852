// Options of the code verifier: one strict zod schema with defaults (a typo fails with its key path).
// Imports zod and the core schema helpers only.

import { z } from 'zod';
import { intIn } from '../../src/core/index.js';

export const codeVerifierOptionsSchema = z.strictObject({
  /** Heap limit of each sandbox isolate, in MB (isolated-vm's minimum is 8). */
  memoryLimitMb: intIn(8, 4096).default(64),
  /**
   * Time allowed to the program and to each test script, in ms: CPU time for JavaScript; for Python,
   * wall-clock time of the script (the interpreter is interrupted, then replaced if it does not stop).
   */
  cpuTimeMsPerTest: intIn(10, 600_000).default(1000),
  /**
   * Wall-clock budget of one whole check (program plus every test), in ms. Reaching it fails the check
   * (`timeout`); raise it for long test lists or a loaded machine.
   */
  wallTimeMs: intIn(100, 3_600_000).default(10_000),
  /** Console output kept in a verdict (head and tail), in UTF-16 code units (bytes for ASCII). */
  maxOutputBytes: intIn(0, 1_048_576).default(1024),
  /** Console output after which the check fails with `output_limit`, in UTF-16 code units. */
  maxOutputTotalBytes: intIn(1024, 1_073_741_824).default(1_048_576),
  /**
   * WebAssembly memory of each Python interpreter, in MB: past it allocations fail and Python raises
   * MemoryError (`oom`). Pyodide itself needs about 30 MB.
   */
  pythonMemoryLimitMb: intIn(64, 4096).default(512),
  /** Sandbox processes per language (one isolate or interpreter each) running checks in parallel. Started on the first check. */
  poolSize: intIn(1, 64).default(2),
  /** Longest program (prefix + code) that is run, in characters; longer ones fail with `too_large`. */
  maxCodeChars: intIn(1, 50_000_000).default(200_000),
});

/** Options as users write them (every key optional). */
export type CodeVerifierOptionsInput = z.input<typeof codeVerifierOptionsSchema>;
/** Options with defaults applied. */
export type CodeVerifierOptions = z.output<typeof codeVerifierOptionsSchema>;

/** The defaults, parsed once. */
export const DEFAULT_CODE_VERIFIER_OPTIONS: CodeVerifierOptions = codeVerifierOptionsSchema.parse({});
