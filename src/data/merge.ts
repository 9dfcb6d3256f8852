// Merging run directories (e.g. the shards of one run) into one: problems committed in several inputs
// are kept once (first input wins), records are deduplicated run-wide again, trees are copied, and the
// summary is recomputed. The result is an ordinary run directory (it can be resumed or merged again).

import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../core/config.js';
import { McgError } from '../core/errors.js';
import type { RunRecord } from './outcome.js';
import type { RejectedRecord } from './records.js';
import type { RunSummary } from './summary.js';
import { CONFIG_FILE, LEDGER_FILE, RUN_FILES, RunWriter, readLedger, treeFileName } from './writer.js';

export interface MergeResult {
  summary: RunSummary;
  /** Problems found in more than one input (kept from the first). */
  duplicateProblems: number;
  /** Problems per input directory, as committed there. */
  perInput: { dir: string; problems: number }[];
}

function readConfigOf(dir: string): { configHash: string; config: Config } {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) throw new McgError('INPUT_INVALID', `${dir} is not a run directory (no ${CONFIG_FILE})`);
  const data = JSON.parse(readFileSync(path, 'utf8')) as { configHash?: string; config?: unknown };
  if (typeof data.configHash !== 'string') throw new McgError('INPUT_INVALID', `${path}: no configHash`);
  return { configHash: data.configHash, config: parseConfig(data.config, path) };
}

/** Bytes [start, end) of a file as text. */
function readRange(fd: number, start: number, end: number): string {
  if (end <= start) return '';
  const buf = Buffer.alloc(end - start);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) throw new McgError('INPUT_INVALID', 'a run file is shorter than its ledger says');
    off += n;
  }
  return buf.toString('utf8');
}

/** Merges `inputs` (run directories written with the same settings) into `outDir`. */
export function mergeRuns(inputs: readonly string[], outDir: string, options: { overwrite?: boolean } = {}): MergeResult {
  if (inputs.length === 0) throw new McgError('CONFIG_INVALID', 'merge needs at least one input directory');
  const configs = inputs.map((dir) => ({ dir, ...readConfigOf(dir) }));
  const first = configs[0];
  for (const c of configs) {
    if (c.configHash !== first.configHash) {
      throw new McgError('INPUT_INVALID', `${c.dir} was written with config hash ${c.configHash}, ${first.dir} with ${first.configHash}: only runs with the same settings merge`);
    }
  }
  const writer = RunWriter.open(outDir, first.config, { overwrite: options.overwrite });
  let duplicateProblems = 0;
  const perInput: MergeResult['perInput'] = [];
  try {
    for (const { dir } of configs) {
      const { entries } = readLedger(join(dir, LEDGER_FILE));
      perInput.push({ dir, problems: entries.length });
      const fds = new Map(RUN_FILES.map((f) => [f, existsSync(join(dir, f)) ? openSync(join(dir, f), 'r') : -1]));
      try {
        const previous: Record<string, number> = {};
        for (const e of entries) {
          const records: RunRecord[] = [];
          for (const f of RUN_FILES) {
            const start = previous[f] ?? 0;
            const end = e.offsets[f] ?? start;
            previous[f] = end;
            if (f === 'rejected.jsonl') continue;
            const fd = fds.get(f)!;
            if (fd < 0 || end <= start) continue;
            for (const line of readRange(fd, start, end).split('\n')) if (line !== '') records.push(JSON.parse(line) as RunRecord);
          }
          if (writer.finished.has(e.problemId)) {
            duplicateProblems++;
            continue;
          }
          const treePath = join(dir, 'trees', treeFileName(e.problemId));
          if (e.records.trees > 0 && existsSync(treePath)) records.push(JSON.parse(readFileSync(treePath, 'utf8')) as RunRecord);
          writer.commitProblem(e.problemId, records, e);
        }
        const rejectedPath = join(dir, 'rejected.jsonl');
        if (existsSync(rejectedPath)) {
          for (const line of readFileSync(rejectedPath, 'utf8').split('\n')) {
            if (line === '') continue;
            const r = JSON.parse(line) as RejectedRecord;
            writer.reject({ file: r.file, line: r.line, reason: r.reason, text: r.text });
          }
        }
      } finally {
        for (const fd of fds.values()) if (fd >= 0) closeSync(fd);
      }
    }
  } finally {
    writer.close();
  }
  return { summary: writer.summary(), duplicateProblems, perInput };
}
