// Reward heads on tiny models whose scores are a known function of the text: every score is
// sigmoid(#y - #n) over the characters the head reads (see scripts/onnx/tiny-models.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem, Trajectory } from '../../../src/index.js';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createOnnxOrm, createOnnxPrm, onnxOrmOptions, onnxPrmOptions, readModelDirectory, type OnnxOrm, type OnnxPrm } from '../../../policies/onnx/index.js';
import type { TinyModelDirs } from '../../../scripts/onnx/tiny-models.js';
import { buildModelsInTemp, ctxOf, env } from './helpers.js';

let dirs: TinyModelDirs;
let cleanup: () => void;
const closers: { close(): Promise<void> }[] = [];
beforeAll(() => {
  ({ dirs, cleanup } = buildModelsInTemp());
});
afterAll(async () => {
  for (const c of closers) await c.close();
  cleanup();
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));
/** The hand-computed score of a text: sigmoid(count of "y" - count of "n"). */
const byHand = (text: string) => sigmoid([...text].filter((c) => c === 'y').length - [...text].filter((c) => c === 'n').length);

// No "y" or "n" in the prompt, so only the steps count.
const problem: Problem = { id: 'r', prompt: 'Sum 2 + 3.', domain: 'math' };
const t = (...steps: string[]): Trajectory => ({ problem, steps });

async function prm(options: Record<string, unknown>): Promise<OnnxPrm> {
  const m = await createOnnxPrm(onnxPrmOptions.parse(options), env);
  closers.push(m);
  return m;
}
async function orm(options: Record<string, unknown>): Promise<OnnxOrm> {
  const m = await createOnnxOrm(onnxOrmOptions.parse(options), env);
  closers.push(m);
  return m;
}

describe('step-tag PRM (Math-Shepherd style)', () => {
  it('scores P(good)/(P(good)+P(bad)) at the last tag: sigmoid(#y - #n) up to it', async () => {
    const m = await prm({ modelDir: dirs.prmStepTag, head: 'step-tag', tagToken: '<tag>', goodToken: '+', badToken: '-' });
    expect(m.granularity).toBe('step');
    expect(m.renderText(t('yy', 'n'))).toBe('Sum 2 + 3.\n\nyy <tag>\nn <tag>\n');
    const ctx = ctxOf(0);
    const s = await m.score([t('yy'), t('yy', 'n'), t('nnn'), t('a y b')], ctx);
    expect(Array.from(s)).toEqual([sigmoid(2), sigmoid(1), sigmoid(-3), sigmoid(1)].map((x) => expect.closeTo(x, 6)));
    expect(ctx.usage.rewardCalls).toBe(1);
    expect(ctx.usage.promptTokens).toBeGreaterThan(0);
    expect(ctx.usage.modelMs).toBeGreaterThan(0);
  });

  it('combines per-step scores with stepScore min or mean; no steps gives emptyValue', async () => {
    const min = await prm({ modelDir: dirs.prmStepTag, tagToken: '<tag>', stepScore: 'min', emptyValue: 0.25 });
    const mean = await prm({ modelDir: dirs.prmStepTag, tagToken: '<tag>', stepScore: 'mean' });
    // Tags after "yyy" (3) and after "nnnnn" (3 - 5 = -2).
    expect((await min.score([t('yyy', 'nnnnn')], ctxOf(0)))[0]).toBeCloseTo(sigmoid(-2), 6);
    expect((await mean.score([t('yyy', 'nnnnn')], ctxOf(0)))[0]).toBeCloseTo((sigmoid(3) + sigmoid(-2)) / 2, 6);
    expect((await min.score([t()], ctxOf(0)))[0]).toBe(0.25);
  });

  it('scores many trajectories in padded batches, one score per input in order', async () => {
    const m = await prm({ modelDir: dirs.prmStepTag, tagToken: '<tag>', batchSize: 2 });
    const batch = [t('y'), t('yyyyyyyyyy long step with y'), t('n'), t('yn', 'nny'), t('nothing here')];
    const s = await m.score(batch, ctxOf(0));
    const expected = batch.map((x) => byHand(x.steps.join('')));
    expected.forEach((e, i) => expect(s[i]).toBeCloseTo(e, 6));
    expect(m.stats()).toMatchObject({ calls: 1, trajectories: 5, runs: 3 });
  });
});

