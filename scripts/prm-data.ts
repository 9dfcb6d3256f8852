// Step labels for the embedded PRM, made by mcts-gen itself on training problems (built-in seed 2000
// by default, disjoint from the held-out seed 0 of the benchmarks and the policy's seeds 1000/1001).
//
//   tsx scripts/prm-data.ts [--source tree|verdict|mc|omega|reference] [--out out/prm-data] [--count 600] [--seed 2000]
//                           [--policy-dir DIR (another trained policy; default the embedded one)]
//   tree (default):  MCTS with the policy and the math verifier only (no reward model), writing an
//                    ordinary run directory whose steps.jsonl holds the trees' labels and soft values.
//                    [--simulations 48] [--workers 2]. Needs the build (npm run build): pool workers run dist/.
//   verdict|mc|omega: sampled solutions labelled by scripts/train/labels.ts (exact claim checks,
//                    Math-Shepherd Monte Carlo estimates, OmegaPRM first-error search), in this process.
//                    [--solutions 4] [--completions 4] [--siblings 0 (reference: next steps sampled at
//                    each true prefix)] [--shard i/n]. Records go to <out>/steps.jsonl
//                    (steps-<i>of<n>.jsonl with --shard) one problem at a time; running the same command
//                    again skips the problems already there. The label balance is printed at the end.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EMBEDDED_POLICY_DEFAULTS, EMBEDDED_STEP_DELIMITER } from '../policies/onnx/index.js';
import { createDefaultRegistry, generateArithProblems, inShard, parseShard, runToDirectory, type PluginSpec } from '../src/index.js';
import { LABEL_SOURCES, labelBalance, labelProblem, truthAgreement, type LabelSource, type LabelledRecord } from './train/labels.js';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'tree' },
    out: { type: 'string', default: 'out/prm-data' },
    count: { type: 'string', default: '600' },
    seed: { type: 'string', default: '2000' },
    simulations: { type: 'string', default: '48' },
    workers: { type: 'string', default: '2' },
    solutions: { type: 'string', default: '4' },
    completions: { type: 'string', default: '4' },
    siblings: { type: 'string', default: '0' },
    shard: { type: 'string' },
    'policy-dir': { type: 'string' },
  },
});
const source = values.source!;
if (source !== 'tree' && !(LABEL_SOURCES as readonly string[]).includes(source)) {
  process.stderr.write(`prm-data: --source must be one of tree, ${LABEL_SOURCES.join(', ')} (got ${JSON.stringify(source)})\n`);
  process.exit(2);
}
const problems = generateArithProblems({ count: Number(values.count), seed: Number(values.seed) });
const outDir = resolve(values.out!);
const policySpec: PluginSpec =
  values['policy-dir'] === undefined ? { kind: 'embedded', options: {} } : { kind: 'onnx', options: { modelDir: resolve(values['policy-dir']), ...EMBEDDED_POLICY_DEFAULTS, intraOpNumThreads: 1 } };
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(0);

if (source === 'tree') {
  let last = 0;
  const { summary } = await runToDirectory({
    outDir,
    input: { problems },
    workers: Number(values.workers),
    ordered: true,
    overwrite: true,
    config: {
      seed: 0,
      algorithm: 'mcts',
      policy: policySpec,
      reward: null,
      budget: { simulations: Number(values.simulations), generatedTokens: null },
      filters: { maxStepRecordsPerProblem: 64 },
      outputs: { traces: true, pairs: false, steps: true },
    },
    onProgress: (p) => {
      const now = performance.now();
      if (now - last > 10_000 || p.done === p.total) {
        last = now;
        process.stderr.write(`${p.done}/${p.total} problems, ${p.solved} solved, ${seconds()} s\n`);
      }
    },
  });
  const a = Object.values(summary.algorithms)[0];
  process.stderr.write(`${outDir}: ${summary.records.steps} step records, ${summary.records.traces} verified traces from ${summary.problems.committed} problems (${(100 * a.solveRate).toFixed(1)} % solved) in ${seconds()} s\n`);
} else {
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const file = join(outDir, shard === undefined ? 'steps.jsonl' : `steps-${shard.index}of${shard.count}.jsonl`);
  mkdirSync(outDir, { recursive: true });
  // Resume: a problem is done when its end marker is in the file (records of a problem cut short are rewritten).
  const done = new Set<string>();
  const kept: string[] = [];
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    let pending: string[] = [];
    for (const line of lines) {
      const row = JSON.parse(line) as { done?: string };
      if (typeof row.done === 'string') {
        done.add(row.done);
        kept.push(...pending, line);
        pending = [];
      } else pending.push(line);
    }
    writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
  }
  const registry = createDefaultRegistry();
  const env = { baseDir: process.cwd() };
  const policy = await registry.create('policy', policySpec, env);
  const verifier = await registry.create('verifier', { kind: 'math', options: {} }, env);
  const mine = problems.filter((p) => inShard(p.id, shard));
  const all: Pick<LabelledRecord, 'labels'>[] = kept.map((l) => JSON.parse(l) as { labels?: boolean[] }).filter((r): r is { labels: boolean[] } => Array.isArray(r.labels));
  let tokens = 0;
  let estimates = 0;
  const agreement = { agree: 0, total: 0, falsePositive: 0, falseNegative: 0 };
  let last = 0;
  let count = 0;
  try {
    for (const problem of mine) {
      count++;
      if (done.has(problem.id)) continue;
      const r = await labelProblem(problem, policy, verifier, {
        source: source as LabelSource,
        solutions: Number(values.solutions),
        completions: Number(values.completions),
        siblings: Number(values.siblings),
        seed: Number(values.seed),
        delimiter: EMBEDDED_STEP_DELIMITER,
      });
      tokens += r.generatedTokens;
      estimates += r.estimates;
      for (const rec of r.records) {
        const a = truthAgreement(problem, rec);
        if (a === undefined) continue;
        agreement.agree += a.agree;
        agreement.total += a.total;
        agreement.falsePositive += a.falsePositive;
        agreement.falseNegative += a.falseNegative;
      }
      all.push(...r.records);
      appendFileSync(file, [...r.records.map((x) => JSON.stringify(x)), JSON.stringify({ done: problem.id })].map((l) => `${l}\n`).join(''));
      const now = performance.now();
      if (now - last > 10_000 || count === mine.length) {
        last = now;
        process.stderr.write(`${count}/${mine.length} problems, ${all.length} records, ${tokens.toLocaleString('en-US')} tokens, ${estimates} estimates, ${seconds()} s\n`);
      }
    }
  } finally {
    await policy.close?.();
    await verifier.close?.();
  }
  const balance = labelBalance(all);
  const pos = balance.reduce((a, b) => a + b.positive, 0);
  const total = balance.reduce((a, b) => a + b.total, 0);
  process.stderr.write(`${file}: ${all.length} records, ${total} steps, ${pos} good (${((100 * pos) / Math.max(1, total)).toFixed(1)} %); ${tokens.toLocaleString('en-US')} tokens this run, ${seconds()} s\n`);
  process.stderr.write(`good share by step: ${balance.map((b) => `${b.depth}: ${((100 * b.positive) / b.total).toFixed(0)} % of ${b.total}`).join(', ')}\n`);
  if (agreement.total > 0) {
    const pc = (k: number) => `${((100 * k) / agreement.total).toFixed(1)} %`;
    process.stderr.write(`agreement with the worked solutions (this run): ${pc(agreement.agree)} of ${agreement.total} steps; labelled good but wrong ${pc(agreement.falsePositive)}, labelled bad but right ${pc(agreement.falseNegative)}\n`);
  }
}
