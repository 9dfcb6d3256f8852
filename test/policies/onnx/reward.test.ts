// Reward heads on tiny models whose scores are a known function of the text: every score is
// sigmoid(#y - #n) over the characters the head reads (see scripts/onnx/tiny-models.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem, Trajectory } from '../../../src/index.js';
import { createOnnxOrm, createOnnxPrm, onnxOrmOptions, onnxPrmOptions, type OnnxOrm, type OnnxPrm } from '../../../policies/onnx/index.js';
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
