// Prompt formatting for the onnx backend: the problem prompt and the steps so far as one text.
// `template`: the model's own chat template (tokenizer_config.json's `chat_template`, or a
// `chat_template.jinja` file beside it) rendered with @huggingface/jinja, the engine transformers.js
// uses, with the model's special tokens and the generation prompt; the steps then continue the open
// assistant turn. `raw`: a template string (`{prompt}`, `{delimiter}`) followed by each step and the
// step delimiter. `chatml`: ChatML turns written out by hand (kept for configs that name it).
// `auto`: `template` when the model ships a chat template, else `raw`.
// Imports src/core; @huggingface/jinja is imported when a template is first compiled.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McgError } from '../../src/core/index.js';

export const PROMPT_FORMATS = ['raw', 'chatml', 'template', 'auto'] as const;
export type PromptFormat = (typeof PROMPT_FORMATS)[number];
export type ResolvedPromptFormat = 'raw' | 'chatml' | 'template';

export interface PromptSettings {
  promptFormat: PromptFormat;
  /** Raw format: text before the steps, with `{prompt}` and `{delimiter}` filled in. */
  promptTemplate: string;
  /** ChatML and template formats: a system message (null: no system turn; the template may add its default). */
  systemPrompt: string | null;
  /** ChatML and template formats: text after the generation prompt, before the first step. */
  assistantPrefix: string;
  stepDelimiter: string;
  /** Template format: Jinja source used instead of the model's chat template. */
  chatTemplate?: string | undefined;
  /** Template format: extra variables passed to the template (e.g. `{ "enable_thinking": false }` for Qwen3). */
  templateVariables?: Readonly<Record<string, unknown>> | undefined;
  /** Apply the tokenizer's post-processor (BOS); default true, false for the template format. */
  addSpecialTokens?: boolean | undefined;
}

export const DEFAULT_PROMPT_TEMPLATE = '{prompt}{delimiter}';

/** Where a model's chat template came from (named in errors) and its source. */
export interface ChatTemplateSource {
  text: string;
  origin: string;
}

/**
 * The model's chat template: `chat_template.jinja` in the model directory (as recent transformers save
 * it), else tokenizer_config.json's `chat_template` (a string, or a list of `{ name, template }` whose
 * "default" entry is used). Undefined when the model ships none.
 */
export function findChatTemplate(tokenizerConfig: Record<string, unknown>, modelDir: string | undefined): ChatTemplateSource | undefined {
  if (modelDir !== undefined) {
    const file = join(modelDir, 'chat_template.jinja');
    if (existsSync(file)) return { text: readFileSync(file, 'utf8'), origin: file };
  }
  const origin = modelDir === undefined ? 'tokenizer_config.json: "chat_template"' : `${join(modelDir, 'tokenizer_config.json')}: "chat_template"`;
  const t = tokenizerConfig.chat_template;
  if (typeof t === 'string' && t.length > 0) return { text: t, origin };
  if (Array.isArray(t)) {
    const named = t.filter((x): x is { name: string; template: string } => typeof x === 'object' && x !== null && typeof (x as { template?: unknown }).template === 'string');
    const pick = named.find((x) => x.name === 'default') ?? named[0];
    if (pick !== undefined) return { text: pick.template, origin: `${origin} (entry "${pick.name}")` };
  }
  return undefined;
}

/** The configured template (`chatTemplate`) or the model's; read only when the format may use one. */
function templateSource(format: PromptFormat, chatTemplate: string | undefined, tokenizerConfig: Record<string, unknown>, modelDir: string | undefined): ChatTemplateSource | undefined {
  if (format !== 'template' && format !== 'auto') return undefined;
  if (chatTemplate !== undefined) return { text: chatTemplate, origin: 'options.chatTemplate' };
  return findChatTemplate(tokenizerConfig, modelDir);
}

/** `auto` is `template` when there is a template source, else `raw`. */
function formatWith(format: PromptFormat, source: ChatTemplateSource | undefined): ResolvedPromptFormat {
  if (format !== 'auto') return format;
  return source === undefined ? 'raw' : 'template';
}

/** Resolves `auto`: `template` when the model ships a chat template (or one is configured), else `raw`. */
export function resolvePromptFormat(format: PromptFormat, tokenizerConfig: Record<string, unknown>, modelDir?: string, chatTemplate?: string): ResolvedPromptFormat {
  return formatWith(format, templateSource(format, chatTemplate, tokenizerConfig, modelDir));
}

/** Fills `{prompt}` and `{delimiter}` (other braces, e.g. LaTeX, are left alone). */
export function fillTemplate(template: string, values: { prompt: string; delimiter: string }): string {
  return template.replace(/\{(prompt|delimiter)\}/g, (_m, key: 'prompt' | 'delimiter') => values[key]);
}

/** The text before the first step, for the raw and ChatML formats. */
export function renderPrefix(problemPrompt: string, s: PromptSettings, format: 'raw' | 'chatml'): string {
  if (format === 'raw') return fillTemplate(s.promptTemplate, { prompt: problemPrompt, delimiter: s.stepDelimiter });
  const system = s.systemPrompt === null ? '' : `<|im_start|>system\n${s.systemPrompt}<|im_end|>\n`;
  return `${system}<|im_start|>user\n${problemPrompt}<|im_end|>\n<|im_start|>assistant\n${s.assistantPrefix}`;
}

/** Prefix plus every step, each followed by the step delimiter: the text the next step continues (raw and ChatML). */
export function renderTrajectory(problemPrompt: string, steps: readonly string[], s: PromptSettings, format: 'raw' | 'chatml'): string {
  return appendSteps(renderPrefix(problemPrompt, s, format), steps, s.stepDelimiter);
}

