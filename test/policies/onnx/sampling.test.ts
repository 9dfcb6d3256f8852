// Logits processors, the sampler and stop strings as pure functions.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/index.js';
import {
  argmax,
  buildProcessors,
  findStopString,
  logSumExp,
  minPProcessor,
  rescanFrom,
  sampleToken,
  softmax,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
} from '../../../policies/onnx/index.js';
import { kthLargest } from '../../../policies/onnx/logits-processors.js';

const logits = () => Float64Array.from([2, 1, 0, -1, 3]);

describe('logits processors', () => {
  it('temperature divides the scores', () => {
    expect(Array.from(temperatureProcessor(2)(logits()))).toEqual([1, 0.5, 0, -0.5, 1.5]);
  });

  it('top-k keeps the k highest scores', () => {
    const out = topKProcessor(2)(logits());
    expect(Array.from(out).map((x) => Number.isFinite(x))).toEqual([true, false, false, false, true]);
    expect(kthLargest([5, 1, 4, 2, 3], 2)).toBe(4);
  });

  it('top-p keeps the smallest head reaching the mass', () => {
    const p = softmax(logits());
    // The two most likely tokens (ids 4 and 0) hold p[4] + p[0]; asking for just that mass keeps them.
    const out = topPProcessor(p[4] + p[0] - 1e-9)(logits());
    expect(Array.from(out).map((x) => Number.isFinite(x))).toEqual([true, false, false, false, true]);
    expect(Array.from(topPProcessor(1)(logits())).every(Number.isFinite)).toBe(true);
  });

  it('min-p drops tokens below minP times the top probability', () => {
    // exp(-1) ~ 0.37 of the top: id 0 (one below the max) stays at minP 0.3, id 1 (two below, 0.135) goes.
    const out = minPProcessor(0.3)(logits());
    expect(Array.from(out).map((x) => Number.isFinite(x))).toEqual([true, false, false, false, true]);
  });

  it('the list follows the settings, in order; greedy takes the argmax with the model logprob', () => {
    expect(buildProcessors({ temperature: 1, topK: 0, topP: 1, minP: 0 })).toHaveLength(0);
    expect(buildProcessors({ temperature: 0.5, topK: 3, topP: 0.9, minP: 0.1 })).toHaveLength(4);
    const l = [0.5, 2, -1];
    const { token, logprob } = sampleToken(l, [], null);
    expect(token).toBe(1);
    expect(logprob).toBeCloseTo(2 - logSumExp(l), 12);
    expect(argmax([1, 3, 3])).toBe(1);
  });

  it('sampling follows the seeded rng and never picks a removed token', () => {
    const procs = [topKProcessor(2)];
    const draw = (seed: number) => Array.from({ length: 200 }, (_, i) => sampleToken([2, 1, 0, -1, 3], procs, Rng.fromSeed(seed).split(i)).token);
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(new Set(a)).toEqual(new Set([0, 4]));
    // Token 4 has e^3 / (e^3 + e^2) ~ 73 % of the kept mass.
    const share = a.filter((t) => t === 4).length / a.length;
    expect(share).toBeGreaterThan(0.6);
    expect(share).toBeLessThan(0.85);
  });
});

describe('stop strings', () => {
  it('split at the earliest stop string, excluding it', () => {
    expect(findStopString('a = 1\n\nb', ['\n\n'])).toEqual({ index: 5, stop: '\n\n' });
    expect(findStopString('x END y\n\n', ['\n\n', 'END'])).toEqual({ index: 2, stop: 'END' });
    expect(findStopString('no stop here', ['\n\n'])).toBeNull();
  });

  it('prefer the longest stop at one index', () => {
    expect(findStopString('ab\n\n\n', ['\n\n', '\n\n\n'])).toEqual({ index: 2, stop: '\n\n\n' });
  });

  it('ignore a stop before any content of the step', () => {
    expect(findStopString('\n\n', ['\n\n'])).toBeNull();
    expect(findStopString('\n\nstep one\n\n', ['\n\n'])).toEqual({ index: 10, stop: '\n\n' });
  });

  it('rescanning from the tail still finds a stop that spans the boundary', () => {
    const text = 'step one\n';
    const next = `${text}\n`;
    expect(findStopString(next, ['\n\n'], rescanFrom(text.length, ['\n\n']))).toEqual({ index: 8, stop: '\n\n' });
  });
});
