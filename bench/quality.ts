// bench:quality — does search pay at equal compute? Each algorithm runs on the same held-out built-in
// problems at the same generated-token budgets, through the ordinary run path (worker pool, run
// directory, summary.json), and the table is read from each run's summary.json: accuracy of the
// committed answer (95 % Wilson interval), share of problems with a verified solution in the tree,
// SFT traces and DPO pairs per million generated tokens, wall time.
//
// --models embedded (default): the embedded policy and PRM that mcts-gen trains (models/).
// --models scripted: the scripted policy (30 % step error) and scripted reward model (80 % accurate).
//
// Run: npm run bench:quality [-- --problems 300 --budgets 200,600 --workers 2 --models embedded]
// Needs the build (npm run build): pool workers run dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateArithProblems, runToDirectory, type ConfigInput } from '../src/index.js';

const { values } = parseArgs({
  options: {
    problems: { type: 'string', default: '300' },
    budgets: { type: 'string' },
    seed: { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    models: { type: 'string', default: 'embedded' },
    only: { type: 'string' },
  },
});
const count = Number(values.problems);
const models = values.models === 'scripted' ? 'scripted' : 'embedded';
const budgets = (values.budgets ?? (models === 'embedded' ? '200,600' : '300,1000')).split(',').map(Number);
// Held out: the embedded policy trains on seed 1000 and its PRM on MCTS data from seed 2000.
const problemSeed = models === 'embedded' ? Number(values.seed) : 1000 + Number(values.seed);
const problems = generateArithProblems({ count, seed: problemSeed });

/** 95 % Wilson score interval for k successes out of n. */
function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

interface Variant {
  name: string;
  config: ConfigInput;
}

const policy = models === 'embedded' ? { kind: 'embedded', options: {} } : { kind: 'scripted', options: { errorRate: 0.3 } };
const reward = models === 'embedded' ? { kind: 'embedded-prm', options: {} } : { kind: 'scripted', options: { accuracy: 0.8 } };
const rm = models === 'embedded' ? 'PRM' : 'reward model';
const many = { simulations: 10_000_000 };
const variants: Variant[] = [
  { name: 'greedy', config: { algorithm: 'greedy', reward: null } },
  { name: `best-of-n (${rm} picks)`, config: { algorithm: 'best-of-n', search: { samples: 4096 } } },
  { name: 'self-consistency (majority vote)', config: { algorithm: 'self-consistency', reward: null, search: { samples: 4096 } } },
  { name: `beam + ${rm} (width 4, beam 4)`, config: { algorithm: 'beam', search: { width: 4, beamSize: 4 } } },
  { name: 'mcts, verifier only', config: { algorithm: 'mcts', reward: null, search: { lambda: 1 }, budget: many } },
  { name: `mcts + ${rm} (lambda 0: no verifier in value)`, config: { algorithm: 'mcts', search: { lambda: 0 }, budget: many } },
  { name: `mcts + ${rm} + verifier (lambda 0.5)`, config: { algorithm: 'mcts', search: { lambda: 0.5 }, budget: many } },
];
const selected = values.only === undefined ? variants : variants.filter((v) => v.name.startsWith(values.only!));

const rows: string[][] = [];
const scratch = mkdtempSync(join(tmpdir(), 'mcts-gen-quality-'));
try {
  for (const budget of budgets) {
    for (const v of selected) {
      const config: ConfigInput = {
        seed: Number(values.seed),
        policy,
        reward,
        ...v.config,
        budget: { ...(v.config.budget ?? {}), generatedTokens: budget },
        filters: { maxStepRecordsPerProblem: 0 },
      };
      const outDir = join(scratch, `${budget}-${selected.indexOf(v)}`);
      const t0 = performance.now();
      const { summary } = await runToDirectory({ outDir, input: { problems }, config, workers: Number(values.workers), ordered: true });
      const ms = performance.now() - t0;
      const a = Object.values(summary.algorithms)[0];
      if (summary.problems.errors > 0) throw new Error(`${v.name}: ${summary.problems.errors} problems failed (see ${outDir}/errors.jsonl)`);
      const [lo, hi] = wilson(Math.round(a.accuracy * a.problems), a.problems);
      rows.push([
        String(budget),
        v.name,
        `${(100 * a.accuracy).toFixed(1)}% [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}]`,
        `${(100 * a.solveRate).toFixed(1)}%`,
        a.generatedTokensPerProblem.toFixed(0),
        a.tracesPerMillionTokens.toFixed(0),
        a.pairsPerMillionTokens.toFixed(0),
        (ms / 1000).toFixed(1),
      ]);
      process.stderr.write(`${rows.at(-1)!.join('  ')}\n`);
      rmSync(outDir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const header = ['budget', 'algorithm', 'accuracy [95% CI]', 'solved', 'tokens/problem', 'SFT traces/M tokens', 'DPO pairs/M tokens', 'wall s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
const who =
  models === 'embedded'
    ? 'embedded policy (models/arith-policy) and PRM (models/arith-prm)'
    : 'scripted policy 30 % step error, scripted reward model 80 % accurate';
console.log(`${count} held-out built-in problems (seed ${problemSeed}), ${who}, ${values.workers} workers; budget = generated tokens per problem`);
console.log('accuracy: the committed answer is right; solved: a verified solution exists in the tree (data yield)');
console.log(line(header));
for (const r of rows) console.log(line(r));
