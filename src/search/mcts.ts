// Monte Carlo Tree Search over reasoning steps: select (PUCT or UCT, virtual loss while a path is
// pending) -> expand (the policy proposes `width` distinct steps; all are evaluated in one batch) ->
// the first visit of a new child backs up its evaluated value -> backup (mean or max).

import { throwIfAborted } from '../core/errors.js';
import { FLAG, NONE, ROOT } from '../core/tree.js';
import type { SearchRuntime, StopReason } from './runtime.js';
import { createPuct, createUct, type SelectChild } from './selection.js';

/** Simulations between yields to the event loop. */
const YIELD_EVERY = 256;

export interface MctsStats {
  simulations: number;
  stoppedBy: StopReason;
}

/** The selection rule configured in `runtime.search`. */
export function selectionRule(rt: SearchRuntime): SelectChild {
  const s = rt.search;
  return s.selection === 'uct'
    ? createUct({ c: s.uctC, virtualLoss: s.virtualLoss })
    : createPuct({ cInit: s.cInit, cBase: s.cBase, unvisitedValue: s.unvisitedValue, virtualLoss: s.virtualLoss });
}

/**
 * Runs MCTS until a budget is used up. With `parallelSimulations` > 1, that many simulations run
 * concurrently on the one tree; each holds a virtual loss on its path until its backup.
 */
export async function runMcts(rt: SearchRuntime): Promise<MctsStats> {
  const tree = rt.tree;
  const select = selectionRule(rt);
  const limit = rt.budget.simulations;
  const pendingExpansions = new Map<number, Promise<unknown>>();
  let started = 0;
  let completed = 0;
  let stoppedBy: StopReason | undefined;

  const expandOnce = (node: number): Promise<unknown> => {
    let p = pendingExpansions.get(node);
    if (p === undefined) {
      const rng = rt.rng.split('expand').split(tree.positionKey(node));
      p = rt.expand(node, rt.search.width, rng).finally(() => pendingExpansions.delete(node));
      pendingExpansions.set(node, p);
    }
    return p;
  };

  /** One simulation. Returns false when a budget ran out before it reached a leaf (no visit). */
  const simulate = async (): Promise<boolean> => {
    let node = ROOT;
    tree.pending[ROOT] += 1;
    try {
      for (;;) {
        if (node !== ROOT && !tree.has(node, FLAG.COUNTED)) {
          tree.set(node, FLAG.COUNTED);
          break;
        }
        if (tree.has(node, FLAG.TERMINAL)) break;
        if (!tree.has(node, FLAG.EXPANDED)) {
          const reason = rt.exhaustedBudget();
          if (reason !== undefined) {
            stoppedBy ??= reason;
            return false;
          }
          await expandOnce(node);
          if (tree.childCount[node] === 0) {
            // Dead end: the policy had nothing (new) to say after this step. It becomes a terminal
            // without an answer: verified like any other (usually a fail), revisited like any other.
            if (!tree.has(node, FLAG.TERMINAL)) {
              tree.set(node, FLAG.TERMINAL);
              await rt.evaluate([node]);
            }
            break;
          }
        }
        const child = select(tree, node);
        if (child === NONE) throw new Error(`internal: expanded node ${node} has no children`);
        node = child;
        tree.pending[node] += 1;
      }
      rt.backup(node);
      // A visited terminal has nothing new to give. Selection still revisits it (standard MCTS, so visit
      // counts follow values); once every leaf of the tree is a visited terminal, the search stops.
      if (tree.has(node, FLAG.TERMINAL)) {
        tree.set(node, FLAG.EXHAUSTED);
        markExhausted(rt, node);
      }
      return true;
    } finally {
      tree.applyVirtualLoss(node, -1);
    }
  };

  const loop = async (): Promise<void> => {
    while (stoppedBy === undefined) {
      throwIfAborted(rt.signal);
      if (tree.has(ROOT, FLAG.EXHAUSTED)) {
        stoppedBy = 'exhausted';
        break;
      }
      if (started >= limit) {
        stoppedBy = 'simulations';
        break;
      }
      const reason = rt.exhaustedBudget();
      if (reason !== undefined && reason !== 'nodes') {
        stoppedBy = reason;
        break;
      }
      started++;
      if (await simulate()) completed++;
      // With instant plugins nothing above yields to the event loop: let timers and signals (cooperative
      // cancellation from a pool, Ctrl-C) through now and then.
      if (started % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const workers: Promise<void>[] = [];
  for (let i = 0; i < rt.search.parallelSimulations; i++) workers.push(loop());
  // Wait for every in-flight simulation, even when one fails, so no virtual loss is left behind.
  const results = await Promise.allSettled(workers);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return { simulations: completed, stoppedBy: stoppedBy ?? 'simulations' };
}

/** After visiting `leaf`, marks ancestors exhausted whose children are all exhausted. */
function markExhausted(rt: SearchRuntime, leaf: number): void {
  const tree = rt.tree;
  if (!tree.has(leaf, FLAG.EXHAUSTED)) return;
  for (let n = tree.parent[leaf]; n !== NONE; n = tree.parent[n]) {
    if (!tree.has(n, FLAG.EXPANDED) || tree.has(n, FLAG.EXPANDING)) return;
    for (let c = tree.firstChild[n]; c !== NONE; c = tree.nextSibling[c]) if (!tree.has(c, FLAG.EXHAUSTED)) return;
    tree.set(n, FLAG.EXHAUSTED);
  }
}

/**
 * The answer MCTS commits to: from the root follow the most visited child (ties: higher value, then
 * earlier child) down to a terminal. If that path stops short, the best-valued evaluated terminal.
 */
export function chooseMctsAnswer(rt: SearchRuntime): number {
  const tree = rt.tree;
  let node = ROOT;
  while (tree.childCount[node] > 0 && !tree.has(node, FLAG.TERMINAL)) {
    let best = NONE;
    for (let c = tree.firstChild[node]; c !== NONE; c = tree.nextSibling[c]) {
      if (best === NONE || tree.visits[c] > tree.visits[best] || (tree.visits[c] === tree.visits[best] && tree.q(c) > tree.q(best))) best = c;
    }
    if (tree.visits[best] === 0) break;
    node = best;
  }
  if (node !== ROOT && tree.has(node, FLAG.TERMINAL)) return node;
  let best = NONE;
  for (let id = 1; id < tree.size; id++) {
    if (!tree.has(id, FLAG.TERMINAL) || !tree.has(id, FLAG.EVALUATED)) continue;
    if (best === NONE || tree.evalValue[id] > tree.evalValue[best]) best = id;
  }
  return best;
}
