// Problems in -> records out, in this process: builds the plugins once per domain from their specs,
// runs one search per problem (retrying plugin faults up to maxAttempts), extracts records and yields
// them grouped per problem so a writer can commit each problem whole.

import { parseConfig, type Config, type ConfigInput } from './core/config.js';
import { McgError, isMcgError, toErrorData, type McgErrorData } from './core/errors.js';
import type { PluginEnv, PluginRegistry } from './core/plugin.js';
import type { Problem } from './core/types.js';
import { defaultRegistry } from './builtin-plugins.js';
import { extractRecords } from './data/extract.js';
import { configHash, outcomeRecords, type ProblemOutcome, type ProblemStats, type RunRecord } from './data/outcome.js';
import type { Provenance } from './data/records.js';
import { createPlugins, runSearch, type SearchPlugins } from './search/index.js';
import { withPluginModules } from './plugin-modules.js';

export { configHash, outcomeRecords, type ProblemOutcome, type ProblemStats, type RunRecord };
import { VERSION } from './version.js';

export interface GenerateOptions {
  /** Run configuration (validated here). */
  config?: ConfigInput | Config;
  registry?: PluginRegistry;
  env?: PluginEnv;
  signal?: AbortSignal;
  /** Attempts per problem before it is reported as an error (default 2). Aborts are never retried. */
  maxAttempts?: number;
  /** Clock for wall budgets. */
  now?: () => number;
}

/** Plugins per domain, built on first use and closed together. */
export class PluginCache {
  private readonly byDomain = new Map<string, Promise<SearchPlugins>>();
  private registry: Promise<PluginRegistry> | undefined;
  constructor(
    private readonly config: Config,
    private readonly baseRegistry: PluginRegistry,
    private readonly env: PluginEnv,
  ) {}

  get(domain: string): Promise<SearchPlugins> {
    let p = this.byDomain.get(domain);
    if (p === undefined) {
      this.registry ??= withPluginModules(this.baseRegistry, this.config.pluginModules, this.env);
      p = this.registry.then((registry) => createPlugins(this.config, domain, registry, this.env));
      this.byDomain.set(domain, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const closed = new Set<unknown>();
    for (const p of this.byDomain.values()) {
      let plugins: SearchPlugins;
      try {
        plugins = await p;
      } catch {
        continue;
      }
      for (const plugin of [plugins.policy, plugins.reward, plugins.verifier]) {
        if (plugin === null || closed.has(plugin)) continue;
        closed.add(plugin);
        await plugin.close?.();
      }
    }
    this.byDomain.clear();
  }
}

export function provenanceFor(config: Config, plugins: SearchPlugins, hash: string): Provenance {
  return {
    package: 'mcts-gen',
    version: VERSION,
    configHash: hash,
    seed: config.seed,
    algorithm: config.algorithm,
    policy: plugins.policy.name,
    reward: plugins.reward?.name ?? null,
    verifier: plugins.verifier.name,
  };
}

/**
 * Searches one problem with ready plugins and extracts its records. Plugin faults (McgError other
 * than ABORTED, or anything a plugin throws) are retried up to `maxAttempts`, then returned as an error.
 */
export async function solveProblem(
  problem: Problem,
  config: Config,
  plugins: Pick<PluginCache, 'get'>,
  options: { signal?: AbortSignal; maxAttempts?: number; now?: () => number; hash?: string } = {},
): Promise<ProblemOutcome> {
  const maxAttempts = options.maxAttempts ?? 2;
  const hash = options.hash ?? configHash(config);
  let last: McgErrorData = { code: 'INTERNAL', message: 'not attempted' };
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    try {
      const ready = await plugins.get(problem.domain);
      const result = await runSearch(problem, config, ready, { signal: options.signal, now: options.now });
      const records = extractRecords(result, config, provenanceFor(config, ready, hash));
      const stats: ProblemStats = {
        algorithm: config.algorithm,
        success: result.success,
        solved: result.solutions.length > 0,
        usage: { ...result.usage },
        simulations: result.stats.simulations,
        nodes: result.stats.nodes,
        stoppedBy: result.stats.stoppedBy,
        duplicateTokens: result.stats.duplicateTokens,
        falseSteps: result.stats.falseSteps,
        falseStepSolutions: result.stats.falseStepSolutions,
        wallMs: result.stats.wallMs,
      };
      return { ok: true, problem, attempts, records, stats };
    } catch (err) {
      if (isMcgError(err, 'ABORTED') || options.signal?.aborted) throw err;
      last = toErrorData(err);
      // A configuration mistake fails the same way every time: no point retrying it.
      if (isMcgError(err, 'CONFIG_INVALID') || isMcgError(err, 'PLUGIN_UNAVAILABLE')) break;
    }
  }
  return { ok: false, problem, attempts, error: last };
}

/**
 * Runs the configured search on each problem, in order, and yields one outcome per problem. Plugins
 * are built once per domain and closed at the end (also on early exit).
 */
export async function* generateOutcomes(
  problems: Iterable<Problem> | AsyncIterable<Problem>,
  options: GenerateOptions = {},
): AsyncGenerator<ProblemOutcome> {
  const config = parseConfig(options.config ?? {});
  const cache = new PluginCache(config, options.registry ?? defaultRegistry, options.env ?? { baseDir: process.cwd() });
  const hash = configHash(config);
  try {
    for await (const problem of problems) {
      if (options.signal?.aborted) throw new McgError('ABORTED', 'generation was aborted');
      yield await solveProblem(problem, config, cache, { signal: options.signal, maxAttempts: options.maxAttempts, now: options.now, hash });
    }
  } finally {
    await cache.close();
  }
}

/**
 * The records of a run as one async iterable (traces, pairs and step labels of each problem, its tree
 * when `outputs.trees` is on, and an error record for a problem that could not be searched).
 * No run-wide dedup here: that needs the whole run and happens in the directory writer.
 */
export async function* generate(problems: Iterable<Problem> | AsyncIterable<Problem>, options: GenerateOptions = {}): AsyncGenerator<RunRecord> {
  for await (const outcome of generateOutcomes(problems, options)) yield* outcomeRecords(outcome);
}
