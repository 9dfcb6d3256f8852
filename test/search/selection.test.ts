import { describe, expect, it } from 'vitest';
import { priorsFromLogprobs, puctC, puctScore, uctScore } from '../../src/index.js';

describe('selection maths (hand-computed)', () => {
  it('c(s) follows MuZero: cInit + ln((N + cBase + 1) / cBase)', () => {
    expect(puctC(0, 1.25, 19652)).toBeCloseTo(1.25 + Math.log(19653 / 19652), 12);
    expect(puctC(0, 1.25, 19652)).toBeCloseTo(1.2500509, 7);
    // At N = cBase the log term is ln(2 + 1/cBase).
    expect(puctC(19652, 1.25, 19652)).toBeCloseTo(1.25 + 0.6931726, 6);
  });

  it('PUCT score = Q + c * P * sqrt(N) / (1 + n)', () => {
    // 0.5 + 1.25 * 0.25 * 3 / 3 = 0.8125
    expect(puctScore(0.5, 0.25, 9, 2, 1.25)).toBeCloseTo(0.8125, 12);
    // An unvisited child with prior 0.6 under a parent with 4 visits: 0 + 1.25 * 0.6 * 2 / 1 = 1.5
    expect(puctScore(0, 0.6, 4, 0, 1.25)).toBeCloseTo(1.5, 12);
    // N = 0 counts as 1 so priors order the first selection.
    expect(puctScore(0, 0.6, 0, 0, 1.25)).toBeCloseTo(0.75, 12);
  });

  it('UCT score = Q + c * sqrt(ln N / n), unvisited first', () => {
    // 0.5 + sqrt(2) * sqrt(ln 10 / 2) = 2.0174272...
    expect(uctScore(0.5, 10, 2, Math.SQRT2)).toBeCloseTo(2.0174272, 6);
    expect(uctScore(0.9, 10, 0, Math.SQRT2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('priors are the softmax of logprobs (temperature, length norm, NaN -> uniform)', () => {
    const p = priorsFromLogprobs([Math.log(0.6), Math.log(0.4)], [1, 1], 1, false);
    expect(p[0]).toBeCloseTo(0.6, 12);
    expect(p[1]).toBeCloseTo(0.4, 12);
    // Temperature 2 takes square roots before normalising: 0.7746 / (0.7746 + 0.6325) = 0.5505
    const t = priorsFromLogprobs([Math.log(0.6), Math.log(0.4)], [1, 1], 2, false);
    expect(t[0]).toBeCloseTo(Math.sqrt(0.6) / (Math.sqrt(0.6) + Math.sqrt(0.4)), 12);
    // Length norm divides each logprob by its token count: exp(-2/2) vs exp(-1/1) -> equal.
    const l = priorsFromLogprobs([-2, -1], [2, 1], 1, true);
    expect(l[0]).toBeCloseTo(0.5, 12);
    const u = priorsFromLogprobs([Number.NaN, -1, -2], [1, 1, 1], 1, true);
    expect([...u]).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});
