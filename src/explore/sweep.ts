// Parameter sweeps: every point of a grid of config values is an ordinary run directory under
// <out>/points/<name>/, run with --resume semantics (a finished point is not run again, a half-done
// one continues), then one CSV row per point and SVG plots of accuracy, solve rate and yield against
// generated tokens.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyOverrides, parseConfig, type Config, type ConfigInput } from '../core/config.js';
import { McgError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { hashHex } from '../core/hash.js';
import type { Problem } from '../core/types.js';
import { configHash } from '../data/outcome.js';
import type { RunSummary } from '../data/summary.js';
import { SUMMARY_FILE, writeAtomic } from '../data/writer.js';
import { runToDirectory, type RunOptions, type RunProgress } from '../run.js';
import { lineChartSvg, type PlotSeries } from './svg-plot.js';

/** One grid axis: a config key path (`search.width`, `algorithm`) and the values it takes. */
export interface GridAxis {
  key: string;
  values: readonly unknown[];
}

export interface SweepPoint {
  /** Directory name under points/ (readable, stable for the same parameters). */
  name: string;
  params: Record<string, unknown>;
  dir: string;
  config: Config;
}

export interface SweepRow {
  point: string;
  algorithm: string;
  params: Record<string, unknown>;
  problems: number;
  errors: number;
  accuracy: number;
  accuracyCi: [number, number];
  solveRate: number;
  solveRateCi: [number, number];
  tracesPer1kTokens: number;
  pairsPer1kTokens: number;
  stepsPer1kTokens: number;
  generatedTokens: number;
  tokensPerProblem: number;
  /** Wall time spent on the point, summed over the invocations that ran it. */
  wallMs: number;
  /** True when this invocation found the point finished and did not run it. */
  skipped: boolean;
}

export interface SweepOptions {
  outDir: string;
  /** Problems for every point: a JSONL file, or an array (iterated once per point). */
  input: { file: string } | { problems: readonly Problem[] };
  /** Settings shared by every point; each point overrides its grid keys. */
  config?: ConfigInput | Config;
  grid: readonly GridAxis[] | Record<string, readonly unknown[]>;
  /** Series of the plots: a grid key. Default: `algorithm` when it varies, else the first grid key outside `budget.`. */
  seriesBy?: string;
  /** Delete an earlier sweep in outDir first. */
  overwrite?: boolean;
  workers?: number;
  concurrentPerWorker?: number;
  maxAttempts?: number;
  ordered?: boolean;
  env?: RunOptions['env'];
  registry?: RunOptions['registry'];
  signal?: AbortSignal;
  /** Polled between problems and points: true finishes the problems in flight and stops. */
  shouldStop?: () => boolean;
  onPointStart?: (point: SweepPoint, index: number, total: number, skipped: boolean) => void;
  onPointEnd?: (row: SweepRow, index: number, total: number) => void;
  onProgress?: (p: RunProgress, point: SweepPoint) => void;
}

export interface SweepResult {
  rows: SweepRow[];
  csvPath: string;
  plots: string[];
  /** Points run (fully or in part) by this call, and points found finished. */
  ran: number;
  skipped: number;
  stoppedEarly: boolean;
}

const POINT_FILE = 'point.json';
const SWEEP_FILE = 'sweep.json';
const CSV_FILE = 'sweep.csv';
const PLOT_FILES = ['accuracy.svg', 'solve-rate.svg', 'yield.svg'] as const;
const MAX_POINTS = 1000;

interface PointFile {
  schema: 'mcts-gen.sweep-point/1';
  name: string;
  params: Record<string, unknown>;
  configHash: string;
  done: boolean;
  wallMs: number;
}

/** 95 % Wilson score interval for k successes out of n. */
export function wilsonInterval(k: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** 95 % percentile bootstrap interval of sum(num) / sum(den) * scale (2,000 resamples of the items, seeded: the same inputs give the same interval). */
export function bootstrapRatio(num: readonly number[], den: readonly number[], scale = 1): [number, number] {
  const n = num.length;
  if (n === 0) return [0, 0];
  const rng = Rng.fromSeed(12345);
  const stats: number[] = [];
  for (let b = 0; b < 2000; b++) {
    let a = 0;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      a += num[j];
      d += den[j];
    }
    stats.push(d === 0 ? 0 : (scale * a) / d);
  }
  stats.sort((x, y) => x - y);
  return [stats[Math.floor(0.025 * stats.length)], stats[Math.ceil(0.975 * stats.length) - 1]];
}

/** Paired difference of two per-item success lists (after minus before, same items in the same order) in points, with its 95 % bootstrap interval. */
export function pairedDifference(after: readonly boolean[], before: readonly boolean[]): { points: number; ci: [number, number]; n: number } {
  if (after.length !== before.length) throw new RangeError(`paired lists differ in length (${after.length} vs ${before.length})`);
  const d = after.map((x, i) => Number(x) - Number(before[i]));
  const ones = d.map(() => 1);
  return { points: d.length === 0 ? 0 : (100 * d.reduce((a, b) => a + b, 0)) / d.length, ci: bootstrapRatio(d, ones, 100), n: d.length };
}

/**
 * Parses a CLI grid axis, "search.width=2,4,8": values are JSON where they parse (numbers, booleans,
 * quoted strings), text otherwise, as `--set` reads them.
 */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new McgError('CONFIG_INVALID', `--grid "${text}" must have the form key=v1,v2 (e.g. search.width=2,4,8)`);
  const key = text.slice(0, eq).trim();
  const parts = text.slice(eq + 1).split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new McgError('CONFIG_INVALID', `--grid "${text}": a value is empty`);
  const values = parts.map((p) => {
    try {
      return JSON.parse(p) as unknown;
    } catch {
      return p;
    }
  });
  return { key, values };
}

