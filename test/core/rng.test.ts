import { describe, expect, it } from 'vitest';
import { Rng, problemRng } from '../../src/index.js';

describe('Rng', () => {
  it('same seed, same stream; different seeds differ', () => {
    const a = Rng.fromSeed(1);
    const b = Rng.fromSeed(1);
    const c = Rng.fromSeed(2);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('split children depend on the seed path only, not on draws made by the parent', () => {
    const a = Rng.fromSeed(7);
    const b = Rng.fromSeed(7);
    for (let i = 0; i < 100; i++) b.float();
    expect(a.split('x').float()).toBe(b.split('x').float());
    expect(a.split('x').float()).not.toBe(a.split('y').float());
    expect(problemRng(0, 'p1').path).toBe('0/problem:p1');
  });

  it('float is uniform in [0, 1); int is unbiased in range', () => {
    const r = Rng.fromSeed('u');
    let sum = 0;
    const counts = new Array(6).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 60000; i++) {
      const f = r.float();
      min = Math.min(min, f);
      max = Math.max(max, f);
      sum += f;
      counts[r.int(6)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / 60000).toBeCloseTo(0.5, 2);
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    expect(() => r.int(0)).toThrow(RangeError);
  });

  it('normal, gamma and Dirichlet have the right moments', () => {
    const r = Rng.fromSeed('m');
    let s = 0;
    let s2 = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(s / n).toBeCloseTo(0, 1);
    expect(s2 / n).toBeCloseTo(1, 1);
    let g = 0;
    for (let i = 0; i < n; i++) g += r.gamma(0.3);
    expect(g / n).toBeCloseTo(0.3, 1);
    const d = r.dirichlet(0.3, 5);
    expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
