// Prompt formatting for the onnx backend: the problem prompt and the steps so far as one text.
// `raw`: a template (`{prompt}`, `{delimiter}`) followed by each step and the step delimiter.
// `chatml`: the ChatML turns Qwen and other models use (<|im_start|>role ... <|im_end|>), rendered
// here without a Jinja engine. `auto` picks chatml when tokenizer_config's chat_template uses ChatML.
// Imports nothing.

export type PromptFormat = 'raw' | 'chatml' | 'auto';

export interface PromptSettings {
  promptFormat: PromptFormat;
  /** Raw format: text before the steps, with `{prompt}` and `{delimiter}` filled in. */
  promptTemplate: string;
  /** ChatML: system message (null: no system turn). */
  systemPrompt: string | null;
  /** ChatML: text at the start of the assistant turn (e.g. "<think>\n\n</think>\n\n" for Qwen3 without thinking). */
  assistantPrefix: string;
  stepDelimiter: string;
}

export const DEFAULT_PROMPT_TEMPLATE = '{prompt}{delimiter}';

/** Resolves `auto` against the tokenizer's chat template (a ChatML template renders as `chatml`). */
export function resolvePromptFormat(format: PromptFormat, tokenizerConfig: Record<string, unknown>): 'raw' | 'chatml' {
  if (format !== 'auto') return format;
  const t = tokenizerConfig.chat_template;
  const text = typeof t === 'string' ? t : Array.isArray(t) ? JSON.stringify(t) : '';
  return text.includes('<|im_start|>') ? 'chatml' : 'raw';
}

/** Fills `{prompt}` and `{delimiter}` (other braces, e.g. LaTeX, are left alone). */
export function fillTemplate(template: string, values: { prompt: string; delimiter: string }): string {
  return template.replace(/\{(prompt|delimiter)\}/g, (_m, key: 'prompt' | 'delimiter') => values[key]);
}

/** The text before the first step. */
export function renderPrefix(problemPrompt: string, s: PromptSettings, format: 'raw' | 'chatml'): string {
  if (format === 'raw') return fillTemplate(s.promptTemplate, { prompt: problemPrompt, delimiter: s.stepDelimiter });
  const system = s.systemPrompt === null ? '' : `<|im_start|>system\n${s.systemPrompt}<|im_end|>\n`;
  return `${system}<|im_start|>user\n${problemPrompt}<|im_end|>\n<|im_start|>assistant\n${s.assistantPrefix}`;
}

/** Prefix plus every step, each followed by the step delimiter: the text the next step continues. */
export function renderTrajectory(problemPrompt: string, steps: readonly string[], s: PromptSettings, format: 'raw' | 'chatml'): string {
  let text = renderPrefix(problemPrompt, s, format);
  for (const step of steps) text += step + s.stepDelimiter;
  return text;
}
