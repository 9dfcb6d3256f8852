// Turns a finished search into records: verified traces (SFT), preference pairs (DPO) and step labels
// (PRM), applying the per-problem filters and counting what each filter dropped. Run-wide dedup
// happens where records are written (see writer.ts), since it needs every problem's output.

import type { Config } from '../core/config.js';
import { hashHex } from '../core/hash.js';
import { editDistance } from '../core/issues.js';
import { normalizeStepText } from '../core/text.js';
import { FLAG, NONE, ROOT, round6, type TreeStore } from '../core/tree.js';
import type { SearchResult } from '../search/index.js';
import { SCHEMA, type PairRecord, type Provenance, type StepRecord, type TraceRecord, type TreeRecord } from './records.js';

/** What one filter stage saw and dropped, per record kind. */
export interface FilterCounts {
  /** Candidates before any filter. */
  candidates: number;
  /** Dropped: not verified (traces with verifiedOnly). */
  unverified: number;
  /** Dropped: value below filters.minValue (traces) or gap/edit distance below pairs.* (pairs). */
  belowThreshold: number;
  /** Dropped: over the per-problem cap. */
  overCap: number;
  /** Dropped: duplicate text (within the problem here; across the run in the writer). */
  duplicate: number;
  /**
   * With `filters.verifiedSteps`: traces and pairs not made because a step of the would-be verified side
   * makes a false arithmetic claim (its answer passed); step records whose labels turned false at a
   * false step (those are kept).
   */
  falseStep: number;
  /** Written. */
  kept: number;
}

export function emptyFilterCounts(): FilterCounts {
  return { candidates: 0, unverified: 0, belowThreshold: 0, overCap: 0, duplicate: 0, falseStep: 0, kept: 0 };
}

export function addFilterCounts(into: FilterCounts, add: FilterCounts): FilterCounts {
  into.candidates += add.candidates;
  into.unverified += add.unverified;
  into.belowThreshold += add.belowThreshold;
  into.overCap += add.overCap;
  into.duplicate += add.duplicate;
  into.falseStep += add.falseStep ?? 0;
  into.kept += add.kept;
  return into;
}

export interface ExtractedRecords {
  traces: TraceRecord[];
  pairs: PairRecord[];
  steps: StepRecord[];
  tree: TreeRecord | undefined;
  filters: { traces: FilterCounts; pairs: FilterCounts; steps: FilterCounts };
}

/** Per-node counts of finished solutions below (and at) each node, by verdict. */
interface SubtreeOutcomes {
  pass: Uint32Array;
  fail: Uint32Array;
  /** Solutions whose answer passed but which hold a false step (counted in `fail` too). */
  falsePass: Uint32Array;
}

/** Children always have larger ids than their parent, so one reverse sweep sums subtrees. */
function subtreeOutcomes(tree: TreeStore): SubtreeOutcomes {
  const pass = new Uint32Array(tree.size);
  const fail = new Uint32Array(tree.size);
  const falsePass = new Uint32Array(tree.size);
  for (let id = tree.size - 1; id >= 0; id--) {
    if (tree.has(id, FLAG.TERMINAL)) {
      const v = tree.verdicts.get(id);
      if (v?.kind === 'pass') pass[id] += 1;
      else if (v?.kind === 'fail') fail[id] += 1;
      if (tree.answerVerdicts.has(id)) falsePass[id] += 1;
    }
    const p = tree.parent[id];
    if (p !== NONE) {
      pass[p] += pass[id];
      fail[p] += fail[id];
      falsePass[p] += falsePass[id];
    }
  }
  return { pass, fail, falsePass };
}

/** True when the edit distance between a and b is at least k (cheap for the common small k). */
export function differsBy(a: string, b: string, k: number): boolean {
  if (k <= 0) return true;
  if (k === 1) return a !== b;
  if (Math.abs(a.length - b.length) >= k) return true;
  return editDistance(a, b) >= k;
}

