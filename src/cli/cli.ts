// The mcts-gen command line: parses arguments, calls the public API, prints progress and errors on
// stderr and data only where asked. `main` returns an exit code and never calls process.exit.

import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  ALGORITHMS,
  McgError,
  generateArithProblems,
  isMcgError,
  loadConfig,
  runToDirectory,
  toErrorData,
  type RunSummary,
} from '../index.js';
import { fmtDuration, ProgressReporter } from './progress.js';

export interface CliIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  cwd: string;
  /** Install SIGINT/SIGTERM handlers for graceful stop (the real binary does; tests do not). */
  handleSignals?: boolean;
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

const MAIN_HELP = `mcts-gen: generate reasoning training data with Monte Carlo Tree Search

Usage: mcts-gen <command> [options]

Commands:
  run        search problems and write SFT traces, DPO pairs and PRM step labels to a directory
  problems   write built-in synthetic problems as JSONL (mcts-gen problems arith --count 100)
  verify     grade answers or run code tests from a JSONL file (verify math | verify code)
  help       show help for a command (mcts-gen help run)

Quick start:
  mcts-gen run --out out/          # 20 built-in arithmetic problems, default settings
  mcts-gen run --problems gsm8k_test.jsonl --config run.json --out out/

Run 'mcts-gen <command> --help' for the options of a command.
`;

const RUN_HELP = `Usage: mcts-gen run [options]

Searches each problem and writes, into --out:
  traces.jsonl   verified step-by-step solutions (TRL SFT: prompt/completion and messages)
  pairs.jsonl    preference pairs (TRL DPO: prompt/chosen/rejected), step-level and whole-solution
  steps.jsonl    per-step labels and soft values (TRL stepwise supervision, PRM training)
  errors.jsonl   problems that could not be searched, with the reason
  summary.json   counts, yield per filter, usage, accuracy and yield per generated token
  ledger.jsonl   committed problems (makes --resume exact); config.json: the settings used

Input:
  --problems FILE        JSONL problems: native {id?, prompt, answer|tests}, GSM8K {question, answer},
                         MATH {problem, answer|solution}, HumanEval-X {prompt, test}.
                         Without it: built-in arithmetic problems (see --count).
  --count N              built-in problems to generate when --problems is absent (default 20)
  --on-bad-input MODE    error (default): stop at the first bad line, naming file:line
                         skip: write bad lines to rejected.jsonl and go on

Search:
  --algorithm NAME       ${ALGORITHMS.join(' | ')} (default mcts)
  --seed S               run seed; per-problem seeds derive from (seed, problem id) (default 0)
  --config FILE          JSON config (see README: search, budget, policy, reward, verifiers, filters)
  --set PATH=VALUE       override one config value; repeatable (--set search.width=8 --set budget.simulations=128)

Output:
  --out DIR              output directory (default: out)
  --resume               continue the run in --out, skipping problems it already committed
  --overwrite            delete an earlier run in --out first
  --fsync                fsync at every commit (survive power loss, not only a killed process)
  --max-attempts N       attempts per problem before it goes to errors.jsonl (default 2)
  --quiet                no progress output
  -h, --help             this help

Ctrl-C stops after the problem in flight (twice: abandons it); --resume continues later.
`;

const PROBLEMS_HELP = `Usage: mcts-gen problems arith [--count N] [--seed S] [--min-steps A] [--max-steps B] [--out FILE]

Writes built-in multi-step arithmetic word problems with known answers as JSONL (stdout by default).
Problem i of a seed is the same for every --count, so smaller sets are prefixes of larger ones.
`;

const VERIFY_HELP = `Usage:
  mcts-gen verify math --input pairs.jsonl    lines {gold, pred} -> lines {index, equal, kind, reason, extracted}
  mcts-gen verify code --input tasks.jsonl    lines {code, tests} or HumanEval-X/MBJSP rows -> {index, passed, kind, reason, tests}

Run 'mcts-gen verify math --help' or 'mcts-gen verify code --help' for options.
`;

