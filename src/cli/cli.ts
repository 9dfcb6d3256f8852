// The mcts-gen command line: parses arguments, calls the public API, prints progress and errors on
// stderr and data only where asked. `main` returns an exit code and never calls process.exit.

import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ALGORITHMS,
  McgError,
  defaultWorkerCount,
  emptyProgress,
  generateArithProblems,
  isMcgError,
  loadConfig,
  mergeRuns,
  parseShard,
  runToDirectory,
  toErrorData,
  type RunProgress,
  type RunSummary,
} from '../index.js';
import { parseQueueTarget } from '../queue/target.js';
import type { QueueStatus } from '../queue/coordinator.js';
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
  merge      combine run directories (e.g. shards) into one: mcts-gen merge out-0 out-1 --out all
  worker     take search jobs of queued runs (run --queue) from Redis, on any number of boxes
  view       a saved search tree as one offline HTML file, or as Graphviz DOT / Mermaid
  sweep      run a grid of search settings: sweep.csv and SVG plots of accuracy and yield per token
  help       show help for a command (mcts-gen help run)

Quick start:
  mcts-gen run --out out/          # 20 built-in arithmetic problems, embedded policy and PRM
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

Parallelism and scale:
  --workers N            worker threads, one search each (default: available cores, here ${defaultWorkerCount()});
                         0 searches in this process
  --concurrency-per-worker K
                         searches at once per worker, for backends that wait on the network (default 1)
  --ordered              commit problems in input order (default: as they finish; same set of records)
  --shard i/N            take only this machine's share of the problems (by id hash; see merge)
  --queue redis://HOST:PORT[/DB]
                         coordinate instead of searching: each problem becomes a BullMQ job in Redis that
                         'mcts-gen worker --queue ...' processes on any box; results are committed here
                         (same files, ledger and --resume; --workers is then ignored)
  --queue-name NAME      BullMQ queue shared with the workers (default mcts-gen)
  --queue-window N       jobs enqueued and not yet committed, at most (default 256)
  --max-failures N|P%    exit 1 when more problems than this end in errors.jsonl (default 10%)

Output:
  --out DIR              output directory (default: out)
  --resume               continue the run in --out, skipping problems it already committed
  --overwrite            delete an earlier run in --out first
  --save-trees           also write trees/<id>.json, the whole search tree of each problem
                         (otherwise trees are released once their records are extracted)
  --fsync                fsync at every commit (survive power loss, not only a killed process)
  --max-attempts N       attempts per problem before it goes to errors.jsonl (default 2)
  --quiet                no progress output
  --log-json             progress as JSON lines on stderr (one per committed problem, then a summary)
  -h, --help             this help

Ctrl-C stops after the problem in flight (twice: abandons it); --resume continues later.
With --queue, Ctrl-C stops enqueueing and waits for the jobs out (twice: leaves them in the queue,
where --resume collects their results).
`;

const PROBLEMS_HELP = `Usage: mcts-gen problems arith [--count N] [--seed S] [--min-steps A] [--max-steps B] [--out FILE]

Writes built-in multi-step arithmetic word problems with known answers as JSONL (stdout by default).
Problem i of a seed is the same for every --count, so smaller sets are prefixes of larger ones.
`;

const MERGE_HELP = `Usage: mcts-gen merge DIR [DIR ...] --out DIR [--overwrite]

Combines run directories written with the same settings (for example the shards of one run, each made
with --shard i/N on its own machine) into one: a problem present in several inputs is kept once (the
first), records are deduplicated again across inputs, trees are copied, and summary.json is recomputed.
The result is an ordinary run directory.
`;

const VERIFY_HELP = `Usage:
  mcts-gen verify math --input pairs.jsonl    lines {gold, pred} -> lines {index, equal, kind, reason, extracted}
  mcts-gen verify code --input tasks.jsonl    lines {code, tests} or HumanEval-X/MBJSP rows -> {index, passed, kind, reason, tests}

