// The `onnx` policy: proposes the `width` next steps of a node as one batch from a local ONNX decoder
// (Optimum / transformers.js export), continuing from the cached KV state of the node's prefix.
// Imports src/core and this folder; onnxruntime-node and the tokenizer are loaded lazily in `create`.

import { z } from 'zod';
import {
  ExclusionTrie,
  McgError,
  definePolicy,
  intIn,
  numberIn,
  oneOf,
  throwIfAborted,
  type CallContext,
  type Policy,
  type PluginEnv,
  type Rng,
  type StepCandidate,
  type Trajectory,
  DEFAULT_FINAL_PATTERN,
  regexSource,
} from '../../src/core/index.js';
import { OnnxDecoder, newMeter, type CallMeter, type GenerateSettings, type RowResult } from './decoder.js';
import { PrefixKvCache, type KvCacheStats } from './kv-cache.js';
import { buildProcessors } from './logits-processors.js';
import { estimateWeightCount, readModelDirectory, type ModelDirectory } from './model-dir.js';
import { DEFAULT_PROMPT_TEMPLATE, PROMPT_FORMATS, createPromptRenderer, type PromptRenderer } from './prompt-format.js';
import { analyzeSignature, createSession, loadOrt, sessionOptionsShape, type OrtSession } from './session.js';

/** Default final-answer marker: a `\boxed{`, "The answer is" or a GSM8K-style `####` (same as the openai policy). */
export { DEFAULT_FINAL_PATTERN };

/** Prompt options shared by the policy and the reward models. */
export const promptOptionsShape = {
  /** `template` (the model's chat template, rendered with @huggingface/jinja), `raw` (promptTemplate + steps), `chatml` (hand-written <|im_start|> turns), `auto` (template when the model ships one, else raw). */
  promptFormat: oneOf(PROMPT_FORMATS).default('raw'),
  /** Raw format: text before the steps; `{prompt}` is the problem, `{delimiter}` the step delimiter. */
  promptTemplate: z.string().default(DEFAULT_PROMPT_TEMPLATE),
  /** Template and ChatML formats: system message (null: none; a template may add its own default). */
  systemPrompt: z.string().nullable().default(null),
  /** Template and ChatML formats: text after the generation prompt, before the first step. */
  assistantPrefix: z.string().default(''),
  /** Template format: Jinja source used instead of the model's chat_template. */
  chatTemplate: z.string().min(1, { error: 'must be a Jinja chat template (a non-empty string)' }).optional(),
  /** Template format: extra template variables, e.g. { "enable_thinking": false } (Qwen3) or { "date_string": "26 Jul 2024" } (Llama 3.x). */
  templateVariables: z.record(z.string(), z.json()).default({}),
  /** Text after every step; keep equal to the run's step delimiter. */
  stepDelimiter: z.string().min(1, { error: 'must be a non-empty string' }).default('\n\n'),
  /** Apply the tokenizer's post-processor (e.g. a BOS token) to the prompt; default true, false for the template format (templates write their own BOS, as transformers' apply_chat_template does). */
  addSpecialTokens: z.boolean().optional(),
};

export const onnxPolicyOptions = z.strictObject({
  ...sessionOptionsShape,
  ...promptOptionsShape,
  /** Stop strings that end a step (found on decoded text; the candidate excludes them). Default: [stepDelimiter]. */
  stop: z.array(z.string().min(1, { error: 'must be a non-empty string' })).min(1).max(16).optional(),
  /** Most tokens generated for one step (then `ending: 'length'`). */
  maxTokens: intIn(1, 65_536).default(256),
  /** Longest prompt + step in tokens; default max_position_embeddings from config.json (no limit when absent). */
  maxContextTokens: intIn(2, 10_000_000).optional(),
  /** Sampling temperature; 0 = greedy. Greedy calls (ctx.greedy) always take the argmax. */
  temperature: numberIn(0, 10).default(0.7),
  /** Keep the k most likely tokens; 0 = off. */
  topK: intIn(0, 10_000_000).default(0),
  /** Nucleus mass; 1 = off. */
  topP: numberIn(0.000001, 1).default(1),
  /** Drop tokens below minP x the top probability; 0 = off. */
  minP: numberIn(0, 1).default(0),
  /** A step matching this regular expression is final (`ending: 'final'`); EOS is always final. */
  finalPattern: regexSource().default(DEFAULT_FINAL_PATTERN),
  /** Continue from cached prefix states (KV) instead of re-encoding each node's whole prefix. */
  kvReuse: z.boolean().default(true),
  /** Memory bound of the prefix cache, in MB (least recently used states are evicted first). */
  kvCacheMb: numberIn(0, 1_000_000).default(256),
  /** Also cache each sibling's own state, so its children skip even the step's tokens. */
  cacheCandidates: z.boolean().default(true),
  /** Most steps of one rollout (a completion to a final step). */
  rolloutMaxSteps: intIn(1, 4096).default(32),
});
export type OnnxPolicyOptions = z.output<typeof onnxPolicyOptions>;

