// mcts-gen view and mcts-gen sweep: look at saved search trees, and run a grid of search settings
// into sweep.csv and SVG plots.

import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  McgError,
  defaultWorkerCount,
  generateArithProblems,
  isMcgError,
  loadConfig,
  parseGridAxis,
  readForView,
  renderViewerHtml,
  sweep,
  treeToDot,
  treeToMermaid,
  type GridAxis,
  type ViewTree,
} from '../index.js';
import { fmtDuration, ProgressReporter } from './progress.js';
import { EXIT, fail as failure, nonNegativeInt, positiveInt, say, stopOnSignals, usageError as usage, type CliIO } from './cli.js';

export const VIEW_HELP = `Usage: mcts-gen view <run-dir | tree.json> [--problem ID] [--out FILE] [--format html|dot|mermaid]

Shows saved search trees (runs made with --save-trees).
  html (default)   one self-contained HTML file (no network): a collapsible tree with N, Q, prior,
                   reward score, verdicts and tokens per node, the committed path and verified leaves
                   highlighted, colour by Q or reward, search by text; for a run directory, the list of
                   problems with their outcome. Written to --out (default: <run-dir>/view.html, or the
                   tree file's name with .html).
  dot              Graphviz DOT of one tree (stdout unless --out): dot -Tsvg tree.dot > tree.svg
  mermaid          a Mermaid flowchart of one tree (stdout unless --out)

Options:
  --problem ID           only this problem of a run directory (dot and mermaid need one tree)
  --color-by q|reward    colour nodes by value Q (default) or by reward-model score
  --max-nodes N          dot/mermaid: draw at most N nodes, committed path first (mermaid default 400)
  --max-depth D          dot/mermaid: draw levels 0..D only
`;

