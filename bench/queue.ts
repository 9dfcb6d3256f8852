// bench:queue — problems/s through a Redis queue (BullMQ) with 1 and 2 worker processes, next to the
// local pool with 1 and 2 threads, on the built-in task (embedded policy and PRM, default config);
// then the queue's own cost per problem, measured with searches that cost almost nothing. Every
// queued run is checked against the local run's records. Starts its own redis-server on loopback.
// Run: npm run bench:queue [-- --problems 100 --trivial 400]   (needs npm run build and redis-server)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { redisMissing, RedisServer } from './redis-server.js';

const { values } = parseArgs({ options: { problems: { type: 'string', default: '100' }, trivial: { type: 'string', default: '400' } } });
const count = Number(values.problems);
const trivialCount = Number(values.trivial);
const bin = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
const missing = redisMissing();
if (missing !== undefined) {
  console.log(`bench:queue skipped: ${missing}`);
  process.exit(0);
}

const builtin = ['--count', String(count), '--seed', '1'];
// Searches that cost almost nothing: one simulation of the scripted policy.
const trivial = ['--count', String(trivialCount), '--seed', '1', '--set', 'policy.kind="scripted"', '--set', 'reward.kind="scripted"', '--set', 'verifiers.math.kind="exact-answer"', '--set', 'budget.simulations=1'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-bench-queue-'));
}

function runCli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr }))) };
}

function recordSet(dir: string): string {
  return ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl']
    .map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').sort().join('\n'))
    .join('\n--\n');
}

/** A local run with `threads` pool threads; wall ms including process and pool start-up. */
async function local(args: string[], threads: number): Promise<{ ms: number; dir: string }> {
  const dir = join(tmp(), 'out');
  const t0 = performance.now();
  const r = await runCli(['run', ...args, '--workers', String(threads), '--out', dir, '--quiet']).done;
  if (r.code !== 0) throw new Error(`local run failed:\n${r.stderr}`);
  return { ms: performance.now() - t0, dir };
}

let queueNo = 0;
/** A queued run: the coordinator and `procs` worker processes of one thread each, all started together. */
async function queued(redis: RedisServer, args: string[], procs: number): Promise<{ ms: number; dir: string }> {
  const dir = join(tmp(), 'out');
  const name = `bench${queueNo++}`;
  const t0 = performance.now();
  const workers = Array.from({ length: procs }, () => runCli(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', '--status-every', '0']));
  const r = await runCli(['run', ...args, '--queue', redis.url, '--queue-name', name, '--out', dir, '--quiet']).done;
  const ms = performance.now() - t0;
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.done));
  if (r.code !== 0) throw new Error(`queued run failed:\n${r.stderr}`);
  return { ms, dir };
}

const redis = await RedisServer.start();
try {
  const rows: { mode: string; ms: number; same?: boolean }[] = [];
  const l1 = await local(builtin, 1);
  rows.push({ mode: 'local pool, 1 thread', ms: l1.ms });
  const l2 = await local(builtin, 2);
  rows.push({ mode: 'local pool, 2 threads', ms: l2.ms });
  const expected = recordSet(l1.dir);
  const q1 = await queued(redis, builtin, 1);
  rows.push({ mode: 'queue, 1 worker process', ms: q1.ms, same: recordSet(q1.dir) === expected });
  const q2 = await queued(redis, builtin, 2);
  rows.push({ mode: 'queue, 2 worker processes', ms: q2.ms, same: recordSet(q2.dir) === expected });

  console.log(`${count} built-in problems, default config (MCTS, embedded policy and PRM, 600 generated tokens each); wall time includes process, pool and model start-up`);
  console.log('mode                          wall s  problems/s  records = local');
  for (const r of rows) console.log(`${r.mode.padEnd(28)} ${(r.ms / 1000).toFixed(1).padStart(7)}  ${((count / r.ms) * 1000).toFixed(2).padStart(10)}  ${r.same === undefined ? '(reference)' : r.same ? 'yes' : 'NO'}`);
  console.log(`queue vs local pool at 1 worker: ${(((q1.ms - l1.ms) / count)).toFixed(1)} ms per problem (${(((q1.ms - l1.ms) / l1.ms) * 100).toFixed(1)} %)`);
  console.log(`queue vs local pool at 2 workers: ${(((q2.ms - l2.ms) / count)).toFixed(1)} ms per problem (${(((q2.ms - l2.ms) / l2.ms) * 100).toFixed(1)} %)`);

  // The queue's own cost: the same comparison when a search costs next to nothing.
  const t1 = await local(trivial, 1);
  const tq = await queued(redis, trivial, 1);
  const same = recordSet(tq.dir) === recordSet(t1.dir);
  console.log(`\n${trivialCount} trivial searches (scripted policy, 1 simulation), 1 thread`);
  console.log(`local pool: ${(t1.ms / 1000).toFixed(2)} s (${((t1.ms / trivialCount)).toFixed(2)} ms per problem); queue: ${(tq.ms / 1000).toFixed(2)} s (${((tq.ms / trivialCount)).toFixed(2)} ms per problem); records = local: ${same ? 'yes' : 'NO'}`);
  console.log(`queue overhead per problem: ${(((tq.ms - t1.ms) / trivialCount)).toFixed(2)} ms (enqueue, a worker's fetch, the result back, commit, removal)`);
  for (const r of [l1, l2, q1, q2, t1, tq]) rmSync(join(r.dir, '..'), { recursive: true, force: true });
} finally {
  await redis.stop();
}
