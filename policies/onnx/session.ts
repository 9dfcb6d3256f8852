// onnxruntime-node sessions for the onnx backend: lazy import of the runtime (importing mcts-gen
// never loads it), session options (execution providers, threads), the model's input/output signature
// checked against the Optimum layout, and timed runs. Imports src/core and, lazily, onnxruntime-node.

import { z } from 'zod';
import type * as OrtModule from 'onnxruntime-node';
import { McgError, intIn, oneOf } from '../../src/core/index.js';
import { MODEL_DTYPES, type ModelConfig, type ModelDtype } from './model-dir.js';

export type Ort = typeof OrtModule;
export type OrtTensor = OrtModule.Tensor;
export type OrtSession = OrtModule.InferenceSession;

let ortPromise: Promise<Ort> | undefined;

/** Imports onnxruntime-node once, on first use. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default ?? m) as Ort,
    (err: unknown) => {
      ortPromise = undefined;
      throw new McgError('PLUGIN_UNAVAILABLE', `onnxruntime-node could not be loaded: ${(err as Error).message}`, { cause: err });
    },
  );
  return ortPromise;
}

const executionProvider = z.union([
  z.string().min(1, { error: 'must be an execution provider name (e.g. "cpu", "cuda")' }),
  z.looseObject({ name: z.string().min(1) }),
]);

/** Options every onnx plugin takes: where the model is and how onnxruntime runs it. */
export const sessionOptionsShape = {
  /** Model directory (Optimum / transformers.js layout), relative to the config file's directory. */
  modelDir: z.string({ error: 'must be a model directory path (a string)' }).min(1, { error: 'must be a model directory path (a string)' }),
  /** ONNX file relative to `modelDir`; default: onnx/model.onnx, onnx/decoder_model_merged.onnx, model.onnx, decoder_model_merged.onnx. */
  modelFile: z.string().min(1).optional(),
  /** Export form, by transformers.js's names: picks onnx/model{_fp16,_quantized,_int8,_uint8,_q4,_q4f16,_bnb4}.onnx (default fp32). */
  dtype: oneOf(Object.keys(MODEL_DTYPES) as [ModelDtype, ...ModelDtype[]]).optional(),
  /** onnxruntime execution providers in order of preference, e.g. ["cuda", "cpu"] (CUDA needs onnxruntime-node's GPU build). */
  executionProviders: z.array(executionProvider).min(1).default(['cpu']),
  /** Threads inside one operator; 0 = onnxruntime's default (the physical cores). */
  intraOpNumThreads: intIn(0, 1024).default(0),
  /** Threads across independent operators; 0 = onnxruntime's default. */
  interOpNumThreads: intIn(0, 1024).default(0),
  /** Graph optimisations applied when the session is created. */
  graphOptimizationLevel: oneOf(['disabled', 'basic', 'extended', 'all']).default('all'),
};

export type SessionOptions = {
  modelFile?: string | undefined;
  dtype?: ModelDtype | undefined;
  executionProviders: (string | { name: string })[];
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
};

/** Creates a session; a file onnxruntime cannot load is PLUGIN_UNAVAILABLE naming the file. */
export async function createSession(ort: Ort, modelPath: string, options: SessionOptions): Promise<OrtSession> {
  const sessionOptions: OrtModule.InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders as OrtModule.InferenceSession.SessionOptions['executionProviders'],
    graphOptimizationLevel: options.graphOptimizationLevel,
  };
  if (options.intraOpNumThreads > 0) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
  if (options.interOpNumThreads > 0) sessionOptions.interOpNumThreads = options.interOpNumThreads;
  try {
    return await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (err) {
    throw new McgError('PLUGIN_UNAVAILABLE', `${modelPath} could not be loaded by onnxruntime (expected an ONNX model): ${(err as Error).message}`, { cause: err });
  }
}

export type KvDtype = 'float32' | 'float16';

/** What the backend feeds and reads, derived from the session's metadata (and config.json for symbolic dims). */
export interface ModelSignature {
  modelPath: string;
  idsType: 'int64' | 'int32';
  hasAttentionMask: boolean;
  hasPositionIds: boolean;
  hasTokenTypeIds: boolean;
  /** Merged decoders (decoder_model_merged.onnx) take a boolean `use_cache_branch`. */
  hasUseCacheBranch: boolean;
  /** Layers with past_key_values inputs; 0 = no cache. */
  cacheLayers: number;
  kvHeads: number;
  headDim: number;
  kvDtype: KvDtype;
  /** Name of the scores output (`logits` unless configured). */
  logitsName: string;
}

const KNOWN_INPUTS = 'input_ids, attention_mask, position_ids, token_type_ids, use_cache_branch, past_key_values.{i}.key/value';
const PAST_RE = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT_RE = /^present\.(\d+)\.(key|value)$/;

function tensorMeta(session: OrtSession, name: string, inputs: boolean): { type: string; shape: readonly (number | string)[] } | undefined {
  const list = inputs ? session.inputMetadata : session.outputMetadata;
  const m = list?.find((x) => x.name === name);
  if (m === undefined || !m.isTensor) return undefined;
  return { type: m.type, shape: m.shape };
}

/**
 * Checks the model's inputs and outputs against the Optimum decoder layout and returns how to feed it.
 * Unknown inputs, a missing `input_ids` or `logits` output, or past inputs without present outputs
 * are PLUGIN_UNAVAILABLE naming the file and the expected names.
 */