/** Counters of a policy instance since creation (for benchmarks and tests; ctx.usage gets the per-call share). */
export interface OnnxPolicyStats {
  calls: number;
  runs: number;
  /** Milliseconds inside session.run. */
  modelMs: number;
  /** Part of modelMs spent running prefixes (the rest is decode steps). */
  prefillMs: number;
  /** Prefix tokens run through the model. */
  prefillTokens: number;
  /** Prefix tokens served from the prefix cache. */
  cachedTokens: number;
  generatedTokens: number;
  cache: KvCacheStats | null;
}

/** Loads session + tokenizer for a model directory (shared by the policy and the reward models). */
export async function openModel(options: z.output<z.ZodObject<typeof sessionOptionsShape>>, env: PluginEnv): Promise<{ model: ModelDirectory; session: OrtSession; ort: Awaited<ReturnType<typeof loadOrt>> }> {
  const model = await readModelDirectory(options.modelDir, env.baseDir, options.modelFile, options.dtype);
  const ort = await loadOrt();
  const session = await createSession(ort, model.modelPath, options);
  return { model, session, ort };
}

export class OnnxPolicy implements Policy {
  readonly name: string;
  private readonly settings: GenerateSettings;
  private readonly greedySettings: GenerateSettings;
  private readonly totals = { calls: 0, runs: 0, modelMs: 0, prefillMs: 0, prefillTokens: 0, cachedTokens: 0, generatedTokens: 0 };
  private closed = false;

  constructor(
    readonly options: OnnxPolicyOptions,
    readonly model: ModelDirectory,
    private readonly session: OrtSession,
    readonly decoder: OnnxDecoder,
    readonly prompt: PromptRenderer,
  ) {
    this.name = `onnx(${model.dir.split(/[\\/]/).pop() ?? model.dir})`;
    const stops = options.stop ?? [options.stepDelimiter];
    const finalPattern = new RegExp(options.finalPattern);
    const base = { maxTokens: options.maxTokens, stops, finalPattern, cacheRows: options.kvReuse && options.cacheCandidates };
    this.settings = { ...base, processors: buildProcessors(options) };
    this.greedySettings = { ...base, processors: [] };
  }

  /** Token ids of the text a step after `at` continues (prompt + steps, each followed by the delimiter). */
  encodeTrajectory(at: Trajectory): number[] {
    return this.model.tokenizer.encode(this.prompt.trajectory(at.problem.prompt, at.steps), this.prompt.addSpecialTokens);
  }

  /**
   * One candidate per rng (null = greedy), sampled as one batch; row r depends only on the prefix and
   * rngs[r] (and, with `ctx.exclude`, on the steps to avoid: rows then sample without replacement and a
   * row with nothing new to say is left out). Adds prompt tokens, generated tokens, one policy call and model ms to `ctx.usage`. A
   * prompt that leaves no room for a token returns no candidates.
   */
  async sampleSteps(at: Trajectory, rngs: readonly (Rng | null)[], ctx: CallContext): Promise<StepCandidate[]> {
    if (this.closed) throw new McgError('PLUGIN_FAILED', `${this.name} is closed`);
    throwIfAborted(ctx.signal);
    const ids = this.encodeTrajectory(at);
    const meter = newMeter();
    let rows: RowResult[] = [];
    try {
      if (ids.length > 0 && ids.length < this.decoder.parts.maxContext && rngs.length > 0) {
        const greedy = rngs.every((r) => r === null) || this.options.temperature === 0;
        const rowRngs = this.options.temperature === 0 ? rngs.map(() => null) : rngs;
        const exclude = ExclusionTrie.fromCandidates(ctx.exclude);
        rows = await this.decoder.generate(ids, rowRngs, greedy ? this.greedySettings : this.settings, ctx.signal, meter, exclude);
      }
    } finally {
      this.account(ctx, ids.length, rows, meter);
    }
    return rows
      .filter((r) => !r.dropped)
      .map((r) => ({ text: r.text, logprob: r.logprob, tokens: r.ids.length, ending: r.ending, tokenIds: r.ids, tokenProbs: r.probs }));
  }

