// Decoding with an Optimum-layout ONNX decoder: prefill of a token prefix (continuing from the longest
// cached prefix state), then batched sampling of sibling rows that share it, with stop strings, EOS,
// a token limit and cooperative cancellation between decode steps (never inside session.run).
// Imports src/core, the cache, processors, stop strings and session helpers.

import { exclusionWeights, throwIfAborted, type ExclusionTrie, type Rng, type StepEnding } from '../../src/core/index.js';
import { PrefixKvCache, type KvArray, type KvState } from './kv-cache.js';
import { sampleToken, type LogitsProcessor } from './logits-processors.js';
import type { TextTokenizer } from './model-dir.js';
import { disposeAll, floatData, intTensor, lastPositionFloats, type ModelSignature, type Ort, type OrtSession, type OrtTensor } from './session.js';
import { findStopString, rescanFrom } from './stop-strings.js';

/** Time and work of one call, added to ctx.usage by the caller. */
export interface CallMeter {
  /** Milliseconds inside session.run. */
  modelMs: number;
  runs: number;
  /** Prefix tokens run through the model (not served from the cache). */
  prefillTokens: number;
  /** Prefix tokens served from the cache. */
  cachedTokens: number;
  /** Part of modelMs spent in prefill runs (the rest is decode steps). */
  prefillMs: number;
}

export function newMeter(): CallMeter {
  return { modelMs: 0, runs: 0, prefillTokens: 0, cachedTokens: 0, prefillMs: 0 };
}

export interface RowResult {
  /** Generated token ids, including a final EOS or the tokens of the stop string. */
  ids: number[];
  /** Decoded text, without EOS and without the stop string and anything after it. */
  text: string;
  /** Sum of the generated tokens' log-probabilities under the model (temperature 1). */
  logprob: number;
  /** Each generated token's probability under the sampler's processed distribution (before exclusion). */
  probs: number[];
  ending: StepEnding;
  /** The row found nothing new to say (every continuation was excluded); it is not a candidate. */
  dropped: boolean;
}

export interface GenerateSettings {
  /** Most tokens per row. */
  maxTokens: number;
  stops: readonly string[];
  /** A step ending at a stop string whose text matches this is `final`. */
  finalPattern: RegExp | null;
  processors: readonly LogitsProcessor[];
  /** Store each finished row's state in the prefix cache (its child continues from it). */
  cacheRows: boolean;
}

export interface DecoderParts {
  ort: Ort;
  session: OrtSession;
  sig: ModelSignature;
  tokenizer: TextTokenizer;
  eosIds: ReadonlySet<number>;
  padId: number;
  /** Longest sequence fed (prompt + generated), from options or max_position_embeddings. */
  maxContext: number;
  /** Size of the position table, when known (position_ids are clamped below it). */
  maxPositions: number;
  /** About how many weights the model has (0 when unknown: presents are fetched at every step). */
  weightCount: number;
}

interface Prefilled {
  kv: KvState | null;
  lastLogits: Float32Array;
}

/**
 * Copying one float of present state out of onnxruntime costs about as much as one token's compute over
 * this many weights (on CPU: 0.6 ns a float against 26 ps a weight, measured on the 4 x 256 test model).
 */
const COPY_COST_IN_WEIGHTS = 23;
const MOST_STEPS_BETWEEN_FETCHES = 8;

/**
 * Decode steps between fetches of the present states at a past of `pastLength` tokens. A fetching step
 * copies the batch's whole cache out of onnxruntime; the steps between feed each row's tokens since the
 * last fetch and fetch logits only, so waiting K steps saves K - 1 copies of pastLength x kvFloatsPerToken
 * floats per row and costs re-running 1 + ... + (K - 1) tokens per row. The best K is
 * sqrt(2 x copy / token), kept in 1..8: models with much compute per cached token fetch at every step.
 * It depends only on the model's shapes, so the schedule (and the samples) are deterministic.
 */
export function stepsBetweenFetches(pastLength: number, kvFloatsPerToken: number, weightCount: number): number {
  if (!(weightCount > 0)) return 1;
  const k = Math.round(Math.sqrt((2 * pastLength * kvFloatsPerToken * COPY_COST_IN_WEIGHTS) / weightCount));
  return Math.min(MOST_STEPS_BETWEEN_FETCHES, Math.max(1, k));
}

/** Most bytes of spare past buffers a decoder keeps for reuse. */
const SPARE_BYTES = 128 * 1024 * 1024;

