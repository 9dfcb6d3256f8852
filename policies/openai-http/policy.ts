// The `openai` policy: proposes steps through an OpenAI-compatible server (vLLM, SGLang, llama.cpp
// server, hosted APIs) over /completions (raw continuation of prompt + steps) or /chat/completions
// (continuing the partial assistant message). One request per expansion (`n` = width), stop at the
// step delimiter, logprobs for PUCT priors, usage into ctx.usage. Imports only src/core.

import { z } from 'zod';
import {
  countRoughTokens,
  definePolicy,
  intIn,
  numberIn,
  oneOf,
  type CallContext,
  type Policy,
  type StepCandidate,
  type StepEnding,
  type Trajectory,
  DEFAULT_FINAL_PATTERN,
  regexSource,
} from '../../src/core/index.js';
import { onAbort } from './backoff.js';
import { clientOptionsShape, createHttpClient } from './client-options.js';
import type { OpenAIHttpClient } from './http-client.js';
import { chatResponseSchema, completionResponseSchema, orderByIndex, type UsageBody } from './response-schemas.js';

/** Default final-answer marker: a `\boxed{`, "The answer is" or a GSM8K-style `####`. */
export { DEFAULT_FINAL_PATTERN };

export const openaiPolicyOptions = z.strictObject({
  ...clientOptionsShape,
  /** `completions` (/completions: raw continuation, the natural fit) or `chat` (/chat/completions). */
  endpoint: oneOf(['completions', 'chat']).default('completions'),
  /** Model name as the server knows it (vLLM: the served model name). */
  model: z.string().min(1, { error: 'must be the served model name (a non-empty string)' }),
  /**
   * Text before the steps, with `{prompt}` (the problem) and `{delimiter}` (the step delimiter) filled
   * in. Default: `{prompt}{delimiter}` for completions, `{prompt}` (the user message) for chat.
   */
  promptTemplate: z.string().optional(),
  /** System message for the chat endpoint (null: none). */
  systemPrompt: z.string().nullable().default(null),
  /** Text between steps; every step in the prompt is followed by it. Keep equal to the run's `stepDelimiter`. */
  stepDelimiter: z.string().min(1, { error: 'must be a non-empty string' }).default('\n\n'),
  /** Stop strings (step delimiters) sent to the server; default `[stepDelimiter]`. */
  stop: z.array(z.string().min(1, { error: 'must be a non-empty string' })).min(1).max(16).optional(),
  /** Most tokens generated for one step. */
  maxTokens: intIn(1, 1_000_000).default(256),
  /** Sampling temperature (greedy calls send 0). */
  temperature: numberIn(0, 2).default(0.7),
  /** Nucleus sampling mass. */
  topP: numberIn(0.001, 1).default(1),
  /** Send a `seed` drawn from the call's rng, so servers that honour it reproduce a run. */
  sendSeed: z.boolean().default(true),
  /** Ask for token logprobs (PUCT priors: the sum over the step's tokens); NaN when the server sends none. */
  logprobs: z.boolean().default(true),
  /** A step matching this regular expression is final (its ending becomes `final`). */
  finalPattern: regexSource().default(DEFAULT_FINAL_PATTERN),
  /**
   * How a `finish_reason: "stop"` is read when the server does not say what stopped it (no vLLM
   * `stop_reason`, no SGLang `matched_stop`, e.g. OpenAI): as a step delimiter, or as the end.
   */
  unknownStopAs: oneOf(['step', 'final']).default('step'),
  /**
   * Chat only: `vllm` continues the partial assistant message (`continue_final_message: true,
   * add_generation_prompt: false`; vLLM and SGLang); `none` sends the partial solution as an
   * assistant turn and takes the next assistant turn as the next step (any server).
   */
  chatContinuation: oneOf(['vllm', 'none']).default('vllm'),
  /**
   * Most choices asked of one request; a wider expansion is split into concurrent requests. Set 1 for
   * servers without `n` (llama.cpp server) and to the provider's cap for hosted APIs.
   */
  choicesPerRequest: intIn(1, 128).default(128),
  /** Most tokens of one rollout (a completion to the end without step stops). */
  rolloutMaxTokens: intIn(1, 1_000_000).default(1024),
  /** Extra request fields (e.g. `top_k`, `min_p`, `repetition_penalty`); the fields above win. */
  extraBody: z.record(z.string(), z.unknown()).default({}),
});
export type OpenAIPolicyOptions = z.output<typeof openaiPolicyOptions>;

