// Monte Carlo Tree Search over reasoning steps: select (PUCT or UCT, virtual loss while a path is
// pending; progressive widening asks a visited node for new steps) -> expand (the policy proposes
// `width` distinct steps; all are evaluated in one batch) -> the first visit of a new child backs up its
// evaluated value (or its rollouts' terminals) -> backup (mean or max).

import { throwIfAborted } from '../core/errors.js';
import { FLAG, NONE, ROOT } from '../core/tree.js';
import type { SearchRuntime, StopReason } from './runtime.js';
import { createPuct, createUct, type SelectChild } from './selection.js';

/** Simulations between yields to the event loop. */
const YIELD_EVERY = 256;

/**
 * Simulations in a row that only revisit exhausted leaves before selection steers around exhausted
 * children (where a live one exists), so the simulation budget is not spent on revisits alone.
 */
const IDLE_REVISITS = 64;

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
 * Runs MCTS until a budget is used up or nothing is left to find. With `parallelSimulations` > 1, that
 * many simulations run concurrently on the one tree; each holds a virtual loss on its path until its
 * backup. A node is widened (asked again, without replacement) under the progressive-widening rule of
 * `search.widening`; it closes when its policy has nothing new to say.
 */
export async function runMcts(rt: SearchRuntime): Promise<MctsStats> {
  const tree = rt.tree;
  const select = selectionRule(rt);
  const limit = rt.budget.simulations;
  const widening = rt.search.widening;
  const pendingExpansions = new Map<number, Promise<unknown>>();
  /** Widenings asked of a node so far, and how many in a row gave nothing new. */
  const widenings = new Map<number, number>();
  const fruitless = new Map<number, number>();
  let started = 0;
  let completed = 0;
  let stoppedBy: StopReason | undefined;
  /** Simulations in a row that ended on an already exhausted leaf. */
  let idle = 0;
  const isPruned = (child: number): boolean => rt.isPruned(child);
  const isSpent = (child: number): boolean => tree.has(child, FLAG.EXHAUSTED) || rt.isPruned(child);
  /**
   * Selection. A step pruned for a false claim is never selected: like an illegal move, it says nothing
   * about the value of its parent. After IDLE_REVISITS idle simulations, exhausted children are passed
   * over too where a live one exists. NONE when every child is pruned.
   */
  const choose = (node: number): number => {
    if (idle >= IDLE_REVISITS) {
      const live = select(tree, node, isSpent);
      if (live !== NONE) return live;
    }
    return select(tree, node, isPruned);
  };

  const close = (node: number): void => {
    tree.set(node, FLAG.CLOSED);
    markExhausted(rt, node);
  };

  /** After an expansion or widening of `node`: close it when the policy's unseen mass there is negligible. */
  const closeIfCovered = (node: number): void => {
    if (widening.k === 0 || tree.childCount[node] >= widening.maxChildren) return close(node);
    const left = rt.remainingMass(node);
    if (Number.isFinite(left) && left < widening.minNewMass) close(node);
  };

  const expandOnce = (node: number): Promise<unknown> => {
    let p = pendingExpansions.get(node);
    if (p === undefined) {
      const rng = rt.rng.split('expand').split(tree.positionKey(node));
      p = rt
        .expand(node, rt.search.width, rng, { exclude: true })
        .then(() => {
          if (tree.childCount[node] > 0) closeIfCovered(node);
        })
        .finally(() => pendingExpansions.delete(node));
      pendingExpansions.set(node, p);
    }
    return p;
  };

  /** Asks `node` for `widening.width` new steps. Resolves to the ids of the children it added. */
  const widenOnce = (node: number): Promise<number[]> => {
    const inFlight = pendingExpansions.get(node);
    if (inFlight !== undefined) return inFlight.then(() => []);
    const before = tree.childCount[node];
    const k = widenings.get(node) ?? 0;
    widenings.set(node, k + 1);
    const rng = rt.rng.split('widen').split(tree.positionKey(node)).split(k);
    const p = rt.expand(node, widening.width, rng, { exclude: true }).then(() => {
      const added = tree.children(node).filter((c) => tree.rank[c] >= before);
      if (added.length === 0) {
        const n = (fruitless.get(node) ?? 0) + 1;
        fruitless.set(node, n);
        if (n >= widening.closeAfter) close(node);
      } else {
        fruitless.set(node, 0);
        closeIfCovered(node);
      }
      return added;
    });
    const tracked = p.finally(() => pendingExpansions.delete(node));
    pendingExpansions.set(node, tracked);
    return tracked;
  };

  /** Progressive widening: fewer than k * N(s)^alpha children, or every child exhausted. */
  const shouldWiden = (node: number): boolean => {
    if (widening.k === 0 || tree.has(node, FLAG.CLOSED | FLAG.TERMINAL | FLAG.EXPANDING)) return false;
    const kids = tree.childCount[node];
    if (kids >= widening.maxChildren) return false;
    if (kids < widening.k * Math.pow(Math.max(1, tree.visits[node]), widening.alpha)) return true;
    for (let c = tree.firstChild[node]; c !== NONE; c = tree.nextSibling[c]) if (!tree.has(c, FLAG.EXHAUSTED)) return false;
    return true;
  };

  /**
   * A rollout from `from`: the policy continues one step at a time (width 1, a new step at `from` when
   * it already has some) to a terminal; every step becomes a node. Returns the last node reached.
   */
  const rollout = async (from: number, r: number): Promise<number> => {
    let node = from;
    for (let depth = 0; !tree.has(node, FLAG.TERMINAL); depth++) {
      if (rt.exhaustedBudget() !== undefined) return node;
      const before = tree.childCount[node];
      const rng = rt.rng.split('rollout').split(tree.positionKey(from)).split(r).split(depth);
      await rt.expand(node, 1, rng, { exclude: true });
      if (tree.childCount[node] === before) {
        if (before === 0) {
          tree.set(node, FLAG.TERMINAL);
          await rt.evaluate([node]);
        }
        return node;
      }
      node = tree.lastChild[node];
      tree.set(node, FLAG.COUNTED);
    }
    return node;
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
        } else if (shouldWiden(node) && rt.exhaustedBudget() === undefined) {
          const added = await widenOnce(node);
          if (added.length > 0 && !tree.has(added[0], FLAG.COUNTED)) {
            node = added[0];
            tree.pending[node] += 1;
            continue;
          }
        }
        const child = choose(node);
        if (child === NONE) {
          if (tree.childCount[node] === 0) throw new Error(`internal: expanded node ${node} has no children`);
          // Every step after this node was false: once it is closed, it is a dead end worth nothing.
          if (tree.has(node, FLAG.CLOSED)) {
            tree.set(node, FLAG.EXHAUSTED);
            markExhausted(rt, node);
          }
          tree.backupPath(node, 0, false, false);
          idle = 0;
          return true;
        }
        node = child;
        tree.pending[node] += 1;
      }
      if (rt.search.rollouts > 0 && !tree.has(node, FLAG.TERMINAL)) {
        for (let r = 0; r < rt.search.rollouts; r++) {
          const leaf = await rollout(node, r);
          rt.backup(leaf);
          settle(leaf);
        }
        idle = 0;
        return true;
      }
      idle = tree.has(node, FLAG.EXHAUSTED) ? idle + 1 : 0;
      rt.backup(node);
      settle(node);
      return true;
    } finally {
      tree.applyVirtualLoss(node, -1);
    }
  };

  /**
   * A visited terminal has nothing new to give. Selection still revisits it (standard MCTS, so visit
   * counts follow values); once every leaf of the tree is a visited terminal under closed nodes, the
   * search stops.
   */
  const settle = (leaf: number): void => {
    if (!tree.has(leaf, FLAG.TERMINAL)) return;
    tree.set(leaf, FLAG.EXHAUSTED);
    markExhausted(rt, leaf);
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
      // A full tree can still be revisited (visits follow values), until revisits are all that is left.
      if (reason !== undefined && (reason !== 'nodes' || idle >= IDLE_REVISITS)) {
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

/**
 * Marks `from` (when it qualifies) and then its ancestors exhausted: a node is exhausted when it is a
 * visited terminal, or closed with every child exhausted.
 */
function markExhausted(rt: SearchRuntime, from: number): void {
  const tree = rt.tree;
  for (let n = from; n !== NONE; n = tree.parent[n]) {
    if (!tree.has(n, FLAG.EXHAUSTED)) {
      if (tree.has(n, FLAG.TERMINAL)) return;
      if (!tree.has(n, FLAG.EXPANDED) || !tree.has(n, FLAG.CLOSED) || tree.has(n, FLAG.EXPANDING)) return;
      for (let c = tree.firstChild[n]; c !== NONE; c = tree.nextSibling[c]) if (!tree.has(c, FLAG.EXHAUSTED)) return;
      tree.set(n, FLAG.EXHAUSTED);
    }
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