function axesOf(grid: SweepOptions['grid']): GridAxis[] {
  const axes: GridAxis[] = Array.isArray(grid)
    ? [...(grid as readonly GridAxis[])]
    : Object.entries(grid as Record<string, readonly unknown[]>).map(([key, values]) => ({ key, values }));
  if (axes.length === 0) throw new McgError('CONFIG_INVALID', 'a sweep needs at least one grid axis (--grid key=v1,v2)');
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new McgError('CONFIG_INVALID', `grid key "${a.key}" is given twice`);
    seen.add(a.key);
    if (a.values.length === 0) throw new McgError('CONFIG_INVALID', `grid key "${a.key}" has no values`);
    const distinct = new Set(a.values.map((v: unknown) => JSON.stringify(v)));
    if (distinct.size !== a.values.length) throw new McgError('CONFIG_INVALID', `grid key "${a.key}" lists a value twice`);
  }
  return axes;
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Directory name of a point: its parameters, made safe for any file system (hash-suffixed when altered). */
export function pointName(params: Record<string, unknown>): string {
  const text = Object.entries(params)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join('+');
  const safe = text.replace(/[^A-Za-z0-9._=+-]/g, '_').slice(0, 100);
  return safe === text ? safe : `${safe}-${hashHex(text, 8)}`;
}