export function analyzeSignature(session: OrtSession, modelPath: string, config: ModelConfig, logitsName = 'logits'): ModelSignature {
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  const bad = (what: string) => new McgError('PLUGIN_UNAVAILABLE', `${modelPath}: ${what}`, { details: { file: modelPath, inputs: [...inputs], outputs: [...outputs] } });
  if (!inputs.includes('input_ids')) {
    throw bad(`has no input "input_ids" (inputs: ${inputs.join(', ') || 'none'}); expected the Optimum decoder inputs ${KNOWN_INPUTS}`);
  }
  const layers = new Set<number>();
  for (const name of inputs) {
    const m = PAST_RE.exec(name);
    if (m !== null) {
      layers.add(Number(m[1]));
      continue;
    }
    if (!['input_ids', 'attention_mask', 'position_ids', 'token_type_ids', 'use_cache_branch'].includes(name)) {
      throw bad(`input "${name}" is not supported; expected only ${KNOWN_INPUTS}`);
    }
  }
  if (!outputs.includes(logitsName)) {
    throw bad(`has no output "${logitsName}" (outputs: ${outputs.join(', ') || 'none'}); expected "${logitsName}" and, with a cache, present.{i}.key/value`);
  }
  const cacheLayers = layers.size;
  for (let l = 0; l < cacheLayers; l++) {
    for (const kv of ['key', 'value']) {
      if (!inputs.includes(`past_key_values.${l}.${kv}`)) throw bad(`input past_key_values.${l}.${kv} is missing (layers must be numbered 0..${cacheLayers - 1})`);
      if (!outputs.includes(`present.${l}.${kv}`)) throw bad(`output present.${l}.${kv} is missing: a model with past_key_values inputs must return present.{i}.key/value`);
    }
  }
  const presents = outputs.filter((o) => PRESENT_RE.test(o)).length;
  if (cacheLayers === 0 && presents > 0) throw bad('returns present.{i}.key/value but takes no past_key_values inputs');

  const ids = tensorMeta(session, 'input_ids', true);
  const idsType = ids?.type === 'int32' ? 'int32' : 'int64';
  let kvHeads = config.numKvHeads ?? 0;
  let headDim = config.headDim ?? 0;
  let kvDtype: KvDtype = 'float32';
  if (cacheLayers > 0) {
    const past = tensorMeta(session, 'past_key_values.0.key', true);
    if (past !== undefined) {
      if (typeof past.shape[1] === 'number' && past.shape[1] > 0) kvHeads = past.shape[1];
      if (typeof past.shape[3] === 'number' && past.shape[3] > 0) headDim = past.shape[3];
      if (past.type === 'float16') kvDtype = 'float16';
      else if (past.type !== 'float32') throw bad(`past_key_values.0.key has type ${past.type}; expected float32 or float16`);
    }
    if (!(kvHeads > 0) || !(headDim > 0)) {
      throw bad('the cache shape is symbolic and config.json gives no num_key_value_heads / head_dim (or hidden_size and num_attention_heads)');
    }
  }
  return {
    modelPath,
    idsType,
    hasAttentionMask: inputs.includes('attention_mask'),
    hasPositionIds: inputs.includes('position_ids'),
    hasTokenTypeIds: inputs.includes('token_type_ids'),
    hasUseCacheBranch: inputs.includes('use_cache_branch'),
    cacheLayers,
    kvHeads,
    headDim,
    kvDtype,
    logitsName,
  };
}

/** An integer tensor of the model's id type. */
export function intTensor(ort: Ort, type: 'int64' | 'int32', values: ArrayLike<number>, dims: number[]): OrtTensor {
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor('int64', data, dims);
}

/** A tensor's data as float32 (float16 data is converted). */
export function floatData(t: OrtTensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const src = t.data as unknown as Uint16Array | Float32Array;
    if (src instanceof Float32Array) return src;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]);
    return out;
  }
  throw new McgError('PLUGIN_FAILED', `expected a float tensor, got ${t.type}`);
}

/**
 * The last position of each row of [batch, seq, V] logits as float32 [batch, V]. For float16 this converts
 * batch x V values instead of batch x seq x V; float32 data is sliced.
 */
export function lastPositionFloats(t: OrtTensor): Float32Array {
  const [batch, seq, v] = t.dims;
  const out = new Float32Array(batch * v);
  const src = t.type === 'float32' ? (t.data as Float32Array) : t.type === 'float16' ? (t.data as unknown as Uint16Array | Float32Array) : null;
  if (src === null) throw new McgError('PLUGIN_FAILED', `expected a float tensor, got ${t.type}`);
  for (let b = 0; b < batch; b++) {
    const from = (b * seq + seq - 1) * v;
    if (src instanceof Float32Array) out.set(src.subarray(from, from + v), b * v);
    else for (let i = 0; i < v; i++) out[b * v + i] = halfToFloat(src[from + i]);
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f === 0 ? s * Infinity : Number.NaN;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Disposes every tensor in a list or record (null entries ignored). */
export function disposeAll(tensors: Iterable<OrtTensor | undefined | null> | Record<string, OrtTensor | undefined | null>): void {
  const list = Symbol.iterator in Object(tensors) ? (tensors as Iterable<OrtTensor | undefined | null>) : Object.values(tensors);
  for (const t of list) t?.dispose();
}