export const SWEEP_HELP = `Usage: mcts-gen sweep --grid KEY=V1,V2 [--grid ...] [--algorithm A,B] --out DIR [options]

Runs every point of a grid of settings, each an ordinary run directory (DIR/points/<name>/), then writes
DIR/sweep.csv (one row per point: parameters, accuracy and solve rate with 95 % intervals, traces / pairs /
step records per 1k generated tokens, tokens, wall time) and SVG plots against generated tokens per problem
(DIR/accuracy.svg, DIR/solve-rate.svg, DIR/yield.svg). Running the same command again runs only the points
not finished (a stopped point continues where it stopped).

Options:
  --grid KEY=V1,V2       a config key and its values (JSON where they parse): --grid search.width=2,4,8
  --algorithm A,B        shorthand for --grid algorithm=A,B
  --problems FILE        JSONL problems (as mcts-gen run reads them); without it: --count built-in problems
  --count N              built-in problems when --problems is absent (default 20)
  --config FILE          settings shared by every point; --set PATH=VALUE overrides one (repeatable)
  --seed S               run seed for every point (default 0)
  --series KEY           the grid key that makes the plot series (default: algorithm when it varies,
                         else the first grid key outside budget.*)
  --workers N            worker threads per point (default ${defaultWorkerCount()}; 0 searches in this process)
  --out DIR              the sweep directory (required)
  --overwrite            delete an earlier sweep in --out first
  --quiet                no progress output
`;

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new McgError('IO_FAILED', `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export async function viewCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        problem: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        'color-by': { type: 'string' },
        'max-nodes': { type: 'string' },
        'max-depth': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage(io, (err as Error).message, VIEW_HELP);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(VIEW_HELP);
    return EXIT.OK;
  }
  if (parsed.positionals.length !== 1) return usage(io, 'view needs one run directory or tree file', VIEW_HELP);
  const format = v.format ?? 'html';
  if (format !== 'html' && format !== 'dot' && format !== 'mermaid') return usage(io, `--format must be html, dot or mermaid, got "${format}"`, VIEW_HELP);
  const colorBy = v['color-by'] ?? 'q';
  if (colorBy !== 'q' && colorBy !== 'reward') return usage(io, `--color-by must be q or reward, got "${colorBy}"`, VIEW_HELP);
  const input = parsed.positionals[0];
  try {
    const maxNodes = v['max-nodes'] === undefined ? undefined : positiveInt('--max-nodes', v['max-nodes'], 1);
    const maxDepth = v['max-depth'] === undefined ? undefined : nonNegativeInt('--max-depth', v['max-depth']);
    const doc = readForView(input, { problem: v.problem });
    const withTrees = doc.problems.filter((p) => p.tree !== undefined);
    if (format === 'html') {
      const out = v.out ?? (doc.problems.length === 1 && withTrees.length === 1 && !input.endsWith('/') && basename(input).endsWith('.json') ? join(dirname(input), `${basename(input, '.json')}.html`) : join(input, 'view.html'));
      writeOut(out, renderViewerHtml(doc, { colorBy }));
      const nodes = withTrees.reduce((n, p) => n + p.tree!.nodes.length, 0);
      say(io, `mcts-gen: wrote ${out}: ${doc.problems.length} problem${doc.problems.length === 1 ? '' : 's'}, ${withTrees.length} tree${withTrees.length === 1 ? '' : 's'} (${nodes} nodes)${withTrees.length < doc.problems.length ? `; ${doc.problems.length - withTrees.length} without a saved tree (run with --save-trees)` : ''}`);
      return EXIT.OK;
    }
    if (withTrees.length === 0) throw new McgError('INPUT_INVALID', `${input}: no saved tree${doc.problems.length > 0 ? ' (the run was made without --save-trees)' : ''}`);
    if (withTrees.length > 1) {
      throw new McgError('INPUT_INVALID', `${input} holds ${withTrees.length} trees; --format ${format} draws one: pass --problem ID (e.g. --problem ${withTrees[0].problemId})`);
    }
    const tree = withTrees[0].tree as ViewTree;
    const text = format === 'dot' ? treeToDot(tree, { maxNodes, maxDepth, colorBy }) : treeToMermaid(tree, { maxNodes, maxDepth, colorBy });
    if (v.out === undefined) io.stdout.write(text);
    else {
      writeOut(v.out, text);
      say(io, `mcts-gen: wrote ${v.out} (${format}, tree of ${tree.problemId}, ${tree.nodes.length} nodes)`);
    }
    return EXIT.OK;
  } catch (err) {
    return failure(io, err);
  }
}

export async function sweepCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        grid: { type: 'string', multiple: true },
        algorithm: { type: 'string' },
        problems: { type: 'string' },
        count: { type: 'string' },
        config: { type: 'string' },
        set: { type: 'string', multiple: true },
        seed: { type: 'string' },
        series: { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        overwrite: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage(io, (err as Error).message, SWEEP_HELP);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(SWEEP_HELP);
    return EXIT.OK;
  }
  if (v.out === undefined) return usage(io, 'sweep needs --out DIR', SWEEP_HELP);
  if ((v.grid ?? []).length === 0 && v.algorithm === undefined) return usage(io, 'sweep needs at least one --grid KEY=V1,V2 (or --algorithm A,B)', SWEEP_HELP);

  const stop = stopOnSignals(io);
  const again = ['mcts-gen', 'sweep', ...args.filter((a) => a !== '--overwrite')].join(' ');
  const progress = new ProgressReporter({ stream: io.stderr });
  const quiet = v.quiet === true;
  try {
    const overrides = [...(v.set ?? [])];
    if (v.seed !== undefined) overrides.push(`seed=${v.seed}`);
    const { config, baseDir } = loadConfig(v.config, overrides);
    const axes: GridAxis[] = (v.grid ?? []).map(parseGridAxis);
    if (v.algorithm !== undefined) axes.push(parseGridAxis(`algorithm=${v.algorithm}`));
    const count = positiveInt('--count', v.count, 20);
    const workers = v.workers === undefined ? defaultWorkerCount() : nonNegativeInt('--workers', v.workers);
    const t0 = performance.now();
    const result = await sweep({
      outDir: v.out,
      input: v.problems !== undefined ? { file: v.problems } : { problems: generateArithProblems({ count, seed: 0 }) },
      config,
      env: { baseDir },
      grid: axes,
      seriesBy: v.series,
      overwrite: v.overwrite,
      workers,
      signal: stop.signal,
      shouldStop: stop.requested,
      onPointStart: (p, i, total, skipped) => {
        if (quiet) return;
        const params = Object.entries(p.params).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(' ');
        say(io, `mcts-gen: point ${i + 1}/${total} ${params}${skipped ? ': finished earlier, not run again' : ''}`);
      },
      onProgress: quiet ? undefined : (p) => progress.update(p),
      onPointEnd: (r) => {
        progress.finish();
        if (!quiet && !r.skipped) say(io, `  accuracy ${(100 * r.accuracy).toFixed(1)}%, solve rate ${(100 * r.solveRate).toFixed(1)}%, ${r.tracesPer1kTokens.toFixed(2)} traces per 1k tokens, ${r.generatedTokens} tokens, ${fmtDuration(r.wallMs)}`);
      },
    });
    progress.finish();
    if (result.stoppedEarly) {
      say(io, `mcts-gen: stopped early; finished points are kept in ${v.out}/points/. Continue with:\n  ${again}`);
      return EXIT.INTERRUPTED;
    }
    if (!quiet) {
      say(io, `mcts-gen: ${result.rows.length} points (${result.ran} run, ${result.skipped} finished earlier) in ${fmtDuration(performance.now() - t0)}: wrote ${result.csvPath} and ${result.plots.map((p) => basename(p)).join(', ')}`);
    }
    return EXIT.OK;
  } catch (err) {
    progress.finish();
    if (isMcgError(err, 'ABORTED')) {
      say(io, `mcts-gen: aborted; finished points are kept in ${v.out}/points/. Continue with:\n  ${again}`);
      return EXIT.INTERRUPTED;
    }
    return failure(io, err);
  } finally {
    stop.dispose();
  }
}
