// Writes trained weights as a Hugging Face Optimum / transformers.js model directory that the `onnx`
// policy (KV-cache decoder) or the `onnx-prm` classifier loads with no special case, and measures a
// policy's greedy solutions on built-in problems (well-formed, per-step arithmetic, final answer).

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { emptyUsage, type Problem, type WorkedStep } from '../../src/core/types.js';
import { applyOp, solveWorked, workedSolutionOf } from '../../src/core/worked.js';
import { arithProblemAt } from '../../src/tasks/arith.js';
import { EMBEDDED_POLICY_DEFAULTS, EMBEDDED_PRM_DEFAULTS, createOnnxPolicy, onnxPolicyOptions } from '../../policies/onnx/index.js';
import { buildDecoder, decoderConfig, writeModelDir, type DecoderSpec } from '../onnx/tiny-models.js';
import { paramInfos, validateSpec, type ModelSpec } from './model.js';
import onnxProto from 'onnx-proto';


function decoderSpecOf(spec: ModelSpec, weights: ReadonlyMap<string, Float32Array>): DecoderSpec {
  const policy = spec.head === 'lm';
  return {
    layers: spec.layers,
    hidden: spec.hidden,
    heads: spec.heads,
    ffn: spec.ffn,
    maxPositions: spec.maxPositions,
    seed: 0,
    withCache: policy,
    withPositionIds: policy,
    logitScale: 1,
    logitBias: {},
    outputs: policy ? spec.vocabSize : 2,
    weights,
    producer: 'mcts-gen trainer',
  };
}

/** How `mcts-gen.json` says to run a model: a plugin kind and its options. */
export interface RunAs {
  kind: string;
  options: Record<string, unknown>;
}

/** Run options of a generative PRM (an LM-head model scored by `onnx-prm` head "generative"). */
export function generativePrmRunAs(scale: number, bias: number): RunAs {
  const { promptFormat, promptTemplate, stepDelimiter } = EMBEDDED_PRM_DEFAULTS;
  return { kind: 'onnx-prm', options: { head: 'generative', generativeScale: scale, generativeBias: bias, promptFormat, promptTemplate, stepDelimiter, stepScore: 'last' } };
}

/** Writes the model directory; returns the sha256 of onnx/model.onnx. `runAs` defaults to the head's embedded options. */
export function exportModel(dir: string, spec: ModelSpec, weights: ReadonlyMap<string, Float32Array>, training: Record<string, unknown>, runAs?: RunAs): string {
  const d = decoderSpecOf(spec, weights);
  const bytes = buildDecoder(d);
  const config = {
    ...decoderConfig(d),
    model_type: spec.head === 'lm' ? 'mcts-gen-gpt' : 'mcts-gen-gpt-prm',
    architectures: [spec.head === 'lm' ? 'McgGPTForCausalLM' : 'McgGPTForTokenClassification'],
    intermediate_size: spec.ffn,
    ...(spec.head === 'classifier' ? { num_labels: 2, id2label: { 0: 'bad', 1: 'good' } } : {}),
  };
  writeModelDir(dir, bytes, config);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const run = runAs ?? (spec.head === 'lm' ? { kind: 'onnx', options: EMBEDDED_POLICY_DEFAULTS } : { kind: 'onnx-prm', options: EMBEDDED_PRM_DEFAULTS });
  writeFileSync(join(dir, 'mcts-gen.json'), JSON.stringify({ kind: run.kind, options: run.options, model: spec, training, sha256 }, null, 2) + '\n');
  return sha256;
}

/** Reads the weights back out of an exported model (to fine-tune it, or to start a PRM from a policy). */
export function readWeights(dir: string): Map<string, Float32Array> {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'onnx', 'model.onnx')));
  const out = new Map<string, Float32Array>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== 1 || t.name === null || t.name === undefined || t.rawData === null || t.rawData === undefined) continue;
    const raw = t.rawData;
    out.set(t.name, new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  }
  return out;
}

