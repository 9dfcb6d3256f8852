// MBPP (Python, mxeval's HumanEval-format release in ../shared/data/mbxp_mbpp_py.jsonl) canonical solutions
// that do not pass in the Python sandbox, with why. All but MBPP/123 fail the same way in CPython 3.11
// (`python3 -c prompt+solution+test+check(entry_point)`); MBPP/123 passes there in 2.5 s. Shared by
// `npm run eval:code` and test/verifiers/code/datasets.test.ts. Nothing here changes a verdict.

export interface KnownFailure {
  /** The verdict reason it fails with under the default limits. */
  reason: string;
  /** `dataset`: the row is wrong; `slow`: needs more time than the default limit. */
  kind: 'dataset' | 'slow';
  why: string;
}

export const MBPP_KNOWN_FAILURES: Record<string, KnownFailure> = {
  'MBPP/64': { reason: 'syntax_error', kind: 'dataset', why: 'prompt + canonical_solution do not indent as one function (IndentationError)' },
  'MBPP/966': { reason: 'syntax_error', kind: 'dataset', why: 'prompt + canonical_solution do not indent as one function (IndentationError)' },
  'MBPP/160': { reason: 'assertion', kind: 'dataset', why: "the test expects 'No candidate' (the conversion renamed 'solution' inside a string); the solution returns 'No solution'" },
  'MBPP/341': { reason: 'assertion', kind: 'dataset', why: 'expects tuple({12, ..., 16}) in sorted order; CPython iterates (16, 12, 13, 14, 15)' },
  'MBPP/367': { reason: 'runtime_error', kind: 'dataset', why: "uses `root`, built by MBPP's test_setup_code, which this release dropped (NameError)" },
  'MBPP/927': { reason: 'runtime_error', kind: 'dataset', why: "uses `root`, built by MBPP's test_setup_code, which this release dropped (NameError)" },
  'MBPP/601': { reason: 'runtime_error', kind: 'dataset', why: "uses class `Pair` from MBPP's test_setup_code, which this release dropped (NameError)" },
  'MBPP/596': { reason: 'assertion', kind: 'dataset', why: 'expects sys.getsizeof values of one CPython build (interpreter-specific; Pyodide is 32-bit)' },
  'MBPP/607': { reason: 'assertion', kind: 'dataset', why: "the solution ignores its arguments (searches a hard-coded 'fox')" },
  'MBPP/631': { reason: 'assertion', kind: 'dataset', why: "the solution ignores its argument (a hard-coded 'Python Exercises')" },
  'MBPP/642': { reason: 'assertion', kind: 'dataset', why: 'expects one order of the elements of tuples built from sets (hash order)' },
  'MBPP/123': { reason: 'timeout', kind: 'slow', why: 'sums amicable numbers below 10,000: 2.5 s in CPython, about 6 s in Pyodide; passes with cpuTimeMsPerTest 20000' },
};
