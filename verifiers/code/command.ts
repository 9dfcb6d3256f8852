// `mcts-gen verify code`: checks JSONL code tasks (native, HumanEval-X JS, MBJSP, MBPP rows) in the sandbox
// and writes one JSONL verdict line per input line, in input order. Streams its input; returns the exit
// code and never calls process.exit. Imports node built-ins, core and this folder only.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { emptyUsage, isMcgError, parseCodeLanguage, Rng, type CallContext, type CodeLanguage } from '../../src/core/index.js';
import { codeVerifierOptionsSchema, type CodeVerifierOptionsInput } from './options.js';
import { createCodeVerifier } from './index.js';
import { toCodeTask } from './task-format.js';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

/** Exit codes: every line was handled (whatever the verdicts), bad arguments, unreadable input or sandbox failure. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const VERIFY_CODE_USAGE = `Usage: mcts-gen verify code --input <file|-> [options]

Runs each JSONL line in the sandbox of its language (JavaScript: isolated-vm; Python: Pyodide) and
writes one line per input line, in input order:
  {"index":0,"task_id":"JavaScript/0","passed":true,"kind":"pass","reason":"pass","tests":{"passed":7,"total":7}}
Input lines: native {code, tests: string | string[], language?} or HumanEval-X / MBJSP / MBPP rows
{prompt, test, canonical_solution | completion} (program = prompt + completion, then the test; a Python
"def check(candidate)" test is called on the entry point). A row's "language" wins over --language;
without either, native rows are JavaScript and published rows are guessed from the task id (MBPP/,
HumanEval/ are Python). Blank lines are skipped; index counts the other lines from 0. A summary goes
to stderr.

Options:
  --input, -i <file>        JSONL input; "-" reads stdin (required)
  --output, -o <file>       write verdict lines here instead of stdout
  --language, -l <name>     javascript | python: language of rows that name none
  --concurrency, -c <n>     sandbox processes per language (default 2)
  --memory-limit-mb <n>     isolate heap limit per check (default 64)
  --cpu-time-ms <n>         time per test script, ms (default 1000; CPU for JS, wall for Python)
  --wall-time-ms <n>        wall-clock limit per line, ms (default 10000)
  --max-output-bytes <n>    console output kept per check (default 1024)
  --max-code-chars <n>      longest program run (default 200000)
  --verbose                 add "detail" and "output" to each line
  --help, -h                show this help
`;

interface OutputLine {
  index: number;
  task_id?: string;
  passed: boolean;
  kind: string;
  reason: string;
  tests: { passed: number; total: number };
  detail?: string;
  output?: string;
}

function parseCount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/** Writes `text`, waiting for the stream to drain when its buffer is full. */
async function writeText(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream as NodeJS.EventEmitter, 'drain');
}

/**
 * Runs `mcts-gen verify code <args>`. Returns 0 once every input line has an output line (failed
 * checks and bad lines included), 2 for bad arguments, 1 when the input cannot be read or the sandbox
 * cannot start. A line that is not JSON gives `kind: 'error', reason: 'parse_error'` (and a row of no
 * known shape `reason: 'invalid_input'`) plus a `file:line: message` on stderr; processing goes on.
 */
