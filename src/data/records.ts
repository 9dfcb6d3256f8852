// Record formats written by a run (one JSON object per line), as zod schemas: the single source of
// truth for what a line holds. Shapes follow TRL's dataset formats (SFT prompt/completion and
// messages, DPO prompt/chosen/rejected, stepwise supervision prompt/completions/labels).

import { z } from 'zod';

export const SCHEMA = {
  trace: 'mcts-gen.trace/1',
  pair: 'mcts-gen.pair/1',
  step: 'mcts-gen.steps/1',
  tree: 'mcts-gen.tree/1',
  error: 'mcts-gen.error/1',
  rejected: 'mcts-gen.rejected/1',
  summary: 'mcts-gen.summary/1',
} as const;

export const provenanceSchema = z.strictObject({
  package: z.literal('mcts-gen'),
  version: z.string(),
  /** Hash of the validated run configuration (16 hex chars). */
  configHash: z.string(),
  /** Run seed; the problem's own seed derives from (seed, problemId). */
  seed: z.number(),
  algorithm: z.string(),
  policy: z.string(),
  reward: z.string().nullable(),
  verifier: z.string(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

export const verdictSchema = z.object({
  kind: z.enum(['pass', 'fail', 'abstain', 'error']),
  reason: z.string(),
  score: z.number().optional(),
  answer: z.string().optional(),
  tests: z.object({ passed: z.number(), total: z.number() }).optional(),
  detail: z.string().optional(),
  output: z.string().optional(),
});

const messageSchema = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

export const traceRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.trace),
  id: z.string(),
  problemId: z.string(),
  /** Problem text followed by the step delimiter (so prompt + completion is the whole text). */
  prompt: z.string(),
  /** Steps joined by the step delimiter. */
  completion: z.string(),
  messages: z.array(messageSchema),
  steps: z.array(z.strictObject({ text: z.string(), value: z.number().nullable(), visits: z.number() })),
  answer: z.string().nullable(),
  /** `final`: the answer's verdict; `steps`: the process check of each step, where one ran. */
  verdicts: z.strictObject({ final: verdictSchema, steps: z.array(z.enum(['pass', 'fail', 'abstain', 'unchecked'])).optional() }),
  /** Value (Q) of the final step's node. */
  value: z.number().nullable(),
  node: z.number(),
  provenance: provenanceSchema,
});
export type TraceRecord = z.infer<typeof traceRecordSchema>;

export const pairRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.pair),
  id: z.string(),
  problemId: z.string(),
  /** Problem and shared prefix (step pairs) or problem only (trajectory pairs), ending in the delimiter. */
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  /** Q(chosen) - Q(rejected). */
  margin: z.number(),
  origin: z.enum(['step', 'trajectory']),
  chosenNode: z.number(),
  rejectedNode: z.number(),
  /** Shared parent node (step pairs) or the root (trajectory pairs). */
  parentNode: z.number(),
  provenance: provenanceSchema,
});
export type PairRecord = z.infer<typeof pairRecordSchema>;

export const stepRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.step),
  id: z.string(),
  problemId: z.string(),
  prompt: z.string(),
  completions: z.array(z.string()),
  /** Hard labels: the step leads to a verified answer somewhere in the tree. */
  labels: z.array(z.boolean()),
  /** Soft labels in [0, 1]: share of verified answers among the finished solutions below the step. */
  values: z.array(z.number()),
  node: z.number(),
  provenance: provenanceSchema,
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const errorRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.error),
  problemId: z.string(),
  code: z.string(),
  message: z.string(),
  attempts: z.number(),
});
export type ErrorRecord = z.infer<typeof errorRecordSchema>;

export const rejectedRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.rejected),
  file: z.string(),
  line: z.number(),
  reason: z.string(),
  /** The line as read, truncated. */
  text: z.string(),
});
export type RejectedRecord = z.infer<typeof rejectedRecordSchema>;

export const treeRecordSchema = z.strictObject({
  schema: z.literal(SCHEMA.tree),
  problemId: z.string(),
  prompt: z.string(),
  /** The problem's gold answer (math), for viewers. */
  answer: z.string().optional(),
  chosen: z.number(),
  nodes: z.array(z.record(z.string(), z.unknown())),
  provenance: provenanceSchema,
});
export type TreeRecord = z.infer<typeof treeRecordSchema>;
