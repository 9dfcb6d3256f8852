// The `openai-reward` reward model: scores trajectories with a reward model served by vLLM's pooling
// endpoints. `pooling`: a process reward model (Qwen2.5-Math-PRM style) on /pooling, P(good) read at
// the step separators; `classify`: an outcome model on /classify; `score`: a cross-encoder style
// model on /score. Many trajectories per request. Imports only src/core.

import { z } from 'zod';
import {
  McgError,
  countRoughTokens,
  defineRewardModel,
  intIn,
  oneOf,
  type CallContext,
  type RewardModel,
  type Trajectory,
} from '../../src/core/index.js';
import { onAbort } from './backoff.js';
import { clientOptionsShape, createHttpClient } from './client-options.js';
import type { OpenAIHttpClient } from './http-client.js';
import { renderTemplate } from './policy.js';
import {
  classifyResponseSchema,
  orderByIndex,
  poolingResponseSchema,
  scoreResponseSchema,
  tokenizeResponseSchema,
  type UsageBody,
} from './response-schemas.js';

/** Default request path of each mode (vLLM serves them at the server root, not under /v1). */
export const REWARD_PATHS = { pooling: '/pooling', classify: '/classify', score: '/score' } as const;

export const openaiRewardOptions = z.strictObject({
  ...clientOptionsShape,
  /** Model name as the server knows it. */
  model: z.string().min(1, { error: 'must be the served model name (a non-empty string)' }),
  /**
   * `pooling`: process reward model on /pooling, one P(good) per step separator; `classify`: class
   * probabilities of the whole text on /classify; `score`: one score per (problem, solution) pair on /score.
   */
  mode: oneOf(['pooling', 'classify', 'score']).default('pooling'),
  /** Request path appended to baseUrl; default `/pooling`, `/classify` or `/score` by mode. */
  path: z.string().regex(/^\/[^?#]*$/, { error: 'must be a path starting with "/" (e.g. "/v1/score")' }).optional(),
  /**
   * Text sent for `pooling` and `classify`, with `{prompt}` (the problem) and `{steps}` filled in. For
   * Qwen2.5-Math-PRM put its chat template here (see the README).
   */
  inputTemplate: z.string().default('{prompt}\n\n{steps}'),
  /** `pooling`: written after every step (Qwen2.5-Math-PRM: `<extra_0>`). */
  stepSeparator: z.string().min(1, { error: 'must be a non-empty string' }).default('<extra_0>'),
  /** `classify` and `score`: text between steps. */
  stepDelimiter: z.string().default('\n\n'),
  /** Index of the "good" class in each probability row (Qwen2.5-Math-PRM: 1 of [bad, good]). */
  goodClass: intIn(0, 4095).default(1),
  /**
   * `pooling` with one row per token (ALL pooling): the separator's token id; rows are then picked
   * where /tokenize shows that id. Null: the server must pool at separators (STEP pooling).
   */
  separatorTokenId: intIn(0, 2 ** 31 - 1).nullable().default(null),
  /** What the score means; default `step` for pooling, `outcome` for classify and score. */
  granularity: oneOf(['step', 'outcome']).optional(),
  /** Trajectories per request; larger batches are split into concurrent requests. */
  maxBatch: intIn(1, 4096).default(32),
  /** Extra request fields (e.g. `"task": "token_classify"`); the fields above win. */
  extraBody: z.record(z.string(), z.unknown()).default({}),
});
export type OpenAIRewardOptions = z.output<typeof openaiRewardOptions>;

/** Clamps a server score into [0, 1]. */
export function clampScore(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

export const openaiReward = defineRewardModel({
  kind: 'openai-reward',
  options: openaiRewardOptions,
  create(options): RewardModel {
    return new OpenAIRewardModel(options, createHttpClient(options, 'reward'));
  },
});

interface BatchResult {
  scores: number[];
  usage: UsageBody | null | undefined;
  texts: string[];
  requestMs: number;
}

/** The reward model instance behind `openaiReward` (exported for tests and direct use). */
export class OpenAIRewardModel implements RewardModel {
  readonly name: string;
  readonly granularity: 'step' | 'outcome';
  private readonly options: OpenAIRewardOptions;
  private readonly client: OpenAIHttpClient;
  private readonly path: string;

  constructor(options: OpenAIRewardOptions, client: OpenAIHttpClient) {
    this.options = options;
    this.client = client;
    this.path = options.path ?? REWARD_PATHS[options.mode];
    this.granularity = options.granularity ?? (options.mode === 'pooling' ? 'step' : 'outcome');
    this.name = `openai-reward:${options.mode}(${options.model})`;
  }

  /** Text sent for `pooling` / `classify` (exported for tests). */
  inputText(t: Trajectory): string {
    const o = this.options;
    const steps = o.mode === 'pooling' ? t.steps.map((s) => s + o.stepSeparator).join('') : t.steps.join(o.stepDelimiter);
    return renderTemplate(o.inputTemplate, { prompt: t.problem.prompt, steps });
  }

  /**
   * One score in [0, 1] per trajectory, same order. A trajectory without steps scores 0.5 and is not
   * sent. For `pooling` the score is P(good) at the last step's separator.
   */
  async score(batch: readonly Trajectory[], ctx: CallContext): Promise<Float64Array> {
    const out = new Float64Array(batch.length).fill(0.5);
    const todo: number[] = [];
    for (let i = 0; i < batch.length; i++) if (batch[i].steps.length > 0) todo.push(i);
    const chunks: number[][] = [];
    for (let i = 0; i < todo.length; i += this.options.maxBatch) chunks.push(todo.slice(i, i + this.options.maxBatch));
    // One failed chunk cancels its siblings: the call fails as a whole.
    const local = new AbortController();
    if (ctx.signal.aborted) local.abort(ctx.signal.reason);
    const unsubscribe = onAbort(ctx.signal, () => local.abort(ctx.signal.reason));
    const sub: CallContext = { ...ctx, signal: local.signal };
    let promptTokens = 0;
    let requestMs = 0;
    try {
      const results = await Promise.all(
        chunks.map(async (ids, k) => {
          try {
            return await this.scoreChunk(ids.map((i) => batch[i]), sub, k);
          } catch (err) {
            local.abort(err);
            throw err;
          }
        }),
      );
      for (let k = 0; k < chunks.length; k++) {
        const r = results[k];
        chunks[k].forEach((i, j) => (out[i] = clampScore(r.scores[j])));
        promptTokens += r.usage?.prompt_tokens ?? r.texts.reduce((s, t) => s + countRoughTokens(t), 0);
        requestMs += r.requestMs;
      }
    } catch (err) {
      // Prefer the first real failure over the ABORTED it caused in the siblings.
      if (!ctx.signal.aborted && local.signal.reason instanceof Error) throw local.signal.reason;
      throw err;
    } finally {
      unsubscribe();
    }
    ctx.usage.promptTokens += promptTokens;
    ctx.usage.rewardCalls += 1;
    ctx.usage.modelMs += requestMs;
    return out;
  }

  private async scoreChunk(trajectories: Trajectory[], ctx: CallContext, k: number): Promise<BatchResult> {
    const o = this.options;
    const rng = ctx.rng.split('http-backoff').split(k);
    const n = trajectories.length;
    const checkData = (d: { data: { index: number }[] }): string | undefined => {
      const ordered = orderByIndex(d.data, n, 'results');
      return typeof ordered === 'string' ? ordered : undefined;
    };
    if (o.mode === 'score') {
      const text1 = trajectories.map((t) => t.problem.prompt);
      const text2 = trajectories.map((t) => t.steps.join(o.stepDelimiter));
      const texts = [...text1, ...text2];
      const body = { ...o.extraBody, model: o.model, text_1: text1, text_2: text2 };
      const r = await this.client.post(this.path, body, scoreResponseSchema, { signal: ctx.signal, rng, estimatedTokens: estimate(texts), check: checkData, tokensUsed: (d) => d.usage?.total_tokens });
      const ordered = orderByIndex(r.data.data, n, 'results') as typeof r.data.data;
      return { scores: ordered.map((d) => d.score), usage: r.data.usage, texts, requestMs: r.requestMs };
    }
    const texts = trajectories.map((t) => this.inputText(t));
    const body = { ...o.extraBody, model: o.model, input: texts };
    const common = { signal: ctx.signal, rng, estimatedTokens: estimate(texts), check: checkData, tokensUsed: (d: { usage?: UsageBody | null }) => d.usage?.total_tokens };
    if (o.mode === 'classify') {
      const r = await this.client.post(this.path, body, classifyResponseSchema, common);
      const ordered = orderByIndex(r.data.data, n, 'results') as typeof r.data.data;
      const scores = ordered.map((d) => this.pickClass((d.probs ?? d.probabilities)!, 'classify'));
      return { scores, usage: r.data.usage, texts, requestMs: r.requestMs };
    }
    const r = await this.client.post(this.path, body, poolingResponseSchema, common);
    const ordered = orderByIndex(r.data.data, n, 'results') as typeof r.data.data;
    let requestMs = r.requestMs;
    const scores: number[] = [];
    for (let j = 0; j < n; j++) {
      const raw = ordered[j].data;
      let rows: number[][] = raw.length > 0 && Array.isArray(raw[0]) ? (raw as number[][]) : [raw as number[]];
      const steps = trajectories[j].steps.length;
      if (rows.length !== steps) {
        if (o.separatorTokenId === null) {
          throw new McgError(
            'BACKEND_HTTP',
            `POST ${this.client.baseUrl}${this.path}: expected one row per step separator (${steps}), got ${rows.length}; serve the PRM with STEP pooling (e.g. --pooler-config '{"pooling_type": "STEP", "step_tag_id": <id>}') or set separatorTokenId to pick the rows by token id`,
            { details: { url: `${this.client.baseUrl}${this.path}`, rows: rows.length, steps } },
          );
        }
        const picked = await this.rowsAtSeparators(texts[j], rows, ctx, rng.split(`tokenize:${j}`));
        rows = picked.rows;
        requestMs += picked.requestMs;
        if (rows.length !== steps) {
          throw new McgError('BACKEND_HTTP', `POST ${this.client.baseUrl}/tokenize: found ${rows.length} separator tokens (id ${o.separatorTokenId}) for ${steps} steps`, {
            details: { url: `${this.client.baseUrl}/tokenize`, rows: rows.length, steps },
          });
        }
      }
      scores.push(this.pickClass(rows[rows.length - 1], 'pooling'));
    }
    return { scores, usage: r.data.usage, texts, requestMs };
  }

  /** Rows of a per-token pooling output at the separator token's positions, found with /tokenize. */
  private async rowsAtSeparators(text: string, rows: number[][], ctx: CallContext, rng: CallContext['rng']): Promise<{ rows: number[][]; requestMs: number }> {
    const o = this.options;
    const r = await this.client.post('/tokenize', { model: o.model, prompt: text }, tokenizeResponseSchema, {
      signal: ctx.signal,
      rng,
      estimatedTokens: countRoughTokens(text),
      check: (d) => (d.tokens.length === rows.length ? undefined : `tokenize gave ${d.tokens.length} tokens for ${rows.length} pooled rows`),
    });
    const picked: number[][] = [];
    r.data.tokens.forEach((id, i) => {
      if (id === o.separatorTokenId) picked.push(rows[i]);
    });
    return { rows: picked, requestMs: r.requestMs };
  }

  private pickClass(row: number[], mode: string): number {
    if (row.length === 1) return row[0];
    const x = row[this.options.goodClass];
    if (x === undefined) {
      throw new McgError('BACKEND_HTTP', `${mode} response rows have ${row.length} classes; goodClass ${this.options.goodClass} is out of range`, {
        details: { classes: row.length },
      });
    }
    return x;
  }
}

function estimate(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) n += countRoughTokens(t);
  return n;
}
