// The Node-only trainer: the hand-written backward pass against finite differences (float64 graph),
// resume from a checkpoint, the data encodings against the shipped tokenizer, and learning-rate shape.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { arithProblemAt } from '../../src/index.js';
import { readModelDirectory } from '../../policies/onnx/index.js';
import { SEP_ID, VOCAB_SIZE, writeModelDir, buildRewardHead } from '../../scripts/onnx/tiny-models.js';
import { encodeText, exampleBatches, generativeExample, policyBatches, policyExample, prmExample, readPrmExamples, solutionSteps } from '../../scripts/train/data.js';
import { exportModel, generativePrmRunAs } from '../../scripts/train/export.js';
import { createOnnxPrm, onnxPrmOptions } from '../../policies/onnx/index.js';
import { Rng, emptyUsage } from '../../src/index.js';
import { initParams, paramInfos, type ModelSpec } from '../../scripts/train/model.js';
import { buildStepGraph } from '../../scripts/train/step-graph.js';
import { DEFAULT_TRAIN, learningRate, train } from '../../scripts/train/trainer.js';

const scratch = mkdtempSync(join(tmpdir(), 'mcts-gen-train-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Finite-difference check of every parameter entry of a small model; returns the worst relative error. */
async function gradientCheck(spec: ModelSpec, pairLossWeight = 0, generativeWeight = 0, generativePairWeight = 0): Promise<{ worst: number; checked: number; loss: number }> {
  const session = await ort.InferenceSession.create(buildStepGraph(spec, { mode: 'grad', elem: 'double', pairLossWeight, generativeWeight, generativePairWeight, generativeScale: 0.8, generativeBias: 1.5 }));
  // Scaled-up random weights so that every path (attention, ReLU, LayerNorm) carries a sizeable gradient.
  const params = new Map<string, Float64Array>();
  for (const [name, a] of initParams(spec, 3)) params.set(name, Float64Array.from(a, (x, i) => x * 8 + (name.includes('_g') ? 0 : 0.05 * Math.sin(i))));
  const B = 2;
  const T = 6;
  const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 5 + 1) % spec.vocabSize));
  const targets =
    spec.head === 'lm'
      ? new ort.Tensor('int64', BigInt64Array.from({ length: B * T }, (_, i) => BigInt((i * 3 + 2) % spec.vocabSize)), [B, T])
      : new ort.Tensor('float64', Float64Array.from({ length: B * T }, (_, i) => (i % 3) / 2), [B, T]);
  const weights = Float64Array.from({ length: B * T }, (_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [B, T]), targets, weights: new ort.Tensor('float64', weights, [B, T]) };
    if (pairLossWeight > 0) {
      // Positions across both rows, one repeated, one padding pair of weight 0.
      f.pairs = new ort.Tensor('int64', BigInt64Array.from([2, 9, 11, 3, 5, 2, 0, 1].map(BigInt)), [4, 2]);
      f.pair_weights = new ort.Tensor('float64', Float64Array.from([1, 2, 0.5, 0]), [4]);
    }
    if (generativeWeight > 0 || generativePairWeight > 0) {
      // Three steps over the 12 flat positions (one in each row, one spanning the row break), and a padding step.
      const m = new Float64Array(4 * B * T);
      for (const [step, from, to] of [[0, 1, 4], [1, 5, 8], [2, 9, 12]]) for (let i = from; i < to; i++) m[step * B * T + i] = 1;
      f.step_matrix = new ort.Tensor('float64', m, [4, B * T]);
      f.step_labels = new ort.Tensor('float64', Float64Array.from([1, 0, 0.7, 1]), [4]);
      f.step_weights = new ort.Tensor('float64', Float64Array.from([1, 2, 1, 0]), [4]);
    }
    if (generativePairWeight > 0) {
      // Two pairs (one sharing its rejected step), and a padding pair of weight 0.
      f.step_pairs = new ort.Tensor('int64', BigInt64Array.from([0, 1, 2, 1, 0, 3].map(BigInt)), [3, 2]);
      f.step_pair_weights = new ort.Tensor('float64', Float64Array.from([1, 0.5, 0]), [3]);
    }
    for (const info of paramInfos(spec)) f[info.name] = new ort.Tensor('float64', params.get(info.name)!, info.dims);
    return f;
  };
  const out = await session.run(feeds());
  const loss = async (): Promise<number> => (await session.run(feeds())).loss.data[0] as number;
  let worst = 0;
  let checked = 0;
  for (const info of paramInfos(spec)) {
    const a = params.get(info.name)!;
    const grad = out[`grad.${info.name}`].data as Float64Array;
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const h = 1e-5;
      a[i] = x + h;
      const up = await loss();
      a[i] = x - h;
      const down = await loss();
      a[i] = x;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - grad[i]) / Math.max(1e-6, Math.abs(numeric) + Math.abs(grad[i])));
      checked++;
    }
  }
  await session.release();
  return { worst, checked, loss: out.loss.data[0] as number };
}

