// Baselines that share the search's plugins, tree and usage accounting: greedy decoding, best-of-n
// (reward-model reranking), self-consistency (majority vote over final answers) and step-level beam
// search. Sampled solutions are paths in the same tree, so records come out the same way as for MCTS.

import { FLAG, NONE, ROOT } from '../core/tree.js';
import type { SearchRuntime, StopReason } from './runtime.js';

export interface BaselineOutcome {
  /** Terminal node the algorithm commits to (NONE when it finished none). */
  chosen: number;
  /** Completed solutions (terminal nodes), in the order they were produced. */
  finished: number[];
  stoppedBy: StopReason;
}

/** Score of a finished solution from the per-step reward scores on its path (NaN without scores). */
export function pathScore(rt: SearchRuntime, terminal: number): number {
  const tree = rt.tree;
  const mode = rt.search.aggregate;
  if (mode === 'last') return tree.rewardScore[terminal];
  let min = Number.POSITIVE_INFINITY;
  let sum = 0;
  let n = 0;
  for (const id of tree.pathTo(terminal)) {
    const s = tree.rewardScore[id];
    if (!Number.isFinite(s)) continue;
    if (s < min) min = s;
    sum += s;
    n++;
  }
  if (n === 0) return Number.NaN;
  return mode === 'min' ? min : sum / n;
}

/** Sum of step logprobs on the path (0 for unknown ones): the fallback score without a reward model. */
function pathLogprob(rt: SearchRuntime, node: number): number {
  let total = 0;
  for (const id of rt.tree.pathTo(node)) {
    const lp = rt.tree.logprob[id];
    if (Number.isFinite(lp)) total += lp;
  }
  return total;
}

/** Index of the highest score (NaN counts as lowest; ties go to the earlier entry); -1 when empty. */
function argmax(scores: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    if (best === -1) best = i;
    else if (Number.isFinite(scores[i]) && !(scores[i] <= scores[best])) best = i;
  }
  return best;
}

/**
 * Samples one step at a time from the root to a terminal. Returns the terminal, or NONE when a budget
 * ran out or the policy gave nothing (the partial path stays in the tree, unvisited).
 */
async function sampleSolution(rt: SearchRuntime, key: string, greedy: boolean): Promise<{ terminal: number; stop?: StopReason }> {
  let node = ROOT;
  for (;;) {
    if (rt.tree.has(node, FLAG.TERMINAL)) {
      rt.backup(node);
      return { terminal: node };
    }
    const stop = rt.exhaustedBudget();
    if (stop !== undefined) return { terminal: NONE, stop };
    const ids = await rt.expand(node, 1, rt.rng.split('sample').split(key).split(rt.tree.depth[node]), { greedy });
    if (ids.length === 0) return { terminal: NONE };
    node = ids[0];
  }
}

async function sampleMany(rt: SearchRuntime, count: number): Promise<{ finished: number[]; stoppedBy: StopReason }> {
  const finished: number[] = [];
  for (let i = 0; i < count; i++) {
    // Let timers and signals through now and then, even with instant plugins.
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
    const { terminal, stop } = await sampleSolution(rt, String(i), false);
    if (stop !== undefined) return { finished, stoppedBy: stop };
    if (terminal !== NONE) finished.push(terminal);
  }
  return { finished, stoppedBy: 'complete' };
}

/** One solution by greedy decoding (`ctx.greedy`). */
export async function runGreedy(rt: SearchRuntime): Promise<BaselineOutcome> {
  const { terminal, stop } = await sampleSolution(rt, 'greedy', true);
  return { chosen: terminal, finished: terminal === NONE ? [] : [terminal], stoppedBy: stop ?? 'complete' };
}

/** `search.samples` sampled solutions; the one with the best reward score wins (the first without a reward model). */
export async function runBestOfN(rt: SearchRuntime): Promise<BaselineOutcome> {
  const { finished, stoppedBy } = await sampleMany(rt, rt.search.samples);
  const best = argmax(finished.map((t) => pathScore(rt, t)));
  return { chosen: best === -1 ? NONE : finished[best], finished, stoppedBy };
}

/** `search.samples` sampled solutions; the most frequent final answer wins (ties: the one seen first). */
export async function runSelfConsistency(rt: SearchRuntime): Promise<BaselineOutcome> {
  const { finished, stoppedBy } = await sampleMany(rt, rt.search.samples);
  /** Per answer: its votes and the solution committed with it (the first one, or the first whose every step holds). */
  const votes = new Map<string, { count: number; pick: number }>();
  for (const t of finished) {
    const verdict = rt.tree.verdicts.get(t);
    const answer = verdict?.answer;
    if (answer === undefined || answer === '') continue;
    const v = votes.get(answer);
    if (v === undefined) votes.set(answer, { count: 1, pick: t });
    else {
      v.count++;
      if (verdict?.kind === 'pass' && rt.tree.verdicts.get(v.pick)?.kind !== 'pass') v.pick = t;
    }
  }
  let chosen = NONE;
  let bestCount = 0;
  for (const v of votes.values()) {
    if (v.count > bestCount) {
      bestCount = v.count;
      chosen = v.pick;
    }
  }
  return { chosen, finished, stoppedBy };
}

/**
 * Step-level beam search: expand each beam by `search.width` candidates, keep the `search.beamSize`
 * best non-terminal children by reward score (cumulative logprob without a reward model), collect
 * terminals, stop when `beamSize` solutions are finished, no beam is left, or a budget runs out.
 */
export async function runBeam(rt: SearchRuntime): Promise<BaselineOutcome> {
  const tree = rt.tree;
  const finished: number[] = [];
  let beams = [ROOT];
  let stoppedBy: StopReason = 'complete';
  const score = (id: number): number => (rt.plugins.reward !== null ? tree.rewardScore[id] : pathLogprob(rt, id));
  outer: while (beams.length > 0 && finished.length < rt.search.beamSize) {
    const next: number[] = [];
    for (const b of beams) {
      const stop = rt.exhaustedBudget();
      if (stop !== undefined) {
        stoppedBy = stop;
        break outer;
      }
      const ids = await rt.expand(b, rt.search.width, rt.rng.split('beam').split(tree.positionKey(b)), { exclude: true });
      for (const id of ids) {
        if (tree.has(id, FLAG.TERMINAL)) {
          // A step pruned for a false claim is a dead branch, not a finished solution.
          if (rt.isPruned(id) && tree.endingOf(id) !== 'final') continue;
          if (!finished.includes(id)) finished.push(id);
        } else if (!next.includes(id)) next.push(id);
      }
    }
    next.sort((a, b) => {
      const sa = score(a);
      const sb = score(b);
      if (sa !== sb && !(Number.isNaN(sa) && Number.isNaN(sb))) return Number.isNaN(sa) ? 1 : Number.isNaN(sb) ? -1 : sb - sa;
      return a - b;
    });
    beams = next.slice(0, rt.search.beamSize);
  }
  for (const t of finished) rt.backup(t);
  const scores = finished.map((t) => (rt.plugins.reward !== null ? pathScore(rt, t) : pathLogprob(rt, t)));
  const best = argmax(scores);
  return { chosen: best === -1 ? NONE : finished[best], finished, stoppedBy };
}
