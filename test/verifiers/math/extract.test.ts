// Final-answer extraction: each rule, the configurable priority, the opt-in fallback, and real model text
// from the shared data (skipped with a printed reason when it is absent).
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXTRACTION_PRIORITY, extractAnswer, type ExtractOptions } from '../../../verifiers/math/answer-extract.js';
import { hasSharedData, readSharedJsonl } from '../../helpers/shared-data.js';

const withFallback: ExtractOptions = { priority: DEFAULT_EXTRACTION_PRIORITY, lastNumberFallback: true };

describe('extraction rules', () => {
  it('boxed: the last \\boxed{} or \\fbox{}, nested braces kept', () => {
    expect(extractAnswer('so \\boxed{3} then \\boxed{\\frac{1}{\\sqrt{2}}}.')).toEqual({ answer: '\\frac{1}{\\sqrt{2}}', rule: 'boxed' });
    expect(extractAnswer('\\fbox{42}')).toEqual({ answer: '42', rule: 'boxed' });
    expect(extractAnswer('the answer \\boxed 7 done')).toEqual({ answer: '7', rule: 'boxed' });
    expect(extractAnswer('broken \\boxed{3')).toBeNull();
  });

  it('boxed: adjacent boxes joined by "and" or commas form one list; prose between them does not', () => {
    expect(extractAnswer('\\boxed{1}, \\boxed{2}, \\boxed{3}')?.answer).toBe('1, 2, 3');
    expect(extractAnswer('\\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]')?.answer).toBe('-2, 1');
    expect(extractAnswer('\\boxed{1} no no no no no \\boxed{2}')?.answer).toBe('2');
  });

  it('gsm8k: "#### N"', () => {
    expect(extractAnswer('She makes 9 * 2 = $<<9*2=18>>18.\n#### 18')).toEqual({ answer: '18', rule: 'gsm8k' });
    expect(extractAnswer('#### 2,125')).toEqual({ answer: '2,125', rule: 'gsm8k' });
  });

  it('final-answer: "Final Answer: The final answer is X. I hope it is correct."', () => {
    expect(extractAnswer('... Final Answer: The final answer is $14{,}916$. I hope it is correct.')).toEqual({ answer: '$14{,}916$', rule: 'final-answer' });
    expect(extractAnswer('**Final Answer**\n\\boxed{840}')).toEqual({ answer: '840', rule: 'final-answer' });
    expect(extractAnswer('Final Answer: The largest $n$ is 34.')?.answer).toBe('34');
  });

  it('answer-is: "The answer is X", including an answer on the following lines', () => {
    expect(extractAnswer('Thus the answer is 12.')).toEqual({ answer: '12', rule: 'answer-is' });
    expect(extractAnswer('So the answer is $\\frac{3}{4}$.')?.answer).toBe('$\\frac{3}{4}$');
    expect(extractAnswer('The answer is 3.5 dollars.')?.answer).toBe('3.5 dollars');
  });

  it('answer-colon: "Answer: X" and a GSM8K model line "A: N" at the end', () => {
    expect(extractAnswer('Some work\nAnswer: 7')).toEqual({ answer: '7', rule: 'answer-colon' });
    expect(extractAnswer('He made 200-130 = <<200-130=70>>70\nA: 70')).toEqual({ answer: '70', rule: 'answer-colon' });
    expect(extractAnswer('A: 5 is what I think\nmore text')).toBeNull();
  });

  it('priority is configurable and reports the rule that fired', () => {
    const text = 'We box \\boxed{255} first.\nFinal Answer: The final answer is $10,455$.';
    expect(extractAnswer(text)).toEqual({ answer: '$10,455$', rule: 'final-answer' });
    expect(extractAnswer(text, { priority: ['boxed', 'final-answer'], lastNumberFallback: false })).toEqual({ answer: '255', rule: 'boxed' });
  });

  it('the last-number fallback is off by default', () => {
    const text = 'so the probability that Alice wins is 2/3';
    expect(extractAnswer(text)).toBeNull();
    expect(extractAnswer(text, withFallback)).toEqual({ answer: '2/3', rule: 'last-number' });
    expect(extractAnswer('1,000.99€ total', withFallback)?.answer).toBe('1,000.99');
    expect(extractAnswer('code AZYUK2A', withFallback)).toBeNull();
    expect(extractAnswer('\\frac{10}{9}', withFallback)).toEqual({ answer: '\\frac{10}{9}', rule: 'whole-text' });
  });

  it('last-math: the last $...$ segment, only when asked for', () => {
    const opts: ExtractOptions = { priority: [...DEFAULT_EXTRACTION_PRIORITY, 'last-math'], lastNumberFallback: false };
    expect(extractAnswer('the ordered pair is $(7, 6)$.', opts)).toEqual({ answer: '(7, 6)', rule: 'last-math' });
    expect(extractAnswer('Answer $ \n 9 \n $', opts)).toBeNull();
  });
});

describe('extraction on real model outputs', () => {
  it('finds the boxed answer in every Qwen2.5-Math output and agrees with Qwen\'s own extraction', () => {
    if (!hasSharedData('qwen25math_math_cot_100_samples.jsonl')) return;
    const rows = readSharedJsonl<{ code: string[]; pred: string[] }>('qwen25math_math_cot_100_samples.jsonl');
    let same = 0;
    let total = 0;
    for (const row of rows) {
      row.code.forEach((out, k) => {
        const r = extractAnswer(out);
        expect(r, `output ${total}`).not.toBeNull();
        expect(r?.rule).toBe('boxed');
        total++;
        if (r !== null && r.answer.replace(/\s+/g, '') === row.pred[k].replace(/\s+/g, '')) same++;
      });
    }
    // Qwen strips units and \text from its preds, so exact string agreement is high but not total.
    expect(same / total).toBeGreaterThan(0.9);
  });

  it('finds "A: N" in every GSM8K model solution that has one', () => {
    if (!hasSharedData('gsm8k_example_model_solutions.jsonl')) return;
    const rows = readSharedJsonl<Record<string, { solution: string }>>('gsm8k_example_model_solutions.jsonl');
    let withLine = 0;
    for (const row of rows) {
      for (const m of ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification']) {
        const sol = row[m].solution;
        const last = /A:\s*(.+)$/.exec(sol.trim().split('\n').pop() ?? '');
        if (last === null) continue;
        withLine++;
        const r = extractAnswer(sol);
        expect(r?.rule).toBe('answer-colon');
        if (/^-?[\d,.]+$/.test(last[1].trim())) expect(r?.answer).toBe(last[1].trim());
      }
    }
    expect(withLine).toBeGreaterThan(5000);
  });

  it('extracts "#### N" from every GSM8K test solution', () => {
    if (!hasSharedData('gsm8k_test.jsonl')) return;
    const rows = readSharedJsonl<{ answer: string }>('gsm8k_test.jsonl');
    for (const row of rows) expect(extractAnswer(row.answer)?.rule).toBe('gsm8k');
  });
});