/** The architecture an exported directory was trained with (its mcts-gen.json). */
export function readSpec(dir: string): ModelSpec {
  const meta = JSON.parse(readFileSync(join(dir, 'mcts-gen.json'), 'utf8')) as { model?: ModelSpec };
  if (meta.model === undefined) throw new Error(`${join(dir, 'mcts-gen.json')} has no "model" entry`);
  validateSpec(meta.model);
  return meta.model;
}

/** Keeps only the parameters a spec trains (drops graph constants such as scalars). */
export function pickParams(spec: ModelSpec, weights: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const info of paramInfos(spec)) {
    const w = weights.get(info.name);
    if (w !== undefined) out.set(info.name, w);
  }
  return out;
}

export interface GreedyReport {
  problems: number;
  /** Solutions whose every step is "a op b = r" and whose last line is "The answer is N". */
  wellFormed: number;
  steps: number;
  /** Steps whose claimed result is the true result of their own operands (a op b). */
  arithmeticCorrect: number;
  correct: number;
  samples: string[];
}

const STEP_RE = /^(-?\d+(?:\.\d+)?) ([+\-*/]) (-?\d+(?:\.\d+)?) = (-?\d+(?:\.\d+)?)$/;
const FINAL_RE = /^The answer is (-?\d+(?:\.\d+)?)$/;

/** Checks one solution's lines: form, the arithmetic of each step, and the final answer. */
export function gradeSolution(problem: Problem, lines: readonly string[]): { wellFormed: boolean; steps: number; arithmeticCorrect: number; correct: boolean } {
  let wellFormed = lines.length >= 2;
  let steps = 0;
  let arithmeticCorrect = 0;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    if (last) {
      if (!FINAL_RE.test(line)) wellFormed = false;
      return;
    }
    const m = STEP_RE.exec(line);
    if (m === null) {
      wellFormed = false;
      return;
    }
    steps += 1;
    if (Math.abs(applyOp(Number(m[1]), m[2] as WorkedStep['op'], Number(m[3])) - Number(m[4])) < 1e-9) arithmeticCorrect += 1;
  });
  const worked = workedSolutionOf(problem);
  const final = lines.length > 0 ? FINAL_RE.exec(lines[lines.length - 1]) : null;
  const answer = worked !== undefined ? solveWorked(worked).at(-1) : undefined;
  const correct = final !== null && answer !== undefined && Math.abs(Number(final[1]) - answer) < 1e-9;
  return { wellFormed, steps, arithmeticCorrect, correct };
}

/** Greedy solutions of built-in problems `seed`, 0..count-1, by the policy in `dir`. */
export async function evaluateGreedy(dir: string, options: { seed: number; count: number; samples?: number }): Promise<GreedyReport> {
  const policy = await createOnnxPolicy(onnxPolicyOptions.parse({ modelDir: dir, ...EMBEDDED_POLICY_DEFAULTS, kvCacheMb: 64, rolloutMaxSteps: 8, intraOpNumThreads: 1 }), { baseDir: process.cwd() });
  const report: GreedyReport = { problems: 0, wellFormed: 0, steps: 0, arithmeticCorrect: 0, correct: 0, samples: [] };
  try {
    for (let i = 0; i < options.count; i++) {
      const problem = arithProblemAt(options.seed, i);
      const ctx = { signal: new AbortController().signal, rng: Rng.fromSeed(0), usage: emptyUsage(), greedy: true };
      const steps = (await policy.rollout({ problem, steps: [] }, ctx)).map((c) => c.text);
      const g = gradeSolution(problem, steps);
      report.problems += 1;
      report.wellFormed += g.wellFormed ? 1 : 0;
      report.steps += g.steps;
      report.arithmeticCorrect += g.arithmeticCorrect;
      report.correct += g.correct ? 1 : 0;
      if (report.samples.length < (options.samples ?? 2)) report.samples.push(`${problem.prompt}\n${steps.join('\n')}`);
    }
  } finally {
    await policy.close();
  }
  return report;
}