describe('step graph gradients', () => {
  const tiny = { layers: 2, hidden: 8, heads: 2, ffn: 12, maxPositions: 9, vocabSize: 7 };

  it('the language-model head matches central finite differences on every parameter', async () => {
    const r = await gradientCheck({ ...tiny, head: 'lm' });
    expect(r.checked).toBe(paramInfos({ ...tiny, head: 'lm' }).reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0));
    expect(r.loss).toBeGreaterThan(0);
    expect(r.worst).toBeLessThan(1e-4);
  }, 120_000);

  it('the classifier head (soft labels) matches central finite differences on every parameter', async () => {
    const r = await gradientCheck({ ...tiny, head: 'classifier' });
    expect(r.worst).toBeLessThan(1e-4);
  }, 120_000);

  it('the classifier head with the pairwise loss matches central finite differences, and the pairs change the loss', async () => {
    const plain = await gradientCheck({ ...tiny, head: 'classifier' });
    const r = await gradientCheck({ ...tiny, head: 'classifier' }, 0.7);
    expect(r.worst).toBeLessThan(1e-4);
    expect(r.loss).toBeGreaterThan(plain.loss);
  }, 120_000);

  it('the language-model head with the generative step loss matches central finite differences, and the loss adds to the LM loss', async () => {
    const plain = await gradientCheck({ ...tiny, head: 'lm' });
    const r = await gradientCheck({ ...tiny, head: 'lm' }, 0, 0.6);
    expect(r.worst).toBeLessThan(1e-4);
    expect(r.loss).toBeGreaterThan(plain.loss);
  }, 120_000);

  it('the generative sibling-pair loss matches central finite differences, alone and beside the pointwise one', async () => {
    const pointwise = await gradientCheck({ ...tiny, head: 'lm' }, 0, 0.6);
    const both = await gradientCheck({ ...tiny, head: 'lm' }, 0, 0.6, 0.9);
    const alone = await gradientCheck({ ...tiny, head: 'lm' }, 0, 0, 0.9);
    expect(both.worst).toBeLessThan(1e-4);
    expect(alone.worst).toBeLessThan(1e-4);
    expect(both.loss).toBeGreaterThan(pointwise.loss);
  }, 120_000);
});

describe('training loop', () => {
  const spec: ModelSpec = { layers: 1, hidden: 16, heads: 2, ffn: 32, maxPositions: 400, vocabSize: VOCAB_SIZE, head: 'lm' };
  const data = () => policyBatches({ seed: 5, batchSize: 4, maxLen: 399, group: 2 });
  const settings = { ...DEFAULT_TRAIN, steps: 6, seed: 2, warmupSteps: 2, threads: 1 };
  const bytesOf = (params: Map<string, Float32Array>) => Buffer.concat([...params.values()].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));

  it('is deterministic, and a run stopped at step 3 resumes to the same weights', async () => {
    const straight = await train({ spec, settings, data: data() });
    const again = await train({ spec, settings, data: data() });
    expect(bytesOf(again.params).equals(bytesOf(straight.params))).toBe(true);

    const checkpointPath = join(scratch, 'resume.ckpt');
    let steps = 0;
    const first = await train({ spec, settings, data: data(), checkpointPath, onStep: () => steps++, shouldStop: () => steps >= 3 });
    expect(first.losses).toHaveLength(3);
    const resumed = await train({ spec, settings, data: data(), checkpointPath });
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.losses).toEqual(straight.losses);
    expect(bytesOf(resumed.params).equals(bytesOf(straight.params))).toBe(true);
    // A different seed gives different weights (the comparison above can fail).
    const other = await train({ spec, settings: { ...settings, seed: 3 }, data: data() });
    expect(bytesOf(other.params).equals(bytesOf(straight.params))).toBe(false);
  }, 120_000);

  it('rejects a checkpoint written for another model size', async () => {
    const checkpointPath = join(scratch, 'other.ckpt');
    await train({ spec, settings: { ...settings, steps: 1 }, data: data(), checkpointPath });
    await expect(train({ spec: { ...spec, hidden: 32, heads: 2, ffn: 64 }, settings, data: data(), checkpointPath })).rejects.toThrow(/different settings/);
  });

  it('warms up linearly, then decays by a cosine to the floor', () => {
    const s = { ...DEFAULT_TRAIN, steps: 1000, seed: 0, lr: 1e-3, warmupSteps: 100, minLrRatio: 0.1 };
    expect(learningRate(s, 0)).toBeCloseTo(1e-5, 12);
    expect(learningRate(s, 99)).toBeCloseTo(1e-3, 12);
    expect(learningRate(s, 550)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5), 12);
    expect(learningRate(s, 1000)).toBeCloseTo(1e-4, 12);
  });
});

