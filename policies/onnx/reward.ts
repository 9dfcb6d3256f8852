// Reward heads on local ONNX models: `onnx-prm` (process reward: a step-tag LM read at tag tokens, as
// Math-Shepherd, a 2-class classifier at separator tokens, as Qwen2.5-Math-PRM, or a generative PRM
// that scores a step by its own log-probability under an LM trained for it) and `onnx-orm`
// (a scalar value head read at the last token, through a sigmoid). Trajectories are scored in padded
// batches; inputs over the length cap are truncated from the left or given a configured value, and counted.
// Imports src/core and this folder; onnxruntime-node is loaded lazily in `create`.

import { z } from 'zod';
import {
  McgError,
  defineRewardModel,
  intIn,
  numberIn,
  oneOf,
  throwIfAborted,
  type CallContext,
  type PluginEnv,
  type RewardModel,
  type Trajectory,
} from '../../src/core/index.js';
import { newMeter, type CallMeter } from './decoder.js';
import type { ModelDirectory } from './model-dir.js';
import { openModel, promptOptionsShape } from './policy.js';
import { createPromptRenderer, type PromptRenderer } from './prompt-format.js';
import { analyzeSignature, disposeAll, floatData, intTensor, sessionOptionsShape, type ModelSignature, type Ort, type OrtSession, type OrtTensor } from './session.js';

const rewardCommonShape = {
  ...sessionOptionsShape,
  ...promptOptionsShape,
  /** Longest input in tokens; default max_position_embeddings from config.json (4096 when absent). */
  maxInputTokens: intIn(2, 10_000_000).optional(),
  /** Over the cap: `truncate-left` scores the last maxInputTokens tokens (the question is cut first); `value` gives `tooLongValue`. */
  onTooLong: oneOf(['truncate-left', 'value']).default('truncate-left'),
  /** Score given to a too-long input with onTooLong = "value". */
  tooLongValue: numberIn(0, 1).default(0.5),
  /** Trajectories per session.run. */
  batchSize: intIn(1, 4096).default(8),
  /** Name of the output holding the scores. */
  outputName: z.string().min(1).default('logits'),
};

const tokenRef = z.union([z.string().min(1), intIn(0, 10_000_000)], { error: 'must be a token (a string) or a token id' });

export const onnxPrmOptions = z.strictObject({
  ...rewardCommonShape,
  /**
   * `step-tag`: LM logits of goodToken vs badToken at each tag (Math-Shepherd); `classifier`: 2-class
   * logits at each separator (Qwen2.5-Math-PRM); `generative`: an LM's own log-probability of each step
   * (its tokens and the step delimiter after it), sigmoid(generativeScale * sum + generativeBias), as a
   * generative/implicit PRM (`scripts/train.ts prm --head generative` trains one). No tag is inserted.
   */
  head: oneOf(['step-tag', 'classifier', 'generative']).default('step-tag'),
  /** Generative head: the step score's logit is generativeScale * (sum of the step's token log-probabilities) + generativeBias. */
  generativeScale: numberIn(0, 1000).default(1),
  generativeBias: numberIn(-1000, 1000).default(3),
  /** Token placed after each step; default "ки" (step-tag, Math-Shepherd) or "<extra_0>" (classifier, Qwen2.5-Math-PRM). */
  tagToken: z.string().min(1).optional(),
  /** Text between a step and its tag; default " " (step-tag) or "" (classifier). */
  beforeTag: z.string().optional(),
  /** Text after each tag; default "\n" (step-tag) or "" (classifier). */
  afterTag: z.string().optional(),
  /** Step-tag: the token whose probability means "good" (Math-Shepherd: "+"). */
  goodToken: tokenRef.default('+'),
  /** Step-tag: the token whose probability means "bad" (Math-Shepherd: "-"). */
  badToken: tokenRef.default('-'),
  /** Classifier: the class index meaning "good" (Qwen2.5-Math-PRM: 1). */
  positiveLabel: intIn(0, 1023).default(1),
  /** How one score is formed from the per-step scores: the last step's, the minimum, or the mean. */
  stepScore: oneOf(['last', 'min', 'mean']).default('last'),
  /** Score of a trajectory with no steps. */
  emptyValue: numberIn(0, 1).default(0.5),
});
export type OnnxPrmOptions = z.output<typeof onnxPrmOptions>;

