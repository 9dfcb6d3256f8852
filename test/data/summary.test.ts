import { describe, expect, it } from 'vitest';
import { emptyUsage, parseConfig, summarize, type LedgerEntry } from '../../src/index.js';

function entry(id: string, tokens: number, duplicateTokens: number, stoppedBy: 'tokens' | 'exhausted', records: { traces: number; pairs: number; steps: number }): LedgerEntry {
  return {
    problemId: id,
    ok: true,
    attempts: 1,
    offsets: {},
    records: { ...records, trees: 0 },
    stats: {
      algorithm: 'mcts',
      success: records.traces > 0,
      solved: records.traces > 0,
      usage: { ...emptyUsage(), generatedTokens: tokens },
      simulations: 10,
      nodes: 20,
      stoppedBy,
      duplicateTokens,
      falseSteps: 3,
      falseStepSolutions: 1,
    },
  };
}

describe('run summary', () => {
  it('reports the duplicate-token share, false steps, exhausted searches and step rows per token', () => {
    const meta = { version: 't', configHash: 'h', config: parseConfig({}), rejectedInputs: 0 };
    const s = summarize(
      [entry('a', 600, 60, 'tokens', { traces: 2, pairs: 3, steps: 5 }), entry('b', 400, 0, 'exhausted', { traces: 0, pairs: 0, steps: 1 })],
      meta,
    );
    expect(s.search.duplicateTokens).toBe(60);
    expect(s.search.duplicateTokenShare).toBe(0.06);
    expect(s.search.falseSteps).toBe(6);
    expect(s.search.falseStepSolutions).toBe(2);
    expect(s.search.exhaustedWithBudget).toBe(1);
    expect(s.algorithms.mcts.duplicateTokenShare).toBe(0.06);
    expect(s.algorithms.mcts.stepsPerMillionTokens).toBe(6000);
    expect(s.algorithms.mcts.tracesPerMillionTokens).toBe(2000);
    // Order of entries does not matter.
    const t = summarize([entry('b', 400, 0, 'exhausted', { traces: 0, pairs: 0, steps: 1 }), entry('a', 600, 60, 'tokens', { traces: 2, pairs: 3, steps: 5 })], meta);
    expect(JSON.stringify(t)).toBe(JSON.stringify(s));
  });
});
