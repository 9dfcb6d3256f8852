// Entry to the search layer: runs one algorithm on one problem with given plugins and returns the
// tree, the committed answer, verified solutions and usage. `search()` also builds plugins from specs.

import { type Algorithm, type Config, type ConfigInput, parseConfig } from '../core/config.js';
import { McgError } from '../core/errors.js';
import type { PluginEnv, PluginRegistry } from '../core/plugin.js';
import { problemRng, type Rng } from '../core/rng.js';
import { FLAG, NONE, type TreeStore } from '../core/tree.js';
import type { Problem, Usage, Verdict } from '../core/types.js';
import { runBeam, runBestOfN, runGreedy, runSelfConsistency } from './baselines.js';
import { chooseMctsAnswer, runMcts } from './mcts.js';
import { SearchRuntime, type SearchPlugins, type StopReason } from './runtime.js';

export { FALSE_STEP_REASON, SearchRuntime, mixValue, type ExpandOptions, type SearchPlugins, type StopReason } from './runtime.js';
export * from './selection.js';
export { chooseMctsAnswer, runMcts } from './mcts.js';
export { pathScore, runBeam, runBestOfN, runGreedy, runSelfConsistency } from './baselines.js';

export interface SearchStats {
  /** Completed simulations (MCTS) or finished solutions (baselines). */
  simulations: number;
  nodes: number;
  maxDepth: number;
  stoppedBy: StopReason;
  /** Candidates dropped as duplicates of a sibling. */
  duplicates: number;
  /** Generated tokens of dropped candidates (duplicates of a sibling, empty steps). */
  duplicateTokens: number;
  /** Steps whose arithmetic claims failed the process check. */
  falseSteps: number;
  /** Solutions whose final answer passed but which hold a false step (not verified). */
  falseStepSolutions: number;
  wallMs: number;
}

export interface SearchResult {
  problem: Problem;
  algorithm: Algorithm;
  tree: TreeStore;
  /** Terminal node the algorithm commits to, or NONE. */
  chosen: number;
  /** Verdict of the chosen solution (undefined when none was chosen). */
  chosenVerdict: Verdict | undefined;
  /** True when the chosen solution passed the verifier. */
  success: boolean;
  /** Every terminal node whose verdict passed, in id order. */
  solutions: number[];
  usage: Usage;
  stats: SearchStats;
}

export interface RunSearchOptions {
  signal?: AbortSignal;
  /** Clock for the wall budget (ms). Default `performance.now`. */
  now?: () => number;
  /** Seeded generator for this problem; default derived from (config.seed, problem.id). */
  rng?: Rng;
}

/** Runs `config.algorithm` on `problem` with ready plugins. Throws McgError on plugin faults. */
export async function runSearch(problem: Problem, config: Config, plugins: SearchPlugins, options: RunSearchOptions = {}): Promise<SearchResult> {
  const signal = options.signal ?? new AbortController().signal;
  const now = options.now ?? (() => performance.now());
  const rng = options.rng ?? problemRng(config.seed, problem.id);
  const rt = new SearchRuntime(problem, plugins, config.search, config.budget, rng, signal, now, config.filters.verifiedSteps);
  let chosen = NONE;
  let simulations = 0;
  let stoppedBy: StopReason;
  switch (config.algorithm) {
    case 'mcts': {
      const stats = await runMcts(rt);
      simulations = stats.simulations;
      stoppedBy = stats.stoppedBy;
      chosen = chooseMctsAnswer(rt);
      break;
    }
    default: {
      const run = { greedy: runGreedy, 'best-of-n': runBestOfN, 'self-consistency': runSelfConsistency, beam: runBeam }[config.algorithm];
      const out = await run(rt);
      chosen = out.chosen;
      simulations = out.finished.length;
      stoppedBy = out.stoppedBy;
    }
  }
  const tree = rt.tree;
  const solutions: number[] = [];
  let maxDepth = 0;
  for (let id = 0; id < tree.size; id++) {
    if (tree.depth[id] > maxDepth) maxDepth = tree.depth[id];
    if (tree.has(id, FLAG.TERMINAL) && tree.verdicts.get(id)?.kind === 'pass') solutions.push(id);
  }
  const chosenVerdict = chosen === NONE ? undefined : tree.verdicts.get(chosen);
  return {
    problem,
    algorithm: config.algorithm,
    tree,
    chosen,
    chosenVerdict,
    success: chosenVerdict?.kind === 'pass',
    solutions,
    usage: rt.usage,
    stats: {
      simulations,
      nodes: tree.size,
      maxDepth,
      stoppedBy,
      duplicates: rt.duplicates,
      duplicateTokens: rt.duplicateTokens,
      falseSteps: rt.falseSteps,
      falseStepSolutions: rt.falseStepSolutions,
      wallMs: Math.round(rt.elapsedMs()),
    },
  };
}

/** Builds the plugins named in `config` for problems of `domain`. */
export async function createPlugins(config: Config, domain: string, registry: PluginRegistry, env: PluginEnv): Promise<SearchPlugins> {
  const spec = config.verifiers[domain];
  if (spec === undefined) {
    throw new McgError('CONFIG_INVALID', `no verifier for domain "${domain}": add verifiers.${domain} to the config (have: ${Object.keys(config.verifiers).join(', ')})`);
  }
  const policy = await registry.create('policy', config.policy, env, 'policy');
  const reward = config.reward === null ? null : await registry.create('reward', config.reward, env, 'reward');
  const verifier = await registry.create('verifier', spec, env, `verifiers.${domain}`);
  return { policy, reward, verifier };
}

/** Options of the one-call `search()`. */
export interface SearchOptions extends RunSearchOptions {
  /** Run configuration (validated here). */
  config?: ConfigInput | Config;
  /** Ready plugin instances; anything missing is built from the config's specs. */
  plugins?: Partial<SearchPlugins>;
  registry?: PluginRegistry;
  env?: PluginEnv;
}

/** Exported for `src/index.ts`; see there for the documented `search()`. */
export async function searchWith(problem: Problem, options: SearchOptions, defaultRegistry: PluginRegistry): Promise<SearchResult> {
  const config = parseConfig(options.config ?? {});
  const registry = options.registry ?? defaultRegistry;
  const env = options.env ?? { baseDir: process.cwd() };
  const given = options.plugins ?? {};
  const built: { close?(): Promise<void> }[] = [];
  try {
    const policy = given.policy ?? (await registry.create('policy', config.policy, env, 'policy'));
    if (given.policy === undefined) built.push(policy);
    let reward = given.reward;
    if (reward === undefined) {
      reward = config.reward === null ? null : await registry.create('reward', config.reward, env, 'reward');
      if (reward !== null) built.push(reward);
    }
    let verifier = given.verifier;
    if (verifier === undefined) {
      const spec = config.verifiers[problem.domain];
      if (spec === undefined) throw new McgError('CONFIG_INVALID', `no verifier for domain "${problem.domain}": add verifiers.${problem.domain} to the config`);
      verifier = await registry.create('verifier', spec, env, `verifiers.${problem.domain}`);
      built.push(verifier);
    }
    return await runSearch(problem, config, { policy, reward, verifier }, options);
  } finally {
    for (const p of built) await p.close?.();
  }
}
