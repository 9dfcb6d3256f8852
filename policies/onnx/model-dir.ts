// Reads a model directory as Hugging Face Optimum / transformers.js export it: config.json,
// tokenizer.json, tokenizer_config.json, generation_config.json and the ONNX file. Every missing or
// malformed file is an McgError('PLUGIN_UNAVAILABLE') naming the file and what was expected.
// Imports node:fs, src/core and (lazily) @huggingface/tokenizers.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { McgError } from '../../src/core/index.js';

/** ONNX files looked for, in order, when `modelFile` is not given (relative to the model directory). */
export const MODEL_FILE_CANDIDATES = ['onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'model.onnx', 'decoder_model_merged.onnx'] as const;

/** Export forms by the names transformers.js uses, and the suffix of their files (`onnx/model_q4.onnx`). */
export const MODEL_DTYPES = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4' } as const;
export type ModelDtype = keyof typeof MODEL_DTYPES;

/** The files looked for, in order, for one export form. */
export function modelFileCandidates(dtype: ModelDtype): string[] {
  const suffix = MODEL_DTYPES[dtype];
  return MODEL_FILE_CANDIDATES.map((c) => c.replace(/\.onnx$/, `${suffix}.onnx`));
}

/** What the backend reads from config.json (Hugging Face field names; GPT-2 aliases accepted). */
export interface ModelConfig {
  numLayers: number | undefined;
  numKvHeads: number | undefined;
  headDim: number | undefined;
  /** max_position_embeddings / n_positions / n_ctx, when given. */
  maxPositions: number | undefined;
  eosTokenIds: number[];
  padTokenId: number | undefined;
  raw: Record<string, unknown>;
}

/** A loaded tokenizer: ids in, text out. Special tokens are matched as single tokens when encoding. */
export interface TextTokenizer {
  /** Token ids of `text`; `addSpecialTokens` applies the tokenizer's post-processor (e.g. a BOS token). */
  encode(text: string, addSpecialTokens: boolean): number[];
  /** Text of `ids`, special tokens kept. */
  decode(ids: readonly number[]): string;
  /** Id of a token given by its exact vocabulary string (added tokens included), if any. */
  tokenId(token: string): number | undefined;
}

export interface ModelDirectory {
  dir: string;
  /** Absolute path of the ONNX file. */
  modelPath: string;
  config: ModelConfig;
  tokenizerConfig: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  tokenizer: TextTokenizer;
}

function unavailable(message: string, cause?: unknown): McgError {
  return new McgError('PLUGIN_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

/** Parses a JSON object file; `required` files must exist. */
export function readJsonObject(path: string, what: string, required: boolean): Record<string, unknown> | undefined {
  if (!existsSync(path)) {
    if (!required) return undefined;
    throw unavailable(`${path} is missing: expected ${what}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw unavailable(`${path} is not valid JSON (expected ${what}): ${(err as Error).message}`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unavailable(`${path} must hold a JSON object (${what}), got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

function optionalInt(obj: Record<string, unknown>, file: string, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw unavailable(`${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  return undefined;
}

function tokenIds(obj: Record<string, unknown>, file: string, key: string): number[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw unavailable(`${file}: "${key}" must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
  }
  return list as number[];
}

/** Reads config.json into the fields the backend uses. */
export function parseModelConfig(raw: Record<string, unknown>, file: string, generation: Record<string, unknown>, genFile: string): ModelConfig {
  const heads = optionalInt(raw, file, 'num_attention_heads', 'n_head');
  const hidden = optionalInt(raw, file, 'hidden_size', 'n_embd', 'd_model');
  const headDim = optionalInt(raw, file, 'head_dim') ?? (heads !== undefined && hidden !== undefined && heads > 0 ? hidden / heads : undefined);
  const eos = tokenIds(generation, genFile, 'eos_token_id') ?? tokenIds(raw, file, 'eos_token_id') ?? [];
  return {
    numLayers: optionalInt(raw, file, 'num_hidden_layers', 'n_layer', 'num_layers'),
    numKvHeads: optionalInt(raw, file, 'num_key_value_heads', 'multi_query_group_num') ?? heads,
    headDim: headDim !== undefined && Number.isInteger(headDim) ? headDim : undefined,
    maxPositions: optionalInt(raw, file, 'max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length'),
    eosTokenIds: [...new Set(eos)],
    padTokenId: tokenIds(generation, genFile, 'pad_token_id')?.[0] ?? tokenIds(raw, file, 'pad_token_id')?.[0],
    raw,
  };
}

/**
 * Resolves the ONNX file: `modelFile` (relative to the directory), or the first candidate of the export
 * form `dtype` (fp32 when not given). A missing file names the forms the directory does have.
 */
export function resolveModelFile(dir: string, modelFile: string | undefined, dtype: ModelDtype | undefined = undefined): string {
  if (modelFile !== undefined) {
    const p = isAbsolute(modelFile) ? modelFile : join(dir, modelFile);
    if (!existsSync(p)) throw unavailable(`${p} is missing: expected the ONNX model file given in options.modelFile`);
    return p;
  }
  const candidates = modelFileCandidates(dtype ?? 'fp32');
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  const others = (Object.keys(MODEL_DTYPES) as ModelDtype[]).filter((d) => d !== (dtype ?? 'fp32') && modelFileCandidates(d).some((c) => existsSync(join(dir, c))));
  const hint = others.length > 0 ? `; this directory has the ${others.map((d) => `"${d}"`).join(', ')} form${others.length > 1 ? 's' : ''}: set options.dtype` : ' (or set options.modelFile)';
  throw unavailable(`${join(dir, candidates[0])} is missing: expected an ONNX model at one of ${candidates.join(', ')} under ${dir}${hint}`);
}

/** Loads tokenizer.json (+ tokenizer_config.json) with @huggingface/tokenizers. */
export async function loadTokenizer(dir: string, tokenizerConfig: Record<string, unknown>): Promise<TextTokenizer> {
  const file = join(dir, 'tokenizer.json');
  const json = readJsonObject(file, 'a Hugging Face tokenizer (tokenizer.json with "model", "added_tokens", ...)', true)!;
  if (typeof json.model !== 'object' || json.model === null) {
    throw unavailable(`${file} has no "model" object: expected a Hugging Face tokenizer.json (as saved by tokenizers / transformers)`);
  }
  let mod: typeof import('@huggingface/tokenizers');
  try {
    mod = await import('@huggingface/tokenizers');
  } catch (err) {
    throw unavailable(`@huggingface/tokenizers could not be loaded: ${(err as Error).message}`, err);
  }
  let tok: InstanceType<typeof mod.Tokenizer>;
  try {
    tok = new mod.Tokenizer(json, tokenizerConfig);
    tok.encode('a');
  } catch (err) {
    throw unavailable(`${file} could not be loaded as a tokenizer: ${(err as Error).message}`, err);
  }
  return {
    encode: (text, addSpecialTokens) => tok.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    decode: (ids) => tok.decode(ids as number[], { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    tokenId: (token) => tok.token_to_id(token),
  };
}

/** Bytes per weight of each export form (quantized forms by their packed weight size). */
const WEIGHT_BYTES: Record<ModelDtype, number> = { fp32: 4, fp16: 2, q8: 1, int8: 1, uint8: 1, q4: 0.5, q4f16: 0.5, bnb4: 0.5 };

/**
 * About how many weights the model has: the bytes of its ONNX file and of the external data files next to
 * it (`model.onnx_data`, `model.onnx.data`, ...), over the bytes per weight of its form.
 */
export function estimateWeightCount(modelPath: string, dtype: ModelDtype | undefined): number {
  const dir = dirname(modelPath);
  const name = basename(modelPath);
  let bytes = 0;
  for (const f of readdirSync(dir)) {
    if (f === name || f.startsWith(`${name}_data`) || f.startsWith(`${name}.data`)) bytes += statSync(join(dir, f)).size;
  }
  return Math.round(bytes / WEIGHT_BYTES[dtype ?? 'fp32']);
}

/**
 * Reads a model directory. Required: the directory, config.json, tokenizer.json and the ONNX file;
 * tokenizer_config.json and generation_config.json are read when present (and must then be valid).
 */
export async function readModelDirectory(modelDir: string, baseDir: string, modelFile: string | undefined, dtype?: ModelDtype): Promise<ModelDirectory> {
  const dir = resolve(baseDir, modelDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw unavailable(`${dir} is not a directory: expected a model directory (config.json, tokenizer.json, onnx/model.onnx) as exported by Optimum or transformers.js`);
  }
  const configFile = join(dir, 'config.json');
  const raw = readJsonObject(configFile, 'the model configuration (config.json from transformers)', true)!;
  const genFile = join(dir, 'generation_config.json');
  const generation = readJsonObject(genFile, 'the generation configuration (generation_config.json)', false) ?? {};
  const tokConfigFile = join(dir, 'tokenizer_config.json');
  const tokenizerConfig = readJsonObject(tokConfigFile, 'the tokenizer configuration (tokenizer_config.json)', false) ?? {};
  const config = parseModelConfig(raw, configFile, generation, genFile);
  const modelPath = resolveModelFile(dir, modelFile, dtype);
  const tokenizer = await loadTokenizer(dir, tokenizerConfig);
  return { dir, modelPath, config, tokenizerConfig, generationConfig: generation, tokenizer };
}
