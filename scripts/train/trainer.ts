// The training loop: runs the step graph (forward, backward, AdamW in one onnxruntime session) on
// batches from a BatchSource, feeding each step's new parameters and moments back as the next step's
// inputs. Warm-up then cosine learning rate, bias-corrected in JS. Checkpoints (parameters, moments,
// step) are written atomically, so an interrupted run resumes where it stopped and ends with the
// same weights as an uninterrupted one.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildStepGraph } from './step-graph.js';
import { initParams, paramInfos, type ModelSpec } from './model.js';
import type { Batch, BatchSource } from './data.js';

export interface TrainSettings {
  steps: number;
  /** Peak learning rate. */
  lr: number;
  warmupSteps: number;
  /** Final learning rate as a fraction of the peak (cosine decay). */
  minLrRatio: number;
  weightDecay: number;
  clipNorm: number;
  beta1: number;
  beta2: number;
  /** Seed of the initial parameters. */
  seed: number;
  /** onnxruntime intra-op threads (results are reproducible for a fixed count). */
  threads: number;
  /** Classifier head: weight of the pairwise loss over sibling steps (0 = pointwise only); batches then carry pairs. */
  pairLossWeight?: number;
  /** LM head: weight of the generative step loss (0 = off); batches then carry a step matrix. See step-graph.ts. */
  generativeWeight?: number;
  /** Generative step loss: the score's logit is scale * (sum of the step's token log-probabilities) + bias. */
  generativeScale?: number;
  generativeBias?: number;
  /** LM head: weight of the generative sibling-pair loss (0 = off); batches then carry step pairs. */
  generativePairWeight?: number;
}

export const DEFAULT_TRAIN: Omit<TrainSettings, 'steps' | 'seed'> = {
  lr: 2e-3,
  warmupSteps: 100,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  clipNorm: 1,
  beta1: 0.9,
  beta2: 0.99,
  threads: 2,
};

export interface StepLog {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  lossTokens: number;
  tokens: number;
  ms: number;
}

export interface TrainResult {
  params: Map<string, Float32Array>;
  losses: number[];
  /** Mean step time (ms) over this process's steps. */
  msPerStep: number;
  tokensPerSecond: number;
  resumedFrom: number;
}

export interface TrainOptions {
  spec: ModelSpec;
  settings: TrainSettings;
  data: BatchSource;
  /** Starting parameters (e.g. a policy for a PRM); missing names are drawn from the seed. */
  initial?: Map<string, Float32Array>;
  checkpointPath?: string;
  checkpointEvery?: number;
  onStep?: (log: StepLog) => void;
  /** Polled between steps; true stops after writing a checkpoint. */
  shouldStop?: () => boolean;
}