/** Fills `{prompt}` and `{delimiter}` in a template (other braces, e.g. LaTeX, are left alone). */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(prompt|delimiter|steps)\}/g, (m, key: string) => values[key] ?? m);
}

/** One choice as both endpoints give it. */
interface ChoiceView {
  text: string;
  finishReason: string | null | undefined;
  /** The stop match when the server reports one: a string, a token id, null (EOS); undefined = not reported. */
  stopMatch: string | number | null | undefined;
  /** Token logprobs, or undefined when absent. */
  tokenLogprobs: (number | null)[] | undefined;
}

/** Sum of token logprobs, clamped to <= 0; NaN when absent or when any entry is missing. */
export function sumLogprobs(tokenLogprobs: readonly (number | null)[] | undefined): number {
  if (tokenLogprobs === undefined || tokenLogprobs.length === 0) return Number.NaN;
  let sum = 0;
  for (const lp of tokenLogprobs) {
    if (lp === null || !Number.isFinite(lp)) return Number.NaN;
    sum += lp;
  }
  return Math.min(0, sum);
}

/**
 * How a choice ended: `length` when the token limit cut it (or the server stopped for another
 * reason: content filter, abort); for `stop`, `step` when a stop string matched and `final` on EOS or
 * a stop token; `unknownStopAs` when the server does not say. A `step` whose text matches
 * `finalPattern` is `final`.
 */
export function mapEnding(choice: Pick<ChoiceView, 'text' | 'finishReason' | 'stopMatch'>, finalPattern: RegExp, unknownStopAs: 'step' | 'final'): StepEnding {
  let ending: StepEnding;
  if (choice.finishReason === 'stop' || choice.finishReason === 'eos') {
    if (choice.stopMatch === undefined) ending = unknownStopAs;
    else ending = typeof choice.stopMatch === 'string' ? 'step' : 'final';
  } else {
    ending = 'length';
  }
  if (ending === 'step' && finalPattern.test(choice.text)) ending = 'final';
  return ending;
}

function stopMatchOf(choice: { stop_reason?: string | number | null; matched_stop?: string | number | null }): string | number | null | undefined {
  if (choice.stop_reason !== undefined) return choice.stop_reason;
  return choice.matched_stop;
}

export const openaiPolicy = definePolicy({
  kind: 'openai',
  options: openaiPolicyOptions,
  create(options): Policy {
    const client = createHttpClient(options, 'policy');
    return new OpenAIPolicy(options, client);
  },
});

/** The policy instance behind `openaiPolicy` (exported for tests and direct use). */
export class OpenAIPolicy implements Policy {
  readonly name: string;
  private readonly options: OpenAIPolicyOptions;
  private readonly client: OpenAIHttpClient;
  private readonly template: string;
  private readonly stop: string[];
  private readonly finalPattern: RegExp;

  constructor(options: OpenAIPolicyOptions, client: OpenAIHttpClient) {
    this.options = options;
    this.client = client;
    this.name = `openai:${options.endpoint}(${options.model})`;
    this.template = options.promptTemplate ?? (options.endpoint === 'chat' ? '{prompt}' : '{prompt}{delimiter}');
    this.stop = options.stop ?? [options.stepDelimiter];
    this.finalPattern = new RegExp(options.finalPattern);
  }

  /** The prompt text of `/completions`: the rendered template, then every step followed by the delimiter. */
  completionPrompt(at: Trajectory): string {
    const d = this.options.stepDelimiter;
    return renderTemplate(this.template, { prompt: at.problem.prompt, delimiter: d }) + at.steps.map((s) => s + d).join('');
  }

