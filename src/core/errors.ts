// McgError: the one error type the library throws for misuse and infrastructure faults.
// Expected outcomes (a wrong answer, a failed test, zero candidates) are values, never errors.

/** Stable error codes. Users and tools match on these; never rename one. */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'PLUGIN_UNAVAILABLE',
  'PLUGIN_FAILED',
  'BACKEND_HTTP',
  'ABORTED',
  'IO_FAILED',
  /** Redis or the job queue of a distributed run failed (unreachable, lost for too long, refused). */
  'QUEUE_FAILED',
  'INTERNAL',
] as const;

export type McgErrorCode = (typeof ERROR_CODES)[number];

/** Plain form of an error as it crosses a thread, a file or HTTP. */
export interface McgErrorData {
  code: McgErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class McgError extends Error {
  override readonly name = 'McgError';
  readonly code: McgErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: McgErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  toJSON(): McgErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds an error from its plain form (the inverse of `toJSON`). */
  static fromJSON(data: McgErrorData): McgError {
    const code = (ERROR_CODES as readonly string[]).includes(data.code) ? data.code : 'INTERNAL';
    return new McgError(code, data.message, data.details === undefined ? undefined : { details: data.details });
  }
}

/** True when `err` is an McgError (optionally with the given code). Works across module copies. */
export function isMcgError(err: unknown, code?: McgErrorCode): err is McgError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  if (e.name !== 'McgError' || typeof e.code !== 'string') return false;
  return code === undefined || e.code === code;
}

/** Plain `{code, message}` for any thrown value; non-McgErrors become `INTERNAL` (or `ABORTED`). */
export function toErrorData(err: unknown): McgErrorData {
  if (isMcgError(err)) return err.toJSON();
  if (err instanceof Error) {
    if (err.name === 'AbortError') return { code: 'ABORTED', message: err.message || 'aborted' };
    return { code: 'INTERNAL', message: `${err.name}: ${err.message}` };
  }
  return { code: 'INTERNAL', message: `non-error thrown: ${String(err)}` };
}

/** Throws `ABORTED` if the signal has fired. Call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new McgError('ABORTED', 'the operation was aborted', { cause: signal.reason });
  }
}
