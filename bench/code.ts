// `npm run bench:code`: throughput of the code sandbox. The 164 HumanEval-X JS canonical solutions and
// the 974 MBPP Python ones end to end (cold: runner processes start inside the measurement; warm:
// already started), 1,000 tiny checks through the pool, and per-check latency one at a time, for each
// language. Prints a table; asserts nothing.

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { emptyUsage, Rng } from '../src/core/index.js';
import { createCodeVerifier, resolveRunnerEntry, toCodeTask, type CodeTask, type CodeVerifier } from '../verifiers/code/index.js';

const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
const TINY_CHECKS = 1000;
const LATENCY_CHECKS = 200;
const MAKE_MS_NOTE = (r: { checks: number; wallMs: number }) => `${(r.wallMs / r.checks).toFixed(1)} ms per task`;

interface Row {
  name: string;
  checks: number;
  passed: number;
  wallMs: number;
  note: string;
}

function table(rows: Row[]): string {
  const header = ['benchmark', 'checks', 'passed', 'wall s', 'checks/s', 'note'];
  const cells = [header, ...rows.map((r) => [r.name, String(r.checks), String(r.passed), (r.wallMs / 1000).toFixed(2), (r.checks / (r.wallMs / 1000)).toFixed(0), r.note])];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 5 ? x : i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function runHumanEval(verifier: CodeVerifier, tasks: CodeTask[]): Promise<{ passed: number; wallMs: number }> {
  const t0 = performance.now();
  const verdicts = await Promise.all(tasks.map((t) => verifier.checkProgram((t.problem.reference?.prefix ?? '') + t.code, t.problem.reference?.tests as string)));
  return { passed: verdicts.filter((v) => v.kind === 'pass').length, wallMs: performance.now() - t0 };
}

async function runTasks(verifier: CodeVerifier, tasks: CodeTask[]): Promise<{ passed: number; wallMs: number }> {
  const t0 = performance.now();
  const verdicts = await Promise.all(
    tasks.map((t) => verifier.check(t.problem, { problem: t.problem, steps: [t.code] }, { signal: new AbortController().signal, rng: Rng.fromSeed(t.problem.id), usage: emptyUsage() })),
  );
  return { passed: verdicts.filter((v) => v.kind === 'pass').length, wallMs: performance.now() - t0 };
}

function tinyCheck(i: number): [string, string] {
  return [`const f = (x) => x * 3 + ${i % 7};`, `console.assert(f(${i}) === ${i * 3 + (i % 7)});`];
}

function tinyPythonCheck(i: number): [string, string, undefined, 'python'] {
  return [`def f(x):\n    return x * 3 + ${i % 7}\n`, `assert f(${i}) == ${i * 3 + (i % 7)}\n`, undefined, 'python'];
}

function readTasks(file: string): CodeTask[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l, i) => toCodeTask(JSON.parse(l), i))
    : [];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const entry = resolveRunnerEntry();
  const how = entry.file.endsWith('.ts') ? 'runner from .ts via tsx' : 'runner from built .js';
  console.log(`node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${how}\n`);

  const heFile = join(DATA_DIR, 'humaneval_x_js.jsonl');
  const tasks = readTasks(heFile);
  if (tasks.length === 0) console.log(`HumanEval-X skipped: ${heFile} is absent\n`);

  for (const poolSize of [1, 2]) {
    const verifier = createCodeVerifier({ poolSize });
    try {
      if (tasks.length > 0) {
        const cold = await runHumanEval(verifier, tasks);
        rows.push({ name: `HumanEval-X 164, cold (pool ${poolSize})`, checks: tasks.length, passed: cold.passed, wallMs: cold.wallMs, note: `${MAKE_MS_NOTE({ checks: tasks.length, wallMs: cold.wallMs })}; includes starting the runner processes` });
        const warm = await runHumanEval(verifier, tasks);
        rows.push({ name: `HumanEval-X 164, warm (pool ${poolSize})`, checks: tasks.length, passed: warm.passed, wallMs: warm.wallMs, note: `${MAKE_MS_NOTE({ checks: tasks.length, wallMs: warm.wallMs })}; runners already started` });
      } else {
        await verifier.checkProgram(...tinyCheck(0));
      }
      const t0 = performance.now();
      const tiny = await Promise.all(Array.from({ length: TINY_CHECKS }, (_, i) => verifier.checkProgram(...tinyCheck(i))));
      rows.push({
        name: `tiny checks (pool ${poolSize})`,
        checks: TINY_CHECKS,
        passed: tiny.filter((v) => v.kind === 'pass').length,
        wallMs: performance.now() - t0,
        note: 'all submitted at once',
      });
    } finally {
      await verifier.close();
    }
  }

  // Python: MBPP canonical solutions and tiny checks, same shapes.
  const mbppFile = join(DATA_DIR, 'mbxp_mbpp_py.jsonl');
  const mbpp = readTasks(mbppFile);
  if (mbpp.length === 0) console.log(`MBPP skipped: ${mbppFile} is absent\n`);
  for (const poolSize of [1, 2]) {
    const verifier = createCodeVerifier({ poolSize });
    try {
      if (mbpp.length > 0) {
        const cold = await runTasks(verifier, mbpp);
        rows.push({ name: `MBPP Python ${mbpp.length}, cold (pool ${poolSize})`, checks: mbpp.length, passed: cold.passed, wallMs: cold.wallMs, note: `${MAKE_MS_NOTE({ checks: mbpp.length, wallMs: cold.wallMs })}; includes starting Pyodide` });
        const warm = await runTasks(verifier, mbpp);
        rows.push({ name: `MBPP Python ${mbpp.length}, warm (pool ${poolSize})`, checks: mbpp.length, passed: warm.passed, wallMs: warm.wallMs, note: `${MAKE_MS_NOTE({ checks: mbpp.length, wallMs: warm.wallMs })}; interpreters already started` });
      } else {
        await verifier.checkProgram(...tinyPythonCheck(0));
      }
      const t0 = performance.now();
      const tiny = await Promise.all(Array.from({ length: TINY_CHECKS }, (_, i) => verifier.checkProgram(...tinyPythonCheck(i))));
      rows.push({ name: `tiny Python checks (pool ${poolSize})`, checks: TINY_CHECKS, passed: tiny.filter((v) => v.kind === 'pass').length, wallMs: performance.now() - t0, note: 'all submitted at once' });
    } finally {
      await verifier.close();
    }
  }

  // One check at a time: the latency a single search sees per verification.
  rows.push(await latencyRow('tiny checks, one at a time (pool 1)', (i) => tinyCheck(i)));
  rows.push(await latencyRow('tiny Python checks, one at a time (pool 1)', (i) => tinyPythonCheck(i)));
  console.log(table(rows));
}

async function latencyRow(name: string, make: (i: number) => Parameters<CodeVerifier['checkProgram']>): Promise<Row> {
  const verifier = createCodeVerifier({ poolSize: 1 });
  const latencies: number[] = [];
  let passed = 0;
  try {
    await verifier.checkProgram(...make(0));
    const t0 = performance.now();
    for (let i = 0; i < LATENCY_CHECKS; i++) {
      const s = performance.now();
      if ((await verifier.checkProgram(...make(i))).kind === 'pass') passed += 1;
      latencies.push(performance.now() - s);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
    return {
      name,
      checks: LATENCY_CHECKS,
      passed,
      wallMs: performance.now() - t0,
      note: `latency p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`,
    };
  } finally {
    await verifier.close();
  }
}

await main();
