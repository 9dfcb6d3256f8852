// What every search algorithm shares: the tree, the plugins, usage and budget accounting, expansion
// (policy call, candidate checks, dedup, priors) and evaluation (reward model, terminal verifier,
// rollouts, the lambda-mix). Algorithms decide only where to expand and what to keep.

import type { BudgetConfig, SearchConfig } from '../core/config.js';
import { McgError, throwIfAborted } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { normalizeStepText } from '../core/text.js';
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

export class SearchRuntime {
  readonly tree: TreeStore;
  readonly usage: Usage = emptyUsage();
  /** Terminal nodes whose verdict passed, in order of discovery. */
  readonly verified: number[] = [];
  /** Candidates dropped as duplicates of a sibling or as empty steps. */
  duplicates = 0;
  emptySteps = 0;
  private readonly startedAt: number;

  constructor(
    readonly problem: Problem,
    readonly plugins: SearchPlugins,
    readonly search: SearchConfig,
    readonly budget: BudgetConfig,
    readonly rng: Rng,
    readonly signal: AbortSignal,
    private readonly now: () => number,
  ) {
    this.tree = new TreeStore(256, search.backup);
    this.startedAt = now();
  }

  trajectory(node: number): Trajectory {
    return { problem: this.problem, steps: this.tree.stepsTo(node) };
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

  /**
   * Asks the policy for up to `width` steps after `node` and adds the new distinct ones as children
   * (duplicates of each other or of existing children are dropped). New children are evaluated.
   * Returns the child ids matching each distinct candidate, existing or new, in candidate order.
   */
  async expand(node: number, width: number, rng: Rng, greedy = false): Promise<number[]> {
    throwIfAborted(this.signal);
    const tree = this.tree;
    const room = this.budget.nodes - tree.size;
    if (room <= 0) return [];
    tree.set(node, FLAG.EXPANDING);
    let candidates: StepCandidate[];
    try {
      candidates = await this.plugins.policy.propose(this.trajectory(node), width, this.context(rng, greedy));
    } catch (err) {
      tree.clear(node, FLAG.EXPANDING);
      throw err;
    }
    checkCandidates(candidates, width, this.plugins.policy.name);

    const existing = new Map<string, number>();
    if (tree.childCount[node] > 0) for (let c = tree.firstChild[node]; c !== NONE; c = tree.nextSibling[c]) existing.set(normalizeStepText(tree.text[c]), c);
    const fresh: StepCandidate[] = [];
    const freshKeys: string[] = [];
    const order: (number | string)[] = [];
    for (const c of candidates) {
      const key = normalizeStepText(c.text);
      if (key === '' && c.ending !== 'final') {
        this.emptySteps++;
        continue;
      }
      const known = existing.get(key);
      if (known !== undefined) {
        this.duplicates++;
        if (!order.includes(known)) order.push(known);
        continue;
      }
      if (freshKeys.includes(key)) {
        this.duplicates++;
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
    const priors = priorsFromLogprobs(
      fresh.map((c) => c.logprob),
      fresh.map((c) => c.tokens),
      this.search.priorTemperature,
      this.search.priorLengthNorm,
    );
    if (node === ROOT && this.search.dirichlet.fraction > 0 && tree.childCount[ROOT] === 0) {
      const noise = this.rng.split('dirichlet').dirichlet(this.search.dirichlet.alpha, priors.length);
      const eps = this.search.dirichlet.fraction;
      for (let i = 0; i < priors.length; i++) priors[i] = (1 - eps) * priors[i] + eps * noise[i];
    }
    const start = tree.addChildren(node, fresh, priors);
    // Children become selectable only once evaluated: until then the node reads as being expanded.
    tree.clear(node, FLAG.EXPANDED);
    tree.set(node, FLAG.EXPANDING);
    const ids: number[] = [];
    for (let i = 0; i < fresh.length; i++) {
      const id = start + i;
      ids.push(id);
      if (fresh[i].ending === 'final' || tree.depth[id] >= this.budget.depth) tree.set(id, FLAG.TERMINAL);
    }
    await this.evaluate(ids);
    tree.clear(node, FLAG.EXPANDING);
    tree.set(node, FLAG.EXPANDED);
    return order.map((o) => (typeof o === 'number' ? o : start + freshKeys.indexOf(o)));
  }

  /**
   * Evaluates new nodes: reward-model scores in one batch (outcome models score terminals only),
   * verdicts for terminals, rollouts for non-terminals when configured; stores the mixed value.
   */
  async evaluate(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const tree = this.tree;
    const { reward, verifier } = this.plugins;
    // Trajectories are built only for nodes a plugin will see.
    const needAll = reward !== null && reward.granularity === 'step';
    const trajectories = ids.map((id) => (needAll || this.isTerminal(id) || this.search.rollouts > 0 ? this.trajectory(id) : undefined));

    if (reward !== null) {
      const targets = reward.granularity === 'outcome' ? ids.filter((id) => this.isTerminal(id)) : [...ids];
      if (targets.length > 0) {
        const batch = targets.map((id) => trajectories[ids.indexOf(id)]!);
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
      ids.map(async (id, i) => {
        if (this.isTerminal(id)) {
          const verdict = await verifier.check(this.problem, trajectories[i]!, this.context(this.rng.split('verify')));
          checkVerdict(verdict, verifier.name);
          tree.verdicts.set(id, verdict);
          tree.outcome[id] = verdictReward(verdict);
        } else if (this.search.rollouts > 0 && this.plugins.policy.rollout !== undefined) {
          tree.outcome[id] = await this.rolloutValue(id, trajectories[i]!);
        }
      }),
    );

    for (const id of ids) {
      tree.evalValue[id] = mixValue(tree.rewardScore[id], tree.outcome[id], this.search.lambda, this.search.neutralValue);
      tree.set(id, FLAG.EVALUATED);
      if (this.isTerminal(id) && tree.verdicts.get(id)?.kind === 'pass') this.verified.push(id);
    }
  }

  /** Mean terminal reward of `search.rollouts` rollouts from `node` (rollout steps are not added to the tree). */
  private async rolloutValue(node: number, at: Trajectory): Promise<number> {
    const policy = this.plugins.policy;
    let total = 0;
    const key = this.tree.positionKey(node);
    for (let r = 0; r < this.search.rollouts; r++) {
      const rng = this.rng.split('rollout').split(key).split(r);
      const steps = await policy.rollout!(at, this.context(rng));
      checkCandidates(steps, Number.MAX_SAFE_INTEGER, policy.name);
      const full: Trajectory = { problem: this.problem, steps: [...at.steps, ...steps.map((s) => s.text)] };
      const verdict = await this.plugins.verifier.check(this.problem, full, this.context(rng.split('verify')));
      checkVerdict(verdict, this.plugins.verifier.name);
      total += verdictReward(verdict);
    }
    return total / this.search.rollouts;
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
