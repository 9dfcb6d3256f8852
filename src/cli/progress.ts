// Progress on stderr: a redrawn bar on a TTY, a plain line every few seconds otherwise. Data never
// goes to stdout from here.

import type { RunProgress } from '../index.js';

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Seconds between plain lines off a TTY (default 10). */
  intervalSec?: number;
  now?: () => number;
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One status line: done/total, problems/s, ETA, success rate, generated tokens/s, failures. */
export function progressLine(p: RunProgress, width = 24): string {
  const secs = Math.max(p.elapsedMs / 1000, 1e-3);
  const rate = p.done / secs;
  const parts: string[] = [];
  if (p.total !== undefined && p.total > 0) {
    const frac = Math.min(1, p.done / p.total);
    const filled = Math.round(frac * width);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`);
  } else {
    parts.push(`${p.done} problems`);
  }
  parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)}/s`);
  if (p.total !== undefined && rate > 0) parts.push(`ETA ${fmtDuration(((p.total - p.done) / rate) * 1000)}`);
  const searched = p.done - p.failures;
  parts.push(`success ${searched > 0 ? Math.round((100 * p.succeeded) / searched) : 0}%`);
  parts.push(`${fmtCount(p.generatedTokens / secs)} tok/s`);
  parts.push(`failures ${p.failures}`);
  if (p.skipped > 0) parts.push(`resumed past ${p.skipped}`);
  if (p.queue !== undefined) {
    const q = p.queue;
    parts.push(`workers ${q.workers ?? '?'}  queue ${q.waiting} waiting, ${q.active} active`);
    if (q.redisDownMs > 0) parts.push(`Redis unreachable ${fmtDuration(q.redisDownMs)}`);
  }
  return parts.join('  ');
}

export class ProgressReporter {
  private lastPrint = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  update(p: RunProgress): void {
    const tty = this.options.stream.isTTY === true;
    const t = this.now();
    if (tty) {
      if (t - this.lastPrint < 100 && p.done !== p.total) return;
      const cols = this.options.stream.columns ?? 100;
      this.options.stream.write(`\r\x1b[2K${progressLine(p).slice(0, cols - 1)}`);
      this.drawn = true;
    } else {
      if (t - this.lastPrint < (this.options.intervalSec ?? 10) * 1000 && p.done !== p.total) return;
      this.options.stream.write(`${progressLine(p)}\n`);
    }
    this.lastPrint = t;
  }

  /** Ends the bar's line so later output starts clean. */
  finish(): void {
    if (this.drawn) this.options.stream.write('\n');
    this.drawn = false;
  }
}
