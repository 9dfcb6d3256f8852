// What every search algorithm shares: the tree, the plugins, usage and budget accounting, expansion
// (policy call, candidate checks, dedup, priors, sampling without replacement) and evaluation (step
// checks, reward model, terminal verifier, the lambda-mix). Algorithms decide only where to expand and what to keep.

import type { BudgetConfig, SearchConfig } from '../core/config.js';
import { McgError, throwIfAborted } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { normalizeStepText } from '../core/text.js';
import { ExclusionTrie } from '../core/exclusion.js';
import { FLAG, NONE, ROOT, TreeStore } from '../core/tree.js';
import {
  emptyUsage,
  verdictReward,
  type CallContext,
  type Policy,
  type Problem,
  type RewardModel,
  type StepCandidate,
  type Trajectory,
  type Usage,
  type Verdict,
  type Verifier,
} from '../core/types.js';
import { priorsFromLogprobs } from './selection.js';

/** The plugins a search runs with. */
export interface SearchPlugins {
  policy: Policy;
  /** Null: no reward model (values come from verdicts, rollouts or the neutral value). */
  reward: RewardModel | null;
  verifier: Verifier;
}

/** Why a search stopped. */
export type StopReason = 'simulations' | 'nodes' | 'tokens' | 'wall' | 'verified' | 'exhausted' | 'complete';

/** Most characters of a single step a policy may return (longer text is a plugin fault). */
export const MAX_STEP_CHARS = 100_000;

/** Leaf value: (1 - lambda) * reward + lambda * outcome, either side alone when the other is missing. */
export function mixValue(reward: number, outcome: number, lambda: number, neutral: number): number {
  const hasReward = Number.isFinite(reward);
  const hasOutcome = Number.isFinite(outcome);
  if (hasReward && hasOutcome) return (1 - lambda) * reward + lambda * outcome;
  if (hasReward) return reward;
  if (hasOutcome) return outcome;
  return neutral;
}

/** How one expansion asks the policy. */
export interface ExpandOptions {
  /** Ask for the most likely step (greedy decoding). */
  greedy?: boolean;
  /**
   * Pass the steps already proposed at this node in `ctx.exclude` (sampling without replacement) and
   * remember what comes back. Tree search sets it; i.i.d. samplers (best-of-n) do not.
   */
  exclude?: boolean;
}

/** Reason code of a verdict given to a solution (or a leaf) with a false arithmetic step. */
export const FALSE_STEP_REASON = 'false_step';

export class SearchRuntime {
  readonly tree: TreeStore;
  readonly usage: Usage = emptyUsage();
  /** Terminal nodes whose verdict passed (and, with step checks, every step holds), in order of discovery. */
  readonly verified: number[] = [];
  /** Candidates dropped as duplicates of a sibling or as empty steps. */
  duplicates = 0;
  emptySteps = 0;
  /** Generated tokens of dropped candidates (duplicates and empty steps). */
  duplicateTokens = 0;
  /** Steps whose arithmetic claims failed the process check; solutions whose answer passed but a step did not. */
  falseSteps = 0;
  falseStepSolutions = 0;
  /** Every candidate proposed at a node with `exclude` (kept or dropped), for `ctx.exclude`. */
  private readonly proposed = new Map<number, StepCandidate[]>();
  private readonly tries = new Map<number, ExclusionTrie>();
  private readonly startedAt: number;
  private readonly stepChecks: boolean;

  constructor(
    readonly problem: Problem,
    readonly plugins: SearchPlugins,
    readonly search: SearchConfig,
    readonly budget: BudgetConfig,
    readonly rng: Rng,
    readonly signal: AbortSignal,
    private readonly now: () => number,
    /** Check every step with the verifier's process check (`filters.verifiedSteps`). */
    readonly verifiedSteps = true,
  ) {
    this.tree = new TreeStore(256, search.backup);
    this.startedAt = now();
    this.stepChecks = plugins.verifier.checkSteps !== undefined && (verifiedSteps || search.pruneFalseSteps);
  }

  trajectory(node: number): Trajectory {
    const tree = this.tree;
    const path = tree.pathTo(node);
    return { problem: this.problem, steps: path.map((n) => tree.text[n]), stepStats: path.map((n) => ({ logprob: tree.logprob[n], tokens: tree.tokens[n] })) };
  }

