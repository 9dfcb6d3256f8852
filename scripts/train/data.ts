// Training batches. Batch k is a pure function of (data seed, k), so a resumed run sees the batches an
// uninterrupted one would.
// - Policy: built-in arithmetic problems rendered as prompt + delimiter, then each worked step and the
//   final line, each followed by the step delimiter; the loss covers the solution characters only.
// - PRM: steps.jsonl records (prompt, completions, values) rendered as the `onnx-prm` classifier reads
//   them: the record's prompt (problem + delimiter), then each step + "<sep>" + delimiter; the loss is
//   soft cross-entropy at each "<sep>" against the record's value for that step.

import { readFileSync } from 'node:fs';
import { Rng } from '../../src/core/rng.js';
import { finalText, solveWorked, stepText, workedSolutionOf } from '../../src/core/worked.js';
import { arithProblemAt } from '../../src/tasks/arith.js';
import type { Problem } from '../../src/core/types.js';
import { CHARS, PAD_ID, SEP_ID, SPECIAL_TOKENS } from '../onnx/tiny-models.js';
import { EMBEDDED_PRM_DEFAULTS, EMBEDDED_STEP_DELIMITER } from '../../policies/onnx/embedded.js';

export const STEP_DELIMITER = EMBEDDED_STEP_DELIMITER;
/** Text after each step's separator in PRM inputs. */
export const PRM_AFTER_TAG = EMBEDDED_PRM_DEFAULTS.afterTag;
const UNK_ID = 2;

const CHAR_IDS = new Map<string, number>(CHARS.map((ch, i) => [ch, SPECIAL_TOKENS.length + i]));

/** Character-level ids (the committed tokenizer.json's encoding of text without special tokens). */
export function encodeText(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(CHAR_IDS.get(ch) ?? UNK_ID);
  return out;
}

/** The worked solution of a built-in problem as step lines (the last is "The answer is N"). */
export function solutionSteps(problem: Problem): string[] {
  const worked = workedSolutionOf(problem);
  if (worked === undefined) throw new Error(`problem ${problem.id} has no worked solution`);
  const results = solveWorked(worked);
  const steps = worked.steps.map((s, i) => {
    const a = typeof s.a === 'number' ? s.a : results[s.a.ref];
    const b = typeof s.b === 'number' ? s.b : results[s.b.ref];
    return stepText(a, s.op, b, results[i]);
  });
  steps.push(finalText(worked.answer));
  return steps;
}

/** One training sequence: ids, next-token or soft targets, loss weights (all the same length). */
export interface Example {
  ids: number[];
  /** lm: next-token id per position; classifier: P(good) per position. */
  targets: number[];
  weights: number[];
  /** Classifier examples: the position of each step's tag. */
  tags?: number[];
  /** Generative PRM examples: per step, the positions [from, to) that predict its tokens, and its label. */
  steps?: { from: number; to: number; label: number }[];
}

/** A preferred and a dispreferred sibling step: (example, step index) of each. */
export interface StepPair {
  chosen: { example: number; step: number };
  rejected: { example: number; step: number };
}

export interface Batch {
  batch: number;
  seq: number;
  ids: BigInt64Array;
  /** lm: BigInt64Array of ids; classifier: Float32Array of probabilities. */
  targets: BigInt64Array | Float32Array;
  weights: Float32Array;
  /** Positions with a non-zero weight. */
  lossTokens: number;
  /** Pairwise loss: flat positions (b * seq + t) of [chosen, rejected] tags, and a weight per pair (0 = padding). */
  pairs?: BigInt64Array;
  pairWeights?: Float32Array;
  /** Generative step loss: one row of batch * seq per step (1 where a position predicts the step's token), labels and weights. */
  stepMatrix?: Float32Array;
  stepLabels?: Float32Array;
  stepWeights?: Float32Array;
  /** Generative sibling-pair loss: rows of the step matrix [chosen, rejected], and a weight per pair (0 = padding). */
  stepPairs?: BigInt64Array;
  stepPairWeights?: Float32Array;
}