  /** The messages of `/chat/completions`: system (optional), user, and the partial assistant message. */
  chatMessages(at: Trajectory): { role: string; content: string }[] {
    const d = this.options.stepDelimiter;
    const messages: { role: string; content: string }[] = [];
    if (this.options.systemPrompt !== null) messages.push({ role: 'system', content: this.options.systemPrompt });
    messages.push({ role: 'user', content: renderTemplate(this.template, { prompt: at.problem.prompt, delimiter: d }) });
    if (at.steps.length > 0) messages.push({ role: 'assistant', content: at.steps.map((s) => s + d).join('') });
    return messages;
  }

  /** The request body for `at` (exported for tests: what the server sees). */
  requestBody(at: Trajectory, n: number, ctx: CallContext, rollout = false): Record<string, unknown> {
    const o = this.options;
    const greedy = ctx.greedy === true;
    const body: Record<string, unknown> = { ...o.extraBody, model: o.model };
    if (o.endpoint === 'completions') {
      body.prompt = this.completionPrompt(at);
    } else {
      body.messages = this.chatMessages(at);
      if (at.steps.length > 0 && o.chatContinuation === 'vllm') {
        body.continue_final_message = true;
        body.add_generation_prompt = false;
      }
    }
    body.n = n;
    body.max_tokens = rollout ? o.rolloutMaxTokens : o.maxTokens;
    body.temperature = greedy ? 0 : o.temperature;
    body.top_p = greedy ? 1 : o.topP;
    if (!rollout) body.stop = this.stop;
    if (o.sendSeed) body.seed = ctx.rng.split('openai-seed').int(2 ** 31);
    if (o.logprobs) body.logprobs = o.endpoint === 'completions' ? 1 : true;
    return body;
  }

  private async request(at: Trajectory, n: number, ctx: CallContext, rollout: boolean): Promise<{ choices: ChoiceView[]; usage: UsageBody | null | undefined; promptText: string; requestMs: number }> {
    const body = this.requestBody(at, n, ctx, rollout);
    const promptText = this.options.endpoint === 'completions' ? (body.prompt as string) : this.chatMessages(at).map((m) => m.content).join('\n');
    const estimatedTokens = countRoughTokens(promptText) + (body.max_tokens as number) * n;
    const common = { signal: ctx.signal, rng: ctx.rng.split('http-backoff'), estimatedTokens };
    if (this.options.endpoint === 'completions') {
      const r = await this.client.post('/completions', body, completionResponseSchema, { ...common, ...choiceChecks(n) });
      const ordered = orderByIndex(r.data.choices, n, 'choices') as typeof r.data.choices;
      const choices = ordered.map((c) => ({ text: c.text, finishReason: c.finish_reason, stopMatch: stopMatchOf(c), tokenLogprobs: c.logprobs?.token_logprobs }));
      return { choices, usage: r.data.usage, promptText, requestMs: r.requestMs };
    }
    const r = await this.client.post('/chat/completions', body, chatResponseSchema, { ...common, ...choiceChecks(n) });
    const ordered = orderByIndex(r.data.choices, n, 'choices') as typeof r.data.choices;
    const choices = ordered.map((c) => ({
      text: c.message.content ?? '',
      finishReason: c.finish_reason,
      stopMatch: stopMatchOf(c),
      tokenLogprobs: c.logprobs?.content?.map((t) => t.logprob) ?? undefined,
    }));
    return { choices, usage: r.data.usage, promptText, requestMs: r.requestMs };
  }

  /** Adds one call's usage: the server's counts, or rough counts of the text when it sends none. */
  private account(ctx: CallContext, usage: UsageBody | null | undefined, promptText: string, generated: number, requestMs: number): void {
    ctx.usage.promptTokens += usage?.prompt_tokens ?? countRoughTokens(promptText);
    ctx.usage.generatedTokens += usage?.completion_tokens ?? generated;
    ctx.usage.modelMs += requestMs;
  }

