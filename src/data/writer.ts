// The run directory: JSONL files appended one problem at a time, then a ledger line holding every
// file's size after that problem. A crash leaves at most one uncommitted problem (and maybe a torn
// line); `resume` truncates every file back to the last complete ledger line, so the set of records
// after a resume equals that of an uninterrupted run. Only this module writes run files.

import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { McgError } from '../core/errors.js';
import { hashHex } from '../core/hash.js';
import { normalizeStepText } from '../core/text.js';
import { configHash, outcomeRecords, type ProblemOutcome, type RunRecord } from './outcome.js';
import { VERSION } from '../version.js';
import type { BadLine } from './problems.js';
import { SCHEMA, type PairRecord, type RejectedRecord, type StepRecord, type TraceRecord } from './records.js';
import { SummaryBuilder, type LedgerEntry, type RunSummary } from './summary.js';

/** Data files of a run directory, in commit order. */
export const RUN_FILES = ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl', 'rejected.jsonl'] as const;
type RunFile = (typeof RUN_FILES)[number];
export const LEDGER_FILE = 'ledger.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const CONFIG_FILE = 'config.json';

export interface RunWriterOptions {
  /** Continue the run in `outDir`: keep its committed problems and drop anything after them. */
  resume?: boolean;
  /** Delete an earlier run in `outDir` first. */
  overwrite?: boolean;
  /** fsync data and ledger at every commit (survives power loss, not just a killed process). */
  fsync?: boolean;
}

/** File name for a problem's tree: the id made filesystem-safe, plus a hash when that changed it. */
export function treeFileName(problemId: string): string {
  const safe = problemId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return safe === problemId ? `${safe}.json` : `${safe}-${hashHex(problemId, 8)}.json`;
}

/** Run-wide dedup key: a 128-bit hash of the normalised text (memory stays small on long runs). */
function dedupKey(record: TraceRecord | PairRecord | StepRecord): string {
  return hashHex(dedupText(record), 32);
}

function dedupText(record: TraceRecord | PairRecord | StepRecord): string {
  switch (record.schema) {
    case SCHEMA.trace:
      return `t\u241e${normalizeStepText(record.prompt)}\u241e${normalizeStepText(record.completion)}`;
    case SCHEMA.pair:
      return `p\u241e${normalizeStepText(record.prompt)}\u241e${normalizeStepText(record.chosen)}\u241e${normalizeStepText(record.rejected)}`;
    default:
      return `s\u241e${normalizeStepText(record.prompt)}\u241e${record.completions.map(normalizeStepText).join('\u241f')}`;
  }
}

/** Complete ledger lines of a ledger file and the byte length they span (a torn tail is excluded). */
export function readLedger(path: string): { entries: LedgerEntry[]; validBytes: number } {
  if (!existsSync(path)) return { entries: [], validBytes: 0 };
  const buf = readFileSync(path);
  const entries: LedgerEntry[] = [];
  let validBytes = 0;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    const line = buf.subarray(start, nl).toString('utf8');
    let entry: LedgerEntry;
    try {
      entry = JSON.parse(line) as LedgerEntry;
    } catch {
      break;
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.problemId !== 'string' || typeof entry.offsets !== 'object') break;
    entries.push(entry);
    validBytes = nl + 1;
    start = nl + 1;
  }
  return { entries, validBytes };
}

export class RunWriter {
  private readonly fds = new Map<RunFile | typeof LEDGER_FILE, number>();
  private readonly sizes = new Map<RunFile, number>();
  private readonly seen = new Set<string>();
  private readonly rejectedLines = new Set<string>();
  private readonly summaryBuilder = new SummaryBuilder();
  /** Ids of problems committed (now or by an earlier run that is being resumed). */
  readonly finished = new Set<string>();
  private readonly hash: string;
  private closed = false;

  private constructor(
    readonly outDir: string,
    private readonly config: Config,
    private readonly options: RunWriterOptions,
  ) {
    this.hash = configHash(config);
  }

  /** Opens (creating, resuming or replacing) the run directory. */
  static open(outDir: string, config: Config, options: RunWriterOptions = {}): RunWriter {
    const w = new RunWriter(outDir, config, options);
    w.prepare();
    return w;
  }