/** A policy example: loss on every solution character (the model learns to write the steps, not the prompt). */
export function policyExample(problem: Problem, maxLen: number): Example | null {
  return traceExample(problem.prompt + STEP_DELIMITER, solutionSteps(problem).join(STEP_DELIMITER), maxLen);
}

/**
 * A PRM example: the classifier text with a soft label at each separator. `prefix` is the text before
 * the first step as steps.jsonl stores it (the problem prompt and the step delimiter).
 */
export function prmExample(prefix: string, steps: readonly string[], values: readonly number[], maxLen: number): Example | null {
  const ids = encodeText(prefix);
  const targets = ids.map(() => 0);
  const weights = ids.map(() => 0);
  const tags: number[] = [];
  steps.forEach((step, i) => {
    const text = encodeText(step);
    tags.push(ids.length + text.length);
    ids.push(...text, SEP_ID);
    targets.push(...text.map(() => 0), values[i]);
    weights.push(...text.map(() => 0), 1);
    const after = encodeText(PRM_AFTER_TAG);
    ids.push(...after);
    targets.push(...after.map(() => 0));
    weights.push(...after.map(() => 0));
  });
  if (ids.length > maxLen) return null;
  return { ids, targets, weights, tags };
}

/**
 * A generative PRM example: the text as the policy writes it (prefix, then each step followed by the step
 * delimiter), next-token targets, and for each step the positions predicting its tokens (the step and its
 * delimiter) with its label. With `lmOnGood`, the steps labelled good (>= 0.5) also carry the ordinary
 * next-token loss, so the model keeps writing right steps while it learns to doubt wrong ones.
 */
export function generativeExample(prefix: string, steps: readonly string[], values: readonly number[], maxLen: number, lmOnGood: boolean): Example | null {
  const all = encodeText(prefix);
  if (all.length === 0) return null;
  const spans: { from: number; to: number; label: number }[] = [];
  steps.forEach((step, i) => {
    const start = all.length;
    all.push(...encodeText(step + STEP_DELIMITER));
    // Token j of the text is predicted at position j - 1.
    spans.push({ from: start - 1, to: all.length - 1, label: values[i] });
  });
  if (all.length > maxLen + 1) return null;
  const ids = all.slice(0, -1);
  const weights = ids.map(() => 0);
  if (lmOnGood) for (const sp of spans) if (sp.label >= 0.5) for (let t = sp.from; t < sp.to; t++) weights[t] = 1;
  return { ids, targets: all.slice(1), weights, steps: spans };
}

/**
 * Adds the generative step losses' tensors to a packed batch of generative examples; `pairSlots` are
 * [chosen row, chosen step, rejected row, rejected step] of the batch's sibling pairs.
 */
function addStepMatrix(batch: Batch, examples: readonly Example[], pairSlots: readonly [number, number, number, number][]): void {
  const first: number[] = [];
  const rows = examples.flatMap((e, b) => {
    first.push(first.length === 0 ? 0 : first[b - 1] + (examples[b - 1].steps ?? []).length);
    return (e.steps ?? []).map((sp) => ({ ...sp, b }));
  });
  const S = Math.max(1, rows.length);
  const n = batch.batch * batch.seq;
  const matrix = new Float32Array(S * n);
  const labels = new Float32Array(S);
  const weights = new Float32Array(S);
  rows.forEach((r, s) => {
    for (let t = r.from; t < r.to; t++) matrix[s * n + r.b * batch.seq + t] = 1;
    labels[s] = r.label;
    weights[s] = 1;
  });
  Object.assign(batch, { stepMatrix: matrix, stepLabels: labels, stepWeights: weights });
  if (pairSlots.length > 0) {
    const row = (b: number, step: number) => {
      if (step >= (examples[b].steps ?? []).length) throw new Error(`pair refers to step ${step} of an example with ${(examples[b].steps ?? []).length} steps`);
      return BigInt(first[b] + step);
    };
    batch.stepPairs = BigInt64Array.from(pairSlots.flatMap(([cb, cs, rb, rs]) => [row(cb, cs), row(rb, rs)]));
    batch.stepPairWeights = new Float32Array(pairSlots.length).fill(1);
  }
}