  context(rng: Rng, greedy = false): CallContext {
    return greedy ? { signal: this.signal, rng, usage: this.usage, greedy: true } : { signal: this.signal, rng, usage: this.usage };
  }

  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** The first budget (other than simulations) that is used up, or undefined. */
  exhaustedBudget(): StopReason | undefined {
    if (this.budget.generatedTokens !== null && this.usage.generatedTokens >= this.budget.generatedTokens) return 'tokens';
    if (this.tree.size >= this.budget.nodes) return 'nodes';
    if (this.budget.wallMs !== null && this.elapsedMs() >= this.budget.wallMs) return 'wall';
    if (this.search.stopAfterVerified > 0 && this.verified.length >= this.search.stopAfterVerified) return 'verified';
    return undefined;
  }

  isTerminal(node: number): boolean {
    return this.tree.has(node, FLAG.TERMINAL);
  }

  /** True when `node` is a step cut off for a false arithmetic claim (`search.pruneFalseSteps`): a dead leaf. */
  isPruned(node: number): boolean {
    return this.search.pruneFalseSteps && this.tree.has(node, FLAG.FALSE_STEP);
  }

  /**
   * The policy's mass after `node` not yet covered by the steps proposed there (with `exclude`): the
   * chance that one more sample is new. NaN when the policy does not report token probabilities.
   */
  remainingMass(node: number): number {
    const trie = this.tries.get(node);
    return trie === undefined ? Number.NaN : trie.remainingMass();
  }

  /**
   * Asks the policy for up to `width` steps after `node` and adds the new distinct ones as children
   * (duplicates of each other or of existing children are dropped). New children are evaluated.
   * Returns the child ids matching each distinct candidate, existing or new, in candidate order.
   */
  async expand(node: number, width: number, rng: Rng, options: ExpandOptions = {}): Promise<number[]> {
    throwIfAborted(this.signal);
    const tree = this.tree;
    const room = this.budget.nodes - tree.size;
    if (room <= 0) return [];
    tree.set(node, FLAG.EXPANDING);
    let candidates: StepCandidate[];
    try {
      const ctx = this.context(rng, options.greedy === true);
      if (options.exclude === true) ctx.exclude = this.proposed.get(node) ?? [];
      candidates = await this.plugins.policy.propose(this.trajectory(node), width, ctx);
    } catch (err) {
      tree.clear(node, FLAG.EXPANDING);
      throw err;
    }
    checkCandidates(candidates, width, this.plugins.policy.name);
    if (options.exclude === true) this.remember(node, candidates);

    const existing = new Map<string, number>();
    if (tree.childCount[node] > 0) for (let c = tree.firstChild[node]; c !== NONE; c = tree.nextSibling[c]) existing.set(normalizeStepText(tree.text[c]), c);
    const fresh: StepCandidate[] = [];
    const freshKeys: string[] = [];
    const order: (number | string)[] = [];
    for (const c of candidates) {
      const key = normalizeStepText(c.text);
      if (key === '' && c.ending !== 'final') {
        this.emptySteps++;
        this.duplicateTokens += c.tokens;
        continue;
      }
      const known = existing.get(key);
      if (known !== undefined) {
        this.duplicates++;
        this.duplicateTokens += c.tokens;
        if (!order.includes(known)) order.push(known);
        continue;
      }
      if (freshKeys.includes(key)) {
        this.duplicates++;
        this.duplicateTokens += c.tokens;
        continue;
      }
      if (fresh.length >= room) break;
      fresh.push(c);
      freshKeys.push(key);
      order.push(key);
    }

    if (fresh.length === 0) {
      tree.clear(node, FLAG.EXPANDING);
      tree.set(node, FLAG.EXPANDED);
      return order as number[];
    }
    const before = tree.childCount[node];
    const priors = priorsFromLogprobs(
      fresh.map((c) => c.logprob),
      fresh.map((c) => c.tokens),
      this.search.priorTemperature,
      this.search.priorLengthNorm,
    );
    if (node === ROOT && this.search.dirichlet.fraction > 0 && before === 0) {
      const noise = this.rng.split('dirichlet').dirichlet(this.search.dirichlet.alpha, priors.length);
      const eps = this.search.dirichlet.fraction;
      for (let i = 0; i < priors.length; i++) priors[i] = (1 - eps) * priors[i] + eps * noise[i];
    }
    const start = tree.addChildren(node, fresh, priors);
    // A widened node's priors are renormalised over all its children (old and new).
    if (before > 0) this.renormalizePriors(node);
    // Children become selectable only once evaluated: until then the node reads as being expanded.
    tree.clear(node, FLAG.EXPANDED);
    tree.set(node, FLAG.EXPANDING);
    const ids: number[] = [];
    for (let i = 0; i < fresh.length; i++) {
      const id = start + i;
      ids.push(id);
      if (fresh[i].ending === 'final' || tree.depth[id] >= this.budget.depth) tree.set(id, FLAG.TERMINAL);
    }
    try {
      await this.evaluate(ids);
    } finally {
      tree.clear(node, FLAG.EXPANDING);
      tree.set(node, FLAG.EXPANDED);
    }
    return order.map((o) => (typeof o === 'number' ? o : start + freshKeys.indexOf(o)));
  }

