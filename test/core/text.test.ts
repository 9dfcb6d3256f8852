import { describe, expect, it } from 'vitest';
import { Rng, countRoughTokens, normalizeStepText } from '../../src/index.js';

describe('text helpers', () => {
  it('countRoughTokens counts what the reference regex matches, on hand cases and random text', () => {
    const reference = (t: string) => (t.match(/[A-Za-z]+|\d|[^\sA-Za-z\d]/g) ?? []).length;
    expect(countRoughTokens('12 * 7 = 84')).toBe(7);
    expect(countRoughTokens('The answer is 84.')).toBe(6);
    expect(countRoughTokens('')).toBe(0);
    expect(countRoughTokens('\u00a0\u3000\ufeff x\u2028y')).toBe(2);
    const rng = Rng.fromSeed('tokens');
    const alphabet = ['a', 'Z', 'q', '1', '9', ' ', '\t', '\n', '*', '=', '\u00e9', '\u00a0', '\u2003', '\u3000', '\ud83d\ude00', '\u0301', '_', '$'];
    for (let i = 0; i < 2000; i++) {
      let t = '';
      const len = rng.int(30);
      for (let j = 0; j < len; j++) t += alphabet[rng.int(alphabet.length)];
      expect(countRoughTokens(t), JSON.stringify(t)).toBe(reference(t));
    }
  });

  it('normalizeStepText trims and collapses whitespace', () => {
    expect(normalizeStepText('  a \n\t b  ')).toBe('a b');
  });
});