describe('training data', () => {
  it('encodes text exactly as the shipped tokenizer.json does, <sep> included', async () => {
    const dir = writeModelDir(join(scratch, 'tok'), buildRewardHead('classifier'), { vocab_size: VOCAB_SIZE });
    const model = await readModelDirectory(dir, scratch, undefined);
    const problem = arithProblemAt(0, 3);
    const text = `${problem.prompt}\n\n${solutionSteps(problem).join('\n\n')}\n\n`;
    expect(encodeText(text)).toEqual(model.tokenizer.encode(text, false));
    const prm = prmExample('Q?\n\n', ['1 + 1 = 2', 'The answer is 2'], [1, 0.25], 100)!;
    expect(prm.ids).toEqual(model.tokenizer.encode('Q?\n\n1 + 1 = 2<sep>\n\nThe answer is 2<sep>\n\n', false));
    expect(prm.ids.filter((id) => id === SEP_ID)).toHaveLength(2);
    expect(prm.targets.filter((_, i) => prm.weights[i] > 0)).toEqual([1, 0.25]);
  });

  it('a policy example puts its loss on the solution only, and the solution is the worked one', () => {
    const problem = arithProblemAt(0, 0);
    const e = policyExample(problem, 511)!;
    const firstWeighted = e.weights.indexOf(1);
    // Position t predicts token t + 1: the first weighted target is the first solution character.
    expect(firstWeighted + 1).toBe(encodeText(`${problem.prompt}\n\n`).length);
    expect(e.weights.slice(firstWeighted).every((w) => w === 1)).toBe(true);
    const steps = solutionSteps(problem);
    expect(steps.at(-1)).toBe(`The answer is ${problem.reference!.answer}`);
    expect(policyExample(problem, 20)).toBeNull();
  });

  it('batches are pure in their index and padded with zero weight', () => {
    const a = policyBatches({ seed: 9, batchSize: 4, maxLen: 511, group: 3 });
    const b = policyBatches({ seed: 9, batchSize: 4, maxLen: 511, group: 3 });
    const late = a.batch(7);
    b.batch(0);
    expect(Buffer.from(b.batch(7).ids.buffer).equals(Buffer.from(late.ids.buffer))).toBe(true);
    expect(late.weights.length).toBe(late.batch * late.seq);
    let weighted = 0;
    for (const w of late.weights) weighted += w;
    expect(weighted).toBe(late.lossTokens);
  });

  it('reads steps.jsonl with file:line errors and cycles epochs in seeded orders', () => {
    const soft = { target: 'values', solvedOnly: false } as const;
    const file = join(scratch, 'steps.jsonl');
    const rec = (values: number[]) => JSON.stringify({ prompt: 'Q?\n\n', completions: values.map((_, i) => `${i} + 1 = ${i + 1}`), labels: values.map((v) => v > 0), values });
    writeFileSync(file, `${rec([1, 1])}\n${rec([0.5, 0])}\n${rec([1])}\n`);
    const read = readPrmExamples([file], 512, soft);
    expect(read.records).toBe(3);
    expect(read.examples).toHaveLength(3);
    const batches = exampleBatches(read.examples, { seed: 1, batchSize: 3, head: 'classifier' });
    expect(batches.batch(0).lossTokens).toBe(5);
    // Hard labels of solved problems only: problem b never reached a verified answer, so it is left out.
    const withId = (problemId: string, labels: boolean[]) => JSON.stringify({ problemId, prompt: 'Q?\n\n', completions: labels.map((_, i) => `${i} + 1 = ${i + 1}`), labels, values: labels.map((l) => (l ? 0.5 : 0)) });
    writeFileSync(file, `${withId('a', [true, false])}\n${withId('a', [true, true])}\n${withId('b', [false, false])}\n`);
    const hard = readPrmExamples([file], 512, { target: 'labels', solvedOnly: true });
    expect(hard.records).toBe(2);
    expect(hard.examples.map((e) => e.targets.filter((_, i) => e.weights[i] > 0))).toEqual([[1, 0], [1, 1]]);
    writeFileSync(file, `${rec([1])}\n{"prompt": "x", "completions": ["a"], "values": [2]}\n`);
    expect(() => readPrmExamples([file], 512, soft)).toThrow(`${file}:2:`);
    writeFileSync(file, 'not json\n');
    expect(() => readPrmExamples([file], 512, soft)).toThrow(`${file}:1: not JSON`);
  });

  it('pairs sibling steps of the same problem and prefix, and batches point the pairwise loss at their tags', async () => {
    const file = join(scratch, 'pairs.jsonl');
    const row = (problemId: string, completions: string[], labels: boolean[]) => JSON.stringify({ problemId, prompt: 'Q?\n\n', completions, labels, values: labels.map((l) => (l ? 1 : 0)) });
    writeFileSync(
      file,
      [
        row('a', ['2 + 2 = 4', '4 * 3 = 12'], [true, true]),
        row('a', ['2 + 2 = 4', '4 * 3 = 13'], [true, false]),
        row('a', ['2 + 2 = 4', '4 * 3 = 11'], [true, false]),
        row('a', ['2 + 2 = 4', '4 * 3 = 13'], [true, false]), // a repeat: no new pair
        row('b', ['2 + 2 = 4', '4 * 3 = 14'], [true, false]), // another problem: never paired with a
        '{"done": "a"}',
      ].join('\n') + '\n',
    );
    const read = readPrmExamples([file], 512, { target: 'labels', solvedOnly: false });
    expect(read.examples).toHaveLength(5);
    expect(read.pairs).toEqual([
      { chosen: { example: 0, step: 1 }, rejected: { example: 1, step: 1 } },
      { chosen: { example: 0, step: 1 }, rejected: { example: 2, step: 1 } },
    ]);
    const batches = exampleBatches(read.examples, { seed: 2, batchSize: 4, head: 'classifier', pairs: read.pairs, pairsPerBatch: 1 });
    for (let k = 0; k < 4; k++) {
      const b = batches.batch(k);
      expect(b.batch).toBe(4);
      const [chosen, rejected] = [...b.pairs!].map(Number);
      // Both positions are tags, in the pair's rows (0 and 1), with the pair's labels as targets.
      expect(Number(b.ids[chosen])).toBe(SEP_ID);
      expect(Number(b.ids[rejected])).toBe(SEP_ID);
      expect(Math.floor(chosen / b.seq)).toBe(0);
      expect(Math.floor(rejected / b.seq)).toBe(1);
      expect([b.targets[chosen], b.targets[rejected]]).toEqual([1, 0]);
      expect([...b.pairWeights!]).toEqual([1]);
    }
    // One training step with and without the pairwise term: the same batch, a larger loss with it.
    const spec: ModelSpec = { layers: 1, hidden: 16, heads: 2, ffn: 32, maxPositions: 64, vocabSize: VOCAB_SIZE, head: 'classifier' };
    const losses: number[] = [];
    for (const pairLossWeight of [0, 1]) {
      const r = await train({ spec, settings: { ...DEFAULT_TRAIN, steps: 1, seed: 1, threads: 1, pairLossWeight }, data: batches });
      losses.push(r.losses[0]);
    }
    expect(Number.isFinite(losses[1])).toBe(true);
    expect(losses[1]).toBeGreaterThan(losses[0]);
  });

  it('a generative example marks the positions that predict each step and its delimiter, with the LM loss on good steps only', () => {
    const e = generativeExample('Q?\n\n', ['1 + 1 = 2', '2 * 3 = 7', 'The answer is 7'], [1, 0, 0.25], 100, true)!;
    expect(e.ids).toEqual(encodeText('Q?\n\n1 + 1 = 2\n\n2 * 3 = 7\n\nThe answer is 7\n\n').slice(0, -1));
    expect(e.steps!.map((sp) => sp.label)).toEqual([1, 0, 0.25]);
    const texts = ['1 + 1 = 2\n\n', '2 * 3 = 7\n\n', 'The answer is 7\n\n'];
    e.steps!.forEach((sp, i) => expect(e.targets.slice(sp.from, sp.to)).toEqual(encodeText(texts[i])));
    const weighted = e.weights.flatMap((w, t) => (w > 0 ? [t] : []));
    expect(weighted).toEqual(Array.from({ length: e.steps![0].to - e.steps![0].from }, (_, i) => e.steps![0].from + i));
    expect(generativeExample('Q?\n\n', ['1 + 1 = 2'], [1], 100, false)!.weights.every((w) => w === 0)).toBe(true);
    expect(generativeExample('Q?\n\n', ['1 + 1 = 2'], [1], 10, true)).toBeNull();
  });

  it('training with the generative step loss lowers the score of the step labelled wrong, as onnx-prm head "generative" reads it', async () => {
    const file = join(scratch, 'gen.jsonl');
    const row = (completions: string[], labels: boolean[]) => JSON.stringify({ problemId: 'a', prompt: 'Q?\n\n', completions, labels, values: labels.map((l) => (l ? 1 : 0)) });
    writeFileSync(file, [row(['2 + 2 = 4', '4 * 3 = 12'], [true, true]), row(['2 + 2 = 4', '4 * 3 = 13'], [true, false])].join('\n') + '\n');
    const read = readPrmExamples([file], 64, { target: 'labels', solvedOnly: false, form: 'generative', lmOnGood: true });
    const batches = exampleBatches(read.examples, { seed: 2, batchSize: 2, head: 'lm' });
    const b = batches.batch(0);
    expect(b.stepLabels).toHaveLength(4);
    expect([...b.stepLabels!].sort()).toEqual([0, 1, 1, 1]);
    // With one sibling pair per batch: the pair's two rows are the second steps of its two examples.
    expect(read.pairs).toHaveLength(1);
    const paired = exampleBatches(read.examples, { seed: 2, batchSize: 2, head: 'lm', pairs: read.pairs, pairsPerBatch: 1 }).batch(0);
    const [c, r] = [...paired.stepPairs!].map(Number);
    expect([paired.stepLabels![c], paired.stepLabels![r]]).toEqual([1, 0]);
    const n = paired.batch * paired.seq;
    const tokensOf = (row: number) => [...paired.stepMatrix!.subarray(row * n, (row + 1) * n)].flatMap((v, i) => (v > 0 ? [Number(paired.targets[i])] : []));
    expect(tokensOf(c)).toEqual(encodeText('4 * 3 = 12\n\n'));
    expect(tokensOf(r)).toEqual(encodeText('4 * 3 = 13\n\n'));
    const spec: ModelSpec = { layers: 1, hidden: 16, heads: 2, ffn: 32, maxPositions: 64, vocabSize: VOCAB_SIZE, head: 'lm' };
    const scores = async (generativeWeight: number, generativePairWeight = 0) => {
      const data = generativePairWeight > 0 ? exampleBatches(read.examples, { seed: 2, batchSize: 2, head: 'lm', pairs: read.pairs, pairsPerBatch: 1 }) : batches;
      const r = await train({ spec, settings: { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 1, steps: 150, seed: 1, threads: 1, generativeWeight, generativePairWeight, generativeScale: 1, generativeBias: 3 }, data });
      const dir = join(scratch, `gen-${generativeWeight}-${generativePairWeight}`);
      const run = generativePrmRunAs(1, 3);
      exportModel(dir, spec, r.params, {}, run);
      const m = await createOnnxPrm(onnxPrmOptions.parse({ ...run.options, modelDir: dir }), { baseDir: '/' });
      try {
        const problem = { id: 'a', prompt: 'Q?', domain: 'math' as const };
        const ctx = { signal: new AbortController().signal, rng: Rng.fromSeed(0), usage: emptyUsage() };
        return [...(await m.score([{ problem, steps: ['2 + 2 = 4', '4 * 3 = 12'] }, { problem, steps: ['2 + 2 = 4', '4 * 3 = 13'] }], ctx))];
      } finally {
        await m.close();
      }
    };
    // The LM loss alone (a negligible step-loss weight) already makes the wrong step unlikely, as the
    // right one is learnt; the step loss keeps the right step's score high and pushes the wrong one lower still.
    const [, wrongLmOnly] = await scores(1e-9);
    const [right, wrong] = await scores(1);
    expect(wrong).toBeLessThan(0.5);
    expect(right).toBeGreaterThan(wrong + 0.3);
    expect(wrong).toBeLessThan(wrongLmOnly);
    // The sibling-pair loss alone does the same through the difference of the two steps' log-probabilities.
    const [pairRight, pairWrong] = await scores(0, 1);
    expect(pairRight).toBeGreaterThan(0.5);
    expect(pairWrong).toBeLessThan(wrongLmOnly);
  }, 60_000);
});