/** Pads examples to the longest and packs them as tensors' data. */
export function packBatch(examples: readonly Example[], head: 'lm' | 'classifier'): Batch {
  const seq = Math.max(...examples.map((e) => e.ids.length));
  const n = examples.length * seq;
  const ids = new BigInt64Array(n).fill(BigInt(PAD_ID));
  const targets = head === 'lm' ? new BigInt64Array(n).fill(BigInt(PAD_ID)) : new Float32Array(n);
  const weights = new Float32Array(n);
  let lossTokens = 0;
  examples.forEach((e, b) => {
    for (let t = 0; t < e.ids.length; t++) {
      const at = b * seq + t;
      ids[at] = BigInt(e.ids[t]);
      if (targets instanceof BigInt64Array) targets[at] = BigInt(e.targets[t]);
      else targets[at] = e.targets[t];
      weights[at] = e.weights[t];
      if (e.weights[t] !== 0) lossTokens += 1;
    }
  });
  return { batch: examples.length, seq, ids, targets, weights, lossTokens };
}

export interface BatchSource {
  /** Batch `k` (pure in k). */
  batch(k: number): Batch;
  describe(): Record<string, unknown>;
}

/**
 * Fresh built-in problems for every batch: group k/G holds batchSize x G consecutive problems of
 * `seed`, sorted by length into G batches (less padding), taken in an order drawn from the seed.
 */
export function policyBatches(options: { seed: number; batchSize: number; maxLen: number; group?: number; minSteps?: number; maxSteps?: number }): BatchSource {
  const G = options.group ?? 8;
  const B = options.batchSize;
  let cachedGroup = -1;
  let cached: Example[][] = [];
  const groupBatches = (gi: number): Example[][] => {
    if (gi === cachedGroup) return cached;
    const examples: Example[] = [];
    for (let i = gi * B * G; examples.length < B * G; i++) {
      const e = policyExample(arithProblemAt(options.seed, i, options.minSteps, options.maxSteps), options.maxLen);
      if (e !== null) examples.push(e);
    }
    examples.sort((a, b) => a.ids.length - b.ids.length);
    const batches = Array.from({ length: G }, (_, j) => examples.slice(j * B, (j + 1) * B));
    const order = permutation(Rng.fromSeed(options.seed).split('order').split(gi), G);
    cached = order.map((j) => batches[j]);
    cachedGroup = gi;
    return cached;
  };
  return {
    batch: (k) => packBatch(groupBatches(Math.floor(k / G))[k % G], 'lm'),
    describe: () => ({ kind: 'arith-policy', seed: options.seed, batchSize: B, group: G, maxLen: options.maxLen, minSteps: options.minSteps ?? 2, maxSteps: options.maxSteps ?? 5 }),
  };
}

/** Calls `each` with every non-blank line of the files parsed as JSON; bad JSON names file:line. */
function forEachJsonLine(files: readonly string[], each: (row: Record<string, unknown>, where: string) => void): void {
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch (err) {
          throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
        }
        each((typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>, `${file}:${i + 1}`);
      });
  }
}

export interface ReadExamples {
  examples: Example[];
  /** Sibling steps (same problem, same steps before them) with different labels, or values apart by the margin. */
  pairs: StepPair[];
  /** Records whose text is longer than the model's positions. */
  skipped: number;
  records: number;
}

export interface PrmDataOptions {
  /** `labels`: 1 when a step leads to a verified answer somewhere below it (Math-Shepherd's hard estimate); `values`: the soft share of verified answers below it. */
  target: 'labels' | 'values';
  /** Only problems with at least one verified solution (elsewhere every step is 0, right or wrong). */
  solvedOnly: boolean;
  /** `values` target: the least difference of two siblings' values that makes a pair (default 0.5). */
  pairMargin?: number;
  /** Pairs kept per prefix, the first ones in file order (default 4). */
  pairsPerPrefix?: number;
  /** `classifier`: tagged text for the 2-class head (default); `generative`: policy text for the LM head's step loss. */
  form?: 'classifier' | 'generative';
  /** Generative form: next-token loss on steps labelled good as well (default true). */
  lmOnGood?: boolean;
}