function say(io: CliIO, text: string): void {
  io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

function fail(io: CliIO, err: unknown): number {
  const data = toErrorData(err);
  say(io, `mcts-gen: error [${data.code}]: ${data.message}`);
  if (data.code === 'INTERNAL' && err instanceof Error && err.stack !== undefined) say(io, err.stack);
  return data.code === 'CONFIG_INVALID' || data.code === 'INPUT_INVALID' ? EXIT.USAGE : EXIT.FAILED;
}

function usageError(io: CliIO, message: string, help: string): number {
  say(io, `mcts-gen: ${message}`);
  say(io, help);
  return EXIT.USAGE;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new McgError('CONFIG_INVALID', `${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

async function runCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        problems: { type: 'string' },
        count: { type: 'string' },
        out: { type: 'string' },
        config: { type: 'string' },
        algorithm: { type: 'string' },
        seed: { type: 'string' },
        set: { type: 'string', multiple: true },
        resume: { type: 'boolean' },
        overwrite: { type: 'boolean' },
        fsync: { type: 'boolean' },
        'on-bad-input': { type: 'string' },
        'max-attempts': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError(io, (err as Error).message, RUN_HELP);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(RUN_HELP);
    return EXIT.OK;
  }
  if (v.resume === true && v.overwrite === true) return usageError(io, '--resume and --overwrite cannot be used together', RUN_HELP);

  const overrides = [...(v.set ?? [])];
  if (v.algorithm !== undefined) overrides.push(`algorithm=${JSON.stringify(v.algorithm)}`);
  if (v.seed !== undefined) overrides.push(`seed=${v.seed}`);
  if (v['on-bad-input'] !== undefined) overrides.push(`onBadInput=${JSON.stringify(v['on-bad-input'])}`);

  const stopState = { stopRequested: false };
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stopState.stopRequested) {
      stopState.stopRequested = true;
      say(io, `\nmcts-gen: ${sig}: stopping after the problem in flight (again to abandon it)`);
    } else {
      abort.abort(new McgError('ABORTED', `${sig} received twice`));
    }
  };
  if (io.handleSignals === true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  const outDir = v.out ?? 'out';
  const resumeCommand = (): string => {
    const kept = args.filter((a) => a !== '--overwrite' && a !== '--resume');
    return ['mcts-gen', 'run', ...kept.map(quoteArg), '--resume'].join(' ');
  };
  const progress = new ProgressReporter({ stream: io.stderr });
  try {
    const { config, baseDir } = loadConfig(v.config, overrides);
    const count = positiveInt('--count', v.count, 20);
    const maxAttempts = positiveInt('--max-attempts', v['max-attempts'], 2);
    const input =
      v.problems !== undefined
        ? { file: v.problems }
        : { problems: generateArithProblems({ count, seed: 0 }) };
    if (v.quiet !== true) {
      const source = v.problems ?? `${count} built-in arithmetic problems`;
      say(io, `mcts-gen: ${config.algorithm} on ${source} -> ${outDir}/ (policy ${config.policy.kind}, reward ${config.reward?.kind ?? 'none'}, seed ${config.seed})`);
    }
    const result = await runToDirectory({
      outDir,
      input,
      config,
      env: { baseDir },
      resume: v.resume,
      overwrite: v.overwrite,
      fsync: v.fsync,
      maxAttempts,
      signal: abort.signal,
      shouldStop: () => stopState.stopRequested,
      onProgress: v.quiet === true ? undefined : (p) => progress.update(p),
    });
    progress.finish();
    if (v.quiet !== true) say(io, describeSummary(result.summary, outDir, result.progress.elapsedMs));
    if (result.stoppedEarly) {
      say(io, `mcts-gen: stopped early; committed work is in ${outDir}/. Continue with:\n  ${resumeCommand()}`);
      return EXIT.INTERRUPTED;
    }
    return EXIT.OK;
  } catch (err) {
    progress.finish();
    if (isMcgError(err, 'ABORTED')) {
      say(io, `mcts-gen: aborted; the problem in flight was dropped, committed work is in ${outDir}/. Continue with:\n  ${resumeCommand()}`);
      return EXIT.INTERRUPTED;
    }
    return fail(io, err);
  } finally {
    if (io.handleSignals === true) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** The human summary printed at the end of a run. */
export function describeSummary(s: RunSummary, outDir: string, elapsedMs: number): string {
  const p = s.problems;
  const pct = (n: number, d: number): string => (d === 0 ? '0%' : `${((100 * n) / d).toFixed(1)}%`);
  const lines = [
    `mcts-gen: ${p.committed} problems in ${fmtDuration(elapsedMs)}: ${p.searched} searched, ${p.errors} errors, ${p.rejectedInputs} rejected inputs`,
    `  answer correct ${p.success}/${p.searched} (${pct(p.success, p.searched)}), verified solution found ${p.solved}/${p.searched} (${pct(p.solved, p.searched)})`,
    `  wrote ${s.records.traces} traces, ${s.records.pairs} pairs, ${s.records.steps} step records to ${outDir}/`,
    `  generated ${s.usage.generatedTokens} tokens (${s.usage.policyCalls} policy calls, ${s.usage.rewardCalls} reward calls, ${s.usage.verifierCalls} verifier calls)`,
  ];
  if (p.errors > 0) lines.push(`  ${p.errors} problems failed: see ${outDir}/errors.jsonl`);
  return lines.join('\n');
}

async function problemsCommand(args: string[], io: CliIO): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === '--help' || kind === '-h' || kind === undefined) {
    (kind === undefined ? io.stderr : io.stdout).write(PROBLEMS_HELP);
    return kind === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (kind !== 'arith') return usageError(io, `unknown problem family "${kind}" (known: arith)`, PROBLEMS_HELP);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        count: { type: 'string' },
        seed: { type: 'string' },
        'min-steps': { type: 'string' },
        'max-steps': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError(io, (err as Error).message, PROBLEMS_HELP);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(PROBLEMS_HELP);
    return EXIT.OK;
  }
  try {
    const count = positiveInt('--count', v.count, 100);
    const seed = v.seed === undefined ? 0 : Number(v.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new McgError('CONFIG_INVALID', `--seed must be a non-negative integer, got ${JSON.stringify(v.seed)}`);
    const minSteps = positiveInt('--min-steps', v['min-steps'], 2);
    const maxSteps = positiveInt('--max-steps', v['max-steps'], Math.max(minSteps, 5));
    if (maxSteps < minSteps) throw new McgError('CONFIG_INVALID', `--max-steps (${maxSteps}) must be >= --min-steps (${minSteps})`);
    const problems = generateArithProblems({ count, seed, minSteps, maxSteps });
    const text = problems.map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: p.reference?.answer, domain: p.domain, meta: p.meta })).join('\n') + '\n';
    if (v.out === undefined) {
      io.stdout.write(text);
    } else {
      await new Promise<void>((resolve, reject) => {
        const s = createWriteStream(v.out!);
        s.on('error', (err) => reject(new McgError('IO_FAILED', `${v.out}: ${err.message}`, { cause: err })));
        s.end(text, () => resolve());
      });
      say(io, `mcts-gen: wrote ${count} problems to ${v.out}`);
    }
    return EXIT.OK;
  } catch (err) {
    return fail(io, err);
  }
}

async function verifyCommand(args: string[], io: CliIO): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h') {
    (kind === undefined ? io.stderr : io.stdout).write(VERIFY_HELP);
    return kind === undefined ? EXIT.USAGE : EXIT.OK;
  }
  try {
    // The verifiers are a public entry of their own (mcts-gen/verifiers); load only the one asked for.
    const mathModule: string = '../../verifiers/math/command.js';
    const codeModule: string = '../../verifiers/code/command.js';
    if (kind === 'math') return await (await import(mathModule)).verifyMathCommand(rest, io);
    if (kind === 'code') return await (await import(codeModule)).verifyCodeCommand(rest, io);
  } catch (err) {
    return fail(io, err);
  }
  return usageError(io, `unknown verifier "${kind}" (known: math, code)`, VERIFY_HELP);
}

/** Runs the CLI with `argv` (without the node and script names). Returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest, io);
    case 'problems':
      return problemsCommand(rest, io);
    case 'verify':
      return verifyCommand(rest, io);
    case 'help':
      if (rest[0] === 'run') io.stdout.write(RUN_HELP);
      else if (rest[0] === 'problems') io.stdout.write(PROBLEMS_HELP);
      else if (rest[0] === 'verify') io.stdout.write(VERIFY_HELP);
      else io.stdout.write(MAIN_HELP);
      return EXIT.OK;
    case '--help':
    case '-h':
      io.stdout.write(MAIN_HELP);
      return EXIT.OK;
    case '--version':
    case '-v': {
      const { VERSION } = await import('../version.js');
      io.stdout.write(`${VERSION}\n`);
      return EXIT.OK;
    }
    case undefined:
      io.stderr.write(MAIN_HELP);
      return EXIT.USAGE;
    default:
      return usageError(io, `unknown command "${command}"`, MAIN_HELP);
  }
}
