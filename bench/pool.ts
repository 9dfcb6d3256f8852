// bench:pool — CPU-bound generation in process and on the worker pool: problems/s with 1 and 2
// workers, the speed-up, the pool's overhead at 1 worker; then resident memory sampled over a long
// run (5,000 built-in problems by default). Prints tables.
// Run: npm run bench:pool [-- --problems 120 --long 5000]   (needs npm run build: workers run dist/)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateArithProblems, runToDirectory, type ConfigInput } from '../src/index.js';

const { values } = parseArgs({ options: { problems: { type: 'string', default: '120' }, long: { type: 'string', default: '5000' } } });
const count = Number(values.problems);
const longCount = Number(values.long);

// CPU-bound: a wide, deep search (about 40 ms and 2,500 nodes per problem here) with instant scripted plugins.
const config: ConfigInput = {
  seed: 1,
  search: { width: 8 },
  budget: { simulations: 3000, depth: 12 },
  policy: { kind: 'scripted', options: { errorRate: 0.5, errorVariants: 8 } },
  verifiers: { math: { kind: 'exact-answer' } },
};

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-bench-pool-'));
}

async function timeRun(workers: number, problems: ReturnType<typeof generateArithProblems>): Promise<number> {
  const dir = tmp();
  const t0 = performance.now();
  await runToDirectory({ outDir: dir, input: { problems }, config, workers });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const problems = generateArithProblems({ count, seed: 3, minSteps: 6, maxSteps: 8 });
await timeRun(0, problems.slice(0, 40)); // warm-up
const rows: [string, number][] = [];
for (const workers of [0, 1, 2]) {
  const best = Math.min(await timeRun(workers, problems), await timeRun(workers, problems));
  rows.push([workers === 0 ? 'in process' : `${workers} worker${workers > 1 ? 's' : ''}`, best]);
}
console.log(`${count} built-in problems (6-8 steps), MCTS width 8, 3000 simulations, scripted plugins (best of 2 runs; pool start-up included)`);
console.log('mode          wall ms  problems/s');
for (const [mode, ms] of rows) console.log(`${mode.padEnd(12)} ${ms.toFixed(0).padStart(8)}  ${((count / ms) * 1000).toFixed(1).padStart(10)}`);
const [inProc, one, two] = rows.map((r) => r[1]);
console.log(`speed-up 2 workers / 1 worker: ${(one / two).toFixed(2)}x`);
console.log(`pool overhead at 1 worker vs in process: ${(((one - inProc) / inProc) * 100).toFixed(1)} %`);

// HumanEval-X JS through the pool: each problem's canonical solution replayed as the policy's one step and
// checked by the sandboxed code verifier (one runner process per verifier).
const humaneval = new URL('../../shared/data/humaneval_x_js.jsonl', import.meta.url);
if (existsSync(humaneval)) {
  const file = fileURLToPath(humaneval);
  const heConfig: ConfigInput = {
    algorithm: 'greedy',
    pluginModules: [fileURLToPath(new URL('./plugins/replay-policy.mjs', import.meta.url))],
    policy: { kind: 'replay' },
    reward: null,
    verifiers: { code: { kind: 'code', options: { poolSize: 1 } } },
  };
  const heRows: [string, number, number][] = [];
  for (const workers of [0, 1, 2]) {
    const times: number[] = [];
    let passed = 0;
    for (let i = 0; i < 2; i++) {
      const dir = tmp();
      const t0 = performance.now();
      const r = await runToDirectory({ outDir: dir, input: { file }, config: heConfig, workers });
      times.push(performance.now() - t0);
      passed = r.summary.problems.success;
      rmSync(dir, { recursive: true, force: true });
    }
    heRows.push([workers === 0 ? 'in process' : `${workers} worker${workers > 1 ? 's' : ''}`, Math.min(...times), passed]);
  }
  console.log(`\nHumanEval-X JS (164 problems): canonical solution replayed, code verifier (best of 2 runs; start-up included)`);
  console.log('mode          wall ms  problems/s  passed');
  for (const [mode, ms, passed] of heRows) console.log(`${mode.padEnd(12)} ${ms.toFixed(0).padStart(8)}  ${((164 / ms) * 1000).toFixed(1).padStart(10)}  ${String(passed).padStart(6)}`);
  console.log(`speed-up 2 workers / 1 worker: ${(heRows[1][1] / heRows[2][1]).toFixed(2)}x`);
} else {
  console.log('\nHumanEval-X part skipped: ../shared/data/humaneval_x_js.jsonl is absent');
}

// Memory over a long run: RSS of this process and its worker threads, sampled every 250 problems.
if (longCount > 0) {
  const longProblems = generateArithProblems({ count: longCount, seed: 4 });
  const dir = tmp();
  const samples: [number, number][] = [];
  await runToDirectory({
    outDir: dir,
    input: { problems: longProblems },
    config: { ...config, search: { width: 4 }, budget: { simulations: 64 } },
    workers: 2,
    onProgress: (p) => {
      if (p.done % 250 === 0 || p.done === longCount) samples.push([p.done, process.memoryUsage().rss / 2 ** 20]);
    },
  });
  rmSync(dir, { recursive: true, force: true });
  console.log(`\nRSS over ${longCount} built-in problems (2 workers, 64 simulations each):`);
  console.log(samples.map(([n, mb]) => `${n}: ${mb.toFixed(0)} MB`).join('  '));
  const warm = samples.find(([n]) => n >= Math.min(1000, longCount / 5)) ?? samples[0];
  const peak = Math.max(...samples.map(([, mb]) => mb));
  console.log(`growth after warm-up (from ${warm[0]} problems): ${(peak - warm[1]).toFixed(1)} MB (peak ${peak.toFixed(0)} MB)`);
}