export const onnxOrmOptions = z.strictObject({
  ...rewardCommonShape,
  /** Which column of the output is the value (a [B, T, K] or [B, K] output). */
  labelIndex: intIn(0, 1023).default(0),
  /** `sigmoid` maps a logit to [0, 1]; `identity` clamps a value already in [0, 1]. */
  transform: oneOf(['sigmoid', 'identity']).default('sigmoid'),
});
export type OnnxOrmOptions = z.output<typeof onnxOrmOptions>;

/** Counters of a reward model since creation. */
export interface OnnxRewardStats {
  calls: number;
  trajectories: number;
  runs: number;
  modelMs: number;
  /** Inputs over maxInputTokens (truncated or given tooLongValue). */
  tooLong: number;
}

interface Encoded {
  ids: number[];
  /** Positions to read (tags for a PRM; the last token for an ORM). */
  positions: number[];
  /** Set when the input was over the cap and onTooLong = "value". */
  fixedScore: number | null;
  /** Generative PRM: each step's tokens as [from, to) into ids. */
  spans?: [number, number][];
}

type CommonOptions = z.output<z.ZodObject<typeof rewardCommonShape>>;

/** Shared machinery: prompt rendering, length cap, padded batched forward passes. */
abstract class OnnxRewardBase implements RewardModel {
  abstract readonly name: string;
  abstract readonly granularity: 'step' | 'outcome';
  protected readonly maxInputTokens: number;
  protected readonly totals: OnnxRewardStats = { calls: 0, trajectories: 0, runs: 0, modelMs: 0, tooLong: 0 };
  private readonly padId: number;

  constructor(
    protected readonly common: CommonOptions,
    protected readonly model: ModelDirectory,
    private readonly ort: Ort,
    private readonly session: OrtSession,
    protected readonly sig: ModelSignature,
    protected readonly prompt: PromptRenderer,
  ) {
    this.maxInputTokens = common.maxInputTokens ?? model.config.maxPositions ?? 4096;
    this.padId = model.config.padTokenId ?? model.config.eosTokenIds[0] ?? 0;
  }

  protected prefixText(t: Trajectory): string {
    return this.prompt.prefix(t.problem.prompt);
  }

  /** Applies the length cap to encoded ids; `locate` finds the read positions in the (possibly cut) ids. */
  protected capped(ids: number[], locate: (ids: number[]) => number[]): Encoded {
    if (ids.length <= this.maxInputTokens) return { ids, positions: locate(ids), fixedScore: null };
    this.totals.tooLong += 1;
    if (this.common.onTooLong === 'value') return { ids: [], positions: [], fixedScore: this.common.tooLongValue };
    const cut = ids.slice(ids.length - this.maxInputTokens);
    return { ids: cut, positions: locate(cut), fixedScore: null };
  }

  protected abstract encode(t: Trajectory): Encoded;
  /** Score in [0, 1] from the output rows of one input. */
  protected abstract scoreOf(enc: Encoded, read: (position: number) => Float32Array): number;

  async score(batch: readonly Trajectory[], ctx: CallContext): Promise<Float64Array> {
    throwIfAborted(ctx.signal);
    const out = new Float64Array(batch.length);
    const encoded = batch.map((t) => this.encode(t));
    const meter = newMeter();
    let tokens = 0;
    try {
      const todo: number[] = [];
      encoded.forEach((e, i) => {
        if (e.fixedScore !== null) out[i] = e.fixedScore;
        else todo.push(i);
      });
      for (let s = 0; s < todo.length; s += this.common.batchSize) {
        throwIfAborted(ctx.signal);
        const chunk = todo.slice(s, s + this.common.batchSize);
        tokens += chunk.reduce((n, i) => n + encoded[i].ids.length, 0);
        await this.forward(
          chunk.map((i) => encoded[i].ids),
          meter,
          (row, read) => {
            const i = chunk[row];
            out[i] = clamp01(this.scoreOf(encoded[i], read));
          },
        );
      }
    } finally {
      ctx.usage.promptTokens += tokens;
      ctx.usage.rewardCalls += 1;
      ctx.usage.modelMs += meter.modelMs;
      this.totals.calls += 1;
      this.totals.trajectories += batch.length;
      this.totals.runs += meter.runs;
      this.totals.modelMs += meter.modelMs;
    }
    return out;
  }

