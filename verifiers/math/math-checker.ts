// The checker behind the plugin, the CLI and the pure helpers: extraction, the in-thread fast path
// (exact strings, rationals, doubles), the guarded worker for the expensive rungs, and an LRU cache of
// verdicts per (gold, pred). Checkers share one worker thread per heap limit, started on first need.

import { McgError, throwIfAborted } from '../../src/core/index.js';
import {
  HOST_ENV,
  NeedsWorkerError,
  canonicalAnswer,
  compareAnswersWith,
  type CompareOptions,
  type CompareReason,
  type Comparison,
} from './answer-compare.js';
import { extractAnswer, type ExtractionRule } from './answer-extract.js';
import { parseMathOptions, type MathOptions, type MathOptionsInput } from './options.js';
import { LruCache, pairKey } from './verdict-cache.js';
import { acquireSharedGuard, releaseSharedGuard, type WorkerGuard } from './worker-guard.js';

/** Outcome of checking model text against a gold answer. */
export interface CheckResult {
  equal: boolean;
  reason: CompareReason | 'no_answer';
  /** The answer extracted from the prediction as written, or null. */
  extracted: string | null;
  /** The extraction rule that fired (`bare`: the prediction was a bare answer, compared as it is), or null. */
  rule: ExtractionRule | 'bare' | null;
  /** Canonical form of the extracted answer (for majority voting), or null. */
  answer: string | null;
  side?: 'gold' | 'pred';
  detail?: string;
}

/** Counters, for benchmarks and tests. */
export interface CheckerStats {
  cacheHits: number;
  inThread: number;
  inWorker: number;
}

export interface MathChecker {
  readonly options: MathOptions;
  readonly stats: CheckerStats;
  /** Compares two already extracted answers on the ladder. */
  compare(gold: string, pred: string, signal?: AbortSignal): Promise<Comparison>;
  /** Extracts the final answer from `predText` (a whole model output) and compares it with `gold`. */
  /**
   * Extracts the answer from `predText` and compares it with `gold`. With `bare`, a prediction in which
   * no rule finds an answer but which is itself a bare answer (`0.5`, `\frac{1}{2}`, `x=2`; see
   * `isBareAnswer`) is compared as it is.
   */
  check(gold: string, predText: string, signal?: AbortSignal, options?: { bare?: boolean }): Promise<CheckResult>;
  /** Releases the shared worker thread (terminated once no checker uses it for a few seconds). */
  close(): Promise<void>;
}

/** Longest text taken as a bare answer. */
const BARE_MAX_CHARS = 200;

/**
 * True when `text` is an answer on its own rather than a solution: one line of at most 200 characters
 * with at most one word of two or more letters outside LaTeX commands (`0.5`, `\frac{1}{2}`, `x=2`,
 * `(1, 2)`, `12 apples`; not `The total is 5`).
 */
export function isBareAnswer(text: string): boolean {
  const t = text.trim();
  if (t === '' || t.length > BARE_MAX_CHARS || /[\r\n]/.test(t)) return false;
  const words = t.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]{2,}/g) ?? [];
  return words.length <= 1;
}

/**
 * The gold answer inside a reference string: a GSM8K solution ("#### 2,125"), a MATH solution with
 * \boxed{}, or a last line "A: 18" give their final answer; anything else is taken whole.
 */
export function goldAnswerOf(gold: string, options: Pick<MathOptions, 'extraction'>): string {
  // Only explicit markers: a gold "$1$ and $2$" is the whole string, not its last math segment.
  const priority = options.extraction.priority.filter((r) => r !== 'last-math');
  const found = priority.length === 0 ? null : extractAnswer(gold, { priority, lastNumberFallback: false });
  return found === null ? gold.trim() : found.answer;
}

export function compareOptionsOf(o: MathOptions): CompareOptions {
  return {
    tolerance: o.tolerance,
    percent: o.percent,
    unreducedFractions: o.unreducedFractions,
    strictUnits: o.strictUnits,
    maxDigits: o.maxDigits,
    maxNodes: o.maxNodes,
    maxDepth: o.maxDepth,
    maxAnswerChars: o.maxAnswerChars,
    symbolicPoints: o.symbolicPoints,
    simplifyMaxNodes: o.simplifyMaxNodes,
    seed: o.seed,
  };
}

/** Creates a checker. Options are validated (`CONFIG_INVALID` on a bad key). */
export function createMathChecker(input: MathOptionsInput | MathOptions = {}): MathChecker {
  const options = parseMathOptions(input as MathOptionsInput);
  const compareOptions = compareOptionsOf(options);
  const cache = new LruCache<Comparison>(options.cacheSize);
  const stats: CheckerStats = { cacheHits: 0, inThread: 0, inWorker: 0 };
  let guard: WorkerGuard | null = null;

  async function compare(gold: string, pred: string, signal?: AbortSignal): Promise<Comparison> {
    throwIfAborted(signal);
    const key = pairKey(gold, pred);
    const hit = cache.get(key);
    if (hit !== undefined) {
      stats.cacheHits++;
      return hit;
    }
    let result: Comparison;
    try {
      result = compareAnswersWith(gold, pred, compareOptions, HOST_ENV);
      stats.inThread++;
    } catch (err) {
      if (!(err instanceof NeedsWorkerError)) throw new McgError('INTERNAL', `math comparison failed: ${(err as Error).message}`, { cause: err });
      guard ??= acquireSharedGuard(options.memoryLimitMb);
      result = await guard.run(gold, pred, compareOptions, options.timeoutMs, signal);
      stats.inWorker++;
    }
    // Timeouts depend on machine load: not cached, so a retry can succeed.
    if (result.reason !== 'timeout') cache.set(key, result);
    return result;
  }

  async function check(gold: string, predText: string, signal?: AbortSignal, how: { bare?: boolean } = {}): Promise<CheckResult> {
    if (predText.length > options.maxInputChars) {
      return { equal: false, reason: 'too_large', extracted: null, rule: null, answer: null, detail: `prediction longer than ${options.maxInputChars} characters` };
    }
    let found: { answer: string; rule: ExtractionRule | 'bare' } | null = extractAnswer(predText, options.extraction);
    if (found === null && how.bare === true && isBareAnswer(predText)) found = { answer: predText.trim(), rule: 'bare' };
    if (found === null) return { equal: false, reason: 'no_answer', extracted: null, rule: null, answer: null };
    const goldAnswer = goldAnswerOf(gold, options);
    const c = await compare(goldAnswer, found.answer, signal);
    let answer: string | null;
    try {
      answer = canonicalAnswer(found.answer, compareOptions);
    } catch {
      answer = found.answer;
    }
    const out: CheckResult = { equal: c.equal, reason: c.reason, extracted: found.answer, rule: found.rule, answer };
    if (c.side !== undefined) out.side = c.side;
    if (c.detail !== undefined) out.detail = c.detail;
    return out;
  }

  return {
    options,
    stats,
    compare,
    check,
    async close() {
      const g = guard;
      guard = null;
      if (g !== null) releaseSharedGuard(g);
    },
  };
}