  private prepare(): void {
    const ledgerPath = join(this.outDir, LEDGER_FILE);
    const hasRun = existsSync(ledgerPath) || existsSync(join(this.outDir, CONFIG_FILE));
    if (hasRun && this.options.overwrite === true) {
      for (const f of [...RUN_FILES, LEDGER_FILE, SUMMARY_FILE, CONFIG_FILE]) rmSync(join(this.outDir, f), { force: true });
      rmSync(join(this.outDir, 'trees'), { recursive: true, force: true });
    } else if (hasRun && this.options.resume !== true) {
      throw new McgError('IO_FAILED', `${this.outDir} already holds a run: pass --resume to continue it, --overwrite to replace it, or choose another --out`);
    }
    try {
      mkdirSync(this.outDir, { recursive: true });
    } catch (err) {
      throw new McgError('IO_FAILED', `cannot create ${this.outDir}: ${(err as Error).message}`, { cause: err });
    }

    let offsets: Record<string, number> = {};
    if (this.options.resume === true && existsSync(ledgerPath)) {
      const cfgPath = join(this.outDir, CONFIG_FILE);
      if (existsSync(cfgPath)) {
        const earlier = (JSON.parse(readFileSync(cfgPath, 'utf8')) as { configHash?: string }).configHash;
        if (earlier !== undefined && earlier !== this.hash) {
          throw new McgError(
            'CONFIG_INVALID',
            `${this.outDir} was written with config hash ${earlier}, but this command's config hashes to ${this.hash}: resume with the same settings (see ${cfgPath})`,
          );
        }
      }
      const { entries, validBytes } = readLedger(ledgerPath);
      truncateTo(ledgerPath, validBytes);
      for (const e of entries) {
        this.summaryBuilder.add(e);
        this.finished.add(e.problemId);
      }
      offsets = entries.length > 0 ? entries[entries.length - 1].offsets : {};
    }
    for (const f of RUN_FILES) {
      const path = join(this.outDir, f);
      if (this.options.resume === true) truncateTo(path, offsets[f] ?? 0);
      const fd = openSync(path, 'a');
      this.fds.set(f, fd);
      this.sizes.set(f, statSync(path).size);
    }
    this.fds.set(LEDGER_FILE, openSync(ledgerPath, 'a'));
    if (this.options.resume === true) this.reloadSeen();
    const cfg = { schema: 'mcts-gen.config/1', version: VERSION, configHash: this.hash, config: this.config };
    writeAtomic(join(this.outDir, CONFIG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);
  }

  /** Rebuilds the run-wide dedup keys (and rejected-line keys) from the committed files. */
  private reloadSeen(): void {
    for (const f of ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl'] as const) {
      const path = join(this.outDir, f);
      if (!existsSync(path)) continue;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line === '') continue;
        this.seen.add(dedupKey(JSON.parse(line) as TraceRecord | PairRecord | StepRecord));
      }
    }
    const rejected = join(this.outDir, 'rejected.jsonl');
    if (existsSync(rejected)) {
      for (const line of readFileSync(rejected, 'utf8').split('\n')) {
        if (line === '') continue;
        const r = JSON.parse(line) as RejectedRecord;
        this.rejectedLines.add(`${r.file}:${r.line}`);
      }
    }
  }

  private append(file: RunFile, lines: string[]): void {
    if (lines.length === 0) return;
    const buf = Buffer.from(lines.join(''), 'utf8');
    const fd = this.fds.get(file)!;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    this.sizes.set(file, this.sizes.get(file)! + buf.length);
  }

  /** Commits one problem: its records (after run-wide dedup), its tree, then its ledger line. */
  commit(outcome: ProblemOutcome): LedgerEntry {
    if (outcome.ok) {
      const { wallMs: _wall, ...stats } = outcome.stats;
      return this.commitProblem(outcome.problem.id, outcomeRecords(outcome), { ok: true, attempts: outcome.attempts, stats, filters: outcome.records.filters });
    }
    return this.commitProblem(outcome.problem.id, outcomeRecords(outcome), {
      ok: false,
      attempts: outcome.attempts,
      error: { code: outcome.error.code, message: outcome.error.message },
    });
  }

  /**
   * Commits the records of one problem (from a search, or from another run directory when merging).
   * `entry.filters` is copied and adjusted for records that run-wide dedup drops here.
   */
  commitProblem(problemId: string, records: readonly RunRecord[], entry: Pick<LedgerEntry, 'ok' | 'attempts' | 'stats' | 'filters' | 'error'>): LedgerEntry {
    if (this.closed) throw new McgError('INTERNAL', 'RunWriter is closed');
    if (this.finished.has(problemId)) throw new McgError('INTERNAL', `problem ${problemId} was already committed`);
    const lines: Record<RunFile, string[]> = { 'traces.jsonl': [], 'pairs.jsonl': [], 'steps.jsonl': [], 'errors.jsonl': [], 'rejected.jsonl': [] };
    const counts = { traces: 0, pairs: 0, steps: 0, trees: 0 };
    const filters = entry.filters === undefined ? undefined : structuredClone(entry.filters);
    for (const record of records) {
      switch (record.schema) {
        case SCHEMA.trace:
        case SCHEMA.pair:
        case SCHEMA.step: {
          const kind = record.schema === SCHEMA.trace ? 'traces' : record.schema === SCHEMA.pair ? 'pairs' : 'steps';
          if (this.config.filters.dedup) {
            const key = dedupKey(record);
            if (this.seen.has(key)) {
              if (filters !== undefined) {
                filters[kind].duplicate++;
                filters[kind].kept--;
              }
              continue;
            }
            this.seen.add(key);
          }
          lines[`${kind}.jsonl`].push(`${JSON.stringify(record)}\n`);
          counts[kind]++;
          break;
        }
        case SCHEMA.tree: {
          const dir = join(this.outDir, 'trees');
          mkdirSync(dir, { recursive: true });
          writeAtomic(join(dir, treeFileName(record.problemId)), `${JSON.stringify(record)}\n`);
          counts.trees++;
          break;
        }
        case SCHEMA.error:
          lines['errors.jsonl'].push(`${JSON.stringify(record)}\n`);
          break;
      }
    }
    for (const f of RUN_FILES) this.append(f, lines[f]);
    if (this.options.fsync === true) for (const f of RUN_FILES) fsyncSync(this.fds.get(f)!);

    const written: LedgerEntry = {
      problemId,
      ok: entry.ok,
      attempts: entry.attempts,
      offsets: Object.fromEntries(RUN_FILES.map((f) => [f, this.sizes.get(f)!])),
      records: counts,
    };
    if (entry.stats !== undefined) written.stats = entry.stats;
    if (filters !== undefined) written.filters = filters;
    if (entry.error !== undefined) written.error = entry.error;
    const ledgerFd = this.fds.get(LEDGER_FILE)!;
    writeSync(ledgerFd, `${JSON.stringify(written)}\n`);
    if (this.options.fsync === true) fsyncSync(ledgerFd);
    this.summaryBuilder.add(written);
    this.finished.add(problemId);
    return written;
  }

  /** Records an unreadable input line in rejected.jsonl (once per file:line, across resumes). */
  reject(bad: BadLine): void {
    const key = `${bad.file}:${bad.line}`;
    if (this.rejectedLines.has(key)) return;
    this.rejectedLines.add(key);
    const record: RejectedRecord = { schema: SCHEMA.rejected, file: bad.file, line: bad.line, reason: bad.reason, text: bad.text };
    this.append('rejected.jsonl', [`${JSON.stringify(record)}\n`]);
  }

  /** The summary of everything committed so far. */
  summary(): RunSummary {
    return this.summaryBuilder.build({ version: VERSION, configHash: this.hash, config: this.config, rejectedInputs: this.rejectedLines.size });
  }

  /** Writes summary.json (atomically) and closes the files. Safe to call twice. */
  close(): RunSummary {
    const s = this.summary();
    if (this.closed) return s;
    writeAtomic(join(this.outDir, SUMMARY_FILE), `${JSON.stringify(s, null, 2)}\n`);
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.closed = true;
    return s;
  }
}

function truncateTo(path: string, bytes: number): void {
  if (!existsSync(path)) return;
  if (statSync(path).size <= bytes) return;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Writes a whole file via a temporary file and rename, so readers never see half of it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
