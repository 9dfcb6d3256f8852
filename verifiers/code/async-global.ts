// The name of the sandbox's async-tracking global, shared by the test instrumenter (parent side) and
// the runner. Imports nothing, so the runner can load it without the parser.

/** Global the instrumented tests call into (`enter`, `exit`, `threw`, `chain`); frozen in the sandbox. */
export const ASYNC_GLOBAL = '__mcgAsync';
