// Pool tests run the compiled worker in dist/ (built by the test global setup).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { LEDGER_FILE, RUN_FILES, generateArithProblems, inShard, mergeRuns, parseShard, runToDirectory, type ConfigInput } from '../../src/index.js';
import { repoRoot } from '../helpers/shared-data.js';
import { captureIO } from '../helpers/streams.js';

const bin = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const config: ConfigInput = { seed: 4, budget: { simulations: 32 }, policy: { kind: 'scripted' }, reward: { kind: 'scripted' }, verifiers: { math: { kind: 'exact-answer' } } };
const problems = generateArithProblems({ count: 24, seed: 7 });

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-pool-'));
}

function lines(dir: string, file: string): string[] {
  const p = join(dir, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** The records of a run as sorted lines per file (order-free comparison). */
function recordSet(dir: string): Record<string, string[]> {
  return Object.fromEntries(['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl'].map((f) => [f, lines(dir, f).sort()]));
}

function writeProblems(count: number, seed: number): string {
  const file = join(tmp(), 'problems.jsonl');
  const gen = generateArithProblems({ count, seed });
  writeFileSync(file, gen.map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: p.reference?.answer, meta: p.meta })).join('\n') + '\n');
  return file;
}

describe('pool', () => {
  it('the same record set in process, with 1 worker and with 2 workers; --ordered gives identical files', async () => {
    const inProcess = tmp();
    const one = tmp();
    const two = tmp();
    const ordered = tmp();
    await runToDirectory({ outDir: inProcess, input: { problems }, config });
    await runToDirectory({ outDir: one, input: { problems }, config, workers: 1 });
    await runToDirectory({ outDir: two, input: { problems }, config, workers: 2 });
    await runToDirectory({ outDir: ordered, input: { problems }, config, workers: 2, ordered: true });
    const expected = recordSet(inProcess);
    expect(expected['traces.jsonl'].length).toBeGreaterThan(0);
    expect(recordSet(one)).toEqual(expected);
    expect(recordSet(two)).toEqual(expected);
    for (const f of [...RUN_FILES, LEDGER_FILE, 'summary.json']) expect(readFileSync(join(ordered, f), 'utf8')).toBe(readFileSync(join(inProcess, f), 'utf8'));
  });

  it('a plugin that throws on one problem: retried, then errors.jsonl; the other problems are done', async () => {
    const dir = tmp();
    const target = problems[3].id;
    const { summary } = await runToDirectory({
      outDir: dir,
      input: { problems: problems.slice(0, 8) },
      config: { ...config, pluginModules: [join(repoRoot, 'test/fixtures/faulty-plugins.mjs')], policy: { kind: 'faulty', options: { failOn: [target] } } },
      workers: 2,
      maxAttempts: 3,
    });
    const errors = lines(dir, 'errors.jsonl').map((l) => JSON.parse(l));
    expect(errors).toEqual([expect.objectContaining({ problemId: target, code: 'INTERNAL', attempts: 3, message: expect.stringContaining(`policy backend failed on ${target}`) })]);
    expect(summary.problems).toMatchObject({ committed: 8, searched: 7, errors: 1 });
  });

  it('a worker that exits abruptly is replaced; its problem is retried, then reported; the run goes on', async () => {
    const dir = tmp();
    const target = problems[2].id;
    const { summary } = await runToDirectory({
      outDir: dir,
      input: { problems: problems.slice(0, 6) },
      config: { ...config, pluginModules: [join(repoRoot, 'test/fixtures/faulty-plugins.mjs')], policy: { kind: 'faulty', options: { exitOn: [target] } } },
      workers: 2,
      maxAttempts: 2,
    });
    const errors = lines(dir, 'errors.jsonl').map((l) => JSON.parse(l));
    expect(errors).toEqual([expect.objectContaining({ problemId: target, attempts: 2, message: expect.stringContaining('worker failed') })]);
    expect(summary.problems).toMatchObject({ committed: 6, searched: 5, errors: 1 });
  });

  it('bad pool options are clear errors', async () => {
    await expect(runToDirectory({ outDir: tmp(), input: { problems }, config, workers: 1.5 })).rejects.toThrow('workers must be an integer in [1, 256], got 1.5');
    await expect(runToDirectory({ outDir: tmp(), input: { problems }, config, workers: 1, concurrentPerWorker: 0 })).rejects.toThrow(
      'concurrentPerWorker must be an integer in [1, 1024], got 0',
    );
    const { createDefaultRegistry } = await import('../../src/index.js');
    await expect(runToDirectory({ outDir: tmp(), input: { problems }, config, workers: 2, registry: createDefaultRegistry() })).rejects.toThrow(/config.pluginModules/);
    for (const [flag, value, message] of [
      ['--workers', '-1', '--workers must be a non-negative integer, got "-1"'],
      ['--workers', 'two', '--workers must be a non-negative integer, got "two"'],
      ['--concurrency-per-worker', '0', '--concurrency-per-worker must be a positive integer, got "0"'],
      ['--shard', '3/3', '--shard must be i/N with 0 <= i < N (e.g. 0/4), got "3/3"'],
      ['--max-failures', 'many', '--max-failures must be a count (5) or a percentage (10%), got "many"'],
    ]) {
      const io = captureIO();
      expect(await main(['run', '--out', join(tmp(), 'o'), `${flag}=${value}`], io)).toBe(2);
      expect(io.err()).toContain(message);
    }
  });

  it('shards partition the problems exactly once, and merging the shards gives the whole run', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `problem-${i}`);
    for (const n of [1, 2, 3, 5]) {
      const counts = ids.map((id) => Array.from({ length: n }, (_, i) => inShard(id, { index: i, count: n })).filter(Boolean).length);
      expect(counts.every((c) => c === 1)).toBe(true);
    }
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    const whole = tmp();
    await runToDirectory({ outDir: whole, input: { problems }, config });
    const shards = [0, 1, 2].map(() => tmp());
    let sum = 0;
    for (const [i, dir] of shards.entries()) {
      const r = await runToDirectory({ outDir: dir, input: { problems }, config, shard: { index: i, count: 3 } });
      sum += r.summary.problems.committed;
      expect(r.progress.total).toBe(r.summary.problems.committed);
    }
    expect(sum).toBe(problems.length);
    const merged = join(tmp(), 'all');
    const m = mergeRuns(shards, merged);
    expect(m.duplicateProblems).toBe(0);
    expect(recordSet(merged)).toEqual(recordSet(whole));
    expect(m.summary.problems).toEqual(JSON.parse(readFileSync(join(whole, 'summary.json'), 'utf8')).problems);
  });

  it('merge keeps a problem found in several inputs once and refuses runs with other settings', async () => {
    const a = tmp();
    const b = tmp();
    await runToDirectory({ outDir: a, input: { problems: problems.slice(0, 6) }, config });
    await runToDirectory({ outDir: b, input: { problems: problems.slice(4, 10) }, config });
    const out = join(tmp(), 'm');
    const r = mergeRuns([a, b, a], out);
    expect(r.duplicateProblems).toBe(8);
    expect(r.summary.problems.committed).toBe(10);
    const all = [...lines(out, 'traces.jsonl'), ...lines(out, 'pairs.jsonl'), ...lines(out, 'steps.jsonl')];
    expect(new Set(all).size).toBe(all.length);
    const ids = lines(out, LEDGER_FILE).map((l) => JSON.parse(l).problemId);
    expect(new Set(ids).size).toBe(10);
    const other = tmp();
    await runToDirectory({ outDir: other, input: { problems: problems.slice(0, 2) }, config: { ...config, seed: 99 } });
    expect(() => mergeRuns([a, other], join(tmp(), 'x'))).toThrow(/only runs with the same settings merge/);
    const io = captureIO();
    expect(await main(['merge', a, b, '--out', join(tmp(), 'cli')], io)).toBe(0);
    expect(io.err()).toContain('10 problems');
  });
});

