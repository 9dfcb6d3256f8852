// The search tree store: one node table in growable typed arrays (struct-of-arrays), step text in a
// plain array. Children are kept in insertion order as a linked list (first/last child, next sibling),
// so samplers can add a child to an already expanded node. No I/O, no plugins.

import type { StepCandidate, StepEnding, StepVerdict, Verdict } from './types.js';

/** Id of the root node. */
export const ROOT = 0;
/** "No node" sentinel (e.g. the root's parent, an unexpanded node's first child). */
export const NONE = -1;

/** Node flag bits. */
export const FLAG = {
  TERMINAL: 1,
  EXPANDED: 2,
  /** An expansion of this node is in flight. */
  EXPANDING: 4,
  /** The node's value (evalValue) is known. */
  EVALUATED: 8,
  /** Terminal, or expanded with every child exhausted: nothing left to find below it. */
  EXHAUSTED: 16,
  /** The node's first visit has been claimed by a simulation (its evaluation is backed up once). */
  COUNTED: 32,
  /** The policy has nothing new to say after this node: it is not widened again. */
  CLOSED: 64,
  /** The node's own step makes an arithmetic (process) claim that does not hold. */
  FALSE_STEP: 128,
} as const;

const ENDINGS: readonly (StepEnding | 'root')[] = ['root', 'step', 'final', 'length'];

function endingCode(e: StepEnding): number {
  return e === 'step' ? 1 : e === 'final' ? 2 : 3;
}

/** A node as plain data (trees/<id>.json, notebooks, golden tests). */
export interface NodeJSON {
  id: number;
  parent: number;
  depth: number;
  text: string;
  ending: StepEnding | 'root';
  prior: number;
  logprob: number | null;
  tokens: number;
  visits: number;
  value: number | null;
  evalValue: number | null;
  reward: number | null;
  outcome: number | null;
  terminal: boolean;
  children: number[];
  verdict?: Verdict;
  /** Process check of this node's own step (arithmetic claims), when one ran. */
  stepVerdict?: StepVerdict;
  /** Closed to widening: the policy had nothing new to say here. */
  closed?: boolean;
}

export class TreeStore {
  size = 0;
  private capacity: number;
  backup: 'mean' | 'max';

  parent: Int32Array;
  depth: Uint16Array;
  firstChild: Int32Array;
  lastChild: Int32Array;
  nextSibling: Int32Array;
  childCount: Uint16Array;
  /** Index of the node among its siblings (insertion order). */
  rank: Uint16Array;
  visits: Uint32Array;
  /** Virtual losses currently applied (pending simulations through this node). */
  pending: Uint16Array;
  valueSum: Float64Array;
  valueMax: Float64Array;
  prior: Float32Array;
  logprob: Float32Array;
  tokens: Uint32Array;
  ending: Uint8Array;
  flags: Uint8Array;
  /** Value assigned when the node was evaluated (NaN before). */
  evalValue: Float32Array;
  /** Reward-model score of the node's trajectory (NaN if none). */
  rewardScore: Float32Array;
  /** Terminal verifier reward (NaN if none). */
  outcome: Float32Array;
  /** Visits that ended in a terminal node below (or at) this node, and how many of those passed. */
  terminalVisits: Uint32Array;
  passVisits: Uint32Array;
  text: string[] = [];
  readonly verdicts = new Map<number, Verdict>();
  /** Process verdict of each checked node's own step. */
  readonly stepVerdicts = new Map<number, StepVerdict>();
  /** The final-answer verdict of terminals whose answer passed but whose path holds a false step. */
  readonly answerVerdicts = new Map<number, Verdict>();

