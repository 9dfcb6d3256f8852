// A run through a real Redis (Debian's redis-server on a loopback port, append-only file fsynced at
// every write): coordinator and workers are separate `mcts-gen` processes from dist/, killed with
// SIGKILL at chosen moments. Every finished run is compared with a local run of the same settings.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configHash, generateArithProblems, LEDGER_FILE, parseConfig, Rng } from '../../src/index.js';
import { JOB_NAME, JOB_SCHEMA, QueueCoordinator, jobIdFor, runIdFor, type QueueJobData } from '../../src/queue/index.js';
import { repoRoot } from '../helpers/shared-data.js';
import { redisMissing, RedisServer } from '../../bench/redis-server.js';

const bin = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const missing = redisMissing();
if (missing !== undefined) console.warn(`skipping the Redis queue tests: ${missing}`);

// The built-in task (embedded policy and PRM) on 200 built-in problems, at a small token budget so
// that a run takes about half a minute here.
const RUN_ARGS = ['--count', '200', '--seed', '3', '--set', 'budget.generatedTokens=150', '--quiet'];
const N = 200;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-queue-'));
}

function lines(dir: string, file: string): string[] {
  const p = join(dir, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** The records of a run as sorted lines per file; `ids` keeps only those problems. */
function recordSet(dir: string, ids?: Set<string>): Record<string, string[]> {
  const keep = (l: string): boolean => ids === undefined || ids.has((JSON.parse(l) as { problemId: string }).problemId);
  return Object.fromEntries(['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl'].map((f) => [f, lines(dir, f).filter(keep).sort()]));
}

function ledgerIds(dir: string): string[] {
  return lines(dir, LEDGER_FILE).map((l) => (JSON.parse(l) as { problemId: string }).problemId);
}

function noDuplicateLines(dir: string): void {
  for (const f of ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl', LEDGER_FILE]) {
    const all = lines(dir, f);
    expect(new Set(all).size, f).toBe(all.length);
  }
}

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(missing !== undefined)('a run through Redis (BullMQ)', () => {
  let redis: RedisServer;
  let reference: string;
  const procs: Proc[] = [];

  const worker = (queueName: string, extra: string[] = []): Proc => {
    const p = start(['worker', '--queue', redis.url, '--queue-name', queueName, '--workers', '1', '--lock-duration', '2000', '--status-every', '0', ...extra]);
    procs.push(p);
    return p;
  };
  const coordinator = (queueName: string, out: string, extra: string[] = []): Proc => {
    const p = start(['run', ...RUN_ARGS, '--queue', redis.url, '--queue-name', queueName, '--out', out, ...extra]);
    procs.push(p);
    return p;
  };
  const stopAll = async (list: Proc[]): Promise<void> => {
    for (const p of list) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(list.map((p) => p.exit));
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    reference = join(tmp(), 'local');
    const r = spawnSync(process.execPath, [bin, 'run', ...RUN_ARGS, '--workers', '2', '--ordered', '--out', reference], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`local reference run failed:\n${r.stderr}`);
  }, 240_000);

  afterAll(async () => {
    await stopAll(procs);
    await redis?.stop();
  });

  it('200 built-in problems with 2 worker processes: the local run\'s records; --ordered byte-identical files', async () => {
    const expected = recordSet(reference);
    expect(ledgerIds(reference)).toHaveLength(N);
    expect(expected['traces.jsonl'].length).toBeGreaterThan(20);
    const out = join(tmp(), 'queued');
    const w1 = worker('ordered');
    const w2 = worker('ordered');
    const c = coordinator('ordered', out, ['--ordered']);
    expect(await c.exit, c.stderr()).toBe(0);
    for (const f of ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl']) {
      expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(reference, f), 'utf8'));
    }
    // The ledger too, but for the time spent in models (a measurement, not a result).
    const ledger = (dir: string): string[] => lines(dir, LEDGER_FILE).map((l) => l.replace(/"modelMs":[0-9.e+-]+/, '"modelMs":0'));
    expect(ledger(out)).toEqual(ledger(reference));
    const summary = (dir: string): unknown => {
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { usage: Record<string, unknown> };
      delete s.usage.modelMs;
      return s;
    };
    expect(summary(out)).toEqual(summary(reference));
    // Both workers took jobs, and nothing of the run is left in Redis.
    w1.child.kill('SIGTERM');
    w2.child.kill('SIGTERM');
    expect(await w1.exit).toBe(0);
    expect(await w2.exit).toBe(0);
    const done = (p: Proc): number => Number(/stopped after (\d+) jobs/.exec(p.stderr())?.[1] ?? -1);
    expect(done(w1)).toBeGreaterThan(0);
    expect(done(w2)).toBeGreaterThan(0);
    expect(done(w1) + done(w2)).toBe(N);
    expect(redis.cli('ZCARD', 'bull:ordered:completed')).toBe('0');
    expect(redis.cli('LLEN', 'bull:ordered:wait')).toBe('0');
  }, 240_000);

  it('kill -9 of a worker at several random moments, then new workers: the local records, no duplicate line, no error', async () => {
    const rng = Rng.fromSeed(20261207);
    const out = join(tmp(), 'killed-workers');
    // Each worker death costs the problems in flight one of their attempts: allow a few.
    const c = coordinator('kw', out, ['--max-attempts', '5']);
    let live = [worker('kw'), worker('kw')];
    const killedAt: number[] = [];
    for (let k = 0; k < 4; k++) {
      await sleep(1500 + Math.floor(rng.float() * 3000));
      const victim = live[k % 2];
      victim.child.kill('SIGKILL');
      await victim.exit;
      killedAt.push(ledgerIds(out).length);
      live[k % 2] = worker('kw');
    }
    expect(await c.exit, c.stderr()).toBe(0);
    await stopAll(live);
    // The kills landed mid-run, on jobs in flight (BullMQ logged them as stalled).
    expect(Math.max(...killedAt)).toBeLessThan(N);
    const events = redis.cli('XRANGE', 'bull:kw:events', '-', '+');
    expect(events.split('\n').filter((l) => l === 'stalled').length).toBeGreaterThanOrEqual(1);
    expect(recordSet(out)).toEqual(recordSet(reference));
    expect(ledgerIds(out).sort()).toEqual(ledgerIds(reference).sort());
    expect(lines(out, 'errors.jsonl')).toEqual([]);
    noDuplicateLines(out);
  }, 300_000);

  it('kill -9 of the coordinator, then the same command again: it resumes, collecting what finished meanwhile', async () => {
    const out = join(tmp(), 'killed-coordinator');
    const ws = [worker('kc'), worker('kc')];
    const c1 = coordinator('kc', out);
    await waitFor('40 committed problems', () => ledgerIds(out).length >= 40);
    c1.child.kill('SIGKILL');
    await c1.exit;
    const before = ledgerIds(out).length;
    expect(before).toBeLessThan(N);
    // The workers go on with the jobs already queued; their results wait in Redis.
    await sleep(3000);
    const c2 = coordinator('kc', out, ['--resume']);
    expect(await c2.exit, c2.stderr()).toBe(0);
    await stopAll(ws);
    expect(recordSet(out)).toEqual(recordSet(reference));
    expect(ledgerIds(out).sort()).toEqual(ledgerIds(reference).sort());
    noDuplicateLines(out);
    expect(redis.cli('ZCARD', 'bull:kc:completed')).toBe('0');
  }, 300_000);

  it('Redis restarted twice mid-run (SIGTERM, then SIGKILL; AOF fsynced always): the run completes with the local records', async () => {
    const out = join(tmp(), 'redis-restart');
    const ws = [worker('rr'), worker('rr')];
    const c = coordinator('rr', out);
    await waitFor('30 committed problems', () => ledgerIds(out).length >= 30);
    await redis.restart(1500, 'SIGTERM');
    const mid = ledgerIds(out).length;
    await waitFor('30 more committed problems', () => ledgerIds(out).length >= mid + 30 || c.child.exitCode !== null);
    expect(ledgerIds(out).length).toBeLessThan(N);
    await redis.restart(1500, 'SIGKILL');
    expect(await c.exit, c.stderr()).toBe(0);
    await stopAll(ws);
    expect(recordSet(out)).toEqual(recordSet(reference));
    expect(ledgerIds(out).sort()).toEqual(ledgerIds(reference).sort());
    noDuplicateLines(out);
  }, 300_000);

  it('Ctrl-C on the coordinator drains its jobs and exits 130; twice leaves them queued; --resume completes the run', async () => {
    const out = join(tmp(), 'ctrl-c');
    const ws = [worker('cc'), worker('cc')];
    const c1 = coordinator('cc', out, ['--queue-window', '4']);
    await waitFor('5 committed problems', () => ledgerIds(out).length >= 5);
    c1.child.kill('SIGINT');
    expect(await c1.exit).toBe(130);
    expect(c1.stderr()).toContain('Continue with:');
    const afterFirst = ledgerIds(out).length;
    expect(afterFirst).toBeLessThan(N);
    // Drained: nothing of this run is left in the queue.
    expect(redis.cli('LLEN', 'bull:cc:wait')).toBe('0');
    expect(redis.cli('LLEN', 'bull:cc:active')).toBe('0');

    // A wider window, so that the drain outlasts the second signal.
    const c2 = coordinator('cc', out, ['--queue-window', '16', '--resume']);
    await waitFor('5 more committed problems', () => ledgerIds(out).length >= afterFirst + 5);
    c2.child.kill('SIGINT');
    // Signals of one kind do not queue: the second must come after the first was handled.
    await waitFor('the first SIGINT to be handled', () => c2.stderr().includes('stopping after'), 10_000);
    c2.child.kill('SIGINT');
    expect(await c2.exit).toBe(130);
    expect(c2.stderr()).toContain('stay in the queue');
    const left = ['wait', 'active'].map((k) => Number(redis.cli('LLEN', `bull:cc:${k}`))).reduce((a, b) => a + b, 0) + Number(redis.cli('ZCARD', 'bull:cc:completed'));
    expect(left).toBeGreaterThan(0);

    const c3 = coordinator('cc', out, ['--queue-window', '4', '--resume']);
    expect(await c3.exit, c3.stderr()).toBe(0);
    await stopAll(ws);
    expect(recordSet(out)).toEqual(recordSet(reference));
    noDuplicateLines(out);
  }, 300_000);
});