  private remember(node: number, candidates: readonly StepCandidate[]): void {
    let list = this.proposed.get(node);
    if (list === undefined) {
      list = [];
      this.proposed.set(node, list);
    }
    const trie = this.tries.get(node) ?? new ExclusionTrie();
    let traced = false;
    for (const c of candidates) {
      list.push(c);
      if (trie.addCandidate(c)) traced = true;
    }
    if (traced) this.tries.set(node, trie);
  }

  private renormalizePriors(node: number): void {
    const tree = this.tree;
    const kids = tree.children(node);
    const priors = priorsFromLogprobs(
      kids.map((c) => tree.logprob[c]),
      kids.map((c) => tree.tokens[c]),
      this.search.priorTemperature,
      this.search.priorLengthNorm,
    );
    for (let i = 0; i < kids.length; i++) tree.prior[kids[i]] = priors[i];
  }

  /**
   * Evaluates new nodes: the process check of each node's own step (a false one is a failed leaf when
   * `search.pruneFalseSteps`), reward-model scores in one batch (outcome models score terminals only),
   * verdicts for terminals; stores the mixed value. A terminal whose answer passed but whose path holds
   * a false step (step checks on) gets a `false_step` fail verdict.
   */
  async evaluate(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const tree = this.tree;
    const { reward, verifier } = this.plugins;

    if (this.stepChecks) {
      const ctx = this.context(this.rng.split('steps'));
      for (const id of ids) {
        const [sv] = await verifier.checkSteps!(this.problem, { problem: this.problem, steps: [tree.text[id]] }, ctx);
        if (sv === undefined) continue;
        tree.stepVerdicts.set(id, { ...sv, step: tree.depth[id] - 1 });
        if (sv.kind !== 'fail') continue;
        tree.set(id, FLAG.FALSE_STEP);
        this.falseSteps++;
        if (this.search.pruneFalseSteps) {
          // Never selected (see mcts.ts): counted and exhausted from the start.
          tree.set(id, FLAG.TERMINAL | FLAG.CLOSED | FLAG.COUNTED | FLAG.EXHAUSTED);
          tree.verdicts.set(id, { kind: 'fail', reason: FALSE_STEP_REASON, detail: `step ${tree.depth[id]}: an arithmetic claim does not hold` });
          tree.outcome[id] = 0;
        }
      }
    }
    // Trajectories are built only for nodes a plugin will see.
    const live = ids.filter((id) => !this.isPruned(id));
    const needAll = reward !== null && reward.granularity === 'step';
    const trajectories = new Map<number, Trajectory>();
    for (const id of live) if (needAll || this.isTerminal(id)) trajectories.set(id, this.trajectory(id));

    if (reward !== null) {
      const targets = reward.granularity === 'outcome' ? live.filter((id) => this.isTerminal(id)) : live;
      if (targets.length > 0) {
        const batch = targets.map((id) => trajectories.get(id)!);
        const scores = await reward.score(batch, this.context(this.rng.split('reward')));
        if (!(scores instanceof Float64Array) && !Array.isArray(scores)) {
          throw new McgError('PLUGIN_FAILED', `reward model ${reward.name} returned ${typeof scores}, expected a Float64Array`);
        }
        if (scores.length !== targets.length) {
          throw new McgError('PLUGIN_FAILED', `reward model ${reward.name} returned ${scores.length} scores for ${targets.length} trajectories`);
        }
        for (let i = 0; i < targets.length; i++) {
          const s = scores[i];
          if (!Number.isFinite(s)) throw new McgError('PLUGIN_FAILED', `reward model ${reward.name} returned a non-finite score (${s})`);
          tree.rewardScore[targets[i]] = Math.min(1, Math.max(0, s));
        }
      }
    }

    await Promise.all(
      live.map(async (id) => {
        if (!this.isTerminal(id)) return;
        let verdict = await verifier.check(this.problem, trajectories.get(id)!, this.context(this.rng.split('verify')));
        checkVerdict(verdict, verifier.name);
        if (verdict.kind === 'pass' && this.stepChecks && this.verifiedSteps && tree.hasFalseStepOnPath(id)) {
          tree.answerVerdicts.set(id, verdict);
          this.falseStepSolutions++;
          verdict = { kind: 'fail', reason: FALSE_STEP_REASON, ...(verdict.answer === undefined ? {} : { answer: verdict.answer }), detail: `the final answer passed (${verdict.reason}) but a step's arithmetic claim does not hold` };
        }
        tree.verdicts.set(id, verdict);
        tree.outcome[id] = verdictReward(verdict);
      }),
    );

    for (const id of ids) {
      // A step known to be false is worth nothing, whatever a reward model says of it.
      tree.evalValue[id] = this.isPruned(id) ? 0 : mixValue(tree.rewardScore[id], tree.outcome[id], this.search.lambda, this.search.neutralValue);
      tree.set(id, FLAG.EVALUATED);
      if (this.isTerminal(id) && tree.verdicts.get(id)?.kind === 'pass') this.verified.push(id);
    }
  }