  constructor(initialCapacity = 256, backup: 'mean' | 'max' = 'mean') {
    this.capacity = Math.max(4, initialCapacity);
    this.backup = backup;
    const n = this.capacity;
    this.parent = new Int32Array(n);
    this.depth = new Uint16Array(n);
    this.firstChild = new Int32Array(n);
    this.lastChild = new Int32Array(n);
    this.nextSibling = new Int32Array(n);
    this.childCount = new Uint16Array(n);
    this.rank = new Uint16Array(n);
    this.visits = new Uint32Array(n);
    this.pending = new Uint16Array(n);
    this.valueSum = new Float64Array(n);
    this.valueMax = new Float64Array(n);
    this.prior = new Float32Array(n);
    this.logprob = new Float32Array(n);
    this.tokens = new Uint32Array(n);
    this.ending = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.evalValue = new Float32Array(n);
    this.rewardScore = new Float32Array(n);
    this.outcome = new Float32Array(n);
    this.terminalVisits = new Uint32Array(n);
    this.passVisits = new Uint32Array(n);
    this.addRoot();
  }

  private addRoot(): void {
    const id = this.allocate(1);
    this.parent[id] = NONE;
    this.prior[id] = 1;
    this.logprob[id] = Number.NaN;
    this.ending[id] = 0;
    this.text[id] = '';
  }

  private allocate(count: number): number {
    const start = this.size;
    const needed = start + count;
    if (needed > this.capacity) this.grow(needed);
    this.size = needed;
    for (let i = start; i < needed; i++) {
      this.firstChild[i] = NONE;
      this.lastChild[i] = NONE;
      this.nextSibling[i] = NONE;
      this.valueMax[i] = Number.NEGATIVE_INFINITY;
      this.evalValue[i] = Number.NaN;
      this.rewardScore[i] = Number.NaN;
      this.outcome[i] = Number.NaN;
    }
    return start;
  }

  private grow(needed: number): void {
    let cap = this.capacity;
    while (cap < needed) cap *= 2;
    const g = <T extends Int32Array | Uint16Array | Uint32Array | Float64Array | Float32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.parent = g(this.parent);
    this.depth = g(this.depth);
    this.firstChild = g(this.firstChild);
    this.lastChild = g(this.lastChild);
    this.nextSibling = g(this.nextSibling);
    this.childCount = g(this.childCount);
    this.rank = g(this.rank);
    this.visits = g(this.visits);
    this.pending = g(this.pending);
    this.valueSum = g(this.valueSum);
    this.valueMax = g(this.valueMax);
    this.prior = g(this.prior);
    this.logprob = g(this.logprob);
    this.tokens = g(this.tokens);
    this.ending = g(this.ending);
    this.flags = g(this.flags);
    this.evalValue = g(this.evalValue);
    this.rewardScore = g(this.rewardScore);
    this.outcome = g(this.outcome);
    this.terminalVisits = g(this.terminalVisits);
    this.passVisits = g(this.passVisits);
    this.capacity = cap;
  }

  /**
   * Appends children to `parent` (in candidate order, after any it already has) and marks it expanded.
   * `priors` has one entry per candidate. Returns the id of the first new child (ids are consecutive).
   */
  addChildren(parent: number, candidates: readonly StepCandidate[], priors: ArrayLike<number>): number {
    const start = this.allocate(candidates.length);
    const depth = this.depth[parent] + 1;
    for (let i = 0; i < candidates.length; i++) {
      const id = start + i;
      const c = candidates[i];
      this.parent[id] = parent;
      this.depth[id] = depth;
      this.prior[id] = priors[i];
      this.logprob[id] = c.logprob;
      this.tokens[id] = c.tokens;
      this.ending[id] = endingCode(c.ending);
      this.text[id] = c.text;
      this.rank[id] = this.childCount[parent];
      if (this.lastChild[parent] === NONE) this.firstChild[parent] = id;
      else this.nextSibling[this.lastChild[parent]] = id;
      this.lastChild[parent] = id;
      this.childCount[parent] += 1;
    }
    this.flags[parent] = (this.flags[parent] | FLAG.EXPANDED) & ~FLAG.EXPANDING;
    return start;
  }

  has(node: number, flag: number): boolean {
    return (this.flags[node] & flag) !== 0;
  }

  set(node: number, flag: number): void {
    this.flags[node] |= flag;
  }

  clear(node: number, flag: number): void {
    this.flags[node] &= ~flag;
  }

  endingOf(node: number): StepEnding | 'root' {
    return ENDINGS[this.ending[node]] as StepEnding | 'root';
  }