  /** Candidates of one request of `n` choices, with its usage added to ctx. */
  private async proposePart(at: Trajectory, n: number, ctx: CallContext): Promise<StepCandidate[]> {
    const { choices, usage, promptText, requestMs } = await this.request(at, n, ctx, false);
    const candidates = choices.map((c): StepCandidate => {
      const counted = c.tokenLogprobs?.length;
      return {
        text: c.text,
        logprob: sumLogprobs(c.tokenLogprobs),
        // Exact per choice when logprobs came back; with one choice the usage count is exact too.
        tokens: counted ?? (n === 1 && typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : countRoughTokens(c.text)),
        ending: mapEnding(c, this.finalPattern, this.options.unknownStopAs),
      };
    });
    this.account(ctx, usage, promptText, candidates.reduce((s, c) => s + c.tokens, 0), requestMs);
    return candidates;
  }

  /**
   * Up to `width` next steps (1 when greedy), in choice order. One request with `n = width`, or
   * several concurrent ones when width exceeds `choicesPerRequest` (each with its own seed); if one
   * fails the others are cancelled and the call fails. Counts one policy call.
   */
  async propose(at: Trajectory, width: number, ctx: CallContext): Promise<StepCandidate[]> {
    const n = ctx.greedy === true ? 1 : width;
    const per = this.options.choicesPerRequest;
    let candidates: StepCandidate[];
    if (n <= per) {
      candidates = await this.proposePart(at, n, ctx);
    } else {
      const local = new AbortController();
      if (ctx.signal.aborted) local.abort(ctx.signal.reason);
      const unsubscribe = onAbort(ctx.signal, () => local.abort(ctx.signal.reason));
      try {
        const parts = await Promise.all(
          Array.from({ length: Math.ceil(n / per) }, async (_, j) => {
            // Part 0 draws like a single request would; the others from their own streams.
            const rng = j === 0 ? ctx.rng : ctx.rng.split(`choices:${j}`);
            try {
              return await this.proposePart(at, Math.min(per, n - j * per), { ...ctx, rng, signal: local.signal });
            } catch (err) {
              local.abort(err);
              throw err;
            }
          }),
        );
        candidates = parts.flat();
      } catch (err) {
        if (!ctx.signal.aborted && local.signal.reason instanceof Error) throw local.signal.reason;
        throw err;
      } finally {
        unsubscribe();
      }
    }
    ctx.usage.policyCalls += 1;
    return candidates;
  }

  /**
   * One completion from `at` to the end (no step stops, at most `rolloutMaxTokens`), split at the
   * step delimiter. Steps carry rough token counts and NaN logprobs; the last one's ending is the
   * server's (`final` on EOS, `length` when cut); a step matching `finalPattern` ends the rollout.
   */
  async rollout(at: Trajectory, ctx: CallContext): Promise<StepCandidate[]> {
    const { choices, usage, promptText, requestMs } = await this.request(at, 1, ctx, true);
    const [choice] = choices;
    this.account(ctx, usage, promptText, choice.tokenLogprobs?.length ?? countRoughTokens(choice.text), requestMs);
    ctx.usage.policyCalls += 1;
    const pieces = choice.text.split(this.options.stepDelimiter).filter((p) => p.trim() !== '');
    const out: StepCandidate[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const last = i === pieces.length - 1;
      let ending: StepEnding = last ? mapEnding({ ...choice, text: pieces[i] }, this.finalPattern, 'final') : 'step';
      if (ending === 'step' && this.finalPattern.test(pieces[i])) ending = 'final';
      // A rollout that ran past the delimiter on EOS: its last piece is the end.
      if (last && ending === 'step') ending = 'final';
      out.push({ text: pieces[i], logprob: Number.NaN, tokens: countRoughTokens(pieces[i]), ending });
      if (ending === 'final') break;
    }
    return out;
  }
}

/** Response checks shared by both endpoints: exactly `n` choices, and the token count the server reports. */
function choiceChecks(n: number) {
  return {
    check: (d: { choices: { index: number }[] }): string | undefined => {
      const ordered = orderByIndex(d.choices, n, 'choices');
      return typeof ordered === 'string' ? ordered : undefined;
    },
    tokensUsed: (d: { usage?: { total_tokens?: number } | null }): number | undefined => d.usage?.total_tokens,
  };
}