/** Every point of the grid (first axis slowest), each with its parsed config. */
export function gridPoints(outDir: string, base: ConfigInput | Config | undefined, grid: SweepOptions['grid']): SweepPoint[] {
  const axes = axesOf(grid);
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_POINTS) throw new McgError('CONFIG_INVALID', `the grid has ${total} points, more than ${MAX_POINTS}`);
  const points: SweepPoint[] = [];
  const raw = (base ?? {}) as Record<string, unknown>;
  for (let i = 0; i < total; i++) {
    const params: Record<string, unknown> = {};
    let rest = i;
    for (let a = axes.length - 1; a >= 0; a--) {
      const ax = axes[a];
      params[ax.key] = ax.values[rest % ax.values.length];
      rest = Math.floor(rest / ax.values.length);
    }
    const ordered: Record<string, unknown> = {};
    for (const ax of axes) ordered[ax.key] = params[ax.key];
    const overrides = axes.map((ax) => `${ax.key}=${JSON.stringify(ordered[ax.key])}`);
    const label = `grid point ${Object.entries(ordered).map(([k, v]) => `${k}=${valueText(v)}`).join(' ')}`;
    const config = parseConfig(applyOverrides(raw, overrides), label);
    const name = pointName(ordered);
    points.push({ name, params: ordered, dir: join(outDir, 'points', name), config });
  }
  return points;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new McgError('INPUT_INVALID', `${path}: invalid JSON (${(err as Error).message}); delete it to run the point again`, { cause: err });
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function rowOf(point: SweepPoint, summary: RunSummary, wallMs: number, skipped: boolean): SweepRow {
  const alg = summary.algorithms[summary.algorithm];
  const searched = summary.problems.searched;
  const tokens = summary.usage.generatedTokens;
  const per1k = (n: number): number => (tokens === 0 ? 0 : round6((1000 * n) / tokens));
  return {
    point: point.name,
    algorithm: summary.algorithm,
    params: point.params,
    problems: summary.problems.committed,
    errors: summary.problems.errors,
    accuracy: alg?.accuracy ?? 0,
    accuracyCi: wilsonInterval(summary.problems.success, searched).map(round6) as [number, number],
    solveRate: alg?.solveRate ?? 0,
    solveRateCi: wilsonInterval(summary.problems.solved, searched).map(round6) as [number, number],
    tracesPer1kTokens: per1k(summary.records.traces),
    pairsPer1kTokens: per1k(summary.records.pairs),
    stepsPer1kTokens: per1k(summary.records.steps),
    generatedTokens: tokens,
    tokensPerProblem: searched === 0 ? 0 : round6(tokens / searched),
    wallMs: Math.round(wallMs),
    skipped,
  };
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** sweep.csv: one row per point, grid keys as columns (`algorithm` has its own column already). */
export function sweepCsv(rows: readonly SweepRow[], gridKeys: readonly string[]): string {
  const keys = gridKeys.filter((k) => k !== 'algorithm');
  const header = [
    'point',
    'algorithm',
    ...keys,
    'problems',
    'errors',
    'accuracy',
    'accuracy_ci_low',
    'accuracy_ci_high',
    'solve_rate',
    'solve_rate_ci_low',
    'solve_rate_ci_high',
    'traces_per_1k_tokens',
    'pairs_per_1k_tokens',
    'steps_per_1k_tokens',
    'generated_tokens',
    'tokens_per_problem',
    'wall_ms',
  ];
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.point,
        r.algorithm,
        ...keys.map((k) => r.params[k]),
        r.problems,
        r.errors,
        r.accuracy,
        r.accuracyCi[0],
        r.accuracyCi[1],
        r.solveRate,
        r.solveRateCi[0],
        r.solveRateCi[1],
        r.tracesPer1kTokens,
        r.pairsPer1kTokens,
        r.stepsPer1kTokens,
        r.generatedTokens,
        r.tokensPerProblem,
        r.wallMs,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function defaultSeriesKey(axes: readonly GridAxis[]): string {
  const alg = axes.find((a) => a.key === 'algorithm');
  if (alg !== undefined && alg.values.length > 1) return 'algorithm';
  return (axes.find((a) => !a.key.startsWith('budget.') && a.values.length > 1) ?? axes.find((a) => !a.key.startsWith('budget.')) ?? axes[0]).key;
}

/** The sweep's plots as SVG documents, keyed by file name. */
export function sweepPlots(rows: readonly SweepRow[], seriesBy: string): Record<string, string> {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const name = `${seriesBy}=${valueText(r.params[seriesBy] ?? r.algorithm)}`;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name)!.push(r);
  }
  const label = (r: SweepRow): string => Object.entries(r.params).map(([k, v]) => `${k}=${valueText(v)}`).join(', ');
  const series = (y: (r: SweepRow) => number, ci?: (r: SweepRow) => [number, number]): PlotSeries[] =>
    [...groups].map(([name, rs]) => ({
      name,
      points: rs.map((r) => {
        const b = ci?.(r);
        return { x: r.tokensPerProblem, y: y(r), yLow: b?.[0], yHigh: b?.[1], label: `${label(r)}: ${y(r).toFixed(3)} at ${Math.round(r.tokensPerProblem)} tokens/problem` };
      }),
    }));
  const x = 'generated tokens per problem';
  return {
    'accuracy.svg': lineChartSvg({ title: 'Accuracy (committed answer correct, 95 % interval)', xLabel: x, yLabel: 'accuracy', yDomain: [0, 1], series: series((r) => r.accuracy, (r) => r.accuracyCi) }),
    'solve-rate.svg': lineChartSvg({ title: 'Solve rate (a verified solution found, 95 % interval)', xLabel: x, yLabel: 'solve rate', yDomain: [0, 1], series: series((r) => r.solveRate, (r) => r.solveRateCi) }),
    'yield.svg': lineChartSvg({ title: 'Yield: verified traces per 1k generated tokens', xLabel: x, yLabel: 'traces per 1k tokens', series: series((r) => r.tracesPer1kTokens) }),
  };
}

