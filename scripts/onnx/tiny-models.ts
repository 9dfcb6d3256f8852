// Tiny ONNX models for tests and benchmarks, laid out as Hugging Face Optimum / transformers.js exports
// (config.json, tokenizer.json, tokenizer_config.json, generation_config.json, onnx/model.onnx):
// a GPT-style decoder with and without a KV cache, and one model per reward head, all from a seed.
// Imports onnx-proto (through ./graph.ts) and src/core's Rng only.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { ELEM, GraphBuilder } from './graph.js';

/** Special tokens of the character tokenizer, by id. `<tag>` and `<sep>` are the reward-head markers. */
export const SPECIAL_TOKENS = ['<eos>', '<pad>', '<unk>', '<tag>', '<sep>'] as const;
export const EOS_ID = 0;
export const PAD_ID = 1;
export const TAG_ID = 3;
export const SEP_ID = 4;

/** Characters of the tokenizer after the specials: printable ASCII and a newline. */
export const CHARS: string[] = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\n'];
export const VOCAB_SIZE = SPECIAL_TOKENS.length + CHARS.length;

/** Token id of a single character of the tiny tokenizer. */
export function charId(c: string): number {
  const i = CHARS.indexOf(c);
  if (i < 0) throw new RangeError(`no token for ${JSON.stringify(c)}`);
  return SPECIAL_TOKENS.length + i;
}