describe('crash safety', () => {
  it('kill -9 at several points, then --resume: the records of an uninterrupted run, no loss, no duplicates', async () => {
    const input = writeProblems(60, 11);
    const args = ['run', '--problems', input, '--workers', '2', '--seed', '5', '--set', 'budget.simulations=400', '--set', 'verifiers.math.kind="exact-answer"', '--set', 'policy.kind="scripted"', '--set', 'reward.kind="scripted"', '--quiet'];
    const whole = join(tmp(), 'whole');
    expect(spawnSync(process.execPath, [bin, ...args, '--out', whole], { encoding: 'utf8' }).status).toBe(0);
    const expected = recordSet(whole);
    expect(lines(whole, LEDGER_FILE)).toHaveLength(60);

    for (const killAfter of [1, 17, 43]) {
      const out = join(tmp(), 'out');
      const child = spawn(process.execPath, [bin, ...args, '--out', out], { stdio: 'ignore' });
      const ledger = join(out, LEDGER_FILE);
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      let done = false;
      void exited.then(() => (done = true));
      while (!done && lines(out, LEDGER_FILE).length < killAfter) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGKILL');
      await exited;
      const committed = existsSync(ledger) ? lines(out, LEDGER_FILE).length : 0;
      const resumed = spawnSync(process.execPath, [bin, ...args, '--out', out, '--resume'], { encoding: 'utf8' });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(recordSet(out)).toEqual(expected);
      const ids = lines(out, LEDGER_FILE).map((l) => JSON.parse(l).problemId);
      expect(new Set(ids).size).toBe(60);
      // The kill landed mid-run (the resume had work to do).
      expect(committed).toBeGreaterThanOrEqual(killAfter);
      expect(committed).toBeLessThan(60);
    }
  });
});

describe('signals with workers', () => {
  it('one SIGINT finishes the problems in flight and exits 130; a second abandons them', async () => {
    const input = writeProblems(300, 12);
    const out = join(tmp(), 'out');
    const args = [bin, 'run', '--problems', input, '--out', out, '--workers', '2', '--set', 'budget.simulations=2000', '--set', 'verifiers.math.kind="exact-answer"', '--set', 'policy.kind="scripted"', '--set', 'reward.kind="scripted"'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    while (lines(out, LEDGER_FILE).length < 2) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('Continue with:');
    const n = lines(out, LEDGER_FILE).length;
    expect(n).toBeLessThan(300);
    // Everything committed is whole: the ledger and the files agree.
    const { readLedger } = await import('../../src/index.js');
    const { entries } = readLedger(join(out, LEDGER_FILE));
    expect(entries).toHaveLength(n);

    const child2 = spawn(process.execPath, [...args, '--resume'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr2 = '';
    child2.stderr.on('data', (d: Buffer) => (stderr2 += d.toString()));
    while (lines(out, LEDGER_FILE).length < n + 2) await new Promise((r) => setTimeout(r, 5));
    child2.kill('SIGINT');
    child2.kill('SIGINT');
    const code2 = await new Promise<number | null>((resolve) => child2.on('exit', resolve));
    expect(code2).toBe(130);
    expect(stderr2).toMatch(/aborted|stopped early/);
  });
});