describe.skipIf(missing !== undefined)('queue workers: faults, refusals, shutdown', () => {
  let redis: RedisServer;
  const procs: Proc[] = [];
  const scripted = ['--set', 'policy.kind="scripted"', '--set', 'reward.kind="scripted"', '--set', 'verifiers.math.kind="exact-answer"'];
  const faulty = (options: Record<string, string[] | number>, budget: Record<string, unknown> = {}): string => {
    const dir = tmp();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ pluginModules: [join(repoRoot, 'test/fixtures/faulty-plugins.mjs')], policy: { kind: 'faulty', options: { errorRate: 0.3, ...options } }, reward: { kind: 'scripted' }, verifiers: { math: { kind: 'exact-answer' } }, budget }));
    return file;
  };
  const worker = (queueName: string, extra: string[] = []): Proc => {
    const p = start(['worker', '--queue', redis.url, '--queue-name', queueName, '--workers', '1', '--lock-duration', '1500', '--status-every', '0', ...extra]);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    await redis?.stop();
  });

  it('a problem that ends its worker thread every time fails its attempts and goes to errors.jsonl; the others are searched', async () => {
    const problems = generateArithProblems({ count: 6, seed: 0 });
    const target = problems[3].id;
    const out = join(tmp(), 'out');
    const w = worker('poison');
    const c = start(['run', '--count', '6', '--config', faulty({ exitOn: [target] }), '--queue', redis.url, '--queue-name', 'poison', '--out', out, '--quiet', '--max-failures', '1']);
    procs.push(c);
    expect(await c.exit, c.stderr()).toBe(0);
    const errors = lines(out, 'errors.jsonl').map((l) => JSON.parse(l) as { problemId: string; message: string; attempts: number });
    expect(errors.map((e) => e.problemId)).toEqual([target]);
    expect(errors[0].message).toMatch(/^worker failed: /);
    expect(errors[0].attempts).toBe(2);
    expect(ledgerIds(out)).toHaveLength(6);
    w.child.kill('SIGTERM');
    expect(await w.exit).toBe(0);
  }, 120_000);

  it('a problem whose worker process is killed --max-attempts times is committed as an error, like a local failure', async () => {
    const problems = generateArithProblems({ count: 3, seed: 0 });
    const target = problems[1].id;
    const out = join(tmp(), 'out');
    const c = start(['run', '--count', '3', '--config', faulty({ hangOn: [target] }), '--queue', redis.url, '--queue-name', 'stall', '--out', out, '--quiet', '--max-failures', '1', '--max-attempts', '2']);
    procs.push(c);
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      // The job's key is found by its id; its stall count and lock tell which worker holds it.
      const jobKey = async (): Promise<string | undefined> => (await client.keys('bull:stall:*')).find((k) => k.endsWith(`.${target}`));
      // Twice: wait until a (new) worker holds the hanging job, then kill its process.
      for (let k = 0; k < 2; k++) {
        const w = worker('stall');
        const deadline = Date.now() + 60_000;
        for (;;) {
          const key = await jobKey();
          const held = key !== undefined && (await client.exists(`${key}:lock`)) === 1 && Number((await client.hget(key, 'stc')) ?? 0) === k && (await client.lrange('bull:stall:active', 0, -1)).some((id) => key.endsWith(id));
          if (held) break;
          if (Date.now() > deadline) throw new Error(`the hanging job was never taken:\n${w.stderr()}\n${c.stderr()}`);
          await sleep(50);
        }
        await sleep(300);
        w.child.kill('SIGKILL');
        await w.exit;
      }
      const last = worker('stall');
      expect(await c.exit, c.stderr()).toBe(0);
      const errors = lines(out, 'errors.jsonl').map((l) => JSON.parse(l) as { problemId: string; message: string });
      expect(errors.map((e) => e.problemId)).toEqual([target]);
      expect(errors[0].message).toContain('lost its worker 2 times');
      expect(ledgerIds(out).sort()).toEqual(problems.map((p) => p.id).sort());
      last.child.kill('SIGTERM');
      expect(await last.exit).toBe(0);
    } finally {
      client.disconnect();
    }
  }, 180_000);

  it('a job from another version, or whose config hashes differently, is refused and stays queued; the coordinator hears of it', async () => {
    const config = parseConfig({ policy: { kind: 'scripted' }, reward: { kind: 'scripted' }, verifiers: { math: { kind: 'exact-answer' } } });
    const hash = configHash(config);
    const runId = runIdFor(hash, resolve(tmp()));
    const problem = generateArithProblems({ count: 1, seed: 9 })[0];
    const queue = new Queue('refuse', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }) });
    const base: QueueJobData = { schema: JOB_SCHEMA, runId, problem, config, configHash: hash, version: '0.0.0-other', baseDir: repoRoot, maxAttempts: 2 };
    await queue.add(JOB_NAME, base, { jobId: jobIdFor(runId, 'v') });
    await queue.add(JOB_NAME, { ...base, version: (await import('../../src/version.js')).VERSION, configHash: 'ffffffffffffffff' }, { jobId: jobIdFor(runId, 'h') });
    const notices: string[] = [];
    const coordinator = await QueueCoordinator.open({ url: redis.url, name: 'refuse', onNotice: (m) => notices.push(m) }, { runId, config, configHash: hash, baseDir: repoRoot, maxAttempts: 2 });
    const w = worker('refuse');
    try {
      await waitFor('both refusals', () => (w.stderr().match(/refusing the jobs of run/g) ?? []).length >= 2, 30_000);
      expect(w.stderr()).toContain('started by mcts-gen 0.0.0-other');
      expect(w.stderr()).toContain('hashes to');
      await waitFor('the coordinator\'s notices', () => notices.filter((n) => n.includes('refuses this run')).length >= 2, 30_000);
      for (const id of [jobIdFor(runId, 'v'), jobIdFor(runId, 'h')]) {
        const state = await queue.getJobState(id);
        expect(['delayed', 'waiting', 'active']).toContain(state);
      }
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await coordinator.close();
      await queue.obliterate({ force: true });
      await queue.close();
      w.child.kill('SIGTERM');
      await w.exit;
    }
  }, 90_000);

  it('SIGTERM: a worker finishes its job and exits 0; a second SIGTERM puts the job back for another worker', async () => {
    const out = join(tmp(), 'out');
    // Slow searches (every policy call waits 25 ms) so that a job is in flight when the signal comes.
    const c = start(['run', '--count', '4', '--config', faulty({ delayMs: 25 }, { simulations: 200, generatedTokens: null }), '--queue', redis.url, '--queue-name', 'term', '--out', out, '--quiet', '--queue-window', '1']);
    procs.push(c);
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      const active = async (): Promise<number> => client.llen('bull:term:active');
      const w1 = worker('term');
      await waitFor('w1 to start', () => w1.stderr().includes('serving'), 30_000);
      while ((await active()) === 0) await sleep(20);
      w1.child.kill('SIGTERM');
      expect(await w1.exit).toBe(0);
      expect(w1.stderr()).toMatch(/stopped after 1 jobs .*0 put back/);
      await waitFor('the first problem committed', () => ledgerIds(out).length === 1, 30_000);

      const w2 = worker('term');
      await waitFor('w2 to start', () => w2.stderr().includes('serving'), 30_000);
      while ((await active()) === 0) await sleep(20);
      await sleep(200);
      w2.child.kill('SIGTERM');
      await sleep(100);
      w2.child.kill('SIGTERM');
      expect(await w2.exit).toBe(0);
      expect(w2.stderr()).toContain('1 put back');
      expect(ledgerIds(out)).toHaveLength(1);

      const w3 = worker('term');
      expect(await c.exit, c.stderr()).toBe(0);
      expect(ledgerIds(out)).toHaveLength(4);
      expect(lines(out, 'errors.jsonl')).toEqual([]);
      w3.child.kill('SIGTERM');
      expect(await w3.exit).toBe(0);
    } finally {
      client.disconnect();
    }
  }, 180_000);

  it('the CLI: clear errors for a bad URL, an unreachable Redis (no run directory left behind), and a worker without --queue', () => {
    const out = join(tmp(), 'out');
    const bad = spawnSync(process.execPath, [bin, 'run', '--count', '2', '--queue', 'http://localhost:6379', '--out', out], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--queue must be redis://HOST:PORT');
    const down = spawnSync(process.execPath, [bin, 'run', '--count', '2', ...scripted, '--queue', 'redis://127.0.0.1:1', '--out', out], { encoding: 'utf8' });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/QUEUE_FAILED.*cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(existsSync(out)).toBe(false);
    const w = spawnSync(process.execPath, [bin, 'worker'], { encoding: 'utf8' });
    expect(w.status).toBe(2);
    expect(w.stderr).toContain('worker needs --queue');
  }, 60_000);
});
