// The run configuration: one strict zod schema, defaults included. `z.input` is what users write,
// `z.output` (Config) is what the core receives. No I/O here; see src/config-load.ts for files.

import { z } from 'zod';
import { McgError } from './errors.js';
import { formatIssues } from './issues.js';

/** Integer in [min, max]; errors read "must be an integer in [min, max], got X". */
export function intIn(min: number, max: number) {
  const error = `must be an integer in [${min}, ${max}]`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Finite number in [min, max]. */
export function numberIn(min: number, max: number) {
  const error = `must be a number in [${min}, ${max}]`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** Non-negative integer limit or null (no limit). */
export function limit(max = Number.MAX_SAFE_INTEGER) {
  const error = `must be an integer in [0, ${max === Number.MAX_SAFE_INTEGER ? '2^53' : max}] or null`;
  return z.number({ error }).int({ error }).min(0, { error }).max(max, { error }).nullable();
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.map((v) => `"${v}"`).join(', ')}` });
}

/** A step containing this (a boxed answer, "The answer is", "####") ends a model's solution. */
export const DEFAULT_FINAL_PATTERN = String.raw`\\boxed\{|The answer is|####`;

/** A string that compiles as a regular expression. */
export function regexSource() {
  return z.string({ error: 'must be a regular expression (a string)' }).refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'must be a valid regular expression' },
  );
}

export const pluginSpecSchema = z.strictObject({
  kind: z.string({ error: 'must be a plugin kind (a string)' }).min(1, { error: 'must be a plugin kind (a string)' }),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const ALGORITHMS = ['mcts', 'best-of-n', 'self-consistency', 'beam', 'greedy'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const searchSchema = z.strictObject({
  /**
   * Expansion width: distinct candidate steps asked for at a node's first expansion (later ones come
   * from widening). 2 measured best on the built-in task (bench:quality: 1, 2 and 4 tried).
   */
  width: intIn(1, 64).default(2),
  /** Selection rule for MCTS. */
  selection: oneOf(['puct', 'uct']).default('puct'),
  /** PUCT c_init (MuZero, appendix B). */
  cInit: numberIn(0, 100).default(1.25),
  /** PUCT c_base (MuZero, appendix B). */
  cBase: numberIn(1, 1e9).default(19652),
  /** UCT exploration constant (UCB1: sqrt 2). */
  uctC: numberIn(0, 100).default(Math.SQRT2),
  /** Temperature applied to candidate logprobs to form PUCT priors (higher = flatter). */
  priorTemperature: numberIn(0.01, 100).default(1),
  /** Divide each candidate's logprob by its token count before forming priors. */
  priorLengthNorm: z.boolean().default(true),
  /** Dirichlet noise mixed into the root priors; fraction 0 turns it off (AlphaZero: alpha 0.3, fraction 0.25). */
  dirichlet: z
    .strictObject({ alpha: numberIn(0.001, 100).default(0.3), fraction: numberIn(0, 1).default(0) })
    .prefault({}),
  /** Value of an unvisited child in PUCT (first-play urgency), in [0, 1]. */
  unvisitedValue: numberIn(0, 1).default(0),
  /** How values propagate to ancestors: running mean or running max. */
  backup: oneOf(['mean', 'max']).default('mean'),
  /**
   * Leaf value = (1 - lambda) * rewardModel + lambda * outcome, where outcome is the terminal verifier
   * reward of a terminal node. When one side is missing the other is used alone;
   * when both are missing the value is `neutralValue`. (AlphaGo mixes value net and rollouts with 0.5.)
   */
  lambda: numberIn(0, 1).default(0.5),
  /**
   * Rollouts from each new non-terminal node in MCTS (0 = none): the policy continues one step at a
   * time (width 1) to a terminal; every rollout step becomes a tree node, and the terminal's value is
   * backed up along the whole path, so a rollout that ends verified is a trace like any other.
   */
  rollouts: intIn(0, 64).default(0),
  /**
   * Progressive widening (Coulom 2007; Chaslot et al. 2008; Couëtoux et al. 2011): a visited node is
   * expanded again for new candidates while it has fewer than k * N(s)^alpha children (N(s): its
   * visits), or whenever every child is exhausted. Each widening asks for `width` candidates with the
   * node's known steps in `ctx.exclude` (policies that can sample without replacement never repeat
   * one). A node closes when `closeAfter` widenings in a row gave nothing new, or when the policy's
   * unseen mass there (known when candidates carry token probabilities) is below `minNewMass`.
   * k = 0 turns widening off: a node is expanded once.
   */
  widening: z
    .strictObject({
      k: numberIn(0, 64).default(1),
      alpha: numberIn(0, 1).default(0.5),
      width: intIn(1, 64).default(1),
      closeAfter: intIn(1, 64).default(2),
      minNewMass: numberIn(0, 1).default(0.01),
      maxChildren: intIn(1, 4096).default(64),
    })
    .prefault({}),
  /**
   * A node whose own step makes a false arithmetic claim (the verifier's process check) becomes a failed
   * leaf with value 0: never expanded, never a verified trace. Needs a verifier with `checkSteps`.
   */
  pruneFalseSteps: z.boolean().default(true),
  /** Value of a leaf with no reward model, verdict or rollout. */
  neutralValue: numberIn(0, 1).default(0.5),
  /** Leaves expanded concurrently in one tree (virtual loss keeps them apart). */
  parallelSimulations: intIn(1, 64).default(1),
  /** Visits added along a pending path (as losses) while its leaf is being expanded. */
  virtualLoss: numberIn(0, 100).default(1),
  /** Samples for best-of-n and self-consistency (the token budget may stop them earlier). */
  samples: intIn(1, 4096).default(8),
  /**
   * How best-of-n and beam search score a finished solution from per-step reward scores: the last
   * step's score, the minimum, or the mean over its steps.
   */
  aggregate: oneOf(['last', 'min', 'mean']).default('last'),
  /** Beams kept per depth in beam search. */
  beamSize: intIn(1, 256).default(4),
  /** Stop once this many distinct verified solutions are found (0 = never stop early). */
  stopAfterVerified: intIn(0, 1_000_000).default(0),
});

export const budgetSchema = z.strictObject({
  /** MCTS simulations per problem (a cap: the generated-token budget is what binds by default). */
  simulations: intIn(1, 10_000_000).default(10_000),
  /** Tree size cap (nodes, root included). */
  nodes: intIn(2, 50_000_000).default(100_000),
  /** Maximum steps in a solution; a node at this depth is terminal. */
  depth: intIn(1, 1024).default(16),
  /** Generated-token budget per problem (null = none); the measure algorithms are compared at. */
  generatedTokens: limit().default(600),
  /** Wall-clock budget per problem in ms (null = none). Makes results depend on machine speed. */
  wallMs: limit().default(null),
});

export const filterSchema = z.strictObject({
  /** Keep only traces whose final answer passed the verifier. */
  verifiedOnly: z.boolean().default(true),
  /** Minimum node value (Q) of a trace's final step. */
  minValue: numberIn(0, 1).default(0),
  /** Per-problem caps (highest value first). */
  maxTracesPerProblem: intIn(0, 100_000).default(4),
  maxPairsPerProblem: intIn(0, 100_000).default(8),
  maxStepRecordsPerProblem: intIn(0, 100_000).default(16),
  /** Drop records whose normalised text was already written in this run. */
  dedup: z.boolean().default(true),
  /**
   * Check every step with the verifier's process check (arithmetic claims) where it has one: a solution
   * with a false step is never verified (whatever its answer), its step labels are false from the first
   * false step on, and no pair chooses it.
   */
  verifiedSteps: z.boolean().default(true),
});

export const pairsSchema = z.strictObject({
  /** Minimum Q(chosen) - Q(rejected) for a pair. */
  minQGap: numberIn(0, 1).default(0.5),
  /** Minimum character edit distance between chosen and rejected (rStar-Math uses 20 for its own data). */
  minEditDistance: intIn(0, 100_000).default(1),
  /** Emit step-level pairs between siblings. */
  stepPairs: z.boolean().default(true),
  /** Emit whole-solution pairs (verified vs failed). */
  trajectoryPairs: z.boolean().default(true),
});

export const outputsSchema = z.strictObject({
  traces: z.boolean().default(true),
  pairs: z.boolean().default(true),
  steps: z.boolean().default(true),
  /** Write `trees/<id>.json` for every problem. */
  trees: z.boolean().default(false),
});

export const configSchema = z.strictObject({
  /** Run seed; per-problem seeds derive from (seed, problem id). */
  seed: intIn(0, 2 ** 32 - 1).default(0),
  algorithm: oneOf(ALGORITHMS).default('mcts'),
  search: searchSchema.prefault({}),
  budget: budgetSchema.prefault({}),
  /** Policy; default the embedded model mcts-gen trains on its built-in arithmetic task (models/arith-policy). */
  policy: pluginSpecSchema.default({ kind: 'embedded', options: {} }),
  /** Reward model; null for none (verifier and rollouts only). Default the embedded PRM (models/arith-prm). */
  reward: pluginSpecSchema.nullable().default({ kind: 'embedded-prm', options: {} }),
  /**
   * Modules (paths relative to the config file, or package names) whose exported plugin definitions are
   * registered before plugins are built, in the main thread and in every worker.
   */
  pluginModules: z.array(z.string().min(1)).default([]),
  /** Verifier per problem domain. */
  verifiers: z.record(z.string(), pluginSpecSchema).default(() => ({
    math: { kind: 'math', options: {} },
    code: { kind: 'code', options: {} },
  })),
  /** Step delimiter used to join steps into completions in records. */
  stepDelimiter: z.string().default('\n\n'),
  filters: filterSchema.prefault({}),
  pairs: pairsSchema.prefault({}),
  outputs: outputsSchema.prefault({}),
  /** What to do with an unreadable input line: fail the run, or write it to rejected.jsonl and go on. */
  onBadInput: oneOf(['error', 'skip']).default('error'),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type SearchConfig = Config['search'];
export type BudgetConfig = Config['budget'];

/**
 * Validates a config object. Throws `CONFIG_INVALID` with every problem on one line, each naming its
 * key path ("search.width must be an integer in [1, 64], got 0"). `source` (a file name) prefixes it.
 */
export function parseConfig(input: unknown, source?: string): Config {
  const parsed = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) {
    const message = formatIssues(parsed.error.issues, '', configSchema);
    throw new McgError('CONFIG_INVALID', source === undefined ? message : `${source}: ${message}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), code: i.code })) },
    });
  }
  return parsed.data;
}

/**
 * Applies `path=value` overrides to a raw config object (before validation). The value is parsed as
 * JSON when it is valid JSON (numbers, booleans, null, objects), otherwise taken as a string.
 */
export function applyOverrides(raw: Record<string, unknown>, overrides: readonly string[]): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new McgError('CONFIG_INVALID', `--set "${item}" must have the form path=value (e.g. search.width=8)`);
    const path = item.slice(0, eq).trim();
    const text = item.slice(eq + 1);
    const keys = path.split('.');
    if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
      throw new McgError('CONFIG_INVALID', `--set "${item}": "${path}" is not a valid key path`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node: Record<string, unknown> = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const next = node[keys[i]];
      if (next === undefined || next === null) {
        node[keys[i]] = {};
      } else if (typeof next !== 'object' || Array.isArray(next)) {
        throw new McgError('CONFIG_INVALID', `--set "${item}": ${keys.slice(0, i + 1).join('.')} is not an object`);
      }
      node = node[keys[i]] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return out;
}