/** A character-level tokenizer.json (BPE without merges: every character is one token). */
export function charTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((s, i) => (vocab[s] = i));
  CHARS.forEach((c, i) => (vocab[c] = SPECIAL_TOKENS.length + i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: id <= 2,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}

export interface DecoderSpec {
  /** Transformer blocks. */
  layers: number;
  /** Model width (embedding size). */
  hidden: number;
  heads: number;
  /** Size of the position table (max_position_embeddings). */
  maxPositions: number;
  seed: number;
  /** Optimum signature with past_key_values / present outputs. */
  withCache: boolean;
  /** Feed position_ids (otherwise positions are computed from the sequence: 0..S-1, no-cache models only). */
  withPositionIds: boolean;
  /** Standard deviation of the logits before the bias (how peaked the random distribution is). */
  logitScale: number;
  /** Added to the logits of these tokens (by id), e.g. to make newlines or EOS frequent. */
  logitBias: Record<number, number>;
  /** Renames `input_ids` (to build a model with a wrong signature for the loading tests). */
  inputIdsName?: string;
  /** MLP width (default 4 x hidden). */
  ffn?: number;
  /** Trained weights by initializer name (a trainer's checkpoint); absent names are drawn from `seed`. */
  weights?: ReadonlyMap<string, Float32Array>;
  /** Width of the output head (default the vocabulary: an LM head; 2 for a classifier PRM). */
  outputs?: number;
  /** Producer name written into the model. */
  producer?: string;
  /** Key/value heads (grouped-query attention when fewer than `heads`; default `heads`). */
  kvHeads?: number;
  /**
   * Export form, as transformers.js repositories ship them: `fp32`; `fp16` (float16 weights, cache and
   * logits); `q8` (int8 MatMul weights with dynamic activation quantization, as onnxruntime's
   * quantize_dynamic writes `model_quantized.onnx`); `q4` (4-bit MatMulNBits blocks of 32, `model_q4.onnx`).
   */
  dtype?: DecoderDtype;
  /** A merged decoder (`decoder_model_merged.onnx`): a `use_cache_branch` input selects, per layer, whether the past is used. */
  merged?: boolean;
}

export type DecoderDtype = 'fp32' | 'fp16' | 'q8' | 'q4';

/** File-name suffix of each export form in transformers.js repositories (`onnx/model{suffix}.onnx`). */
export const DTYPE_SUFFIX: Record<DecoderDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4' };

/** float32 to IEEE half bits (round to nearest even). */
export function floatToHalf(x: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = x;
  const bits = u[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

function toHalf(a: Float32Array): Uint16Array {
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = floatToHalf(a[i]);
  return out;
}

export const TINY_DECODER: DecoderSpec = {
  layers: 2,
  hidden: 32,
  heads: 2,
  maxPositions: 512,
  seed: 7,
  withCache: true,
  withPositionIds: true,
  logitScale: 1.5,
  logitBias: { [charId('\n')]: 4.5, [charId(' ')]: 2, [EOS_ID]: 1.5, [PAD_ID]: -30, [2]: -30, [TAG_ID]: -30, [SEP_ID]: -30 },
};

function normalArray(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/**
 * A GPT-style decoder (pre-LayerNorm blocks, ReLU MLP, learned positions) with the Optimum signature:
 * inputs `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key/value` [B, H, P, D];
 * outputs `logits` [B, S, V] and `present.{i}.key/value` [B, H, P+S, D]. Weights drawn from `seed`,
 * so the cached and uncached variants of one spec compute the same function. `kvHeads`, `dtype`,
 * `merged` and `withPositionIds: false` (with a cache) give the other forms exports come in.
 */
export function buildDecoderGraph(spec: DecoderSpec): GraphBuilder {
  const { layers, hidden: E, heads: H, maxPositions, withCache } = spec;
  const D = E / H;
  if (!Number.isInteger(D)) throw new RangeError('hidden must be a multiple of heads');
  const V = VOCAB_SIZE;
  const F = spec.ffn ?? 4 * E;
  const K = spec.outputs ?? V;
  const rng = Rng.fromSeed(spec.seed).split('decoder');
  const g = new GraphBuilder();
  /** A weight: the trained one when given (its size checked), else drawn by `draw`. */
  /** A weight's values: the trained ones when given (their size checked), else drawn by `draw`. */
  const values = (name: string, dims: number[], draw: () => Float32Array): Float32Array => {
    const given = spec.weights?.get(name);
    const size = dims.reduce((a, b) => a * b, 1);
    if (given !== undefined && given.length !== size) throw new RangeError(`weight ${name} has ${given.length} values; [${dims.join(', ')}] needs ${size}`);
    return given ?? draw();
  };
  const w = (name: string, dims: number[], draw: () => Float32Array): string => g.init(name, dims, values(name, dims, draw));

  const dtype = spec.dtype ?? 'fp32';
  const KVH = spec.kvHeads ?? H;
  if (!Number.isInteger(H / KVH)) throw new RangeError('heads must be a multiple of kvHeads');
  const ioFloat = dtype === 'fp16' ? 'float16' : 'float';
  /** A float weight as the graph uses it: float16 storage is cast to float32 where it is read. */
  const fw = (name: string, dims: number[], draw: () => Float32Array): string => {
    if (dtype !== 'fp16') return w(name, dims, draw);
    return g.op('Cast', [g.init(name, dims, toHalf(values(name, dims, draw)))], { to: ELEM.float });
  };
  /** x [.., K] times the weight [K, N] in the export form's representation. */
  const matmul = (x: string, name: string, K: number, N: number, draw: () => Float32Array): string => {
    if (dtype === 'fp32' || dtype === 'fp16') return g.op('MatMul', [x, fw(name, [K, N], draw)]);
    const wt = values(name, [K, N], draw);
    if (dtype === 'q8') {
      // Per-tensor symmetric int8 weights; activations quantized per call (DynamicQuantizeLinear), as quantize_dynamic does.
      let max = 0;
      for (const v of wt) max = Math.max(max, Math.abs(v));
      const scale = max > 0 ? max / 127 : 1;
      const q = new Int8Array(wt.length);
      for (let i = 0; i < wt.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(wt[i] / scale)));
      const [xq, xs, xz] = g.opN('DynamicQuantizeLinear', [x], {}, 3);
      const acc = g.op('MatMulInteger', [xq, g.init(`${name}_quantized`, [K, N], q), xz, g.init(`${name}_zero_point`, [], Int8Array.of(0))]);
      return g.op('Mul', [g.op('Cast', [acc], { to: ELEM.float }), g.op('Mul', [xs, g.scalar(scale)])]);
    }
    // 4-bit: blocks of 32 along K per output column, a float scale per block, zero point 8 (the default).
    const block = 32;
    if (K % block !== 0) throw new RangeError(`q4 needs the input width (${K}) to be a multiple of ${block}`);
    const blocks = K / block;
    const packed = new Uint8Array(N * blocks * (block / 2));
    const scales = new Float32Array(N * blocks);
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < blocks; b++) {
        let max = 0;
        for (let k = b * block; k < (b + 1) * block; k++) max = Math.max(max, Math.abs(wt[k * N + n]));
        const scale = max > 0 ? max / 7 : 1;
        scales[n * blocks + b] = scale;
        for (let i = 0; i < block; i++) {
          const q = Math.max(0, Math.min(15, Math.round(wt[(b * block + i) * N + n] / scale) + 8));
          const at = (n * blocks + b) * (block / 2) + (i >> 1);
          packed[at] |= i % 2 === 0 ? q : q << 4;
        }
      }
    }
    return g.op('com.microsoft:MatMulNBits', [x, g.init(`${name}_Q4`, [N, blocks, block / 2], packed), g.init(`${name}_scales`, [N * blocks], scales)], { K, N, bits: 4, block_size: block });
  };

  const ids = g.input(spec.inputIdsName ?? 'input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const S = g.op('Shape', [ids], { start: 1, end: 2 });
  const T = g.op('Shape', [mask], { start: 1, end: 2 });
  const sScalar = g.op('Squeeze', [S]);
  const tScalar = g.op('Squeeze', [T]);
  const one = g.init(g.fresh('one'), [], BigInt64Array.of(1n));
  const zero = g.init(g.fresh('zero'), [], BigInt64Array.of(0n));
  let positions: string;
  if (spec.withPositionIds) {
    positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  } else if (withCache) {
    // Positions from the attention mask (cumsum - 1), the last S of them, as exports without position_ids do.
    const all = g.op('Sub', [g.op('CumSum', [mask, g.init(g.fresh('axis'), [], BigInt64Array.of(1n))]), one]);
    positions = g.op('Max', [g.op('Slice', [all, g.op('Sub', [T, S]), T, g.ints([1])]), zero]);
  } else {
    positions = g.op('Unsqueeze', [g.op('Range', [zero, sScalar, one]), g.ints([0])]);
  }
  const useCache = withCache && spec.merged === true ? g.input('use_cache_branch', 'bool', [1]) : null;

  const wte = fw('wte', [V, E], () => normalArray(rng.split('wte'), V * E, 1));
  const wpe = fw('wpe', [maxPositions, E], () => normalArray(rng.split('wpe'), maxPositions * E, 0.5));
  let h = g.op('Add', [g.op('Gather', [wte, ids]), g.op('Gather', [wpe, positions])]);

  // Attention bias [B, 1, S, T]: key j is visible from query i (absolute position T-S+i) when j <= T-S+i
  // and attention_mask[b, j] = 1.
  const qpos = g.op('Range', [g.op('Sub', [tScalar, sScalar]), tScalar, one]);
  const kpos = g.op('Range', [zero, tScalar, one]);
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [kpos, g.ints([0])]), g.op('Unsqueeze', [qpos, g.ints([1])])]);
  const maskBool = g.op('Unsqueeze', [g.op('Cast', [mask], { to: 9 }), g.ints([1, 2])]);
  const allowed = g.op('And', [causal, maskBool]);
  const bias = g.op('Where', [allowed, g.scalar(0), g.scalar(-1e4)]);

  const ones = (n: number) => Float32Array.from({ length: n }, () => 1);
  const zeros = (n: number) => new Float32Array(n);
  const splitHeads = (x: string, heads = H) => g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, heads, D])])], { perm: [0, 2, 1, 3] });
  /** [B, KVH, T, D] -> [B, H, T, D], each key/value head serving H / KVH query heads (grouped-query attention). */
  const repeatKv = (x: string) => (KVH === H ? x : g.op('Reshape', [g.op('Tile', [g.op('Unsqueeze', [x, g.ints([2])]), g.ints([1, 1, H / KVH, 1, 1])]), g.ints([0, H, -1, D])]));
  const EK = KVH * D;

  for (let l = 0; l < layers; l++) {
    const r = rng.split(`layer${l}`);
    const x = g.op('LayerNormalization', [h, fw(`ln1_g_${l}`, [E], () => ones(E)), fw(`ln1_b_${l}`, [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
    const q = splitHeads(matmul(x, `wq_${l}`, E, E, () => normalArray(r.split('q'), E * E, 1 / Math.sqrt(E))));
    let k = splitHeads(matmul(x, `wk_${l}`, E, EK, () => normalArray(r.split('k'), E * EK, 1 / Math.sqrt(E))), KVH);
    let v = splitHeads(matmul(x, `wv_${l}`, E, EK, () => normalArray(r.split('v'), E * EK, 1 / Math.sqrt(E))), KVH);
    if (withCache) {
      const past = (kind: string) => {
        const p = g.input(`past_key_values.${l}.${kind}`, ioFloat, ['batch_size', KVH, 'past_sequence_length', D]);
        return dtype === 'fp16' ? g.op('Cast', [p], { to: ELEM.float }) : p;
      };
      const pastK = past('key');
      const pastV = past('value');
      const withPast = (cur: string, p: string): string => {
        if (useCache === null) return g.op('Concat', [p, cur], { axis: 2 });
        const then = g.subgraph(g.fresh('use_cache'), (b) => [b.op('Concat', [p, cur], { axis: 2 })]);
        const otherwise = g.subgraph(g.fresh('no_cache'), (b) => [b.op('Identity', [cur])]);
        return g.op('If', [useCache], { then_branch: { graph: then }, else_branch: { graph: otherwise } });
      };
      k = withPast(k, pastK);
      v = withPast(v, pastV);
      const present = (x: string) => (dtype === 'fp16' ? g.op('Cast', [x], { to: ELEM.float16 }) : x);
      g.output(`present.${l}.key`, present(k), ioFloat, ['batch_size', KVH, 'total_sequence_length', D]);
      g.output(`present.${l}.value`, present(v), ioFloat, ['batch_size', KVH, 'total_sequence_length', D]);
    }
    k = repeatKv(k);
    v = repeatKv(v);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(1 / Math.sqrt(D))]), bias]);
    const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 2, 1, 3] }), g.ints([0, 0, E])]);
    h = g.op('Add', [h, matmul(merged, `wo_${l}`, E, E, () => normalArray(r.split('o'), E * E, 0.5 / Math.sqrt(E)))]);
    const x2 = g.op('LayerNormalization', [h, fw(`ln2_g_${l}`, [E], () => ones(E)), fw(`ln2_b_${l}`, [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
    const m = g.op('Relu', [g.op('Add', [matmul(x2, `w1_${l}`, E, F, () => normalArray(r.split('w1'), E * F, 1 / Math.sqrt(E))), fw(`b1_${l}`, [F], () => zeros(F))])]);
    h = g.op('Add', [h, matmul(m, `w2_${l}`, F, E, () => normalArray(r.split('w2'), F * E, 0.5 / Math.sqrt(F)))]);
  }
  const xf = g.op('LayerNormalization', [h, fw('lnf_g', [E], () => ones(E)), fw('lnf_b', [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
  const lmBias = new Float32Array(K);
  for (const [id, b] of Object.entries(spec.logitBias)) if (Number(id) < K) lmBias[Number(id)] = b;
  let logits = g.op('Add', [matmul(xf, 'lm_head', E, K, () => normalArray(rng.split('lm'), E * K, spec.logitScale / Math.sqrt(E))), fw('lm_bias', [K], () => lmBias)]);
  if (dtype === 'fp16') logits = g.op('Cast', [logits], { to: ELEM.float16 });
  g.output('logits', logits, ioFloat, ['batch_size', 'sequence_length', K]);
  return g;
}

/**
 * A GPT-style decoder (see `buildDecoderGraph`) serialised; the same spec always gives the same bytes.
 */
export function buildDecoder(spec: DecoderSpec): Uint8Array {
  return buildDecoderGraph(spec).toBytes('tiny-decoder', spec.producer);
}

/** Which reward head a tiny reward model has (see `buildRewardHead`). */
export type RewardHeadKind = 'step-tag' | 'classifier' | 'value';

/** Characters whose count drives the tiny reward heads: each `y` is evidence for "good", each `n` for "bad". */
export const GOOD_CHAR = 'y';
export const BAD_CHAR = 'n';
/** LM tokens read by the step-tag head (Math-Shepherd reads "+" and "-"). */
export const GOOD_TOKEN = '+';
export const BAD_TOKEN = '-';

/**
 * A reward model whose output at position t is a running count over tokens 0..t (CumSum of a token
 * table, masked by attention_mask), so every score is a known function of the text:
 * - `step-tag`: LM logits [B, T, V]; logit(`+`) = #y, logit(`-`) = #n up to t, so
 *   P(+)/(P(+)+P(-)) at a tag = sigmoid(#y - #n) over the text up to the tag.
 * - `classifier`: logits [B, T, 2] = [#n, #y]; P(class 1) = sigmoid(#y - #n).
 * - `value`: logits [B, T, 1] = #y - #n; sigmoid at the last token = sigmoid(#y - #n).
 */
export function buildRewardHead(kind: RewardHeadKind): Uint8Array {
  const V = VOCAB_SIZE;
  const width = kind === 'step-tag' ? V : kind === 'classifier' ? 2 : 1;
  const table = new Float32Array(V * width);
  const y = charId(GOOD_CHAR);
  const n = charId(BAD_CHAR);
  if (kind === 'step-tag') {
    table[y * width + charId(GOOD_TOKEN)] = 1;
    table[n * width + charId(BAD_TOKEN)] = 1;
  } else if (kind === 'classifier') {
    table[y * width + 1] = 1;
    table[n * width + 0] = 1;
  } else {
    table[y] = 1;
    table[n] = -1;
  }
  const g = new GraphBuilder();
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const rows = g.op('Gather', [g.init('head_table', [V, width], table), ids]);
  const maskF = g.op('Unsqueeze', [g.op('Cast', [mask], { to: 1 }), g.ints([2])]);
  const axis = g.init(g.fresh('axis'), [], BigInt64Array.of(1n));
  const logits = g.op('CumSum', [g.op('Mul', [rows, maskF]), axis]);
  g.output('logits', logits, 'float', ['batch_size', 'sequence_length', width]);
  return g.toBytes(`tiny-${kind}`);
}

/** Writes an Optimum-style model directory: config files, tokenizer files and the model (default `onnx/model.onnx`). */
export function writeModelDir(dir: string, model: Uint8Array, config: Record<string, unknown>, file = join('onnx', 'model.onnx'), externalData: Uint8Array | null = null, tokenizerExtra: Record<string, unknown> = {}): string {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), model);
  if (externalData !== null) writeFileSync(join(dir, `${file}_data`), externalData);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(charTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>', model_max_length: config.max_position_embeddings ?? 512, tokenizer_class: 'PreTrainedTokenizerFast', ...tokenizerExtra }, null, 2),
  );
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: EOS_ID, pad_token_id: PAD_ID }, null, 2));
  return dir;
}

export function decoderConfig(spec: DecoderSpec): Record<string, unknown> {
  return {
    model_type: 'tiny-gpt',
    architectures: ['TinyGPTForCausalLM'],
    vocab_size: VOCAB_SIZE,
    hidden_size: spec.hidden,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads ?? spec.heads,
    head_dim: spec.hidden / spec.heads,
    max_position_embeddings: spec.maxPositions,
    eos_token_id: EOS_ID,
    pad_token_id: PAD_ID,
    use_cache: spec.withCache,
  };
}

/** How a decoder directory is laid out besides its graph. */
export interface DecoderLayout {
  /** Weights in `<model file>_data` (ONNX external data), as large exports store them. */
  externalData?: boolean;
  /** Extra tokenizer_config.json fields (e.g. a chat_template). */
  tokenizerConfig?: Record<string, unknown>;
}

/** The file transformers.js looks for: onnx/model{suffix}.onnx, or onnx/decoder_model_merged{suffix}.onnx. */
export function decoderFileName(spec: DecoderSpec): string {
  return join('onnx', `${spec.merged === true ? 'decoder_model_merged' : 'model'}${DTYPE_SUFFIX[spec.dtype ?? 'fp32']}.onnx`);
}

/** Builds one decoder directory. */
export function writeDecoderDir(dir: string, spec: DecoderSpec, layout: DecoderLayout = {}): string {
  const file = decoderFileName(spec);
  const g = buildDecoderGraph(spec);
  const base = file.split(/[\\/]/).pop()!;
  const { model, data } = g.serialise('tiny-decoder', spec.producer ?? 'mcts-gen build-tiny-models', layout.externalData === true ? { file: `${base}_data`, threshold: 1024 } : undefined);
  return writeModelDir(dir, model, decoderConfig(spec), file, data, layout.tokenizerConfig);
}

/** Directories written by `buildTinyModels`, by role. */
export interface TinyModelDirs {
  /** 2 layers x 32 wide, with KV cache. */
  decoder: string;
  /** The same weights without a cache (and without position_ids). */
  decoderNoCache: string;
  /** The decoder with `input_ids` renamed to `ids` (a wrong signature). */
  decoderBadInputs: string;
  prmStepTag: string;
  prmClassifier: string;
  ormValue: string;
  /** 4 layers x 256 wide (only with `large: true`). */
  decoderLarge?: string;
}

/** Builds every tiny model under `outDir` (deterministic: same seed, same bytes). */
export function buildTinyModels(outDir: string, options: { large?: boolean } = {}): TinyModelDirs {
  const rewardConfig = (kind: RewardHeadKind) => ({ model_type: `tiny-${kind}`, vocab_size: VOCAB_SIZE, max_position_embeddings: 4096, eos_token_id: EOS_ID, pad_token_id: PAD_ID });
  const dirs: TinyModelDirs = {
    decoder: writeDecoderDir(join(outDir, 'tiny-decoder'), TINY_DECODER),
    decoderNoCache: writeDecoderDir(join(outDir, 'tiny-decoder-nocache'), { ...TINY_DECODER, withCache: false, withPositionIds: false }),
    decoderBadInputs: writeDecoderDir(join(outDir, 'tiny-decoder-bad-inputs'), { ...TINY_DECODER, inputIdsName: 'ids' }),
    prmStepTag: writeModelDir(join(outDir, 'tiny-prm-step-tag'), buildRewardHead('step-tag'), rewardConfig('step-tag')),
    prmClassifier: writeModelDir(join(outDir, 'tiny-prm-classifier'), buildRewardHead('classifier'), rewardConfig('classifier')),
    ormValue: writeModelDir(join(outDir, 'tiny-orm-value'), buildRewardHead('value'), rewardConfig('value')),
  };
  if (options.large === true) {
    dirs.decoderLarge = writeDecoderDir(join(outDir, 'decoder-4x256'), { ...TINY_DECODER, layers: 4, hidden: 256, heads: 4, maxPositions: 1024, seed: 11 });
  }
  return dirs;
}