/** Reads steps.jsonl files into PRM examples (records whose text is too long are skipped and counted). */
export function readPrmExamples(files: readonly string[], maxLen: number, options: PrmDataOptions): ReadExamples {
  const rows: { problemId: string; prompt: string; completions: string[]; values: number[]; labels: boolean[] }[] = [];
  const solved = new Set<string>();
  forEachJsonLine(files, (row, where) => {
    // scripts/prm-data.ts marks each finished problem with {"done": id}.
    if (typeof row.done === 'string' && Object.keys(row).length === 1) return;
    const { prompt, completions, values, labels, problemId } = row;
    if (
      typeof prompt !== 'string' ||
      !Array.isArray(completions) ||
      !Array.isArray(values) ||
      !Array.isArray(labels) ||
      completions.length !== values.length ||
      labels.length !== values.length ||
      completions.some((c) => typeof c !== 'string') ||
      labels.some((l) => typeof l !== 'boolean') ||
      values.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1))
    ) {
      throw new Error(`${where}: expected a steps record {prompt, completions[], labels[] (booleans), values[] in [0, 1]} of equal lengths`);
    }
    const id = typeof problemId === 'string' ? problemId : where;
    if (labels.at(-1) === true) solved.add(id);
    rows.push({ problemId: id, prompt, completions: completions as string[], values: values as number[], labels: labels as boolean[] });
  });
  const out: ReadExamples = { examples: [], pairs: [], skipped: 0, records: 0 };
  // Per prefix (problem, prompt, steps before): its distinct next steps, where they occur and their target.
  const siblings = new Map<string, Map<string, { example: number; step: number; target: number }>>();
  for (const row of rows) {
    if (options.solvedOnly && !solved.has(row.problemId)) continue;
    out.records += 1;
    const targets = options.target === 'labels' ? row.labels.map((l) => (l ? 1 : 0)) : row.values;
    const e =
      options.form === 'generative'
        ? generativeExample(row.prompt, row.completions, targets, maxLen, options.lmOnGood ?? true)
        : prmExample(row.prompt, row.completions, targets, maxLen);
    if (e === null) {
      out.skipped += 1;
      continue;
    }
    const example = out.examples.length;
    out.examples.push(e);
    let key = `${row.problemId}\u241e${row.prompt}`;
    row.completions.forEach((step, i) => {
      let group = siblings.get(key);
      if (group === undefined) siblings.set(key, (group = new Map()));
      if (!group.has(step)) group.set(step, { example, step: i, target: targets[i] });
      key += `\u241f${step}`;
    });
  }
  const margin = options.pairMargin ?? 0.5;
  const cap = options.pairsPerPrefix ?? 4;
  for (const group of siblings.values()) {
    if (group.size < 2) continue;
    const steps = [...group.values()];
    let kept = 0;
    for (const a of steps) {
      for (const b of steps) {
        if (kept >= cap) break;
        const apart = options.target === 'labels' ? a.target === 1 && b.target === 0 : a.target - b.target >= margin;
        if (!apart) continue;
        out.pairs.push({ chosen: { example: a.example, step: a.step }, rejected: { example: b.example, step: b.step } });
        kept++;
      }
    }
  }
  return out;
}

/**
 * Epochs over fixed examples, each in an order drawn from (seed, epoch). With `pairs` and
 * `pairsPerBatch`, each batch also holds that many sibling pairs (their two examples, drawn in their
 * own epochs) and the flat tag positions of each pair, for the pairwise loss; the rest of the batch
 * is single examples as before.
 */
