// Tiny ONNX models for tests and benchmarks, laid out as Hugging Face Optimum / transformers.js exports
// (config.json, tokenizer.json, tokenizer_config.json, generation_config.json, onnx/model.onnx):
// a GPT-style decoder with and without a KV cache, and one model per reward head, all from a seed.
// Imports onnx-proto (through ./graph.ts) and src/core's Rng only.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { GraphBuilder } from './graph.js';

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
 * so the cached and uncached variants of one spec compute the same function.
 */
export function buildDecoder(spec: DecoderSpec): Uint8Array {
  const { layers, hidden: E, heads: H, maxPositions, withCache } = spec;
  const D = E / H;
  if (!Number.isInteger(D)) throw new RangeError('hidden must be a multiple of heads');
  const V = VOCAB_SIZE;
  const F = spec.ffn ?? 4 * E;
  const K = spec.outputs ?? V;
  const rng = Rng.fromSeed(spec.seed).split('decoder');
  const g = new GraphBuilder();
  /** A weight: the trained one when given (its size checked), else drawn by `draw`. */
  const w = (name: string, dims: number[], draw: () => Float32Array): string => {
    const given = spec.weights?.get(name);
    const size = dims.reduce((a, b) => a * b, 1);
    if (given !== undefined && given.length !== size) throw new RangeError(`weight ${name} has ${given.length} values; [${dims.join(', ')}] needs ${size}`);
    return g.init(name, dims, given ?? draw());
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
  } else {
    positions = g.op('Unsqueeze', [g.op('Range', [zero, sScalar, one]), g.ints([0])]);
  }

  const wte = w('wte', [V, E], () => normalArray(rng.split('wte'), V * E, 1));
  const wpe = w('wpe', [maxPositions, E], () => normalArray(rng.split('wpe'), maxPositions * E, 0.5));
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
  const splitHeads = (x: string) => g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, H, D])])], { perm: [0, 2, 1, 3] });

  for (let l = 0; l < layers; l++) {
    const r = rng.split(`layer${l}`);
    const x = g.op('LayerNormalization', [h, w(`ln1_g_${l}`, [E], () => ones(E)), w(`ln1_b_${l}`, [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
    const q = splitHeads(g.op('MatMul', [x, w(`wq_${l}`, [E, E], () => normalArray(r.split('q'), E * E, 1 / Math.sqrt(E)))]));
    let k = splitHeads(g.op('MatMul', [x, w(`wk_${l}`, [E, E], () => normalArray(r.split('k'), E * E, 1 / Math.sqrt(E)))]));
    let v = splitHeads(g.op('MatMul', [x, w(`wv_${l}`, [E, E], () => normalArray(r.split('v'), E * E, 1 / Math.sqrt(E)))]));
    if (withCache) {
      const pastK = g.input(`past_key_values.${l}.key`, 'float', ['batch_size', H, 'past_sequence_length', D]);
      const pastV = g.input(`past_key_values.${l}.value`, 'float', ['batch_size', H, 'past_sequence_length', D]);
      k = g.op('Concat', [pastK, k], { axis: 2 });
      v = g.op('Concat', [pastV, v], { axis: 2 });
      g.output(`present.${l}.key`, k, 'float', ['batch_size', H, 'total_sequence_length', D]);
      g.output(`present.${l}.value`, v, 'float', ['batch_size', H, 'total_sequence_length', D]);
    }
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(1 / Math.sqrt(D))]), bias]);
    const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 2, 1, 3] }), g.ints([0, 0, E])]);
    h = g.op('Add', [h, g.op('MatMul', [merged, w(`wo_${l}`, [E, E], () => normalArray(r.split('o'), E * E, 0.5 / Math.sqrt(E)))])]);
    const x2 = g.op('LayerNormalization', [h, w(`ln2_g_${l}`, [E], () => ones(E)), w(`ln2_b_${l}`, [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
    const m = g.op('Relu', [g.op('Add', [g.op('MatMul', [x2, w(`w1_${l}`, [E, F], () => normalArray(r.split('w1'), E * F, 1 / Math.sqrt(E)))]), w(`b1_${l}`, [F], () => zeros(F))])]);
    h = g.op('Add', [h, g.op('MatMul', [m, w(`w2_${l}`, [F, E], () => normalArray(r.split('w2'), F * E, 0.5 / Math.sqrt(F)))])]);
  }
  const xf = g.op('LayerNormalization', [h, w('lnf_g', [E], () => ones(E)), w('lnf_b', [E], () => zeros(E))], { axis: -1, epsilon: 1e-5 });
  const lmBias = new Float32Array(K);
  for (const [id, b] of Object.entries(spec.logitBias)) if (Number(id) < K) lmBias[Number(id)] = b;
  const logits = g.op('Add', [g.op('MatMul', [xf, w('lm_head', [E, K], () => normalArray(rng.split('lm'), E * K, spec.logitScale / Math.sqrt(E)))]), w('lm_bias', [K], () => lmBias)]);
  g.output('logits', logits, 'float', ['batch_size', 'sequence_length', K]);
  return g.toBytes('tiny-decoder', spec.producer);
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

/** Writes an Optimum-style model directory: config files, tokenizer files and `onnx/model.onnx`. */
export function writeModelDir(dir: string, model: Uint8Array, config: Record<string, unknown>): string {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), model);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(charTokenizerJson()));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>', model_max_length: config.max_position_embeddings ?? 512, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2),
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
    num_key_value_heads: spec.heads,
    head_dim: spec.hidden / spec.heads,
    max_position_embeddings: spec.maxPositions,
    eos_token_id: EOS_ID,
    pad_token_id: PAD_ID,
    use_cache: spec.withCache,
  };
}

/** Builds one decoder directory. */
export function writeDecoderDir(dir: string, spec: DecoderSpec): string {
  return writeModelDir(dir, buildDecoder(spec), decoderConfig(spec));
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
