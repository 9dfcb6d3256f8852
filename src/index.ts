// Public entry `mcts-gen`: search one problem, generate records for many, run into a directory,
// configuration, record schemas, plugin helpers and the registry. Importing it loads no model
// runtime or sandbox: plugins are imported lazily when a run names them.

import { defaultRegistry } from './builtin-plugins.js';
import { parseConfig } from './core/config.js';
import type { Problem } from './core/types.js';
import { withPluginModules } from './plugin-modules.js';
import { searchWith, type SearchOptions, type SearchResult } from './search/index.js';

export * from './core/index.js';
export { createDefaultRegistry, defaultRegistry } from './builtin-plugins.js';
export { loadConfig, parseJsonText, type LoadedConfig } from './config-load.js';
export {
  createPlugins,
  runSearch,
  SearchRuntime,
  mixValue,
  puctC,
  puctScore,
  uctScore,
  priorsFromLogprobs,
  createPuct,
  createUct,
  type SearchOptions,
  type SearchResult,
  type SearchStats,
  type SearchPlugins,
  type StopReason,
  type RunSearchOptions,
} from './search/index.js';
export {
  generate,
  generateOutcomes,
  solveProblem,
  PluginCache,
  configHash,
  outcomeRecords,
  type GenerateOptions,
  type ProblemOutcome,
  type ProblemStats,
  type RunRecord,
} from './generate.js';
export { withPluginModules } from './plugin-modules.js';
export { runToDirectory, emptyProgress, parseShard, inShard, scanProblemIds, type RunOptions, type RunProgress, type RunResult, type Shard } from './run.js';
export { SearchPool, defaultWorkerCount, type PoolOptions } from './pool/pool.js';
export * from './data/records.js';
export { extractRecords, type ExtractedRecords, type FilterCounts } from './data/extract.js';
export { readProblems, parseProblemLine, problemFromRow, lastBoxed, type BadLine, type ParsedLine } from './data/problems.js';
export { RunWriter, readLedger, treeFileName, RUN_FILES, LEDGER_FILE, SUMMARY_FILE, type RunWriterOptions } from './data/writer.js';
export { summarize, type RunSummary, type LedgerEntry, type AlgorithmSummary } from './data/summary.js';
export { generateArithProblems, arithProblemAt, type ArithOptions } from './tasks/arith.js';
export { VERSION } from './version.js';

/**
 * Searches one problem and returns the whole tree, the committed answer, every verified solution and
 * the usage. Plugins missing from `options.plugins` are built from the config's specs (and closed
 * before returning). Same problem, config and seed: the same tree.
 */
export async function search(problem: Problem, options: SearchOptions = {}): Promise<SearchResult> {
  const config = parseConfig(options.config ?? {});
  const env = options.env ?? { baseDir: process.cwd() };
  const registry = await withPluginModules(options.registry ?? defaultRegistry, config.pluginModules, env);
  return searchWith(problem, { ...options, config, env }, registry);
}
export { mergeRuns, type MergeResult } from './data/merge.js';
export {
  readForView,
  readRunForView,
  readTreeFile,
  parseTreeRecord,
  committedPath,
  verifiedLeaves,
  documentForTree,
  viewTreeFromSearch,
  type ViewTree,
  type ViewProblem,
  type ViewDocument,
  type ProblemOutcomeLabel,
} from './explore/tree-data.js';
export { treeToDot, treeToMermaid, type TreeExportOptions } from './explore/export.js';
export { renderViewerHtml, viewerIframe } from './explore/viewer.js';
export { lineChartSvg, niceTicks, type LineChartOptions, type PlotSeries, type PlotPoint } from './explore/svg-plot.js';
export {
  sweep,
  gridPoints,
  parseGridAxis,
  pointName,
  sweepCsv,
  sweepPlots,
  wilsonInterval,
  bootstrapRatio,
  pairedDifference,
  type GridAxis,
  type SweepOptions,
  type SweepPoint,
  type SweepResult,
  type SweepRow,
} from './explore/sweep.js';
