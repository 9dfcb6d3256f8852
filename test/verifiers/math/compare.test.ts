// The equivalence ladder: each rung, the known false-positive traps, exact big integers, structured answers
// both ways, policies (percent, unreduced fractions, strict units) and the verdict cache.
import { afterAll, describe, expect, it } from 'vitest';
import { createMathChecker } from '../../../verifiers/math/math-checker.js';

const checker = createMathChecker({});
afterAll(() => checker.close());

async function cmp(gold: string, pred: string) {
  return checker.compare(gold, pred);
}

describe('ladder rungs', () => {
  it('exact: identical normalised strings', async () => {
    expect(await cmp('\\frac{1}{2}', '\\dfrac{1}{2}')).toMatchObject({ equal: true, reason: 'exact' });
    expect(await cmp('2,125', '2125')).toMatchObject({ equal: true, reason: 'exact' });
  });

  it('rational: exact fractions and integers', async () => {
    expect(await cmp('1/2', '0.5')).toMatchObject({ equal: true, reason: 'rational' });
    expect(await cmp('\\frac{3}{6}', '\\frac12')).toMatchObject({ equal: true, reason: 'rational' });
    expect(await cmp('\\sqrt{4}', '2')).toMatchObject({ equal: true, reason: 'rational' });
    expect(await cmp('3/4', '0.75')).toMatchObject({ equal: true, reason: 'rational' });
    expect(await cmp('2/3', '3/4')).toMatchObject({ equal: false, reason: 'mismatch' });
  });

  it('numeric: relative tolerance for approximations and irrationals', async () => {
    expect(await cmp('\\sqrt{2}', '1.41421356')).toMatchObject({ equal: true, reason: 'numeric' });
    expect(await cmp('\\pi', '3.14159265')).toMatchObject({ equal: true, reason: 'numeric' });
    expect(await cmp('\\pi', '3.14')).toMatchObject({ equal: false, reason: 'mismatch' });
    expect(await cmp('\\frac{1}{12}', '0.0833333333333333')).toMatchObject({ equal: true });
    expect(await cmp('2\\sqrt{3}', '\\sqrt{12}')).toMatchObject({ equal: true, reason: 'numeric' });
  });

  it('numeric: the tolerance is configurable', async () => {
    const loose = createMathChecker({ tolerance: 1e-3 });
    try {
      expect((await loose.compare('\\frac{1}{3}', '0.3333')).equal).toBe(true);
      expect((await checker.compare('\\frac{1}{3}', '0.3333')).equal).toBe(false);
    } finally {
      await loose.close();
    }
  });

  it('symbolic: expressions with variables (simplify, then random points)', async () => {
    expect(await cmp('(x-2)(x+2)', 'x^2-4')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await cmp('\\tan^2(y)+1', '\\sec^2(y)')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await cmp('\\frac{x+2}{7}', '\\frac{x}{7}+\\frac{2}{7}')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await cmp('4a-2', '2(2a-1)')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await cmp('x+2n+1', 'x+1')).toMatchObject({ equal: false, reason: 'mismatch' });
    expect(await cmp('|x|', 'x')).toMatchObject({ equal: false });
  });

  it('symbolic: complex numbers', async () => {
    expect(await cmp('3+4i', '4i+3')).toMatchObject({ equal: true });
    expect(await cmp('(1+i)^2', '2i')).toMatchObject({ equal: true });
    expect(await cmp('1+i', '1-i')).toMatchObject({ equal: false });
  });

  it('parse_error names the side that failed', async () => {
    const r = await cmp('5', '5 +* 3');
    expect(r).toMatchObject({ equal: false, reason: 'parse_error', side: 'pred' });
  });
});

describe('false-positive traps come out NOT equal', () => {
  it.each([
    ['1/2004!', '1/2006!'],
    ['\\frac{1}{2004!}', '\\frac{1}{2006!}'],
    ['\\pm 2021', '2021'],
    ['2021', '\\pm 2021'],
    ['y = 2x + 1', 'y = 2x + 3'],
    ['1', '10'],
    ['10', '1'],
    ['2^{100}', '2^{100}+1'],
    ['2^{100}+1', '2^{100}'],
    ['\\sqrt{2}/2004!', '\\sqrt{2}/2006!'],
    ['12:00', '1:00'],
    ['x > 5', 'x < 5'],
    ['5x - 7y + 11z + 4 = 0', 'x + y - z + 2 = 0'],
  ])('%s vs %s', async (gold, pred) => {
    const r = await cmp(gold, pred);
    expect(r.equal).toBe(false);
    expect(r.reason).toBe('mismatch');
  });
});

