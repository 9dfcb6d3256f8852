// Deterministic random search trees shaped like a real arithmetic search (a few wide nodes, long dives,
// terminals with pass/fail verdicts, a committed path), for the viewer bench and its browser test.
// Imports only the view model and the seeded rng.

import { Rng } from '../src/core/rng.js';
import type { NodeJSON } from '../src/core/tree.js';
import type { ViewTree } from '../src/explore/tree-data.js';

/** Most children of one node. */
const MAX_BRANCHING = 30;
/** Nodes at this depth are terminal. */
const MAX_DEPTH = 25;
/** Chance that the next expansion continues the newest open node (a dive) rather than a random one. */
const DIVE_CHANCE = 0.55;
/** Chance that a step's arithmetic claim is false (the committed path's last step never is). */
const FALSE_STEP_CHANCE = 0.15;

const OPS = ['+', '-', '*'] as const;

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A tree of exactly `nodeCount` nodes (at least 2) for `seed`: node i has id i, parents come first,
 * branching 1–30 (most nodes 1–4), depth at most 25. Step texts look like "12 * 7 = 84"; terminals
 * say "The answer is 84" and carry a pass or fail verdict. Visits, Q and priors are consistent
 * enough to look real (N of a node = 1 + the children's N; Q = their visit-weighted mean).
 * `chosen` follows the most-visited child from the root to a terminal. Same arguments, same tree.
 */
export function syntheticTree(nodeCount: number, seed: number): ViewTree {
  if (!Number.isInteger(nodeCount) || nodeCount < 2) throw new RangeError(`nodeCount must be an integer >= 2, got ${nodeCount}`);
  const rng = Rng.fromSeed(`synthetic-tree/${seed}`);
  const start = 2 + rng.int(40);
  const nodes: NodeJSON[] = [root()];
  const result: number[] = [start];
  // Each node's step as it should have read (its claim made true), for the committed answer.
  const trueStep: string[] = [''];
  const trueResult: number[] = [start];
  // Open nodes (not terminal, not yet expanded), with a swap-remove index.
  const open: number[] = [0];

  while (nodes.length < nodeCount) {
    if (open.length === 0) open.push(widenable(nodes));
    const at = rng.chance(DIVE_CHANCE) ? open.length - 1 : rng.int(open.length);
    const parentId = open[at];
    open[at] = open[open.length - 1];
    open.pop();
    const parent = nodes[parentId];
    const remaining = nodeCount - nodes.length;
    // Mostly 1–4 children, now and then a wide node (progressive widening at a popular node).
    const wide = Math.floor(MAX_BRANCHING * rng.float() ** 4);
    const branching = Math.min(remaining, MAX_BRANCHING - parent.children.length, Math.max(1, wide, 1 + rng.int(4)));
    const raw = Array.from({ length: branching }, () => rng.gamma(0.6) + 1e-3);
    const total = raw.reduce((a, b) => a + b, 0);
    for (let i = 0; i < branching; i++) {
      const id = nodes.length;
      const depth = parent.depth + 1;
      const a = result[parentId];
      // Keep numbers small, as in word problems: big ones shrink, none goes below 0.
      let op: (typeof OPS)[number] = a > 400 ? '-' : OPS[rng.int(OPS.length)];
      const b = op === '*' ? 2 + rng.int(9) : 1 + rng.int(60);
      if (op === '*' && a * b > 2000) op = '-';
      if (op === '-' && a - b < 0) op = '+';
      const truth = op === '+' ? a + b : op === '-' ? a - b : a * b;
      const isFalse = rng.chance(FALSE_STEP_CHANCE);
      const c = isFalse ? truth + (rng.chance(0.5) ? 1 : -1) * (1 + rng.int(9)) : truth;
      const isTerminal = depth >= MAX_DEPTH || rng.chance(0.04 + depth * 0.012);
      const prior = raw[i] / total;
      const node: NodeJSON = {
        id,
        parent: parentId,
        depth,
        text: isTerminal ? `${a} ${op} ${b} = ${c}\nThe answer is ${c}` : `${a} ${op} ${b} = ${c}`,
        ending: isTerminal ? 'final' : 'step',
        prior: round6(prior),
        logprob: round6(Math.log(prior) - rng.float()),
        tokens: 10 + rng.int(8),
        visits: 0,
        value: null,
        evalValue: null,
        reward: null,
        outcome: null,
        terminal: isTerminal,
        children: [],
        stepVerdict: { step: depth - 1, kind: isFalse ? 'fail' : 'pass', reason: 'arithmetic', claims: 1, failedClaims: isFalse ? 1 : 0 },
      };
      if (isTerminal) {
        const passed = !isFalse && rng.chance(0.35);
        node.verdict = passed
          ? { kind: 'pass', reason: 'exact', answer: String(c) }
          : isFalse
            ? { kind: 'fail', reason: 'false_step', answer: String(c), detail: `step ${depth}: an arithmetic claim does not hold` }
            : { kind: 'fail', reason: 'mismatch', answer: String(c) };
        node.outcome = passed ? 1 : 0;
        node.evalValue = node.outcome;
      } else {
        open.push(id);
      }
      nodes.push(node);
      result.push(c);
      trueStep.push(`${a} ${op} ${b} = ${truth}`);
      trueResult.push(truth);
      parent.children.push(id);
    }
  }
  // Backward pass (children after parents): visits, Q, evaluation and reward-model scores.
  const qSum = new Float64Array(nodes.length);
  for (let id = nodes.length - 1; id >= 0; id--) {
    const n = nodes[id];
    if (n.terminal) {
      n.visits = 1 + rng.int(3);
      n.value = n.outcome;
      qSum[id] = n.visits * (n.outcome ?? 0);
    } else if (n.children.length === 0) {
      // Evaluated but never expanded (or never visited).
      if (id !== 0 && rng.chance(0.7)) {
        n.evalValue = round6(rng.float() * 0.6);
        n.reward = n.evalValue;
        n.visits = 1;
        n.value = n.evalValue;
        qSum[id] = n.evalValue;
      }
    } else {
      const own = id === 0 ? 0 : round6(rng.float() * 0.7);
      let visits = id === 0 ? 0 : 1;
      let sum = own;
      for (const c of n.children) {
        visits += nodes[c].visits;
        sum += qSum[c];
      }
      n.visits = visits;
      n.value = visits > 0 ? round6(sum / visits) : null;
      qSum[id] = sum;
      if (id !== 0) {
        n.evalValue = own;
        n.reward = rng.chance(0.9) ? own : null;
      }
    }
  }

  // The committed path: the most-visited child with a true step at every level (any child when none
  // is true), down to a leaf made final.
  let chosen = 0;
  while (nodes[chosen].children.length > 0) {
    const kids = nodes[chosen].children;
    const trueKids = kids.filter((c) => nodes[c].stepVerdict?.kind === 'pass');
    const pool = trueKids.length > 0 ? trueKids : kids;
    let best = pool[0];
    for (const c of pool) if (nodes[c].visits > nodes[best].visits) best = c;
    chosen = best;
  }
  // The search committed to a correct answer: its last step passes, whatever the dice said.
  const last = nodes[chosen];
  const answer = String(trueResult[chosen]);
  last.text = `${trueStep[chosen]}\nThe answer is ${answer}`;
  last.terminal = true;
  last.ending = 'final';
  last.verdict = { kind: 'pass', reason: 'exact', answer };
  last.stepVerdict = { step: last.depth - 1, kind: 'pass', reason: 'arithmetic', claims: 1, failedClaims: 0 };
  last.outcome = 1;
  last.evalValue = 1;
  last.value = 1;
  return {
    problemId: `synthetic-${nodeCount}-${seed}`,
    prompt: `Synthetic search tree: start from ${start} and reach the target in a few arithmetic steps (seed ${seed}, ${nodeCount} nodes).`,
    answer,
    chosen,
    nodes,
  };

  // Every open node is used up: widen an expanded node (as progressive widening would).
  function widenable(all: NodeJSON[]): number {
    for (let id = all.length - 1; id >= 0; id--) {
      const n = all[id];
      if (!n.terminal && n.depth < MAX_DEPTH - 1 && n.children.length < MAX_BRANCHING) return id;
    }
    throw new RangeError('synthetic tree: no node left to widen');
  }

  function root(): NodeJSON {
    return {
      id: 0, parent: -1, depth: 0, text: '', ending: 'root', prior: 1, logprob: null, tokens: 0, visits: 0,
      value: null, evalValue: null, reward: null, outcome: null, terminal: false, children: [],
    };
  }
}
