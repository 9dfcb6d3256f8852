// Throughput of the math checker (`npm run bench:math`): checks per second for plain numeric pairs, LaTeX
// fractions and symbolic pairs (the latter through the guarded worker), with the verdict cache off so
// every pair is really compared. Pairs come from the seeded Rng. Prints a table; asserts nothing.

import { Rng } from '../src/core/index.js';
import { createMathChecker, type MathChecker } from '../verifiers/math/math-checker.js';
import { checkStepClaims } from '../verifiers/math/step-claims.js';
import { closeMathWorkers } from '../verifiers/math/index.js';

interface Row {
  workload: string;
  pairs: number;
  seconds: number;
  equalRate: number;
}

function numericPairs(rng: Rng, n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.int(1_000_000);
    switch (i % 4) {
      case 0:
        out.push([String(a), String(a)]);
        break;
      case 1:
        out.push([a.toLocaleString('en-US'), String(a)]);
        break;
      case 2:
        out.push([String(a), String(a + 1 + rng.int(9))]);
        break;
      default:
        out.push([`${a}.5`, `${a}.50`]);
    }
  }
  return out;
}

function fractionPairs(rng: Rng, n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const p = 1 + rng.int(99);
    const q = 2 + rng.int(99);
    const k = 2 + rng.int(5);
    switch (i % 3) {
      case 0:
        out.push([`\\frac{${p}}{${q}}`, `\\dfrac{${p * k}}{${q * k}}`]);
        break;
      case 1:
        out.push([`\\frac{${p}}{${q}}`, (p / q).toFixed(8)]);
        break;
      default:
        out.push([`-\\frac{${p}}{${q}}`, `\\frac{${p}}{${q + 1}}`]);
    }
  }
  return out;
}

function symbolicPairs(rng: Rng, n: number): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const a = 1 + rng.int(9);
    const b = 1 + rng.int(9);
    switch (i % 3) {
      case 0:
        out.push([`(x+${a})^2`, `x^2+${2 * a}x+${a * a}`]);
        break;
      case 1:
        out.push([`(x+${a})(x-${b})`, `x^2+${a - b}x-${a * b + 1}`]);
        break;
      default:
        out.push([`\\frac{x+${a}}{${b + 1}}`, `\\frac{x}{${b + 1}}+\\frac{${a}}{${b + 1}}`]);
    }
  }
  return out;
}

async function run(workload: string, checker: MathChecker, pairs: [string, string][]): Promise<Row> {
  // Warm-up pass (JIT, worker start) outside the timing.
  for (const [g, p] of pairs.slice(0, Math.min(200, pairs.length))) await checker.compare(g, p);
  const start = process.hrtime.bigint();
  let equal = 0;
  for (const [g, p] of pairs) if ((await checker.compare(g, p)).equal) equal++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { workload, pairs: pairs.length, seconds, equalRate: equal / pairs.length };
}

async function main(): Promise<void> {
  const rng = Rng.fromSeed('bench-math');
  const uncached = createMathChecker({ cacheSize: 0 });
  const cached = createMathChecker({});
  const rows: Row[] = [];
  rows.push(await run('plain numeric pairs (in-thread)', uncached, numericPairs(rng.split('numeric'), 100_000)));
  rows.push(await run('LaTeX fractions (in-thread)', uncached, fractionPairs(rng.split('fractions'), 50_000)));
  rows.push(await run('symbolic pairs (guarded worker)', uncached, symbolicPairs(rng.split('symbolic'), 1_000)));
  const repeated = numericPairs(rng.split('repeat'), 1_000);
  rows.push(await run('repeated pairs (LRU cache hits)', cached, Array.from({ length: 100 }, () => repeated).flat()));

  // Step claims (the math-steps reward model's work per step).
  const steps = Array.from({ length: 20_000 }, (_, i) => `She sells ${i} - 3 - 4 = <<${i}-3-4=${i - 7}>>${i - 7} eggs and makes ${i} * 2 = $${i * 2}.`);
  const t0 = process.hrtime.bigint();
  let pass = 0;
  for (const s of steps) if (checkStepClaims(s).verdict === 'pass') pass++;
  rows.push({ workload: 'step claims (GSM8K-style step)', pairs: steps.length, seconds: Number(process.hrtime.bigint() - t0) / 1e9, equalRate: pass / steps.length });

  await uncached.close();
  await cached.close();
  await closeMathWorkers();

  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores (one used), cache off unless noted`);
  console.log('| workload | checks | seconds | checks/s | equal |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.workload} | ${r.pairs} | ${r.seconds.toFixed(2)} | ${Math.round(r.pairs / r.seconds).toLocaleString('en-US')} | ${(100 * r.equalRate).toFixed(0)} % |`);
  }
  const numeric = rows[0];
  const rate = numeric.pairs / numeric.seconds;
  console.log(`\nplain numeric pairs: ${Math.round(rate).toLocaleString('en-US')} checks/s (target >= 20,000/s per core): ${rate >= 20_000 ? 'met' : 'NOT MET'}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