  /** One padded run over `seqs` (right padding, attention_mask 0 on pads); `each` reads row outputs. */
  private async forward(seqs: number[][], meter: CallMeter, each: (row: number, read: (position: number) => Float32Array) => void): Promise<void> {
    const { ort, sig } = this;
    const B = seqs.length;
    const T = Math.max(1, ...seqs.map((s) => s.length));
    const ids = new Array<number>(B * T).fill(this.padId);
    const mask = new Array<number>(B * T).fill(0);
    const pos = new Array<number>(B * T).fill(0);
    seqs.forEach((s, b) => {
      for (let i = 0; i < s.length; i++) {
        ids[b * T + i] = s[i];
        mask[b * T + i] = 1;
      }
      for (let i = 0; i < T; i++) pos[b * T + i] = i;
    });
    const feeds: Record<string, OrtTensor> = { input_ids: intTensor(ort, sig.idsType, ids, [B, T]) };
    if (sig.hasAttentionMask) feeds.attention_mask = intTensor(ort, 'int64', mask, [B, T]);
    if (sig.hasPositionIds) feeds.position_ids = intTensor(ort, 'int64', pos, [B, T]);
    if (sig.hasTokenTypeIds) feeds.token_type_ids = intTensor(ort, 'int64', new Array<number>(B * T).fill(0), [B, T]);
    if (sig.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(0), [1]);
    for (let l = 0; l < sig.cacheLayers; l++) {
      for (const kv of ['key', 'value']) {
        const dims = [B, sig.kvHeads, 0, sig.headDim];
        feeds[`past_key_values.${l}.${kv}`] = sig.kvDtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
    }
    let result: Record<string, OrtTensor> | undefined;
    const t0 = performance.now();
    try {
      try {
        result = (await this.session.run(feeds)) as Record<string, OrtTensor>;
      } finally {
        meter.modelMs += performance.now() - t0;
        meter.runs += 1;
      }
      const t = result[sig.logitsName];
      const data = floatData(t);
      const dims = t.dims;
      if (dims.length === 3) {
        const [, seq, K] = dims;
        for (let b = 0; b < B; b++) each(b, (p) => data.subarray((b * seq + p) * K, (b * seq + p + 1) * K));
      } else if (dims.length === 2) {
        // [B, K]: a sequence classifier that already picked its token; every position reads the row.
        const K = dims[1];
        for (let b = 0; b < B; b++) each(b, () => data.subarray(b * K, (b + 1) * K));
      } else {
        throw new McgError('PLUGIN_FAILED', `${sig.modelPath}: output "${sig.logitsName}" has shape [${dims.join(', ')}]; expected [batch, seq, K] or [batch, K]`);
      }
    } finally {
      disposeAll(feeds);
      if (result !== undefined) disposeAll(result);
    }
  }

  stats(): OnnxRewardStats {
    return { ...this.totals };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Id of a token given as a string (vocabulary entry, or text that encodes to exactly one token) or an id. */
function resolveToken(model: ModelDirectory, ref: string | number, key: string): number {
  if (typeof ref === 'number') return ref;
  const direct = model.tokenizer.tokenId(ref);
  if (direct !== undefined) return direct;
  const ids = model.tokenizer.encode(ref, false);
  if (ids.length !== 1) {
    throw new McgError('CONFIG_INVALID', `reward.options.${key} ${JSON.stringify(ref)} is ${ids.length} tokens in ${model.dir}/tokenizer.json; it must be a single token (or give its id)`);
  }
  return ids[0];
}

export class OnnxPrm extends OnnxRewardBase {
  readonly name: string;
  readonly granularity = 'step' as const;
  private readonly tagId: number;
  private readonly tagText: string;
  private readonly beforeTag: string;
  private readonly afterTag: string;
  private readonly goodId: number;
  private readonly badId: number;

  constructor(readonly options: OnnxPrmOptions, model: ModelDirectory, ort: Ort, session: OrtSession, sig: ModelSignature, prompt: PromptRenderer) {
    super(options, model, ort, session, sig, prompt);
    if (options.head === 'generative' && (options.tagToken !== undefined || options.beforeTag !== undefined || options.afterTag !== undefined)) {
      throw new McgError('CONFIG_INVALID', 'reward.options.tagToken/beforeTag/afterTag do not apply to head "generative" (it scores the steps as the policy writes them)');
    }
    const stepTag = options.head === 'step-tag';
    this.tagText = options.tagToken ?? (stepTag ? 'ки' : '<extra_0>');
    this.tagId = options.head === 'generative' ? -1 : resolveToken(model, this.tagText, 'tagToken');
    this.beforeTag = options.beforeTag ?? (stepTag ? ' ' : '');
    this.afterTag = options.afterTag ?? (stepTag ? '\n' : '');
    this.goodId = resolveToken(model, options.goodToken, 'goodToken');
    this.badId = resolveToken(model, options.badToken, 'badToken');
    this.name = `onnx-prm:${options.head}(${model.dir.split(/[\\/]/).pop() ?? model.dir})`;
  }

  /** The scored text: prefix, then each step followed by beforeTag, the tag token and afterTag (generative: by the step delimiter). */
  renderText(t: Trajectory): string {
    let text = this.prefixText(t);
    for (const step of t.steps) text += this.options.head === 'generative' ? step + this.options.stepDelimiter : step + this.beforeTag + this.tagText + this.afterTag;
    return text;
  }

  /** Generative head: the prefix's ids, then each step + delimiter encoded on its own (as the policy appends them). */
  private encodeGenerative(t: Trajectory): Encoded {
    const ids = this.model.tokenizer.encode(this.prefixText(t), this.prompt.addSpecialTokens);
    const spans: [number, number][] = [];
    for (const step of t.steps) {
      const from = ids.length;
      ids.push(...this.model.tokenizer.encode(step + this.options.stepDelimiter, false));
      spans.push([from, ids.length]);
    }
    const enc = this.capped(ids, () => []);
    if (enc.fixedScore !== null) return enc;
    // Cut from the left: shift the spans; token 0 has no position before it to predict it.
    const cut = ids.length - enc.ids.length;
    enc.spans = spans.map(([a, b]) => [Math.max(1, a - cut), Math.max(1, b - cut)]);
    return enc;
  }

  protected encode(t: Trajectory): Encoded {
    if (t.steps.length === 0) return { ids: [], positions: [], fixedScore: this.options.emptyValue };
    if (this.options.head === 'generative') return this.encodeGenerative(t);
    const ids = this.model.tokenizer.encode(this.renderText(t), this.prompt.addSpecialTokens);
    // Tags are found in the encoded text (as Math-Shepherd and Qwen2.5-Math-PRM do); steps that hold the
    // tag text themselves would add positions, so only the last steps.length tags are read.
    return this.capped(ids, (cut) => {
      const at: number[] = [];
      cut.forEach((id, i) => {
        if (id === this.tagId) at.push(i);
      });
      return at.slice(-t.steps.length);
    });
  }

  /** P(good) at one tag position. */
  private stepProbability(row: Float32Array): number {
    if (this.options.head === 'step-tag') {
      if (this.goodId >= row.length || this.badId >= row.length) {
        throw new McgError('PLUGIN_FAILED', `${this.sig.modelPath}: goodToken/badToken ids (${this.goodId}, ${this.badId}) are outside the ${row.length} logits`);
      }
      return sigmoid(row[this.goodId] - row[this.badId]);
    }
    if (this.options.positiveLabel >= row.length) {
      throw new McgError('PLUGIN_FAILED', `${this.sig.modelPath}: positiveLabel ${this.options.positiveLabel} is outside the ${row.length} classes`);
    }
    let max = Number.NEGATIVE_INFINITY;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    return Math.exp(row[this.options.positiveLabel] - max) / sum;
  }

  /** Generative head: sigmoid(scale * sum of log p(token) over the step + bias) for each step. */
  private generativeScores(enc: Encoded, read: (position: number) => Float32Array): number[] {
    return (enc.spans ?? []).map(([from, to]) => {
      let sum = 0;
      for (let j = from; j < to; j++) {
        const row = read(j - 1);
        const id = enc.ids[j];
        if (id >= row.length) throw new McgError('PLUGIN_FAILED', `${this.sig.modelPath}: token id ${id} is outside the ${row.length} logits (head "generative" needs a language-model output)`);
        let max = Number.NEGATIVE_INFINITY;
        for (const x of row) max = Math.max(max, x);
        let z = 0;
        for (const x of row) z += Math.exp(x - max);
        sum += row[id] - max - Math.log(z);
      }
      return sigmoid(this.options.generativeScale * sum + this.options.generativeBias);
    });
  }

  protected scoreOf(enc: Encoded, read: (position: number) => Float32Array): number {
    const scores = this.options.head === 'generative' ? this.generativeScores(enc, read) : enc.positions.map((p) => this.stepProbability(read(p)));
    if (scores.length === 0) return this.options.emptyValue;
    if (this.options.stepScore === 'min') return Math.min(...scores);
    if (this.options.stepScore === 'mean') return scores.reduce((a, b) => a + b, 0) / scores.length;
    return scores[scores.length - 1];
  }
}

export class OnnxOrm extends OnnxRewardBase {
  readonly name: string;
  readonly granularity = 'outcome' as const;

  constructor(readonly options: OnnxOrmOptions, model: ModelDirectory, ort: Ort, session: OrtSession, sig: ModelSignature, prompt: PromptRenderer) {
    super(options, model, ort, session, sig, prompt);
    this.name = `onnx-orm(${model.dir.split(/[\\/]/).pop() ?? model.dir})`;
  }

  /** The scored text: prefix, then the steps joined by the step delimiter (no trailing delimiter). */
  renderText(t: Trajectory): string {
    return this.prefixText(t) + t.steps.join(this.options.stepDelimiter);
  }

  protected encode(t: Trajectory): Encoded {
    const ids = this.model.tokenizer.encode(this.renderText(t), this.prompt.addSpecialTokens);
    if (ids.length === 0) return { ids: [], positions: [], fixedScore: 0.5 };
    return this.capped(ids, (cut) => [cut.length - 1]);
  }

  protected scoreOf(enc: Encoded, read: (position: number) => Float32Array): number {
    const row = read(enc.positions[0]);
    if (this.options.labelIndex >= row.length) {
      throw new McgError('PLUGIN_FAILED', `${this.sig.modelPath}: labelIndex ${this.options.labelIndex} is outside the ${row.length} outputs`);
    }
    const x = row[this.options.labelIndex];
    return this.options.transform === 'sigmoid' ? sigmoid(x) : x;
  }
}

async function openReward(options: CommonOptions, env: PluginEnv) {
  const { model, session, ort } = await openModel(options, env);
  try {
    const sig = analyzeSignature(session, model.modelPath, model.config, options.outputName);
    const prompt = await createPromptRenderer(options, model.tokenizerConfig, model.dir);
    return { model, session, ort, sig, prompt };
  } catch (err) {
    await session.release();
    throw err;
  }
}

export async function createOnnxPrm(options: OnnxPrmOptions, env: PluginEnv): Promise<OnnxPrm> {
  const { model, session, ort, sig, prompt } = await openReward(options, env);
  try {
    return new OnnxPrm(options, model, ort, session, sig, prompt);
  } catch (err) {
    await session.release();
    throw err;
  }
}

export async function createOnnxOrm(options: OnnxOrmOptions, env: PluginEnv): Promise<OnnxOrm> {
  const { model, session, ort, sig, prompt } = await openReward(options, env);
  return new OnnxOrm(options, model, ort, session, sig, prompt);
}

export const onnxPrm = defineRewardModel({
  kind: 'onnx-prm',
  options: onnxPrmOptions,
  create: (options, env) => createOnnxPrm(options, env),
});

export const onnxOrm = defineRewardModel({
  kind: 'onnx-orm',
  options: onnxOrmOptions,
  create: (options, env) => createOnnxOrm(options, env),
});