  private account(ctx: CallContext, promptTokens: number, rows: readonly RowResult[], meter: CallMeter): void {
    let generated = 0;
    for (const r of rows) generated += r.ids.length;
    ctx.usage.promptTokens += promptTokens;
    ctx.usage.generatedTokens += generated;
    ctx.usage.policyCalls += 1;
    ctx.usage.modelMs += meter.modelMs;
    this.totals.calls += 1;
    this.totals.runs += meter.runs;
    this.totals.modelMs += meter.modelMs;
    this.totals.prefillMs += meter.prefillMs;
    this.totals.prefillTokens += meter.prefillTokens;
    this.totals.cachedTokens += meter.cachedTokens;
    this.totals.generatedTokens += generated;
  }

  /** `width` siblings in one batch (row r draws from ctx.rng.split(`row:${r}`)); one greedy candidate when ctx.greedy. */
  async propose(at: Trajectory, width: number, ctx: CallContext): Promise<StepCandidate[]> {
    if (ctx.greedy === true) return this.sampleSteps(at, [null], ctx);
    const rngs = Array.from({ length: width }, (_, r) => ctx.rng.split(`row:${r}`));
    return this.sampleSteps(at, rngs, ctx);
  }

  /** Steps one at a time (greedy when ctx.greedy) until a final or length-limited step, or `rolloutMaxSteps`. */
  async rollout(at: Trajectory, ctx: CallContext): Promise<StepCandidate[]> {
    const steps = [...at.steps];
    const out: StepCandidate[] = [];
    for (let i = 0; i < this.options.rolloutMaxSteps; i++) {
      const rng = ctx.greedy === true ? null : ctx.rng.split(`rollout:${i}`);
      const [c] = await this.sampleSteps({ problem: at.problem, steps }, [rng], ctx);
      if (c === undefined) break;
      out.push(c);
      steps.push(c.text);
      if (c.ending !== 'step') break;
    }
    return out;
  }

  stats(): OnnxPolicyStats {
    return { ...this.totals, cache: this.decoder.cache?.stats() ?? null };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.decoder.cache?.clear();
    await this.session.release();
  }
}

/** Builds a policy from parsed options (what the plugin's `create` does); exported for tools and tests. */
export async function createOnnxPolicy(options: OnnxPolicyOptions, env: PluginEnv): Promise<OnnxPolicy> {
  const { model, session, ort } = await openModel(options, env);
  try {
    const sig = analyzeSignature(session, model.modelPath, model.config);
    const maxPositions = model.config.maxPositions ?? Number.MAX_SAFE_INTEGER;
    const maxContext = Math.min(options.maxContextTokens ?? maxPositions, maxPositions);
    const eos = new Set(model.config.eosTokenIds);
    const padId = model.config.padTokenId ?? model.config.eosTokenIds[0] ?? 0;
    const cache = options.kvReuse && sig.cacheLayers > 0 ? new PrefixKvCache(options.kvCacheMb * 1024 * 1024) : null;
    const prompt = await createPromptRenderer(options, model.tokenizerConfig, model.dir);
    const weightCount = estimateWeightCount(model.modelPath, options.dtype);
    const decoder = new OnnxDecoder({ ort, session, sig, tokenizer: model.tokenizer, eosIds: eos, padId, maxContext, maxPositions, weightCount }, cache);
    return new OnnxPolicy(options, model, session, decoder, prompt);
  } catch (err) {
    await session.release();
    throw err;
  }
}

export const onnxPolicy = definePolicy({
  kind: 'onnx',
  options: onnxPolicyOptions,
  create: (options, env) => createOnnxPolicy(options, env),
});
