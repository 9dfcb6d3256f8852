// The run summary: folds per-problem ledger entries into counts, yield per filter, usage, and
// accuracy / yield against generated tokens per algorithm. Order-independent and free of wall-clock
// figures, so the same run gives the same summary.json byte for byte.

import type { Config } from '../core/config.js';
import { addUsage, emptyUsage, type Usage } from '../core/types.js';
import { addFilterCounts, emptyFilterCounts, type FilterCounts } from './extract.js';
import type { ProblemStats } from './outcome.js';
import { SCHEMA } from './records.js';

/** One committed problem, as the ledger stores it. */
export interface LedgerEntry {
  problemId: string;
  ok: boolean;
  attempts: number;
  /** File sizes (bytes) after this problem's records were written. */
  offsets: Record<string, number>;
  records: { traces: number; pairs: number; steps: number; trees: number };
  /** The problem's figures, without its wall time (which would make the ledger differ between runs). */
  stats?: Omit<ProblemStats, 'wallMs'>;
  filters?: { traces: FilterCounts; pairs: FilterCounts; steps: FilterCounts };
  error?: { code: string; message: string };
}

export interface AlgorithmSummary {
  problems: number;
  /** Share of problems whose committed answer passed the verifier. */
  accuracy: number;
  /** Share of problems with at least one verified solution in the tree. */
  solveRate: number;
  generatedTokens: number;
  generatedTokensPerProblem: number;
  tracesPerMillionTokens: number;
  pairsPerMillionTokens: number;
  stepsPerMillionTokens: number;
  /** Share of generated tokens spent on candidates that were dropped as duplicates (or empty). */
  duplicateTokenShare: number;
}

export interface RunSummary {
  schema: typeof SCHEMA.summary;
  package: 'mcts-gen';
  version: string;
  configHash: string;
  seed: number;
  algorithm: string;
  problems: { committed: number; searched: number; errors: number; rejectedInputs: number; solved: number; success: number };
  records: { traces: number; pairs: number; steps: number; trees: number };
  filters: { traces: FilterCounts; pairs: FilterCounts; steps: FilterCounts };
  usage: Usage;
  /** Budgets used: mean simulations (or finished samples) and tree nodes per searched problem, and why searches stopped. */
  search: {
    simulationsPerProblem: number;
    nodesPerProblem: number;
    /** Generated tokens spent on dropped duplicate (or empty) candidates, and their share of all generated tokens. */
    duplicateTokens: number;
    duplicateTokenShare: number;
    /** Steps that failed the process check; solutions whose answer passed but a step did not (not verified). */
    falseSteps: number;
    falseStepSolutions: number;
    /** Searches that stopped because nothing was left to find while budget remained (`stoppedBy.exhausted`). */
    exhaustedWithBudget: number;
  };
  stoppedBy: Record<string, number>;
  algorithms: Record<string, AlgorithmSummary>;
  config: Config;
}

function rate(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((n / d) * 1e6) / 1e6;
}

interface AlgorithmTotals {
  problems: number;
  success: number;
  solved: number;
  tokens: number;
  duplicateTokens: number;
  traces: number;
  pairs: number;
  steps: number;
}

/**
 * Folds ledger entries into a summary one at a time (constant memory however long the run).
 * Entries may come in any order: the result is the same.
 */
export class SummaryBuilder {
  private readonly problems = { committed: 0, searched: 0, errors: 0, solved: 0, success: 0 };
  private readonly records = { traces: 0, pairs: 0, steps: 0, trees: 0 };
  private readonly filters = { traces: emptyFilterCounts(), pairs: emptyFilterCounts(), steps: emptyFilterCounts() };
  private readonly usage: Usage = emptyUsage();
  private readonly stoppedBy = new Map<string, number>();
  private simulations = 0;
  private nodes = 0;
  private duplicateTokens = 0;
  private falseSteps = 0;
  private falseStepSolutions = 0;
  private readonly perAlgorithm = new Map<string, AlgorithmTotals>();