export function exampleBatches(
  examples: readonly Example[],
  options: { seed: number; batchSize: number; head: 'lm' | 'classifier'; pairs?: readonly StepPair[]; pairsPerBatch?: number },
): BatchSource {
  if (examples.length === 0) throw new Error('no training examples');
  const pairs = options.pairs ?? [];
  const P = pairs.length === 0 ? 0 : Math.min(options.pairsPerBatch ?? 0, pairs.length, Math.floor(options.batchSize / 2));
  const B = Math.min(options.batchSize - 2 * P, examples.length);
  const perEpoch = B === 0 ? 1 : Math.floor(examples.length / B);
  const pairsPerEpoch = P === 0 ? 1 : Math.floor(pairs.length / P);
  const orders = new Map<string, number[]>();
  const orderOf = (what: string, epoch: number, n: number): number[] => {
    const key = `${what}:${epoch}`;
    let o = orders.get(key);
    if (o === undefined) {
      if (orders.size > 4) orders.clear();
      o = permutation(Rng.fromSeed(options.seed).split(what).split(epoch), n);
      orders.set(key, o);
    }
    return o;
  };
  return {
    batch: (k) => {
      const chosen: Example[] = [];
      const pairSlots: [number, number, number, number][] = [];
      if (P > 0) {
        const order = orderOf('pairs', Math.floor(k / pairsPerEpoch), pairs.length);
        const start = (k % pairsPerEpoch) * P;
        for (const i of order.slice(start, start + P)) {
          const pr = pairs[i];
          pairSlots.push([chosen.length, pr.chosen.step, chosen.length + 1, pr.rejected.step]);
          chosen.push(examples[pr.chosen.example], examples[pr.rejected.example]);
        }
      }
      if (B > 0) {
        const order = orderOf('epoch', Math.floor(k / perEpoch), examples.length);
        const start = (k % perEpoch) * B;
        for (const i of order.slice(start, start + B)) chosen.push(examples[i]);
      }
      const batch = packBatch(chosen, options.head);
      if (chosen.some((e) => e.steps !== undefined)) addStepMatrix(batch, chosen, pairSlots);
      else if (P > 0) {
        const at = (b: number, step: number) => {
          const tag = chosen[b].tags?.[step];
          if (tag === undefined) throw new Error(`pair refers to step ${step} of an example without that tag`);
          return BigInt(b * batch.seq + tag);
        };
        batch.pairs = BigInt64Array.from(pairSlots.flatMap(([cb, cs, rb, rs]) => [at(cb, cs), at(rb, rs)]));
        batch.pairWeights = new Float32Array(pairSlots.length).fill(1);
      }
      return batch;
    },
    describe: () => ({ kind: 'examples', count: examples.length, seed: options.seed, batchSize: B + 2 * P, ...(P > 0 ? { pairs: pairs.length, pairsPerBatch: P } : {}) }),
  };
}

/** Fisher-Yates permutation of 0..n-1 drawn from rng. */
export function permutation(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A supervised example from a verified trace: loss on the completion and its closing delimiter. */
export function traceExample(prompt: string, completion: string, maxLen: number): Example | null {
  const prefix = encodeText(prompt);
  const all = [...prefix, ...encodeText(completion + STEP_DELIMITER)];
  if (all.length > maxLen + 1 || prefix.length === 0) return null;
  return { ids: all.slice(0, -1), targets: all.slice(1), weights: all.slice(1).map((_, i) => (i + 1 >= prefix.length ? 1 : 0)) };
}

/** Reads traces.jsonl files (records with prompt and completion) into policy examples. */
export function readTraceExamples(files: readonly string[], maxLen: number): ReadExamples {
  const out: ReadExamples = { examples: [], pairs: [], skipped: 0, records: 0 };
  forEachJsonLine(files, ({ prompt, completion }, where) => {
    if (typeof prompt !== 'string' || typeof completion !== 'string') throw new Error(`${where}: expected a trace record {prompt, completion}`);
    out.records += 1;
    const e = traceExample(prompt, completion, maxLen);
    if (e === null) out.skipped += 1;
    else out.examples.push(e);
  });
  return out;
}
