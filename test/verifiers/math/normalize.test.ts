// Normalisation rules of final answers: each LaTeX / formatting habit maps to the same cleaned text or AST.
import { describe, expect, it } from 'vitest';
import { normalizeAnswer } from '../../../verifiers/math/answer-normalize.js';
import { DEFAULT_COMPARE_OPTIONS, HOST_ENV, canonicalAnswer, compareAnswersWith } from '../../../verifiers/math/answer-compare.js';
import { parseMath, printNode } from '../../../verifiers/math/expr-parse.js';

/** Parses the normalised text and prints the AST back: the form two spellings must share. */
function form(text: string): string {
  return printNode(parseMath(normalizeAnswer(text).text));
}

/** In-thread comparison (no worker): throws if a case needs the symbolic rung. */
function same(a: string, b: string): boolean {
  return compareAnswersWith(a, b, DEFAULT_COMPARE_OPTIONS, HOST_ENV).equal;
}

describe('normalizeAnswer', () => {
  it.each([
    ['\\frac{1}{2}', '1/2'],
    ['\\dfrac{1}{2}', '1/2'],
    ['\\tfrac{1}{2}', '1/2'],
    ['\\cfrac{1}{2}', '1/2'],
    ['\\frac12', '1/2'],
    ['\\frac1{72}', '1/72'],
    ['\\frac94\\pi', '9/4*pi'],
    ['\\sqrt2', 'sqrt(2)'],
    ['\\sqrt{2}', 'sqrt(2)'],
    ['\\sqrt[3]{x}', 'nthroot(x, 3)'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3, pi/2)'],
    ['2 \\cdot 3', '2*3'],
    ['2 \\times 3', '2*3'],
    ['x^{2}', 'x^2'],
    ['e^{i\\pi}', 'e^(i*pi)'],
    ['\\displaystyle \\frac{3}{4}', '3/4'],
    ['1\\!000', '1000'],
    ['1\\,000', '1000'],
    ['10{,}000', '10000'],
    ['900,\\!000,\\!000', '900000000'],
    ['1,234,567', '1234567'],
    ['7 425 000', '7425000'],
    ['-\\infty', '-inf'],
    ['\\mathrm{e}', 'e'],
    ['\\text{5}', '5'],
    ['12\\frac{3}{5}', '12 + 3/5'],
    ['-1\\frac{1}{4}', '-(1 + 1/4)'],
  ])('%s reads as %s', (input, expected) => {
    expect(form(input)).toBe(expected);
  });

  it('drops degrees, currency, \\text units and unit words (recording the unit)', () => {
    expect(normalizeAnswer('90^\\circ')).toMatchObject({ text: '90', unit: 'degree' });
    expect(normalizeAnswer('90^{\\circ}').text).toBe('90');
    expect(normalizeAnswer('\\$18.50').text).toBe('18.50');
    expect(normalizeAnswer('$18')).toMatchObject({ text: '18' });
    expect(normalizeAnswer('10\\text{ units}')).toMatchObject({ text: '10', unit: 'units' });
    expect(normalizeAnswer('15\\mbox{ cm}^2')).toMatchObject({ text: '15', unit: 'cm2' });
    expect(normalizeAnswer('125 miles')).toMatchObject({ text: '125', unit: 'miles' });
    expect(normalizeAnswer('0.06 yuan')).toMatchObject({ text: '0.06', unit: 'yuan' });
  });

  it('keeps a.m./p.m. (a time is not a unit) and keeps variables after numbers', () => {
    expect(normalizeAnswer('4:30 \\text{ p.m.}').text).toBe('4:30 p.m');
    expect(normalizeAnswer('5 x').unit).toBeNull();
    expect(normalizeAnswer('3\\pi').text).toBe('3\\pi');
  });

  it('turns percent signs and words into %', () => {
    for (const s of ['28\\%', '28 %', '28 percent', '28 pct', '28 percentage', '\\boxed{28 percent}']) {
      expect(form(s)).toBe('28%');
    }
  });

  it('reads "x = 5" as an assignment and scientific notation as a number', () => {
    expect(same('5', 'x = 5')).toBe(true);
    expect(same('x = 5', '5')).toBe(true);
    expect(same('1.5e3', '1500')).toBe(true);
    expect(same('1.5 \\times 10^{3}', '1500')).toBe(true);
    expect(same('2E-2', '0.02')).toBe(true);
  });

  it('detects multiple-choice letters and prose', () => {
    expect(normalizeAnswer('(C)').choice).toBe('C');
    expect(normalizeAnswer('\\text{(C)}').choice).toBe('C');
    expect(normalizeAnswer('\\text{Evelyn}').isText).toBe(true);
    expect(normalizeAnswer('x^2 + 1').isText).toBe(false);
    expect(normalizeAnswer('\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}').isText).toBe(false);
  });

  it('treats "and"/"or" between items as separators', () => {
    expect(form('6 \\text{ and } 8')).toBe('6, 8');
    expect(form('$1$ and $2$ and $3$')).toBe('1, 2, 3');
    expect(form('19, 46, and 82')).toBe('19, 46, 82');
  });

  it('keeps a comma inside brackets as an item separator, not a thousands separator', () => {
    expect(form('(1,234)')).toBe('(1, 234)');
    expect(form('1,234')).toBe('1234');
  });

  it('maps equal answers to one canonical string for voting', () => {
    expect(canonicalAnswer('\\frac{1}{2}')).toBe('0.5');
    expect(canonicalAnswer('0.5')).toBe('0.5');
    expect(canonicalAnswer('\\dfrac{2}{4}')).toBe('0.5');
    expect(canonicalAnswer('x = 5')).toBe('5');
    expect(canonicalAnswer('2,125')).toBe('2125');
    expect(canonicalAnswer('\\frac{1}{3}')).toBe('1/3');
    expect(canonicalAnswer('3, 1, 2')).toBe(canonicalAnswer('\\{1, 2, 3\\}'));
  });
});