/** One decoder session with its prefix cache. Safe for concurrent calls (each call owns its tensors). */
export class OnnxDecoder {
  readonly hasCache: boolean;
  /**
   * Buffers that pastFrom filled and that are no longer fed, newest last: the next pastFrom writes into
   * them instead of allocating (a batch of past tensors is tens of megabytes at long prefixes).
   */
  private readonly spare: KvArray[] = [];
  private readonly pooled = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly parts: DecoderParts,
    /** Null: every call recomputes its prefix. */
    readonly cache: PrefixKvCache | null,
  ) {
    this.hasCache = parts.sig.cacheLayers > 0;
  }

  /** One session.run; with `fetches`, only those outputs are copied out (the rest stay inside onnxruntime). */
  private async run(feeds: Record<string, OrtTensor>, meter: CallMeter, fetches?: readonly string[]): Promise<Record<string, OrtTensor>> {
    const t0 = performance.now();
    try {
      return (await (fetches === undefined ? this.parts.session.run(feeds) : this.parts.session.run(feeds, fetches))) as Record<string, OrtTensor>;
    } finally {
      meter.modelMs += performance.now() - t0;
      meter.runs += 1;
    }
  }

  /** Empty past tensors [batch, heads, 0, headDim] for every layer. */
  private emptyPast(batch: number): Record<string, OrtTensor> {
    const { sig, ort } = this.parts;
    const out: Record<string, OrtTensor> = {};
    const dims = [batch, sig.kvHeads, 0, sig.headDim];
    for (let l = 0; l < sig.cacheLayers; l++) {
      for (const kv of ['key', 'value']) {
        out[`past_key_values.${l}.${kv}`] = sig.kvDtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
    }
    return out;
  }

  /** Past tensors holding `kv` repeated for `batch` rows. Copies synchronously (the state may be evicted later). */
  private pastFrom(kv: KvState, batch: number): Record<string, OrtTensor> {
    const { sig, ort } = this.parts;
    const out: Record<string, OrtTensor> = {};
    const dims = [batch, kv.heads, kv.length, kv.headDim];
    const repeat = (src: KvArray): OrtTensor => {
      const data = this.takeBuffer(src.length * batch, src instanceof Float32Array);
      for (let b = 0; b < batch; b++) data.set(src, b * src.length);
      return data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('float16', data, dims);
    };
    for (let l = 0; l < sig.cacheLayers; l++) {
      out[`past_key_values.${l}.key`] = repeat(kv.keys[l]);
      out[`past_key_values.${l}.value`] = repeat(kv.values[l]);
    }
    return out;
  }

  /** A buffer of `length` elements: a view of the smallest spare buffer that fits, else a new one. */
  private takeBuffer(length: number, f32: boolean): KvArray {
    let best = -1;
    this.spare.forEach((b, i) => {
      if (b instanceof Float32Array === f32 && b.length >= length && (best < 0 || b.length < this.spare[best].length)) best = i;
    });
    if (best >= 0) return this.spare.splice(best, 1)[0].subarray(0, length);
    const data = f32 ? new Float32Array(length) : new Uint16Array(length);
    this.pooled.add(data.buffer);
    return data;
  }

  /** Returns the buffers of past tensors that pastFrom filled to the spares (others are left to the GC). */
  private release(past: Record<string, OrtTensor>): void {
    for (const t of Object.values(past)) {
      const data = t.data as KvArray;
      if (this.pooled.has(data.buffer) && !this.spare.some((b) => b.buffer === data.buffer)) {
        this.spare.push(data instanceof Float32Array ? new Float32Array(data.buffer) : new Uint16Array(data.buffer));
      }
      t.dispose();
    }
    let bytes = this.spare.reduce((n, b) => n + b.byteLength, 0);
    while (bytes > SPARE_BYTES) bytes -= this.spare.shift()!.byteLength;
  }

  /** Inputs for `batch` rows of `ids` (row-major [batch, seq]) at positions starting from `pastLength`. */
  private inputFeeds(ids: ArrayLike<number>, batch: number, seq: number, pastLength: number): Record<string, OrtTensor> {
    const { ort, sig, maxPositions } = this.parts;
    const feeds: Record<string, OrtTensor> = { input_ids: intTensor(ort, sig.idsType, ids, [batch, seq]) };
    const total = pastLength + seq;
    if (sig.hasAttentionMask) feeds.attention_mask = intTensor(ort, 'int64', new Array<number>(batch * total).fill(1), [batch, total]);
    if (sig.hasPositionIds) {
      const pos = new Array<number>(batch * seq);
      for (let b = 0; b < batch; b++) for (let s = 0; s < seq; s++) pos[b * seq + s] = Math.min(pastLength + s, maxPositions - 1);
      feeds.position_ids = intTensor(ort, 'int64', pos, [batch, seq]);
    }
    if (sig.hasTokenTypeIds) feeds.token_type_ids = intTensor(ort, 'int64', new Array<number>(batch * seq).fill(0), [batch, seq]);
    if (sig.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    return feeds;
  }

  /**
   * Shrinks past tensors [B, heads, length, headDim] to their first `batch` rows after moving row
   * `from` to row `to` for each move, in place: no new buffers, and only the rows that change slots are
   * copied. The returned tensors view the same memory.
   */
  private compactPast(past: Record<string, OrtTensor>, moves: readonly (readonly [number, number])[], batch: number): Record<string, OrtTensor> {
    const { ort } = this.parts;
    const out: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(past)) {
      const [, heads, length, headDim] = t.dims;
      const per = heads * length * headDim;
      const data = t.data as Float32Array | Uint16Array;
      for (const [from, to] of moves) data.copyWithin(to * per, from * per, (from + 1) * per);
      const kept = data.subarray(0, batch * per);
      const dims = [batch, heads, length, headDim];
      out[name] = kept instanceof Float32Array ? new ort.Tensor('float32', kept, dims) : new ort.Tensor(t.type as 'float16', kept, dims);
    }
    return out;
  }

  /** The state of row `row` of the present outputs (copied: [heads, length, headDim] per layer). */
  private rowState(presents: Record<string, OrtTensor>, row: number): KvState {
    const { sig } = this.parts;
    const keys: KvArray[] = [];
    const values: KvArray[] = [];
    let length = 0;
    for (let l = 0; l < sig.cacheLayers; l++) {
      for (const [kind, into] of [['key', keys], ['value', values]] as const) {
        const t = presents[`past_key_values.${l}.${kind}`] ?? presents[`present.${l}.${kind}`];
        length = t.dims[2];
        const per = t.dims[1] * t.dims[2] * t.dims[3];
        const data = t.data as Float32Array | Uint16Array;
        into.push(data.slice(row * per, (row + 1) * per));
      }
    }
    return { length, heads: sig.kvHeads, headDim: sig.headDim, keys, values };
  }

  /**
   * Runs `ids` through the model (batch 1), continuing from the longest cached prefix, and stores the
   * result in the cache. Returns the state after `ids` (null without a cache) and the next-token logits.
   */
  async prefill(ids: readonly number[], signal: AbortSignal, meter: CallMeter): Promise<Prefilled> {
    throwIfAborted(signal);
    const before = meter.modelMs;
    try {
      return await this.prefillRun(ids, meter);
    } finally {
      meter.prefillMs += meter.modelMs - before;
    }
  }

  private async prefillRun(ids: readonly number[], meter: CallMeter): Promise<Prefilled> {
    const V = (logits: OrtTensor) => logits.dims[logits.dims.length - 1];
    if (!this.hasCache) {
      const feeds = this.inputFeeds(ids, 1, ids.length, 0);
      let out: Record<string, OrtTensor> | undefined;
      try {
        out = await this.run(feeds, meter);
        meter.prefillTokens += ids.length;
        const logits = out[this.parts.sig.logitsName];
        const v = V(logits);
        return { kv: null, lastLogits: floatData(logits).slice((ids.length - 1) * v, ids.length * v) };
      } finally {
        disposeAll(feeds);
        if (out !== undefined) disposeAll(out);
      }
    }
    const hit = this.cache?.lookup(ids) ?? { matched: 0, kv: null, lastLogits: null };
    if (hit.lastLogits !== null && hit.kv !== null) {
      meter.cachedTokens += ids.length;
      return { kv: hit.kv, lastLogits: hit.lastLogits };
    }
    const m = hit.matched;
    const past = hit.kv === null ? this.emptyPast(1) : this.pastFrom(hit.kv, 1);
    const feeds = { ...this.inputFeeds(ids.slice(m), 1, ids.length - m, m), ...past };
    let out: Record<string, OrtTensor> | undefined;
    try {
      out = await this.run(feeds, meter);
      meter.prefillTokens += ids.length - m;
      meter.cachedTokens += m;
      const logits = out[this.parts.sig.logitsName];
      const v = V(logits);
      const seq = ids.length - m;
      const lastLogits = floatData(logits).slice((seq - 1) * v, seq * v);
      const kv = this.rowState(out, 0);
      this.cache?.insert(ids, kv, lastLogits);
      return { kv, lastLogits };
    } finally {
      for (const [name, t] of Object.entries(feeds)) if (!(name in past)) t.dispose();
      this.release(past);
      if (out !== undefined) disposeAll(out);
    }
  }

  /**
   * Samples one continuation per entry of `rngs` (null = greedy) after `prefix`, all rows in one batch.
   * Rows are independent: row r depends only on the prefix and rngs[r], so a batch gives the same rows as
   * one call per rng. Results are in the order of `rngs`.
   *
   * With `exclude`, rows sample without replacement: each token is drawn from the sampler's distribution
   * scaled by the mass not yet taken below it, so no row repeats a known sequence; a finished row joins
   * `exclude` at once, so later rows of the batch do not repeat it either.
   */
  async generate(
    prefix: readonly number[],
    rngs: readonly (Rng | null)[],
    settings: GenerateSettings,
    signal: AbortSignal,
    meter: CallMeter,
    exclude: ExclusionTrie | null = null,
  ): Promise<RowResult[]> {
    const { tokenizer, eosIds, padId, maxContext, sig } = this.parts;
    const W = rngs.length;
    const n = prefix.length;
    const start = await this.prefill(prefix, signal, meter);
    const anchor = n > 0 ? [prefix[n - 1]] : [];
    const anchorText = tokenizer.decode(anchor);
    const decodeRow = (ids: readonly number[]): string => {
      const full = tokenizer.decode([...anchor, ...ids]);
      return full.startsWith(anchorText) ? full.slice(anchorText.length) : tokenizer.decode(ids);
    };
    const rows = rngs.map(() => ({ ids: [] as number[], probs: [] as number[], logprob: 0, text: '', checked: 0, done: false, dropped: false, ending: 'length' as StepEnding }));
    let past: Record<string, OrtTensor> = this.hasCache ? this.pastFrom(start.kv!, W) : {};
    // `past` holds the prefix and each row's first `covered` tokens. Decode steps feed the tokens after
    // them and fetch only the logits; every stepsBetweenFetches tokens a step also fetches the presents.
    let covered = 0;
    const kvFloatsPerToken = 2 * sig.cacheLayers * sig.kvHeads * sig.headDim;
    // Each row's next-token logits after prefix + ids[0, covered) (a view into the fetching step's output).
    const coveredLogits: (Float32Array | null)[] = rows.map(() => null);
    // Rows in the batch, in batch order, and each row's position in it (-1 once it has left).
    let inBatch = rows.map((_, r) => r);
    const slot = rows.map((_, r) => r);
    let logits: Float32Array = start.lastLogits;
    let stride = 0; // floats between rows' last-position logits (0 at k = 1: every row reads the prefill logits)
    let offset0 = 0;
    const V = start.lastLogits.length;
    try {
      for (let k = 1; ; k++) {
        let active = 0;
        for (let r = 0; r < W; r++) {
          const row = rows[r];
          if (row.done) continue;
          const off = offset0 + slot[r] * stride;
          const rowLogits = logits.subarray(off, off + V);
          let weights: Map<number, number> | undefined;
          if (exclude !== null) {
            const at = exclude.walk(row.ids);
            if (at !== null && at.children.size > 0) weights = exclusionWeights(at);
          }
          const drawn = sampleToken(rowLogits, settings.processors, rngs[r], weights);
          if (drawn === null) {
            row.done = true;
            row.dropped = true;
            continue;
          }
          const { token, logprob } = drawn;
          row.ids.push(token);
          row.probs.push(drawn.prob);
          row.logprob += logprob;
          let finished = false;
          if (eosIds.has(token)) {
            row.text = decodeRow(row.ids.slice(0, -1));
            row.ending = 'final';
            finished = true;
          } else {
            const text = decodeRow(row.ids);
            const stop = findStopString(text, settings.stops, rescanFrom(row.checked, settings.stops));
            row.checked = text.length;
            if (stop !== null) {
              row.text = text.slice(0, stop.index);
              row.ending = settings.finalPattern?.test(row.text) === true ? 'final' : 'step';
              finished = true;
            } else if (row.ids.length >= settings.maxTokens || n + k >= maxContext) {
              row.text = text;
              row.ending = 'length';
              finished = true;
            }
          }
          if (finished) {
            row.done = true;
            exclude?.add(row.ids, row.probs);
            // The state in `past` covers prefix + ids[0, covered); a child continuing from the row prefills the rest.
            const at = coveredLogits[r];
            coveredLogits[r] = null; // the view pins the fetching step's whole logits output
            if (settings.cacheRows && this.hasCache && this.cache !== null && covered > 0 && at !== null) {
              this.cache.insert([...prefix, ...row.ids.slice(0, covered)], this.rowState(past, slot[r]), Float32Array.from(at));
            }
          } else {
            active += 1;
          }
        }
        if (active === 0) break;
        throwIfAborted(signal);
        // Once a quarter of the batch has finished, live rows from the end of the batch move into the
        // slots of finished rows and the batch shrinks to the live rows.
        if (active <= inBatch.length * 0.75) {
          const live = inBatch.filter((r) => !rows[r].done);
          const holes = inBatch.filter((r) => rows[r].done && slot[r] < live.length).map((r) => slot[r]);
          const movers = live.filter((r) => slot[r] >= live.length);
          if (this.hasCache) past = this.compactPast(past, movers.map((r, i) => [slot[r], holes[i]] as const), live.length);
          for (const r of inBatch) if (rows[r].done) slot[r] = -1;
          movers.forEach((r, i) => (slot[r] = holes[i]));
          inBatch = live.sort((a, b) => slot[a] - slot[b]);
        }
        const batch = inBatch.length;
        let feeds: Record<string, OrtTensor>;
        let fetchPresents = true;
        if (this.hasCache) {
          // Each row feeds its tokens after `covered`; rows still in the batch but finished feed padding
          // where their tokens ended, and their outputs are ignored.
          const m = k - covered;
          const ids = new Array<number>(batch * m);
          inBatch.forEach((r, b) => {
            for (let j = 0; j < m; j++) ids[b * m + j] = rows[r].ids[covered + j] ?? padId;
          });
          feeds = { ...this.inputFeeds(ids, batch, m, n + covered), ...past };
          // Waiting also re-feeds tokens and copies their logits: fetch sooner when that outweighs the cache.
          fetchPresents = m >= stepsBetweenFetches(n + covered, kvFloatsPerToken, this.parts.weightCount) || (m - 1) * V >= (n + covered) * kvFloatsPerToken;
        } else {
          const seq = n + k;
          const ids = new Array<number>(batch * seq).fill(padId);
          inBatch.forEach((r, b) => {
            for (let i = 0; i < n; i++) ids[b * seq + i] = prefix[i];
            const gen = rows[r].ids;
            for (let i = 0; i < gen.length; i++) ids[b * seq + n + i] = gen[i];
          });
          feeds = this.inputFeeds(ids, batch, seq, 0);
        }
        let out: Record<string, OrtTensor>;
        try {
          out = await this.run(feeds, meter, fetchPresents ? undefined : [sig.logitsName]);
        } finally {
          // The past tensors are fed again until presents are fetched.
          for (const [name, t] of Object.entries(feeds)) if (!(name in past)) t.dispose();
        }
        const logitsT = out[sig.logitsName];
        const seqOut = logitsT.dims[1];
        if (logitsT.type === 'float16' && seqOut > 1) {
          // Only each row's last position is sampled from: convert just those.
          logits = lastPositionFloats(logitsT);
          stride = V;
          offset0 = 0;
        } else {
          logits = floatData(logitsT);
          stride = seqOut * V;
          offset0 = (seqOut - 1) * V;
        }
        logitsT.dispose();
        if (fetchPresents && this.hasCache) {
          this.release(past);
          past = {};
          for (const [name, t] of Object.entries(out)) if (name !== sig.logitsName) past[name.replace(/^present\./, 'past_key_values.')] = t;
          covered = k;
          inBatch.forEach((r, b) => (coveredLogits[r] = logits.subarray(offset0 + b * stride, offset0 + b * stride + V)));
        } else {
          for (const [name, t] of Object.entries(out)) if (name !== sig.logitsName) t.dispose();
        }
      }
    } finally {
      this.release(past);
    }
    return rows.map((row) => ({ ids: row.ids, probs: row.probs, text: row.text, logprob: row.logprob, ending: row.ending, dropped: row.dropped }));
  }
}