describe('big integers are exact', () => {
  it('compares 2^100 exactly and large literals digit by digit', async () => {
    expect(await cmp('2^{100}', '1267650600228229401496703205376')).toMatchObject({ equal: true, reason: 'rational' });
    expect(await cmp('2^{100}', '1267650600228229401496703205377')).toMatchObject({ equal: false });
    expect(await cmp('100!', '100!')).toMatchObject({ equal: true });
    expect(await cmp('100! + 1', '100!')).toMatchObject({ equal: false });
    expect(await cmp('10^{30}', '10^{30} + 1')).toMatchObject({ equal: false });
  });

  it('still accepts a decimal approximation of a big number within tolerance', async () => {
    expect(await cmp('2^{100}', '1.2676506e30')).toMatchObject({ equal: true, reason: 'numeric' });
  });
});

describe('structured answers', () => {
  it('tuples are ordered', async () => {
    expect(await cmp('(1, \\frac{9}{2})', '(1, 4.5)')).toMatchObject({ equal: true, reason: 'tuple' });
    expect(await cmp('\\left( 3, \\frac{\\pi}{2} \\right)', '(3, \\pi/2)')).toMatchObject({ equal: true, reason: 'tuple' });
    expect(await cmp('(1, 2)', '(2, 1)')).toMatchObject({ equal: false });
    expect(await cmp('(1, 2)', '(1, 2, 3)')).toMatchObject({ equal: false });
  });

  it('sets are unordered (bare comma lists too), duplicates collapse', async () => {
    expect(await cmp('\\{1, 2, 3\\}', '\\{3, 1, 2\\}')).toMatchObject({ equal: true, reason: 'set' });
    expect(await cmp('-2, 1', '1, -2')).toMatchObject({ equal: true, reason: 'set' });
    expect(await cmp('(1,2),(3,4)', '(3,4),(1,2),(3,4)')).toMatchObject({ equal: true, reason: 'set' });
    expect(await cmp('\\{1, 2\\}', '\\{1, 3\\}')).toMatchObject({ equal: false });
    expect(await cmp('1, 2', '1, 2, 3')).toMatchObject({ equal: false });
  });

  it('\\pm is a two-element set', async () => {
    expect(await cmp('\\pm 2021', '\\{-2021, 2021\\}')).toMatchObject({ equal: true, reason: 'set' });
    expect(await cmp('1 \\pm \\sqrt{19}', '1+\\sqrt{19}, 1-\\sqrt{19}')).toMatchObject({ equal: true, reason: 'set' });
    expect(await cmp('x = 3 \\pm 2\\sqrt{2}', '3 - 2\\sqrt{2}, 3 + 2\\sqrt{2}')).toMatchObject({ equal: true });
    expect(await cmp('1 \\pm \\sqrt{19}', '1+\\sqrt{19}')).toMatchObject({ equal: false });
  });

  it('intervals compare ends and brackets; inequalities meet intervals', async () => {
    expect(await cmp('[0, 1)', '[0, 1)')).toMatchObject({ equal: true });
    expect(await cmp('(3/5, 8/3]', '(0.6, 2.66666667]')).toMatchObject({ equal: true, reason: 'interval' });
    expect(await cmp('[0, 1)', '(0, 1)')).toMatchObject({ equal: false });
    expect(await cmp('[0, 9)', '[0, 1)')).toMatchObject({ equal: false });
    expect(await cmp('(-\\infty, 3]', 'x \\le 3')).toMatchObject({ equal: true, reason: 'interval' });
    expect(await cmp('-793 < a < 10', '(-793, 10)')).toMatchObject({ equal: true, reason: 'interval' });
    expect(await cmp('[-1, 0) \\cup (1, \\infty)', '(1, \\infty) \\cup [-1, 0)')).toMatchObject({ equal: true, reason: 'interval' });
    expect(await cmp('[-1, 0) \\cup (1, \\infty)', '[-1, 0) \\cup [1, \\infty)')).toMatchObject({ equal: false });
  });

  it('equations: same-name assignments compare right sides, others up to a constant factor', async () => {
    expect(await cmp('2x+4y-3=0', 'y=-\\frac{1}{2}x+\\frac{3}{4}')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await cmp('34x+45y-20z+100=0', '-34x-45y+20z-100=0')).toMatchObject({ equal: true });
    expect(await cmp('x^2/4 + y^2/3 = 1', 'x^2/16 + y^2/12 = 1/4')).toMatchObject({ equal: true });
    expect(await cmp('y = 2x + 1', 'y = 1 + 2x')).toMatchObject({ equal: true });
    expect(await cmp('a + 3z = 0', '0')).toMatchObject({ equal: false });
    expect(await cmp('k = 1', '1')).toMatchObject({ equal: true });
  });

  it('inequalities: same solution set after flipping', async () => {
    expect(await cmp('x < 1', '-x > -1')).toMatchObject({ equal: true });
    expect(await cmp('x \\geq 5', '5 \\leq x')).toMatchObject({ equal: true });
    expect(await cmp('x < 1', 'x > -1')).toMatchObject({ equal: false });
    expect(await cmp('x \\ge 5', 'x \\le 5')).toMatchObject({ equal: false });
  });

  it('matrices compare entry by entry (literal sums and products evaluated)', async () => {
    expect(await cmp('\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}', '\\left[\\begin{array}{cc}1 & 2 \\\\ 3 & 4\\end{array}\\right]')).toMatchObject({ equal: true });
    expect(await cmp('\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}', '\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}')).toMatchObject({ equal: true });
    expect(await cmp('\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}', '\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}')).toMatchObject({ equal: false });
  });

  it('multiple-choice letters and plain text (case-folded)', async () => {
    expect(await cmp('(C)', '\\text{C}')).toMatchObject({ equal: true });
    expect(await cmp('C', 'D')).toMatchObject({ equal: false });
    expect(await cmp('\\text{Evelyn}', 'evelyn')).toMatchObject({ equal: true, reason: 'text' });
    expect(await cmp('\\text{Even}', 'odd')).toMatchObject({ equal: false });
  });

  it('numbers in a base compare digits and base', async () => {
    expect(await cmp('204_5', '204_{5}')).toMatchObject({ equal: true });
    expect(await cmp('1112112_3', '1112122_3')).toMatchObject({ equal: false });
  });
});

