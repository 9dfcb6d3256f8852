// zod schemas of the responses the HTTP plugins read: OpenAI completions and chat completions (with
// vLLM's `stop_reason` and SGLang's `matched_stop`), and vLLM's /pooling, /classify, /score and
// /tokenize. Objects are loose (servers add fields); what we read is checked. Imports only zod.

import { z } from 'zod';

const count = z.number().int().nonnegative();
/** A probability or score as servers send it (finite; clamped by the caller). */
const finite = z.number().finite();

/** OpenAI `usage`; every field optional because some servers send only part of it. */
export const usageSchema = z.looseObject({
  prompt_tokens: count.optional(),
  completion_tokens: count.nullable().optional(),
  total_tokens: count.optional(),
});
export type UsageBody = z.infer<typeof usageSchema>;

/** vLLM `stop_reason` / SGLang `matched_stop`: the stop string, a stop token id, or null for EOS. */
const stopMatch = z.union([z.string(), z.number(), z.null()]).optional();

/** `/v1/completions` response. */
export const completionResponseSchema = z.looseObject({
  choices: z.array(
    z.looseObject({
      index: count,
      text: z.string(),
      finish_reason: z.string().nullable().optional(),
      stop_reason: stopMatch,
      matched_stop: stopMatch,
      logprobs: z
        .looseObject({
          tokens: z.array(z.string()).optional(),
          token_logprobs: z.array(z.number().nullable()),
        })
        .nullable()
        .optional(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type CompletionResponse = z.infer<typeof completionResponseSchema>;

/** `/v1/chat/completions` response. */
export const chatResponseSchema = z.looseObject({
  choices: z.array(
    z.looseObject({
      index: count,
      message: z.looseObject({ content: z.string().nullable().optional() }),
      finish_reason: z.string().nullable().optional(),
      stop_reason: stopMatch,
      matched_stop: stopMatch,
      logprobs: z
        .looseObject({
          content: z.array(z.looseObject({ token: z.string(), logprob: z.number() })).nullable().optional(),
        })
        .nullable()
        .optional(),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type ChatResponse = z.infer<typeof chatResponseSchema>;

/**
 * vLLM `/pooling` response: one entry per input. `data` is a matrix (one row per pooled position:
 * per separator with STEP pooling, per token with ALL pooling) or a single vector.
 */
export const poolingResponseSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      index: count,
      data: z.union([z.array(z.array(finite)), z.array(finite)]),
    }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type PoolingResponse = z.infer<typeof poolingResponseSchema>;

/** vLLM `/classify` response: class probabilities per input (`probs`; newer builds say `probabilities`). */
export const classifyResponseSchema = z.looseObject({
  data: z.array(
    z
      .looseObject({
        index: count,
        probs: z.array(finite).optional(),
        probabilities: z.array(finite).optional(),
      })
      .refine((d) => (d.probs ?? d.probabilities) !== undefined && (d.probs ?? d.probabilities)!.length > 0, {
        error: 'needs a non-empty probs (or probabilities) array',
      }),
  ),
  usage: usageSchema.nullable().optional(),
});
export type ClassifyResponse = z.infer<typeof classifyResponseSchema>;

/** vLLM `/score` (`/v1/score`) response: one score per text pair. */
export const scoreResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ index: count, score: finite })),
  usage: usageSchema.nullable().optional(),
});
export type ScoreResponse = z.infer<typeof scoreResponseSchema>;

/** vLLM `/tokenize` response. */
export const tokenizeResponseSchema = z.looseObject({
  tokens: z.array(z.number().int()),
});
export type TokenizeResponse = z.infer<typeof tokenizeResponseSchema>;

/**
 * Checks that `items` hold exactly the indices 0..expected-1 once each; returns them ordered by
 * index, or the reason they are unusable.
 */
export function orderByIndex<T extends { index: number }>(items: readonly T[], expected: number, what: string): T[] | string {
  if (items.length !== expected) return `expected ${expected} ${what}, got ${items.length}`;
  const out = new Array<T>(expected);
  for (const item of items) {
    if (item.index >= expected || out[item.index] !== undefined) return `${what} have duplicate or out-of-range index ${item.index}`;
    out[item.index] = item;
  }
  return out;
}