Run 'mcts-gen verify math --help' or 'mcts-gen verify code --help' for options.
`;

export function say(io: CliIO, text: string): void {
  io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function fail(io: CliIO, err: unknown): number {
  const data = toErrorData(err);
  say(io, `mcts-gen: error [${data.code}]: ${data.message}`);
  if (data.code === 'INTERNAL' && err instanceof Error && err.stack !== undefined) say(io, err.stack);
  return data.code === 'CONFIG_INVALID' || data.code === 'INPUT_INVALID' ? EXIT.USAGE : EXIT.FAILED;
}

export function usageError(io: CliIO, message: string, help: string): number {
  say(io, `mcts-gen: ${message}`);
  say(io, help);
  return EXIT.USAGE;
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new McgError('CONFIG_INVALID', `${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new McgError('CONFIG_INVALID', `${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Ctrl-C / SIGTERM for a long command (when `io.handleSignals`): the first asks to stop after the
 * problem in flight (`requested()`), the second aborts `signal`. `dispose()` removes the handlers.
 */
export function stopOnSignals(io: CliIO): { requested: () => boolean; signal: AbortSignal; dispose: () => void } {
  let stopRequested = false;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stopRequested) {
      stopRequested = true;
      say(io, `\nmcts-gen: ${sig}: stopping after the problem in flight (again to abandon it)`);
    } else {
      abort.abort(new McgError('ABORTED', `${sig} received twice`));
    }
  };
  if (io.handleSignals === true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    requested: () => stopRequested,
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** "--max-failures 5" (problems) or "--max-failures 10%" (of committed problems). */
function parseMaxFailures(text: string): { value: number; percent: boolean; text: string } {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (m === null) throw new McgError('CONFIG_INVALID', `--max-failures must be a count (5) or a percentage (10%), got ${JSON.stringify(text)}`);
  const percent = m[2] === '%';
  const value = Number(m[1]);
  if (percent ? value > 100 : !Number.isInteger(value)) throw new McgError('CONFIG_INVALID', `--max-failures must be a count (5) or a percentage (10%), got ${JSON.stringify(text)}`);
  return { value, percent, text };
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
        workers: { type: 'string' },
        'concurrency-per-worker': { type: 'string' },
        ordered: { type: 'boolean' },
        shard: { type: 'string' },
        'max-failures': { type: 'string' },
        quiet: { type: 'boolean' },
        'log-json': { type: 'boolean' },
        'save-trees': { type: 'boolean' },
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
        'queue-window': { type: 'string' },
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
  if (v.queue === undefined && (v['queue-name'] !== undefined || v['queue-window'] !== undefined)) return usageError(io, '--queue-name and --queue-window need --queue', RUN_HELP);

  const overrides = [...(v.set ?? [])];
  if (v.algorithm !== undefined) overrides.push(`algorithm=${JSON.stringify(v.algorithm)}`);
  if (v.seed !== undefined) overrides.push(`seed=${v.seed}`);
  if (v['on-bad-input'] !== undefined) overrides.push(`onBadInput=${JSON.stringify(v['on-bad-input'])}`);
  if (v['save-trees'] === true) overrides.push('outputs.trees=true');

  const stop = stopOnSignals(io);

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
    const workers = v.workers === undefined ? defaultWorkerCount() : nonNegativeInt('--workers', v.workers);
    const concurrentPerWorker = positiveInt('--concurrency-per-worker', v['concurrency-per-worker'], 1);
    const shard = v.shard === undefined ? undefined : parseShard(v.shard);
    const maxFailures = parseMaxFailures(v['max-failures'] ?? '10%');
    const logJson = v['log-json'] === true;
    const queueWindow = v['queue-window'] === undefined ? undefined : positiveInt('--queue-window', v['queue-window'], 1);
    const queueTarget = v.queue === undefined ? undefined : parseQueueTarget(v.queue, v['queue-name']);
    const input =
      v.problems !== undefined
        ? { file: v.problems }
        : { problems: generateArithProblems({ count, seed: 0 }) };
    const source = v.problems ?? `${count} built-in arithmetic problems`;
    if (logJson) {
      say(io, JSON.stringify({ event: 'start', source, outDir, algorithm: config.algorithm, seed: config.seed, workers: v.queue === undefined ? workers : null, queue: queueTarget?.display ?? null, shard: v.shard ?? null }));
    } else if (v.quiet !== true) {
      const where = queueTarget !== undefined ? `through ${queueTarget.display}` : workers === 0 ? 'in process' : `${workers} worker${workers === 1 ? '' : 's'}`;
      const part = shard === undefined ? '' : `, shard ${shard.index}/${shard.count}`;
      say(io, `mcts-gen: ${config.algorithm} on ${source} -> ${outDir}/ (policy ${config.policy.kind}, reward ${config.reward?.kind ?? 'none'}, seed ${config.seed}, ${where}${part})`);
    }
    let lastProgress: RunProgress | undefined;
    const onProgress = logJson
      ? (p: RunProgress) => say(io, JSON.stringify({ event: 'problem', problemId: p.lastProblemId, ok: p.lastOk, done: p.done, total: p.total ?? null, failures: p.failures, generatedTokens: p.generatedTokens, elapsedMs: Math.round(p.elapsedMs), ...(p.queue === undefined ? {} : { queue: p.queue }) }))
      : v.quiet === true
        ? undefined
        : (p: RunProgress) => {
            lastProgress = p;
            progress.update(p);
          };
    const queueStarted = performance.now();
    const queue =
      v.queue === undefined
        ? undefined
        : {
            url: v.queue,
            name: v['queue-name'],
            window: queueWindow,
            onNotice: (message: string) => {
              if (logJson) say(io, JSON.stringify({ event: 'notice', message }));
              else if (v.quiet !== true) {
                progress.finish();
                say(io, `mcts-gen: ${message}`);
              }
            },
            // Between commits the bar still moves: workers seen, jobs waiting and active.
            onStatus:
              logJson || v.quiet === true
                ? undefined
                : (status: QueueStatus) => {
                    const base = lastProgress ?? { ...emptyProgress(), elapsedMs: performance.now() - queueStarted };
                    progress.update({ ...base, queue: status });
                  },
          };
    const result = await runToDirectory({
      outDir,
      input,
      config,
      env: { baseDir },
      resume: v.resume,
      overwrite: v.overwrite,
      fsync: v.fsync,
      maxAttempts,
      workers,
      concurrentPerWorker,
      ordered: v.ordered,
      shard,
      signal: stop.signal,
      shouldStop: stop.requested,
      onProgress,
      queue,
    });
    progress.finish();
    const s = result.summary;
    if (logJson) say(io, JSON.stringify({ event: 'end', problems: s.problems, records: s.records, usage: s.usage, elapsedMs: Math.round(result.progress.elapsedMs), stoppedEarly: result.stoppedEarly }));
    else if (v.quiet !== true) say(io, describeSummary(s, outDir, result.progress.elapsedMs));
    if (result.stoppedEarly) {
      say(io, `mcts-gen: stopped early; committed work is in ${outDir}/. Continue with:\n  ${resumeCommand()}`);
      return EXIT.INTERRUPTED;
    }
    const allowed = maxFailures.percent ? Math.floor((maxFailures.value / 100) * s.problems.committed) : maxFailures.value;
    if (s.problems.errors > allowed) {
      say(io, `mcts-gen: ${s.problems.errors} of ${s.problems.committed} problems failed, more than --max-failures ${maxFailures.text} allows (see ${outDir}/errors.jsonl)`);
      return EXIT.FAILED;
    }
    return EXIT.OK;
  } catch (err) {
    progress.finish();
    if (isMcgError(err, 'ABORTED')) {
      const dropped = v.queue === undefined ? 'the problem in flight was dropped' : 'jobs not yet committed stay in the queue';
      say(io, `mcts-gen: aborted; ${dropped}, committed work is in ${outDir}/. Continue with:\n  ${resumeCommand()}`);
      return EXIT.INTERRUPTED;
    }
    const code = fail(io, err);
    if (isMcgError(err, 'QUEUE_FAILED') && existsSync(join(outDir, 'ledger.jsonl'))) say(io, `mcts-gen: committed work is in ${outDir}/; once Redis is back, continue with:\n  ${resumeCommand()}`);
    return code;
  } finally {
    stop.dispose();
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
    `  ${pct(s.search.duplicateTokens, s.usage.generatedTokens)} of tokens on duplicate steps; ${s.search.falseSteps} false arithmetic steps caught; ${s.search.exhaustedWithBudget} searches ran out of new steps before their budget`,
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
    if (kind === 'math') return await (await import('../../verifiers/math/command.js')).verifyMathCommand(rest, io);
    if (kind === 'code') return await (await import('../../verifiers/code/command.js')).verifyCodeCommand(rest, io);
  } catch (err) {
    return fail(io, err);
  }
  return usageError(io, `unknown verifier "${kind}" (known: math, code)`, VERIFY_HELP);
}

async function mergeCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    return usageError(io, (err as Error).message, MERGE_HELP);
  }
  if (parsed.values.help === true) {
    io.stdout.write(MERGE_HELP);
    return EXIT.OK;
  }
  if (parsed.values.out === undefined) return usageError(io, 'merge needs --out DIR', MERGE_HELP);
  if (parsed.positionals.length === 0) return usageError(io, 'merge needs at least one input directory', MERGE_HELP);
  try {
    const r = mergeRuns(parsed.positionals, parsed.values.out, { overwrite: parsed.values.overwrite });
    const s = r.summary;
    say(io, `mcts-gen: merged ${r.perInput.map((p) => `${p.dir} (${p.problems})`).join(', ')} -> ${parsed.values.out}/: ${s.problems.committed} problems, ${s.records.traces} traces, ${s.records.pairs} pairs, ${s.records.steps} step records${r.duplicateProblems > 0 ? `; ${r.duplicateProblems} problems present in several inputs kept once` : ''}`);
    return EXIT.OK;
  } catch (err) {
    return fail(io, err);
  }
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
    case 'merge':
      return mergeCommand(rest, io);
    case 'worker':
      return (await import('./queue.js')).workerCommand(rest, io);
    case 'view':
      return (await import('./explore.js')).viewCommand(rest, io);
    case 'sweep':
      return (await import('./explore.js')).sweepCommand(rest, io);
    case 'help':
      if (rest[0] === 'run') io.stdout.write(RUN_HELP);
      else if (rest[0] === 'problems') io.stdout.write(PROBLEMS_HELP);
      else if (rest[0] === 'verify') io.stdout.write(VERIFY_HELP);
      else if (rest[0] === 'merge') io.stdout.write(MERGE_HELP);
      else if (rest[0] === 'worker') io.stdout.write((await import('./queue.js')).WORKER_HELP);
      else if (rest[0] === 'view') io.stdout.write((await import('./explore.js')).VIEW_HELP);
      else if (rest[0] === 'sweep') io.stdout.write((await import('./explore.js')).SWEEP_HELP);
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