describe('policies', () => {
  it('percent: either (default), strip, fraction', async () => {
    expect((await cmp('28\\%', '28')).equal).toBe(true);
    expect((await cmp('28\\%', '0.28')).equal).toBe(true);
    expect((await cmp('28\\%', '0.3')).equal).toBe(false);
    const strip = createMathChecker({ percent: 'strip' });
    const fraction = createMathChecker({ percent: 'fraction' });
    try {
      expect((await strip.compare('28\\%', '28')).equal).toBe(true);
      expect((await strip.compare('28\\%', '0.28')).equal).toBe(false);
      expect((await fraction.compare('28\\%', '0.28')).equal).toBe(true);
      expect((await fraction.compare('28\\%', '28')).equal).toBe(false);
    } finally {
      await strip.close();
      await fraction.close();
    }
  });

  it('unreduced fractions: accepted by default, rejected on request', async () => {
    expect((await cmp('\\frac{1}{2}', '\\frac{2}{4}')).equal).toBe(true);
    const strict = createMathChecker({ unreducedFractions: 'reject' });
    try {
      expect(await strict.compare('\\frac{1}{2}', '\\frac{2}{4}')).toMatchObject({ equal: false, reason: 'mismatch' });
      expect((await strict.compare('\\frac{1}{2}', '\\frac{1}{2}')).equal).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('units: dropped by default, compared in strict mode', async () => {
    expect((await cmp('10\\text{ units}', '10')).equal).toBe(true);
    expect((await cmp('10\\text{ units}', '100')).equal).toBe(false);
    const strict = createMathChecker({ strictUnits: true });
    try {
      expect((await strict.compare('5\\text{ cm}', '5 cm')).equal).toBe(true);
      expect((await strict.compare('5\\text{ cm}', '5')).equal).toBe(false);
      expect((await strict.compare('5\\text{ cm}', '5 m')).equal).toBe(false);
    } finally {
      await strict.close();
    }
  });
});

describe('verdict cache', () => {
  it('answers a repeated pair from the cache, bounded by cacheSize', async () => {
    const c = createMathChecker({ cacheSize: 2 });
    try {
      await c.compare('1/2', '0.5');
      await c.compare('1/2', '0.5');
      expect(c.stats.cacheHits).toBe(1);
      await c.compare('1', '2');
      await c.compare('3', '4');
      await c.compare('1/2', '0.5'); // evicted by the two pairs above
      expect(c.stats.cacheHits).toBe(1);
      const off = createMathChecker({ cacheSize: 0 });
      await off.compare('1/2', '0.5');
      await off.compare('1/2', '0.5');
      expect(off.stats.cacheHits).toBe(0);
      await off.close();
    } finally {
      await c.close();
    }
  });

  it('keeps the cheap path in-thread and sends only symbolic pairs to the worker', async () => {
    const c = createMathChecker({});
    try {
      await c.compare('\\frac{1}{2}', '0.5');
      await c.compare('1234', '1,234');
      expect(c.stats).toMatchObject({ inThread: 2, inWorker: 0 });
    } finally {
      await c.close();
    }
  });
});