describe('classifier PRM (Qwen2.5-Math-PRM style)', () => {
  it('reads 2-class logits at each separator: P(class 1) = sigmoid(#y - #n)', async () => {
    const m = await prm({ modelDir: dirs.prmClassifier, head: 'classifier', tagToken: '<sep>' });
    expect(m.renderText(t('yy', 'n'))).toBe('Sum 2 + 3.\n\nyy<sep>n<sep>');
    const s = await m.score([t('yy', 'n'), t('nn'), t('y', 'y', 'y')], ctxOf(0));
    expect(Array.from(s)).toEqual([sigmoid(1), sigmoid(-2), sigmoid(3)].map((x) => expect.closeTo(x, 6)));
  });

  it('a tag that is several tokens is a config error naming the tokenizer', async () => {
    await expect(prm({ modelDir: dirs.prmClassifier, head: 'classifier', tagToken: 'two' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('tokenizer.json') });
  });
});

describe('generative PRM (the LM scores its own steps)', () => {
  /** Sum of log p(token) over each step + delimiter, by one plain forward pass of the no-cache decoder. */
  async function stepLogprobs(dir: string, prefix: string, steps: string[], delimiter: string): Promise<number[]> {
    const model = await readModelDirectory(dir, '/', undefined);
    const ids = model.tokenizer.encode(prefix, false);
    const spans: [number, number][] = [];
    for (const s of steps) {
      const from = ids.length;
      ids.push(...model.tokenizer.encode(s + delimiter, false));
      spans.push([from, ids.length]);
    }
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    try {
      const T = ids.length;
      const out = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, T]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
      });
      const logits = out.logits.data as Float32Array;
      const V = out.logits.dims[2];
      return spans.map(([a, b]) => {
        let sum = 0;
        for (let j = a; j < b; j++) {
          const row = Array.from(logits.subarray((j - 1) * V, j * V));
          const max = Math.max(...row);
          sum += row[ids[j]] - max - Math.log(row.reduce((z, x) => z + Math.exp(x - max), 0));
        }
        return sum;
      });
    } finally {
      await session.release();
    }
  }

  it('scores each step by sigmoid(scale * its log-probability + bias), the same with and without a KV-cache signature', async () => {
    const steps = ['2 + 3 = 5', 'The answer is 5.'];
    const lp = await stepLogprobs(dirs.decoderNoCache, 'Sum 2 + 3.\n\n', steps, '\n\n');
    expect(lp.every((x) => x < 0)).toBe(true);
    // A small scale keeps the scores away from 0 and 1, so the logit of a score gives back the log-probability.
    const back = (score: number) => (logit(score) - 0.5) / 0.02;
    for (const dir of [dirs.decoderNoCache, dirs.decoder]) {
      const last = await prm({ modelDir: dir, head: 'generative', generativeScale: 0.02, generativeBias: 0.5 });
      const min = await prm({ modelDir: dir, head: 'generative', generativeScale: 0.02, generativeBias: 0.5, stepScore: 'min' });
      expect(last.renderText(t(...steps))).toBe('Sum 2 + 3.\n\n2 + 3 = 5\n\nThe answer is 5.\n\n');
      const s = await last.score([t(steps[0]), t(...steps)], ctxOf(0));
      expect(s[0]).toBeGreaterThan(0.05);
      expect(back(s[0])).toBeCloseTo(lp[0], 3);
      expect(back(s[1])).toBeCloseTo(lp[1], 3);
      expect(back((await min.score([t(...steps)], ctxOf(0)))[0])).toBeCloseTo(Math.min(...lp), 3);
    }
  });

  it('padded batches give each trajectory its own score; tag options are a config error', async () => {
    const m = await prm({ modelDir: dirs.decoderNoCache, head: 'generative', batchSize: 2 });
    const batch = [t('a'), t('a much longer step than the others', 'b'), t('c c'), t()];
    const together = await m.score(batch, ctxOf(0));
    for (let i = 0; i < batch.length; i++) expect(together[i]).toBeCloseTo((await m.score([batch[i]], ctxOf(0)))[0], 5);
    expect(together[3]).toBe(0.5);
    await expect(prm({ modelDir: dirs.decoderNoCache, head: 'generative', tagToken: '<sep>' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('generative') });
  });

  it('an input over maxInputTokens is cut from the left and still scores the steps that remain', async () => {
    const m = await prm({ modelDir: dirs.decoderNoCache, head: 'generative', maxInputTokens: 12, generativeScale: 0.02, generativeBias: 0 });
    const s = await m.score([t('an early step that will be cut', 'last')], ctxOf(0));
    expect(m.stats().tooLong).toBe(1);
    // The last 12 tokens (characters) are " cut\n\nlast\n\n"; the uncut context gives another figure.
    const [kept] = await stepLogprobs(dirs.decoderNoCache, ' cut\n\n', ['last'], '\n\n');
    const [whole] = await stepLogprobs(dirs.decoderNoCache, 'Sum 2 + 3.\n\nan early step that will be cut\n\n', ['last'], '\n\n');
    expect(Math.abs(kept - whole)).toBeGreaterThan(0.005);
    expect(logit(s[0]) / 0.02).toBeCloseTo(kept, 3);
  });
});

describe('value head ORM', () => {
  it('scores the whole solution at its last token through a sigmoid', async () => {
    const m = await orm({ modelDir: dirs.ormValue });
    expect(m.granularity).toBe('outcome');
    const s = await m.score([t('yyy', 'n'), t('nnnn'), t('y', 'y')], ctxOf(0));
    expect(Array.from(s)).toEqual([sigmoid(2), sigmoid(-4), sigmoid(2)].map((x) => expect.closeTo(x, 6)));
  });

  it('truncates an input over maxInputTokens from the left and counts it', async () => {
    const m = await orm({ modelDir: dirs.ormValue, maxInputTokens: 16 });
    // Text: "Sum 2 + 3.\n\n" + "nnnnnnnnnn" + "\n\n" + "yyy ok" -> the last 16 characters are "nnnnnnnn\n\nyyy ok".
    const long = t('nnnnnnnnnn', 'yyy ok');
    expect(m.renderText(long).slice(-16)).toBe('nnnnnnnn\n\nyyy ok');
    const [short, cut] = await m.score([t('y'), long], ctxOf(0));
    expect(short).toBeCloseTo(sigmoid(1), 6);
    expect(cut).toBeCloseTo(sigmoid(3 - 8), 6);
    expect(m.stats().tooLong).toBe(1);
  });

  it('or gives tooLongValue without running the model', async () => {
    const m = await prm({ modelDir: dirs.prmStepTag, tagToken: '<tag>', maxInputTokens: 16, onTooLong: 'value', tooLongValue: 0.125 });
    const s = await m.score([t('nnnnnnnnnnnnnnnnnnnn'), t('y')], ctxOf(0));
    expect(s[0]).toBe(0.125);
    expect(s[1]).toBeCloseTo(sigmoid(1), 6);
    expect(m.stats()).toMatchObject({ tooLong: 1, runs: 1 });
  });
});
