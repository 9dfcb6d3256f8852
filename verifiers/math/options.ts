// Options of the math verifier and the math-steps reward model: strict zod schemas with defaults (the
// single source of truth; `z.input` is what users write, `z.output` what the plugins get).

import { z } from 'zod';
import { McgError, formatIssues, intIn, numberIn, oneOf } from '../../src/core/index.js';
import { DEFAULT_EXTRACTION_PRIORITY, EXTRACTION_RULES } from './answer-extract.js';

export const extractionOptionsSchema = z.strictObject({
  /** Extraction rules in priority order; the first that matches wins. */
  priority: z
    .array(oneOf(EXTRACTION_RULES))
    .min(1, { error: 'must list at least one extraction rule' })
    .default([...DEFAULT_EXTRACTION_PRIORITY]),
  /** When no rule matches, take a trailing math segment or the last number. Off by default. */
  lastNumberFallback: z.boolean().default(false),
});

export const mathOptionsSchema = z.strictObject({
  /** Relative tolerance of the numeric and symbolic rungs (|a-b| <= tol * max(|a|,|b|)). */
  tolerance: numberIn(0, 1).default(1e-6),
  /** `28%` vs `28` / `0.28`: `either` accepts both, `strip` only 28, `fraction` only 0.28. */
  percent: oneOf(['either', 'strip', 'fraction']).default('either'),
  /** `accept`: a predicted 2/4 equals gold 1/2; `reject`: predicted fractions must be in lowest terms. */
  unreducedFractions: oneOf(['accept', 'reject']).default('accept'),
  /** Keep units: `5 cm` then differs from `5` and `5 m`. Off: units and unit words are dropped. */
  strictUnits: z.boolean().default(false),
  extraction: extractionOptionsSchema.default(() => extractionOptionsSchema.parse({})),
  /** Hard limit per comparison in the evaluation worker (ms); overruns return `timeout`. */
  timeoutMs: intIn(10, 600_000).default(2000),
  /** Longest model text accepted for extraction (characters); longer returns `too_large`. */
  maxInputChars: intIn(100, 50_000_000).default(200_000),
  /** Longest extracted answer (characters); longer returns `too_large`. */
  maxAnswerChars: intIn(10, 1_000_000).default(5000),
  /** Digit budget of exact arithmetic (2^33000 or 5000! are refused as `too_large`). */
  maxDigits: intIn(10, 1_000_000).default(10_000),
  /** AST node budget per answer. */
  maxNodes: intIn(10, 1_000_000).default(2000),
  /** Nesting budget per answer. */
  maxDepth: intIn(5, 10_000).default(100),
  /** Random points evaluated by the symbolic rung. */
  symbolicPoints: intIn(1, 256).default(8),
  /**
   * Difference trees up to this many nodes go through mathjs simplify when the random points do not show
   * equality (0 = never; simplify is superlinear, so large trees would only burn the time limit).
   */
  simplifyMaxNodes: intIn(0, 100_000).default(40),
  /** Verdicts cached per (gold, pred) pair (LRU); 0 disables the cache. */
  cacheSize: intIn(0, 10_000_000).default(10_000),
  /** Seed of the symbolic rung's random points. */
  seed: intIn(0, 2 ** 32 - 1).default(0),
  /** Worker heap limit (MB); a comparison that exhausts it returns `too_large`. */
  memoryLimitMb: intIn(32, 65_536).default(256),
});

export type MathOptionsInput = z.input<typeof mathOptionsSchema>;
export type MathOptions = z.output<typeof mathOptionsSchema>;

export const mathStepOptionsSchema = z.strictObject({
  /** Score of a step without arithmetic claims, in [0, 1]. */
  neutral: numberIn(0, 1).default(0.5),
  /** Relative tolerance for claims whose result is a decimal (rounded results are accepted separately). */
  tolerance: numberIn(0, 1).default(1e-6),
  /** Digit budget of exact arithmetic in claims. */
  maxDigits: intIn(10, 1_000_000).default(10_000),
  /** Longest step text examined (characters); longer steps are truncated. */
  maxStepChars: intIn(100, 10_000_000).default(20_000),
});

export type MathStepOptionsInput = z.input<typeof mathStepOptionsSchema>;
export type MathStepOptions = z.output<typeof mathStepOptionsSchema>;

/** Validates options; throws `CONFIG_INVALID` naming each bad key ("math.tolerance must be a number in [0, 1], got 2"). */
export function parseMathOptions(input: MathOptionsInput = {}, keyPath = 'math'): MathOptions {
  const parsed = mathOptionsSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new McgError('CONFIG_INVALID', formatIssues(parsed.error.issues, keyPath, mathOptionsSchema));
  return parsed.data;
}

/** Validates math-steps options (see `parseMathOptions`). */
export function parseMathStepOptions(input: MathStepOptionsInput = {}, keyPath = 'mathSteps'): MathStepOptions {
  const parsed = mathStepOptionsSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new McgError('CONFIG_INVALID', formatIssues(parsed.error.issues, keyPath, mathStepOptionsSchema));
  return parsed.data;
}