  /** Q(node): mean or max of backed-up values, or NaN when unvisited. */
  q(node: number): number {
    const n = this.visits[node];
    if (n === 0) return Number.NaN;
    return this.backup === 'max' ? this.valueMax[node] : this.valueSum[node] / n;
  }

  /** Records one visit with `value` on every node from `leaf` up to the root. */
  backupPath(leaf: number, value: number, terminal: boolean, passed: boolean): void {
    for (let n = leaf; n !== NONE; n = this.parent[n]) {
      this.visits[n] += 1;
      this.valueSum[n] += value;
      if (value > this.valueMax[n]) this.valueMax[n] = value;
      if (terminal) {
        this.terminalVisits[n] += 1;
        if (passed) this.passVisits[n] += 1;
      }
    }
  }

  /** Adds (delta = +1) or removes (delta = -1) one virtual loss on every node from `leaf` to the root. */
  applyVirtualLoss(leaf: number, delta: 1 | -1): void {
    for (let n = leaf; n !== NONE; n = this.parent[n]) this.pending[n] += delta;
  }

  /** Node ids from the root's first step down to `node` (the root itself excluded). */
  pathTo(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n !== ROOT && n !== NONE; n = this.parent[n]) out.push(n);
    return out.reverse();
  }

  /** True when the step of `node` or of an ancestor makes a false arithmetic claim. */
  hasFalseStepOnPath(node: number): boolean {
    for (let n = node; n !== ROOT && n !== NONE; n = this.parent[n]) if (this.has(n, FLAG.FALSE_STEP)) return true;
    return false;
  }

  /** Step texts from the root down to `node`. */
  stepsTo(node: number): string[] {
    return this.pathTo(node).map((n) => this.text[n]);
  }

  /** Child ids of `node` (empty when unexpanded). */
  children(node: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild[node]; c !== NONE; c = this.nextSibling[c]) out.push(c);
    return out;
  }

  /** Position of `node` among its siblings, as a dotted path from the root ("0.2.1"); "" for the root. */
  positionKey(node: number): string {
    const parts: number[] = [];
    for (let n = node; n !== ROOT && n !== NONE; n = this.parent[n]) parts.push(this.rank[n]);
    return parts.reverse().join('.');
  }

  /** Whole tree as plain data, values rounded to 6 decimals so JSON is stable. */
  toJSON(): NodeJSON[] {
    const out: NodeJSON[] = [];
    for (let id = 0; id < this.size; id++) {
      const node: NodeJSON = {
        id,
        parent: this.parent[id],
        depth: this.depth[id],
        text: this.text[id],
        ending: this.endingOf(id),
        prior: round6(this.prior[id]),
        logprob: finiteOrNull(this.logprob[id]),
        tokens: this.tokens[id],
        visits: this.visits[id],
        value: finiteOrNull(this.q(id)),
        evalValue: finiteOrNull(this.evalValue[id]),
        reward: finiteOrNull(this.rewardScore[id]),
        outcome: finiteOrNull(this.outcome[id]),
        terminal: this.has(id, FLAG.TERMINAL),
        children: this.children(id),
      };
      const verdict = this.verdicts.get(id);
      if (verdict !== undefined) node.verdict = verdict;
      const stepVerdict = this.stepVerdicts.get(id);
      if (stepVerdict !== undefined) node.stepVerdict = stepVerdict;
      if (this.has(id, FLAG.CLOSED) && !this.has(id, FLAG.TERMINAL)) node.closed = true;
      out.push(node);
    }
    return out;
  }

  /** Bytes held by the typed arrays per allocated slot (step text and verdicts excluded). */
  static bytesPerNode(): number {
    // parent, firstChild, lastChild, nextSibling: 4*4; depth, childCount, rank, pending: 2*4;
    // visits, tokens, terminalVisits, passVisits: 4*4; valueSum, valueMax: 8*2;
    // prior, logprob, evalValue, rewardScore, outcome: 4*5; ending, flags: 1*2.
    return 16 + 8 + 16 + 16 + 20 + 2;
  }
}

/** Rounds to 6 decimals (stable JSON across platforms for float32 values). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? round6(x) : null;
}