function appendSteps(prefix: string, steps: readonly string[], delimiter: string): string {
  let text = prefix;
  for (const step of steps) text += step + delimiter;
  return text;
}

/** Special tokens as chat templates see them: tokenizer_config's strings, or the `content` of AddedToken objects. */
export function specialTokenVariables(tokenizerConfig: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined);
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token']) {
    const v = text(tokenizerConfig[key]);
    if (v !== undefined) out[key] = v;
  }
  const extra = tokenizerConfig.additional_special_tokens;
  if (Array.isArray(extra)) out.additional_special_tokens = extra.map(text).filter((x): x is string => x !== undefined);
  return out;
}

/** Turns the problem into chat messages: an optional system turn, then the user turn. */
export function chatMessages(problemPrompt: string, systemPrompt: string | null): { role: string; content: string }[] {
  const messages: { role: string; content: string }[] = [];
  if (systemPrompt !== null) messages.push({ role: 'system', content: systemPrompt });
  messages.push({ role: 'user', content: problemPrompt });
  return messages;
}

/** Renders prompts of one format; built once per plugin instance. */
export interface PromptRenderer {
  readonly format: ResolvedPromptFormat;
  /** Whether encoding the text applies the tokenizer's post-processor (templates write their own BOS). */
  readonly addSpecialTokens: boolean;
  /** The text before the first step. */
  prefix(problemPrompt: string): string;
  /** Prefix plus every step, each followed by the step delimiter. */
  trajectory(problemPrompt: string, steps: readonly string[]): string;
}

/** Rendered prefixes kept per renderer (a search asks for the same problem's prefix at every node). */
const PREFIX_CACHE_SIZE = 64;

type JinjaTemplate = { render(items: Record<string, unknown>): string };

/**
 * Compiles a template with @huggingface/jinja. Rendering declares the engine's globals (true/false/none,
 * raise_exception, range, as `Template.render` does) but not `strftime_now`, so a template that would
 * print today's date takes its own fallback and renders are reproducible.
 */
async function compileTemplate(text: string): Promise<JinjaTemplate> {
  const { Template, Environment, Interpreter } = await import('@huggingface/jinja');
  const parsed = new Template(text).parsed;
  const globals = new Environment();
  for (const [k, v] of Object.entries({ false: false, true: true, none: null, False: false, True: true, None: null })) globals.set(k, v);
  globals.set('raise_exception', (message: unknown) => {
    throw new Error(String(message));
  });
  globals.set('range', (start: number, stop?: number, step = 1) => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (step === 0) throw new Error('range() step must not be zero');
    const out: number[] = [];
    for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
    return out;
  });
  return {
    render(items) {
      const env = new Environment(globals);
      for (const [k, v] of Object.entries(items)) env.set(k, v);
      const result = new Interpreter(env).run(parsed) as { value: unknown };
      return String(result.value);
    },
  };
}

/**
 * Builds the renderer for `settings` against a model's tokenizer configuration. For the template
 * format the template is compiled here and rendered once for a probe problem, so a template that does
 * not parse, or refuses the configured turns (e.g. a system prompt for Gemma), fails at creation with
 * CONFIG_INVALID naming where the template came from. Templates see `messages`,
 * `add_generation_prompt: true`, the special tokens and `templateVariables`.
 */
export async function createPromptRenderer(settings: PromptSettings, tokenizerConfig: Record<string, unknown>, modelDir?: string): Promise<PromptRenderer> {
  const source = templateSource(settings.promptFormat, settings.chatTemplate, tokenizerConfig, modelDir);
  const format = formatWith(settings.promptFormat, source);
  const addSpecialTokens = settings.addSpecialTokens ?? format !== 'template';
  if (format !== 'template') {
    return {
      format,
      addSpecialTokens,
      prefix: (p) => renderPrefix(p, settings, format),
      trajectory: (p, steps) => renderTrajectory(p, steps, settings, format),
    };
  }
  if (source === undefined) {
    const where = modelDir === undefined ? 'the tokenizer configuration' : `${join(modelDir, 'tokenizer_config.json')} (and no chat_template.jinja)`;
    throw new McgError('CONFIG_INVALID', `options.promptFormat is "template" but ${where} has no "chat_template": set options.chatTemplate, or use promptFormat "raw" with a promptTemplate`);
  }
  let template: JinjaTemplate;
  try {
    template = await compileTemplate(source.text);
  } catch (err) {
    throw new McgError('CONFIG_INVALID', `${source.origin} could not be parsed as a Jinja chat template: ${(err as Error).message}`, { cause: err });
  }
  const variables = { ...specialTokenVariables(tokenizerConfig), ...(settings.templateVariables ?? {}) };
  const render = (problemPrompt: string): string => {
    let text: string;
    try {
      text = template.render({ ...variables, messages: chatMessages(problemPrompt, settings.systemPrompt), add_generation_prompt: true });
    } catch (err) {
      throw new McgError('CONFIG_INVALID', `${source.origin} failed to render the prompt${settings.systemPrompt === null ? '' : ' (with options.systemPrompt set)'}: ${(err as Error).message}`, { cause: err });
    }
    return text + settings.assistantPrefix;
  };
  render('1 + 1 = ?');
  const cache = new Map<string, string>();
  const prefix = (problemPrompt: string): string => {
    const hit = cache.get(problemPrompt);
    if (hit !== undefined) return hit;
    const text = render(problemPrompt);
    if (cache.size >= PREFIX_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(problemPrompt, text);
    return text;
  };
  return { format, addSpecialTokens, prefix, trajectory: (p, steps) => appendSteps(prefix(p), steps, settings.stepDelimiter) };
}