  add(e: LedgerEntry): this {
    this.problems.committed++;
    this.records.traces += e.records.traces;
    this.records.pairs += e.records.pairs;
    this.records.steps += e.records.steps;
    this.records.trees += e.records.trees;
    if (!e.ok || e.stats === undefined) {
      this.problems.errors++;
      return this;
    }
    this.problems.searched++;
    if (e.stats.solved) this.problems.solved++;
    if (e.stats.success) this.problems.success++;
    addUsage(this.usage, e.stats.usage);
    this.simulations += e.stats.simulations;
    this.nodes += e.stats.nodes;
    this.duplicateTokens += e.stats.duplicateTokens ?? 0;
    this.falseSteps += e.stats.falseSteps ?? 0;
    this.falseStepSolutions += e.stats.falseStepSolutions ?? 0;
    this.stoppedBy.set(e.stats.stoppedBy, (this.stoppedBy.get(e.stats.stoppedBy) ?? 0) + 1);
    if (e.filters !== undefined) {
      addFilterCounts(this.filters.traces, e.filters.traces);
      addFilterCounts(this.filters.pairs, e.filters.pairs);
      addFilterCounts(this.filters.steps, e.filters.steps);
    }
    let a = this.perAlgorithm.get(e.stats.algorithm);
    if (a === undefined) {
      a = { problems: 0, success: 0, solved: 0, tokens: 0, duplicateTokens: 0, traces: 0, pairs: 0, steps: 0 };
      this.perAlgorithm.set(e.stats.algorithm, a);
    }
    a.problems++;
    if (e.stats.success) a.success++;
    if (e.stats.solved) a.solved++;
    a.tokens += e.stats.usage.generatedTokens;
    a.duplicateTokens += e.stats.duplicateTokens ?? 0;
    a.traces += e.records.traces;
    a.pairs += e.records.pairs;
    a.steps += e.records.steps;
    return this;
  }

  build(meta: { version: string; configHash: string; config: Config; rejectedInputs: number }): RunSummary {
    const usage = { ...this.usage, modelMs: Math.round(this.usage.modelMs) };
    const algorithms: Record<string, AlgorithmSummary> = {};
    // Sorted keys keep the JSON independent of the order problems finished in.
    for (const name of [...this.perAlgorithm.keys()].sort()) {
      const a = this.perAlgorithm.get(name)!;
      algorithms[name] = {
        problems: a.problems,
        accuracy: rate(a.success, a.problems),
        solveRate: rate(a.solved, a.problems),
        generatedTokens: a.tokens,
        generatedTokensPerProblem: rate(a.tokens, a.problems),
        tracesPerMillionTokens: rate(a.traces * 1e6, a.tokens),
        pairsPerMillionTokens: rate(a.pairs * 1e6, a.tokens),
        stepsPerMillionTokens: rate(a.steps * 1e6, a.tokens),
        duplicateTokenShare: rate(a.duplicateTokens, a.tokens),
      };
    }
    return {
      schema: SCHEMA.summary,
      package: 'mcts-gen',
      version: meta.version,
      configHash: meta.configHash,
      seed: meta.config.seed,
      algorithm: meta.config.algorithm,
      problems: { ...this.problems, rejectedInputs: meta.rejectedInputs },
      records: { ...this.records },
      filters: structuredClone(this.filters),
      usage,
      search: {
        simulationsPerProblem: rate(this.simulations, this.problems.searched),
        nodesPerProblem: rate(this.nodes, this.problems.searched),
        duplicateTokens: this.duplicateTokens,
        duplicateTokenShare: rate(this.duplicateTokens, this.usage.generatedTokens),
        falseSteps: this.falseSteps,
        falseStepSolutions: this.falseStepSolutions,
        exhaustedWithBudget: this.stoppedBy.get('exhausted') ?? 0,
      },
      stoppedBy: Object.fromEntries([...this.stoppedBy.entries()].sort(([x], [y]) => (x < y ? -1 : 1))),
      algorithms,
      config: meta.config,
    };
  }
}

/** Folds ledger entries into a summary. Entries may come in any order. */
export function summarize(
  entries: Iterable<LedgerEntry>,
  meta: { version: string; configHash: string; config: Config; rejectedInputs: number },
): RunSummary {
  const b = new SummaryBuilder();
  for (const e of entries) b.add(e);
  return b.build(meta);
}
