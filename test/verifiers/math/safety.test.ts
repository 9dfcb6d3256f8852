// Untrusted text: size limits, hostile expressions and the guarded worker. Hostile inputs must return
// `too_large` / `timeout` well inside the test's own timeout, and the host must keep working afterwards.
import { afterAll, describe, expect, it } from 'vitest';
import { isMcgError } from '../../../src/core/index.js';
import { createMathChecker } from '../../../verifiers/math/math-checker.js';
import { createSafeMath } from '../../../verifiers/math/safe-math.js';

const checker = createMathChecker({ timeoutMs: 2000 });
afterAll(() => checker.close());

/**
 * Two sums that differ by one term: the random points disagree, so mathjs simplify gets the difference,
 * which takes it minutes (superlinear rule application) when allowed on trees this large.
 */
function slowSymbolicPair(terms: number): [string, string] {
  const t: string[] = [];
  for (let i = 1; i <= terms; i++) t.push(`\\frac{${i} x^{${i % 7}} y^{${i % 5}}}{z+${i}}`);
  return [t.join(' + '), `${[...t].reverse().join(' + ')} + x`];
}

describe('hostile inputs return too_large, and the host keeps working', () => {
  it.each([
    ['a power tower', '9^9^9^9'],
    ['a braced power tower', '9^{9^{9^{9}}}'],
    ['a huge factorial', '1000000!'],
    ['a huge factorial inside an irrational expression', '\\sqrt{2} \\cdot 1000000!'],
    ['a huge matrix constructor', 'zeros(30000,30000)'],
    ['a huge power', '2^{10^{9}}'],
    ['a huge literal exponent', '1e999999999'],
    ['deep nesting', `${'('.repeat(5000)}1${')'.repeat(5000)}`],
    ['deep braces', `${'{'.repeat(3000)}1${'}'.repeat(3000)}`],
    ['too many nodes', Array.from({ length: 3000 }, (_, i) => String(i)).join('+')],
    ['many ± signs', Array.from({ length: 20 }, () => '\\pm 1').join(' ')],
  ])('%s', async (_name, hostile) => {
    const r = await checker.compare('5', hostile);
    expect(r.equal).toBe(false);
    expect(['too_large', 'timeout']).toContain(r.reason);
    expect((await checker.compare('\\frac{1}{2}', '0.5')).equal).toBe(true);
  });

  it('refuses predictions longer than maxInputChars before extracting', async () => {
    const small = createMathChecker({ maxInputChars: 1000 });
    try {
      const r = await small.check('5', `${'x'.repeat(5000)} \\boxed{5}`);
      expect(r).toMatchObject({ equal: false, reason: 'too_large' });
    } finally {
      await small.close();
    }
  });

  it('refuses extracted answers longer than maxAnswerChars', async () => {
    const r = await checker.compare('5', `${'1+'.repeat(4000)}1`);
    expect(r.reason).toBe('too_large');
  });
});

describe('the guarded worker', () => {
  it('times out a slow symbolic comparison, replaces the worker, and serves the next check', async () => {
    const c = createMathChecker({ timeoutMs: 1000, simplifyMaxNodes: 100_000 });
    try {
      const [a, b] = slowSymbolicPair(20);
      const r = await c.check(`\\boxed{${a}}`, `\\boxed{${b}}`);
      expect(r).toMatchObject({ equal: false, reason: 'timeout' });
      // The next symbolic check runs on a fresh worker.
      expect(await c.compare('(x+1)^2', 'x^2+2x+1')).toMatchObject({ equal: true, reason: 'symbolic' });
      expect(c.stats.inWorker).toBe(2);
      // Timeouts are not cached: asking again times out again rather than replaying a stale verdict.
      expect((await c.check(`\\boxed{${a}}`, `\\boxed{${b}}`)).reason).toBe('timeout');
    } finally {
      await c.close();
    }
  }, 60_000);

  it('rejects with ABORTED when the caller aborts a running comparison, then keeps working', async () => {
    const c = createMathChecker({ timeoutMs: 60_000, simplifyMaxNodes: 100_000 });
    try {
      await c.compare('x+1', '1+x'); // start the worker
      const [a, b] = slowSymbolicPair(20);
      const ac = new AbortController();
      const pending = c.compare(a, b, ac.signal);
      setTimeout(() => ac.abort(new Error('test abort')), 200);
      const err = await pending.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isMcgError(err, 'ABORTED')).toBe(true);
      expect(await c.compare('\\sin^2 x + \\cos^2 x', '1')).toMatchObject({ equal: true });
    } finally {
      await c.close();
    }
  }, 60_000);

  it('rejects immediately when the signal has already fired', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(checker.compare('x', 'x + 0', ac.signal)).rejects.toSatisfy((e: unknown) => isMcgError(e, 'ABORTED'));
  });
});

describe('the restricted mathjs instance', () => {
  const m = createSafeMath();
  it.each([
    ['import', 'import({x: 1}, {})'],
    ['createUnit', 'createUnit("foo")'],
    ['evaluate', 'evaluate("1+1")'],
    ['parse', 'parse("1")'],
    ['simplify', 'simplify("x+x")'],
    ['a matrix constructor', 'zeros(30000, 30000)'],
    ['a matrix literal', '[1, 2, 3]'],
    ['assignment', 'a = 1'],
    ['function definition', 'f(x) = x^2'],
    ['property access', 'v0.constructor'],
    ['an unknown symbol', 'process'],
  ])('refuses %s', (_name, expr) => {
    expect(() => m.parse(expr)).toThrow();
  });

  it('evaluates whitelisted expressions with variables', () => {
    expect(m.evaluate(m.parse('sqrt(v0) + sin(pi / 2)'), { v0: 4 })).toBeCloseTo(3, 12);
    expect(m.simplify(m.parse('(v0 + 1) - (1 + v0)')).toString()).toBe('0');
  });
});