export async function verifyCodeCommand(args: string[], io: CommandIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        input: { type: 'string', short: 'i' },
        output: { type: 'string', short: 'o' },
        concurrency: { type: 'string', short: 'c' },
        language: { type: 'string', short: 'l' },
        'memory-limit-mb': { type: 'string' },
        'cpu-time-ms': { type: 'string' },
        'wall-time-ms': { type: 'string' },
        'max-output-bytes': { type: 'string' },
        'max-code-chars': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    io.stderr.write(`verify code: ${(err as Error).message}\n\n${VERIFY_CODE_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    io.stdout.write(VERIFY_CODE_USAGE);
    return EXIT_OK;
  }
  const input = values.input as string | undefined;
  if (input === undefined || input === '') {
    io.stderr.write(`verify code: --input is required\n\n${VERIFY_CODE_USAGE}`);
    return EXIT_USAGE;
  }

  let defaultLanguage: CodeLanguage | undefined;
  if (typeof values.language === 'string') {
    defaultLanguage = parseCodeLanguage(values.language);
    if (defaultLanguage === undefined) {
      io.stderr.write(`verify code: --language must be javascript or python, got "${values.language}"\n`);
      return EXIT_USAGE;
    }
  }

  let optionsInput: CodeVerifierOptionsInput;
  try {
    const raw: Record<string, number | undefined> = {
      poolSize: parseCount(values.concurrency as string | undefined, '--concurrency'),
      memoryLimitMb: parseCount(values['memory-limit-mb'] as string | undefined, '--memory-limit-mb'),
      cpuTimeMsPerTest: parseCount(values['cpu-time-ms'] as string | undefined, '--cpu-time-ms'),
      wallTimeMs: parseCount(values['wall-time-ms'] as string | undefined, '--wall-time-ms'),
      maxOutputBytes: parseCount(values['max-output-bytes'] as string | undefined, '--max-output-bytes'),
      maxCodeChars: parseCount(values['max-code-chars'] as string | undefined, '--max-code-chars'),
    };
    optionsInput = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
    const parsed = codeVerifierOptionsSchema.safeParse(optionsInput);
    if (!parsed.success) {
      const flags: Record<string, string> = {
        poolSize: '--concurrency',
        memoryLimitMb: '--memory-limit-mb',
        cpuTimeMsPerTest: '--cpu-time-ms',
        wallTimeMs: '--wall-time-ms',
        maxOutputBytes: '--max-output-bytes',
        maxCodeChars: '--max-code-chars',
      };
      const issue = parsed.error.issues[0];
      const key = String(issue.path[0]);
      throw new Error(`${flags[key] ?? key} ${issue.message}, got ${String((optionsInput as Record<string, unknown>)[key])}`);
    }
  } catch (err) {
    io.stderr.write(`verify code: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }

  const label = input === '-' ? '<stdin>' : input;
  let source: NodeJS.ReadableStream;
  if (input === '-') source = io.stdin;
  else {
    const stream = createReadStream(resolve(io.cwd, input));
    try {
      await once(stream, 'open');
    } catch (err) {
      io.stderr.write(`verify code: cannot read ${label}: ${(err as Error).message}\n`);
      return EXIT_FAILURE;
    }
    source = stream;
  }
  let sink: NodeJS.WritableStream = io.stdout;
  let sinkFile: ReturnType<typeof createWriteStream> | undefined;
  if (typeof values.output === 'string' && values.output !== '' && values.output !== '-') {
    sinkFile = createWriteStream(resolve(io.cwd, values.output));
    try {
      await once(sinkFile, 'open');
    } catch (err) {
      io.stderr.write(`verify code: cannot write ${values.output}: ${(err as Error).message}\n`);
      return EXIT_FAILURE;
    }
    sink = sinkFile;
  }

  const verifier = createCodeVerifier(optionsInput);
  const verbose = values.verbose === true;
  const maxInFlight = verifier.options.poolSize * 2;
  const counts = { lines: 0, pass: 0, fail: 0, error: 0, abstain: 0 };
  const started = Date.now();
  const abort = new AbortController();
  let fatal: unknown;

  // A line longer than a program plus its tests may be is not even parsed (bounded time per line).
  const maxLineChars = 2 * verifier.options.maxCodeChars + 100_000;

  const checkLine = async (line: string, lineNumber: number, index: number): Promise<OutputLine> => {
    if (line.length > maxLineChars) {
      io.stderr.write(`${label}:${lineNumber}: line of ${line.length} characters is longer than ${maxLineChars}; not checked\n`);
      return { index, passed: false, kind: 'error', reason: 'too_large', tests: { passed: 0, total: 0 } };
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      io.stderr.write(`${label}:${lineNumber}: invalid JSON: ${(err as Error).message}\n`);
      return { index, passed: false, kind: 'error', reason: 'parse_error', tests: { passed: 0, total: 0 } };
    }
    const taskId = typeof (row as { task_id?: unknown })?.task_id === 'string' ? (row as { task_id: string }).task_id : undefined;
    const head = { index, ...(taskId === undefined ? {} : { task_id: taskId }) };
    let task;
    try {
      task = toCodeTask(row, index, defaultLanguage);
    } catch (err) {
      io.stderr.write(`${label}:${lineNumber}: ${(err as Error).message.replace(/^row \d+: /, '')}\n`);
      return { ...head, passed: false, kind: 'error', reason: 'invalid_input', tests: { passed: 0, total: 0 } };
    }
    const ctx: CallContext = { signal: abort.signal, rng: Rng.fromSeed(task.problem.id), usage: emptyUsage() };
    const verdict = await verifier.check(task.problem, { problem: task.problem, steps: [task.code] }, ctx);
    const tests = verdict.tests ?? { passed: 0, total: 0 };
    const extra = verdict as { output?: string };
    return {
      ...head,
      passed: verdict.kind === 'pass',
      kind: verdict.kind,
      reason: verdict.reason,
      tests,
      ...(verbose && verdict.detail !== undefined ? { detail: verdict.detail } : {}),
      ...(verbose && extra.output !== undefined ? { output: extra.output } : {}),
    };
  };

  const emit = async (line: OutputLine): Promise<void> => {
    counts.lines += 1;
    if (line.kind === 'pass') counts.pass += 1;
    else if (line.kind === 'fail') counts.fail += 1;
    else if (line.kind === 'abstain') counts.abstain += 1;
    else counts.error += 1;
    await writeText(sink, `${JSON.stringify(line)}\n`);
  };

  // Results are written in input order: the oldest check is awaited first, at most maxInFlight run.
  // Each check settles to a value (never a rejection) so a failure cannot go unhandled while queued.
  type Settled = { line: OutputLine } | { error: unknown };
  const inFlight: Promise<Settled>[] = [];
  const next = async (): Promise<void> => {
    const settled = await (inFlight.shift() as Promise<Settled>);
    if ('error' in settled) throw settled.error;
    await emit(settled.line);
  };
  let exit = EXIT_OK;
  try {
    const lines = createInterface({ input: source, crlfDelay: Infinity });
    let lineNumber = 0;
    let index = 0;
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      inFlight.push(checkLine(line, lineNumber, index).then((out): Settled => ({ line: out }), (error: unknown): Settled => ({ error })));
      index += 1;
      while (inFlight.length >= maxInFlight) await next();
    }
    while (inFlight.length > 0) await next();
  } catch (err) {
    fatal = err;
    abort.abort();
    await Promise.all(inFlight);
  } finally {
    await verifier.close();
    if (sinkFile !== undefined) {
      sinkFile.end();
      await once(sinkFile, 'close').catch(() => undefined);
    }
  }
  if (fatal !== undefined) {
    const message = isMcgError(fatal) ? `${fatal.code}: ${fatal.message}` : (fatal as Error).message;
    io.stderr.write(`verify code: stopped after ${counts.lines} lines: ${message}\n`);
    exit = EXIT_FAILURE;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.stderr.write(
    `verify code: ${counts.lines} lines: ${counts.pass} passed, ${counts.fail} failed, ${counts.error} errors, ${counts.abstain} abstained (${seconds} s)\n`,
  );
  return exit;
}