/** Runs every point of the grid not yet finished, then writes sweep.csv and the plots. */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const axes = axesOf(options.grid);
  const points = gridPoints(options.outDir, options.config, axes);
  const seriesBy = options.seriesBy ?? defaultSeriesKey(axes);
  if (!axes.some((a) => a.key === seriesBy) && seriesBy !== 'algorithm') {
    throw new McgError('CONFIG_INVALID', `--series "${seriesBy}" is not a grid key (grid keys: ${axes.map((a) => a.key).join(', ')})`);
  }
  if (options.overwrite === true) {
    // Only what a sweep writes: --out may be a directory that holds other things too.
    for (const f of ['points', SWEEP_FILE, CSV_FILE, ...PLOT_FILES]) rmSync(join(options.outDir, f), { recursive: true, force: true });
  }
  try {
    mkdirSync(join(options.outDir, 'points'), { recursive: true });
  } catch (err) {
    throw new McgError('IO_FAILED', `cannot create ${options.outDir}: ${(err as Error).message}`, { cause: err });
  }
  writeAtomic(
    join(options.outDir, SWEEP_FILE),
    `${JSON.stringify({ schema: 'mcts-gen.sweep/1', grid: axes, seriesBy, points: points.map((p) => ({ name: p.name, params: p.params, configHash: configHash(p.config) })) }, null, 2)}\n`,
  );

  const rows: SweepRow[] = [];
  let ran = 0;
  let skipped = 0;
  let stoppedEarly = false;
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    const hash = configHash(point.config);
    const pointPath = join(point.dir, POINT_FILE);
    const earlier = readJson<PointFile>(pointPath);
    if (earlier !== undefined && earlier.configHash !== hash) {
      throw new McgError(
        'CONFIG_INVALID',
        `${point.dir} was run with config hash ${earlier.configHash}, but this sweep's settings for it hash to ${hash}: use another --out, or --overwrite to start the sweep again`,
      );
    }
    const summaryPath = join(point.dir, SUMMARY_FILE);
    if (earlier?.done === true && existsSync(summaryPath)) {
      options.onPointStart?.(point, i, points.length, true);
      const row = rowOf(point, readJson<RunSummary>(summaryPath)!, earlier.wallMs, true);
      rows.push(row);
      skipped++;
      options.onPointEnd?.(row, i, points.length);
      continue;
    }
    if (options.shouldStop?.() === true) {
      stoppedEarly = true;
      break;
    }
    options.onPointStart?.(point, i, points.length, false);
    ran++;
    const t0 = performance.now();
    const result = await runToDirectory({
      outDir: point.dir,
      input: 'file' in options.input ? { file: options.input.file } : { problems: options.input.problems, total: options.input.problems.length },
      config: point.config,
      env: options.env,
      registry: options.registry,
      resume: true,
      maxAttempts: options.maxAttempts,
      workers: options.workers,
      concurrentPerWorker: options.concurrentPerWorker,
      ordered: options.ordered,
      signal: options.signal,
      shouldStop: options.shouldStop,
      onProgress: options.onProgress === undefined ? undefined : (p) => options.onProgress!(p, point),
    });
    const wallMs = (earlier?.wallMs ?? 0) + (performance.now() - t0);
    const file: PointFile = { schema: 'mcts-gen.sweep-point/1', name: point.name, params: point.params, configHash: hash, done: !result.stoppedEarly, wallMs: Math.round(wallMs) };
    writeAtomic(pointPath, `${JSON.stringify(file, null, 2)}\n`);
    if (result.stoppedEarly) {
      stoppedEarly = true;
      break;
    }
    const row = rowOf(point, result.summary, wallMs, false);
    rows.push(row);
    options.onPointEnd?.(row, i, points.length);
  }

  const csvPath = join(options.outDir, CSV_FILE);
  const plots: string[] = [];
  if (!stoppedEarly) {
    writeAtomic(csvPath, sweepCsv(rows, axes.map((a) => a.key)));
    for (const [file, svg] of Object.entries(sweepPlots(rows, seriesBy))) {
      const path = join(options.outDir, file);
      writeAtomic(path, svg);
      plots.push(path);
    }
  }
  return { rows, csvPath, plots, ran, skipped, stoppedEarly };
}