  /** Visit `leaf` once with its evaluated value (and record terminal outcomes for MC estimates). */
  backup(leaf: number): void {
    const tree = this.tree;
    const terminal = this.isTerminal(leaf);
    const verdict = terminal ? tree.verdicts.get(leaf) : undefined;
    tree.backupPath(leaf, tree.evalValue[leaf], verdict !== undefined, verdict?.kind === 'pass');
  }
}

function checkCandidates(candidates: unknown, width: number, name: string): asserts candidates is StepCandidate[] {
  if (!Array.isArray(candidates)) throw new McgError('PLUGIN_FAILED', `policy ${name} returned ${typeof candidates}, expected an array of candidates`);
  if (candidates.length > width) throw new McgError('PLUGIN_FAILED', `policy ${name} returned ${candidates.length} candidates for width ${width}`);
  for (const c of candidates as StepCandidate[]) {
    if (typeof c !== 'object' || c === null || typeof c.text !== 'string') throw new McgError('PLUGIN_FAILED', `policy ${name} returned a candidate without text`);
    if (c.text.length > MAX_STEP_CHARS) throw new McgError('PLUGIN_FAILED', `policy ${name} returned a step of ${c.text.length} characters (limit ${MAX_STEP_CHARS})`);
    if (c.ending !== 'step' && c.ending !== 'final' && c.ending !== 'length') throw new McgError('PLUGIN_FAILED', `policy ${name} returned ending ${JSON.stringify(c.ending)}`);
    if (!(Number.isInteger(c.tokens) && c.tokens >= 0)) throw new McgError('PLUGIN_FAILED', `policy ${name} returned a token count of ${c.tokens}`);
    if (typeof c.logprob !== 'number' || c.logprob > 1e-9) throw new McgError('PLUGIN_FAILED', `policy ${name} returned logprob ${c.logprob} (must be <= 0 or NaN)`);
  }
}

function checkVerdict(v: Verdict, name: string): void {
  if (typeof v !== 'object' || v === null || !['pass', 'fail', 'abstain', 'error'].includes(v.kind) || typeof v.reason !== 'string') {
    throw new McgError('PLUGIN_FAILED', `verifier ${name} returned a malformed verdict`);
  }
}
