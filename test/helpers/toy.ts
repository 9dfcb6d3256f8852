// Tiny deterministic plugins for search tests: a policy whose candidates are given per prefix, a
// reward model that reads scores from a table, and a verifier that passes answers from a set.

import {
  Rng,
  type CallContext,
  type Policy,
  type Problem,
  type RewardModel,
  type StepCandidate,
  type Trajectory,
  type Verifier,
} from '../../src/index.js';

export const toyProblem: Problem = { id: 'toy', prompt: 'toy problem', domain: 'math', reference: { answer: '1' } };

/** Candidate shorthand: text, probability, final? */
export type ToyStep = [text: string, p: number, final?: boolean];

/**
 * A policy with a fixed menu per prefix (steps joined by "/", "" for the root). It returns the first
 * `width` menu entries in order (or one by greedy/ctx), each costing one token per character. Entries
 * named in `ctx.exclude` are skipped (sampling without replacement at the text level). With
 * `tokenProbs`, each candidate reports one token (its menu index) whose probability is its menu
 * probability, so the search can tell how much of the menu's mass it has seen.
 */
export function menuPolicy(
  menu: Record<string, ToyStep[]>,
  opts: { delayMs?: (ctx: CallContext) => number; sample?: boolean; tokenProbs?: boolean } = {},
): Policy & { calls: string[]; greedyCalls: number } {
  const calls: string[] = [];
  const policy = {
    name: 'menu',
    calls,
    greedyCalls: 0,
    async propose(at: Trajectory, width: number, ctx: CallContext): Promise<StepCandidate[]> {
      const key = at.steps.join('/');
      calls.push(key);
      if (ctx.greedy === true) policy.greedyCalls++;
      const delay = opts.delayMs?.(ctx) ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const excluded = new Set((ctx.exclude ?? []).map((c) => c.text));
      const items = (menu[key] ?? []).filter(([text]) => !excluded.has(text));
      let chosen: ToyStep[];
      if (opts.sample === true && ctx.greedy !== true) {
        chosen = [];
        for (let i = 0; i < width && items.length > 0; i++) chosen.push(items[ctx.rng.pick(items.map((x) => x[1]))]);
      } else {
        chosen = items.slice(0, ctx.greedy === true ? 1 : width);
      }
      const out: StepCandidate[] = chosen.map(([text, p, final]) => ({ text, logprob: Math.log(p), tokens: text.length, ending: final === true ? ('final' as const) : ('step' as const) }));
      if (opts.tokenProbs === true) {
        for (const c of out) {
          const index = (menu[key] ?? []).findIndex(([text]) => text === c.text);
          c.tokenIds = [index];
          c.tokenProbs = [Math.exp(c.logprob)];
        }
      }
      ctx.usage.generatedTokens += out.reduce((n, c) => n + c.tokens, 0);
      ctx.usage.policyCalls += 1;
      return out;
    },
  };
  return policy;
}

/** Reward = table[last step text] (default 0.5). */
export function tableReward(table: Record<string, number>, granularity: 'step' | 'outcome' = 'step'): RewardModel {
  return {
    name: 'table',
    granularity,
    async score(batch, ctx) {
      ctx.usage.rewardCalls += 1;
      return Float64Array.from(batch.map((t) => table[t.steps[t.steps.length - 1] ?? ''] ?? 0.5));
    },
  };
}

/** Passes when the last step's text is in `good`; the answer is the last step's text. */
export function setVerifier(good: Iterable<string>): Verifier {
  const ok = new Set(good);
  return {
    name: 'set',
    async check(_p, t, ctx) {
      ctx.usage.verifierCalls += 1;
      const last = t.steps[t.steps.length - 1] ?? '';
      return ok.has(last) ? { kind: 'pass', reason: 'exact', answer: last } : { kind: 'fail', reason: 'mismatch', answer: last };
    },
  };
}

/** A random branching menu of depth `depth` for invariant tests. */
export function randomMenu(seed: number, depth: number, branching: number): Record<string, ToyStep[]> {
  const rng = Rng.fromSeed(seed).split('menu');
  const menu: Record<string, ToyStep[]> = {};
  const grow = (prefix: string[], d: number): void => {
    const n = 1 + rng.int(branching);
    const items: ToyStep[] = [];
    for (let i = 0; i < n; i++) {
      const final = d === depth - 1 || rng.chance(0.2);
      items.push([`s${d}.${i}${final ? "!" : ""}`, 0.05 + 0.9 * rng.float(), final]);
    }
    menu[prefix.join('/')] = items;
    for (const [text, , final] of items) if (final !== true) grow([...prefix, text], d + 1);
  };
  grow([], 0);
  return menu;
}