/** Node value for records: Q when visited, else its evaluated value; null when neither exists. */
function nodeValue(tree: TreeStore, id: number): number | null {
  const q = tree.q(id);
  if (Number.isFinite(q)) return round6(q);
  const e = tree.evalValue[id];
  return Number.isFinite(e) ? round6(e) : null;
}

function byValueDesc(tree: TreeStore) {
  return (a: number, b: number): number => {
    const va = nodeValue(tree, a) ?? -1;
    const vb = nodeValue(tree, b) ?? -1;
    return vb - va || a - b;
  };
}

/**
 * Records from one search. Deterministic: the same tree and config give the same records in the
 * same order (highest value first, then node id).
 */
export function extractRecords(result: SearchResult, config: Config, provenance: Provenance): ExtractedRecords {
  const tree = result.tree;
  const problem = result.problem;
  const delim = config.stepDelimiter;
  const prompt = problem.prompt + delim;
  const outcomes = subtreeOutcomes(tree);
  const filters = { traces: emptyFilterCounts(), pairs: emptyFilterCounts(), steps: emptyFilterCounts() };
  const rid = (kind: string, key: string): string => `${kind}-${hashHex(`${problem.id}\u241e${kind}\u241e${key}`, 16)}`;

  const terminals: number[] = [];
  for (let id = 1; id < tree.size; id++) if (tree.has(id, FLAG.TERMINAL) && tree.verdicts.has(id)) terminals.push(id);
  terminals.sort(byValueDesc(tree));

  // Traces: root-to-terminal solutions.
  const traces: TraceRecord[] = [];
  if (config.outputs.traces) {
    const seen = new Set<string>();
    for (const t of terminals) {
      const f = filters.traces;
      f.candidates++;
      const verdict = tree.verdicts.get(t)!;
      if (config.filters.verifiedOnly && verdict.kind !== 'pass') {
        if (tree.answerVerdicts.has(t)) f.falseStep++;
        else f.unverified++;
        continue;
      }
      const value = nodeValue(tree, t);
      if ((value ?? 0) < config.filters.minValue) {
        f.belowThreshold++;
        continue;
      }
      const path = tree.pathTo(t);
      const steps = path.map((n) => tree.text[n]);
      const completion = steps.join(delim);
      const key = normalizeStepText(completion);
      if (seen.has(key)) {
        f.duplicate++;
        continue;
      }
      if (traces.length >= config.filters.maxTracesPerProblem) {
        f.overCap++;
        continue;
      }
      seen.add(key);
      f.kept++;
      traces.push({
        schema: SCHEMA.trace,
        id: rid('trace', String(t)),
        problemId: problem.id,
        prompt,
        completion,
        messages: [
          { role: 'user', content: problem.prompt },
          { role: 'assistant', content: completion },
        ],
        steps: path.map((n) => ({ text: tree.text[n], value: nodeValue(tree, n), visits: tree.visits[n] })),
        answer: verdict.answer ?? null,
        verdicts: tree.stepVerdicts.size === 0 ? { final: verdict } : { final: verdict, steps: path.map((n) => tree.stepVerdicts.get(n)?.kind ?? 'unchecked') },
        value,
        node: t,
        provenance,
      });
    }
  }

  // Pairs: siblings sharing a prefix (chosen reaches a verified answer, rejected only wrong ones),
  // and whole solutions (verified vs failed).
  const pairs: PairRecord[] = [];
  if (config.outputs.pairs) {
    const candidates: PairRecord[] = [];
    const f = filters.pairs;
    const consider = (origin: 'step' | 'trajectory', parent: number, good: number, bad: number, pairPrompt: string, chosen: string, rejected: string): void => {
      f.candidates++;
      const margin = round6((nodeValue(tree, good) ?? 0) - (nodeValue(tree, bad) ?? 0));
      if (margin < config.pairs.minQGap || !differsBy(chosen, rejected, config.pairs.minEditDistance)) {
        f.belowThreshold++;
        return;
      }
      candidates.push({
        schema: SCHEMA.pair,
        id: rid('pair', `${good}:${bad}`),
        problemId: problem.id,
        prompt: pairPrompt,
        chosen,
        rejected,
        margin,
        origin,
        chosenNode: good,
        rejectedNode: bad,
        parentNode: parent,
        provenance,
      });
    };
    if (config.pairs.stepPairs) {
      for (let p = 0; p < tree.size; p++) {
        if (tree.childCount[p] < 2) continue;
        const kids = tree.children(p);
        const good = kids.filter((c) => outcomes.pass[c] > 0).sort(byValueDesc(tree));
        const bad = kids.filter((c) => outcomes.pass[c] === 0 && outcomes.fail[c] > 0).sort(byValueDesc(tree)).reverse();
        // Would-be chosen steps whose only passing answers below hold a false step.
        const tainted = bad.filter((c) => outcomes.falsePass[c] > 0).length;
        if (tainted > 0 && good.length === 0) f.falseStep += tainted * (bad.length - 1);
        if (good.length === 0 || bad.length === 0) continue;
        const prefix = tree.stepsTo(p);
        const pairPrompt = prefix.length === 0 ? prompt : prompt + prefix.join(delim) + delim;
        for (const g of good) for (const b of bad) consider('step', p, g, b, pairPrompt, tree.text[g], tree.text[b]);
      }
    }
    if (config.pairs.trajectoryPairs) {
      const passed = terminals.filter((t) => tree.verdicts.get(t)!.kind === 'pass');
      // A leaf pruned at a false step is a partial solution: no whole-solution pair rejects it.
      const failed = terminals.filter((t) => tree.verdicts.get(t)!.kind === 'fail' && (tree.endingOf(t) === 'final' || !tree.has(t, FLAG.FALSE_STEP))).reverse();
      f.falseStep += tree.answerVerdicts.size * Math.max(0, failed.length - 1);
      const text = (t: number): string => tree.stepsTo(t).join(delim);
      for (const g of passed) for (const b of failed) consider('trajectory', ROOT, g, b, prompt, text(g), text(b));
    }
    candidates.sort((a, b) => b.margin - a.margin || a.chosenNode - b.chosenNode || a.rejectedNode - b.rejectedNode);
    const seen = new Set<string>();
    for (const c of candidates) {
      const key = `${normalizeStepText(c.prompt)}\u241e${normalizeStepText(c.chosen)}\u241e${normalizeStepText(c.rejected)}`;
      if (seen.has(key)) {
        f.duplicate++;
        continue;
      }
      if (pairs.length >= config.filters.maxPairsPerProblem) {
        f.overCap++;
        continue;
      }
      seen.add(key);
      f.kept++;
      pairs.push(c);
    }
  }

  // Step labels: one record per finished solution path.
  const steps: StepRecord[] = [];
  if (config.outputs.steps) {
    const f = filters.steps;
    for (const t of terminals) {
      f.candidates++;
      if (steps.length >= config.filters.maxStepRecordsPerProblem) {
        f.overCap++;
        continue;
      }
      const path = tree.pathTo(t);
      if (tree.hasFalseStepOnPath(t)) f.falseStep++;
      f.kept++;
      steps.push({
        schema: SCHEMA.step,
        id: rid('steps', String(t)),
        problemId: problem.id,
        prompt,
        completions: path.map((n) => tree.text[n]),
        labels: path.map((n) => outcomes.pass[n] > 0),
        values: path.map((n) => {
          const total = outcomes.pass[n] + outcomes.fail[n];
          return total > 0 ? round6(outcomes.pass[n] / total) : (nodeValue(tree, n) ?? 0);
        }),
        node: t,
        provenance,
      });
    }
  }

  const treeRecord: TreeRecord | undefined = config.outputs.trees
    ? {
        schema: SCHEMA.tree,
        problemId: problem.id,
        prompt: problem.prompt,
        ...(problem.reference?.answer !== undefined ? { answer: problem.reference.answer } : {}),
        chosen: result.chosen,
        nodes: tree.toJSON() as unknown as Record<string, unknown>[],
        provenance,
      }
    : undefined;

  return { traces, pairs, steps, tree: treeRecord, filters };
}
