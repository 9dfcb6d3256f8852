// The trained model's architecture and parameters: a GPT-style decoder (pre-LayerNorm blocks, ReLU MLP,
// learned positions), the same function `buildDecoder` exports, with either a language-model head
// (the policy) or a 2-class head read at step separators (the PRM). Parameters are named as the
// exported graph's initializers, so a checkpoint is exactly what the export writes.

import { Rng } from '../../src/core/rng.js';

export type HeadKind = 'lm' | 'classifier';

export interface ModelSpec {
  layers: number;
  /** Model width. */
  hidden: number;
  heads: number;
  /** MLP width. */
  ffn: number;
  /** Size of the position table (the longest training or inference sequence). */
  maxPositions: number;
  vocabSize: number;
  /** `lm`: next-token logits over the vocabulary; `classifier`: 2 logits (bad, good) per position. */
  head: HeadKind;
}

export interface ParamInfo {
  name: string;
  dims: number[];
  /** Standard deviation of the initial normal draw; null = constant `fill`. */
  std: number | null;
  fill: number;
  /** Decoupled weight decay applies (matrices other than embeddings). */
  decay: boolean;
}

/** Every parameter of a spec, in a fixed order (the order of the training graph's inputs). */
export function paramInfos(spec: ModelSpec): ParamInfo[] {
  const { layers, hidden: E, ffn: F, maxPositions: P, vocabSize: V } = spec;
  const K = spec.head === 'lm' ? V : 2;
  const residualStd = 0.02 / Math.sqrt(2 * layers);
  const out: ParamInfo[] = [
    { name: 'wte', dims: [V, E], std: 0.02, fill: 0, decay: false },
    { name: 'wpe', dims: [P, E], std: 0.01, fill: 0, decay: false },
  ];
  const vec = (name: string, n: number, fill: number): ParamInfo => ({ name, dims: [n], std: null, fill, decay: false });
  const mat = (name: string, dims: number[], std: number): ParamInfo => ({ name, dims, std, fill: 0, decay: true });
  for (let l = 0; l < layers; l++) {
    out.push(
      vec(`ln1_g_${l}`, E, 1),
      vec(`ln1_b_${l}`, E, 0),
      mat(`wq_${l}`, [E, E], 0.02),
      mat(`wk_${l}`, [E, E], 0.02),
      mat(`wv_${l}`, [E, E], 0.02),
      mat(`wo_${l}`, [E, E], residualStd),
      vec(`ln2_g_${l}`, E, 1),
      vec(`ln2_b_${l}`, E, 0),
      mat(`w1_${l}`, [E, F], 0.02),
      vec(`b1_${l}`, F, 0),
      mat(`w2_${l}`, [F, E], residualStd),
    );
  }
  out.push(vec('lnf_g', E, 1), vec('lnf_b', E, 0), mat('lm_head', [E, K], 0.02), vec('lm_bias', K, 0));
  return out;
}

export function paramCount(spec: ModelSpec): number {
  let n = 0;
  for (const p of paramInfos(spec)) n += p.dims.reduce((a, b) => a * b, 1);
  return n;
}

/** Initial parameters drawn from `seed` (deterministic). */
export function initParams(spec: ModelSpec, seed: number): Map<string, Float32Array> {
  const rng = Rng.fromSeed(seed).split('init');
  const out = new Map<string, Float32Array>();
  for (const p of paramInfos(spec)) {
    const n = p.dims.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (p.std === null) a.fill(p.fill);
    else {
      const r = rng.split(p.name);
      for (let i = 0; i < n; i++) a[i] = r.normal() * p.std;
    }
    out.set(p.name, a);
  }
  return out;
}

/** Checks a spec's numbers (positive integers; heads divide the width). */
export function validateSpec(spec: ModelSpec): void {
  for (const key of ['layers', 'hidden', 'heads', 'ffn', 'maxPositions', 'vocabSize'] as const) {
    const v = spec[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`model.${key} must be a positive integer (got ${v})`);
  }
  if (spec.hidden % spec.heads !== 0) throw new RangeError(`model.hidden (${spec.hidden}) must be a multiple of model.heads (${spec.heads})`);
}