export function learningRate(s: TrainSettings, step: number): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.steps - s.warmupSteps));
  return s.lr * (s.minLrRatio + (1 - s.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

interface State {
  step: number;
  params: Map<string, Float32Array>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
  losses: number[];
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { spec, settings } = options;
  const infos = paramInfos(spec);
  let state = options.checkpointPath !== undefined && existsSync(options.checkpointPath) ? readCheckpoint(options.checkpointPath, spec) : null;
  const resumedFrom = state?.step ?? 0;
  if (state === null) {
    const drawn = initParams(spec, settings.seed);
    const params = new Map<string, Float32Array>();
    for (const info of infos) {
      const given = options.initial?.get(info.name);
      const size = info.dims.reduce((a, b) => a * b, 1);
      params.set(info.name, given !== undefined && given.length === size ? Float32Array.from(given) : drawn.get(info.name)!);
    }
    const zeros = () => new Map(infos.map((i) => [i.name, new Float32Array(i.dims.reduce((a, b) => a * b, 1))]));
    state = { step: 0, params, m: zeros(), v: zeros(), losses: [] };
  }
  const graph = buildStepGraph(spec, {
    mode: 'train',
    beta1: settings.beta1,
    beta2: settings.beta2,
    clipNorm: settings.clipNorm,
    pairLossWeight: settings.pairLossWeight ?? 0,
    generativeWeight: settings.generativeWeight ?? 0,
    generativePairWeight: settings.generativePairWeight ?? 0,
    generativeScale: settings.generativeScale,
    generativeBias: settings.generativeBias,
  });
  const session = await ort.InferenceSession.create(graph, {
    intraOpNumThreads: settings.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const info of infos) {
    feeds[info.name] = new ort.Tensor('float32', state.params.get(info.name)!, info.dims);
    feeds[`m.${info.name}`] = new ort.Tensor('float32', state.m.get(info.name)!, info.dims);
    feeds[`v.${info.name}`] = new ort.Tensor('float32', state.v.get(info.name)!, info.dims);
  }
  const every = options.checkpointEvery ?? 200;
  let ms = 0;
  let tokens = 0;
  let ran = 0;
  try {
    for (let step = state.step; step < settings.steps; step++) {
      const batch: Batch = options.data.batch(step);
      const lr = learningRate(settings, step);
      const t = step + 1;
      const lrT = (lr * Math.sqrt(1 - settings.beta2 ** t)) / (1 - settings.beta1 ** t);
      feeds.input_ids = new ort.Tensor('int64', batch.ids, [batch.batch, batch.seq]);
      feeds.targets = batch.targets instanceof BigInt64Array ? new ort.Tensor('int64', batch.targets, [batch.batch, batch.seq]) : new ort.Tensor('float32', batch.targets, [batch.batch, batch.seq]);
      feeds.weights = new ort.Tensor('float32', batch.weights, [batch.batch, batch.seq]);
      if ((settings.pairLossWeight ?? 0) > 0) {
        // A batch without pairs feeds one padding pair of weight 0.
        const n = batch.pairWeights?.length ?? 0;
        feeds.pairs = new ort.Tensor('int64', n > 0 ? batch.pairs! : new BigInt64Array(2), [Math.max(1, n), 2]);
        feeds.pair_weights = new ort.Tensor('float32', n > 0 ? batch.pairWeights! : new Float32Array(1), [Math.max(1, n)]);
      }
      if ((settings.generativeWeight ?? 0) > 0 || (settings.generativePairWeight ?? 0) > 0) {
        if (batch.stepMatrix === undefined || batch.stepLabels === undefined || batch.stepWeights === undefined) throw new Error(`batch ${step} has no step matrix (generative examples needed)`);
        const S = batch.stepLabels.length;
        feeds.step_matrix = new ort.Tensor('float32', batch.stepMatrix, [S, batch.batch * batch.seq]);
        feeds.step_labels = new ort.Tensor('float32', batch.stepLabels, [S]);
        feeds.step_weights = new ort.Tensor('float32', batch.stepWeights, [S]);
      }
      if ((settings.generativePairWeight ?? 0) > 0) {
        // A batch without pairs feeds one padding pair of weight 0.
        const n = batch.stepPairWeights?.length ?? 0;
        feeds.step_pairs = new ort.Tensor('int64', n > 0 ? batch.stepPairs! : new BigInt64Array(2), [Math.max(1, n), 2]);
        feeds.step_pair_weights = new ort.Tensor('float32', n > 0 ? batch.stepPairWeights! : new Float32Array(1), [Math.max(1, n)]);
      }
      feeds.lr = new ort.Tensor('float32', Float32Array.of(lrT), []);
      feeds.lr_decay = new ort.Tensor('float32', Float32Array.of(lr * settings.weightDecay), []);
      const t0 = performance.now();
      const out = await session.run(feeds);
      const elapsed = performance.now() - t0;
      ms += elapsed;
      tokens += batch.batch * batch.seq;
      ran += 1;
      for (const info of infos) {
        feeds[info.name] = out[`new.${info.name}`];
        feeds[`m.${info.name}`] = out[`new_m.${info.name}`];
        feeds[`v.${info.name}`] = out[`new_v.${info.name}`];
      }
      const loss = (out.loss.data as Float32Array)[0];
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step + 1}; lower the learning rate`);
      state.losses.push(loss);
      options.onStep?.({ step: step + 1, loss, gradNorm: (out.grad_norm.data as Float32Array)[0], lr, lossTokens: batch.lossTokens, tokens: batch.batch * batch.seq, ms: elapsed });
      const last = step + 1 === settings.steps;
      const stop = options.shouldStop?.() === true;
      if (options.checkpointPath !== undefined && (last || stop || (step + 1) % every === 0)) {
        writeCheckpoint(options.checkpointPath, snapshot(feeds, infos, step + 1, state.losses));
      }
      if (stop) break;
    }
  } finally {
    await session.release();
  }
  const params = new Map(infos.map((i) => [i.name, feeds[i.name].data as Float32Array]));
  return { params, losses: state.losses, msPerStep: ran === 0 ? 0 : ms / ran, tokensPerSecond: ms === 0 ? 0 : (tokens * 1000) / ms, resumedFrom };
}

function snapshot(feeds: Record<string, ort.Tensor>, infos: ReturnType<typeof paramInfos>, step: number, losses: number[]): State {
  const pick = (prefix: string) => new Map(infos.map((i) => [i.name, feeds[`${prefix}${i.name}`].data as Float32Array]));
  return { step, params: pick(''), m: pick('m.'), v: pick('v.'), losses: [...losses] };
}

/** Checkpoint file: a JSON header line, then the float32 data of params, m and v in paramInfos order. */
function writeCheckpoint(path: string, s: State): void {
  const header = Buffer.from(JSON.stringify({ format: 'mcts-gen-checkpoint/1', step: s.step, losses: s.losses }) + '\n');
  const parts: Buffer[] = [header];
  for (const group of [s.params, s.m, s.v]) for (const a of group.values()) parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}

function readCheckpoint(path: string, spec: ModelSpec): State {
  const buf = readFileSync(path);
  const nl = buf.indexOf(10);
  const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as { format: string; step: number; losses: number[] };
  if (header.format !== 'mcts-gen-checkpoint/1') throw new Error(`${path}: not a training checkpoint`);
  const infos = paramInfos(spec);
  const total = infos.reduce((n, i) => n + i.dims.reduce((a, b) => a * b, 1), 0);
  const body = buf.subarray(nl + 1);
  if (body.byteLength !== total * 3 * 4) throw new Error(`${path}: holds ${body.byteLength} bytes of weights; this model needs ${total * 12} (different settings?)`);
  const floats = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  let at = 0;
  const take = () =>
    new Map(
      infos.map((i) => {
        const n = i.dims.reduce((a, b) => a * b, 1);
        const a = floats.slice(at, at + n);
        at += n;
        return [i.name, a] as const;
      }),
    );
  const params = take();
  const m = take();
  const v = take();
  return { step: header.step, params, m, v, losses: header.losses };
}
