// bench:quality — on 200 built-in problems with the scripted policy (30 % step error) and the scripted
// reward model, each algorithm at the same generated-token budgets: accuracy of the committed answer
// (95 % Wilson interval), share of problems with a verified solution found, tokens used, records yield.
// Run: npm run bench:quality [-- --problems 200 --budgets 300,1000]
import { parseArgs } from 'node:util';
import { generateArithProblems, generateOutcomes, type ConfigInput } from '../src/index.js';

const { values } = parseArgs({ options: { problems: { type: 'string', default: '200' }, budgets: { type: 'string', default: '300,1000' }, seed: { type: 'string', default: '0' } } });
const count = Number(values.problems);
const budgets = values.budgets!.split(',').map(Number);
const problems = generateArithProblems({ count, seed: 1000 + Number(values.seed) });

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

const base: ConfigInput = {
  seed: Number(values.seed),
  policy: { kind: 'scripted', options: { errorRate: 0.3 } },
  reward: { kind: 'scripted', options: { accuracy: 0.8 } },
};
const variants: Variant[] = [
  { name: 'greedy', config: { algorithm: 'greedy' } },
  { name: 'best-of-n (reward model picks)', config: { algorithm: 'best-of-n', search: { samples: 4096 } } },
  { name: 'self-consistency (majority vote)', config: { algorithm: 'self-consistency', search: { samples: 4096 } } },
  { name: 'beam (width 4, beam 4, reward model)', config: { algorithm: 'beam', search: { width: 4, beamSize: 4 } } },
  { name: 'mcts (reward model only, lambda 0)', config: { algorithm: 'mcts', search: { lambda: 0 }, budget: { simulations: 100000 } } },
  { name: 'mcts (verifier in value, lambda 0.5)', config: { algorithm: 'mcts', budget: { simulations: 100000 } } },
];

const rows: string[][] = [];
for (const budget of budgets) {
  for (const v of variants) {
    const config: ConfigInput = { ...base, ...v.config, budget: { ...(v.config.budget ?? {}), generatedTokens: budget } };
    let success = 0;
    let solved = 0;
    let tokens = 0;
    let traces = 0;
    let pairs = 0;
    const t0 = performance.now();
    for await (const o of generateOutcomes(problems, { config })) {
      if (!o.ok) throw new Error(`${o.problem.id}: ${o.error.message}`);
      if (o.stats.success) success++;
      if (o.stats.solved) solved++;
      tokens += o.stats.usage.generatedTokens;
      traces += o.records.traces.length;
      pairs += o.records.pairs.length;
    }
    const ms = performance.now() - t0;
    const [lo, hi] = wilson(success, count);
    rows.push([
      String(budget),
      v.name,
      `${((100 * success) / count).toFixed(1)}% [${(100 * lo).toFixed(1)}, ${(100 * hi).toFixed(1)}]`,
      `${((100 * solved) / count).toFixed(1)}%`,
      (tokens / count).toFixed(0),
      (traces / count).toFixed(2),
      (pairs / count).toFixed(2),
      ms.toFixed(0),
    ]);
  }
}
const header = ['budget', 'algorithm', 'accuracy [95% CI]', 'solved', 'tokens/problem', 'traces/problem', 'pairs/problem', 'wall ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`${count} built-in problems (seed ${1000 + Number(values.seed)}), scripted policy 30 % step error, scripted reward model 80 % accurate`);
console.log('accuracy: the committed answer is right; solved: a verified solution exists in the tree (data yield)');
console.log(line(header));
for (const r of rows) console.log(line(r));
