// The queue's data checks, without a Redis: URLs, job ids, job data and results, the progress line.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { progressLine } from '../../src/cli/progress.js';
import { generateArithProblems, type RunProgress } from '../../src/index.js';
import { checkQueueOptions, jobIdFor, JOB_SCHEMA, parseJobData, parseJobResult, parseQueueTarget, runIdFor } from '../../src/queue/index.js';
import { captureIO } from '../helpers/streams.js';

const problem = generateArithProblems({ count: 1, seed: 0 })[0];

describe('queue target', () => {
  it('accepts redis:// and rediss:// URLs with a database, and hides the password in messages', () => {
    expect(parseQueueTarget('redis://127.0.0.1:6379').name).toBe('mcts-gen');
    expect(parseQueueTarget('redis://box:6380/2', 'gpu_runs').name).toBe('gpu_runs');
    expect(parseQueueTarget('rediss://cache.example.com:6380').url).toBe('rediss://cache.example.com:6380');
    const t = parseQueueTarget('redis://:s3cret@box:6379/1');
    expect(t.url).toContain('s3cret');
    expect(t.display).not.toContain('s3cret');
    expect(t.display).toContain('***@box:6379/1');
  });

  it('rejects what is not a Redis URL, naming the problem', () => {
    expect(() => parseQueueTarget('http://box:6379')).toThrow(/scheme must be redis: or rediss:/);
    expect(() => parseQueueTarget('box:6379')).toThrow(/--queue must be redis:\/\/HOST:PORT/);
    expect(() => parseQueueTarget('redis://box:6379/db')).toThrow(/database must be a number/);
    expect(() => parseQueueTarget('redis://box:6379?x=1')).toThrow(/query strings/);
    expect(() => parseQueueTarget('redis://box:6379', 'a:b')).toThrow(/--queue-name/);
    expect(() => checkQueueOptions({ url: 'redis://box:6379', window: 0 })).toThrow(/window must be an integer/);
  });
});

describe('job ids', () => {
  it('one job per (run, problem): stable, free of ":" (BullMQ forbids it), distinct for ids that make the same safe text', () => {
    const run = runIdFor('abc', '/data/out');
    expect(run).toMatch(/^[0-9a-f]{16}$/);
    expect(runIdFor('abc', '/data/out')).toBe(run);
    expect(runIdFor('abc', '/data/out2')).not.toBe(run);
    expect(runIdFor('abd', '/data/out')).not.toBe(run);
    expect(jobIdFor(run, 'arith-0-1')).toBe(`${run}.arith-0-1`);
    const a = jobIdFor(run, 'gsm8k:12');
    const b = jobIdFor(run, 'gsm8k_12');
    expect(a).not.toContain(':');
    expect(a).not.toBe(b);
    expect(jobIdFor(run, 'gsm8k:12')).toBe(a);
    expect(jobIdFor(run, 'x'.repeat(256)).length).toBeLessThan(160);
  });
});

describe('job data and results', () => {
  const data = { schema: JOB_SCHEMA, runId: 'a'.repeat(16), problem, config: { seed: 1 }, configHash: 'h', version: '0.1.0', baseDir: '/', maxAttempts: 2 };

  it('a job is checked before it is searched: a bad key is named', () => {
    expect(parseJobData(data).problem.id).toBe(problem.id);
    expect(() => parseJobData({ ...data, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => parseJobData({ ...data, problem: { ...problem, id: '' } })).toThrow(/problem\.id/);
    expect(() => parseJobData({ ...data, schema: 'other/1' })).toThrow(/schema/);
    expect(() => parseJobData('text')).toThrow(/malformed job data/);
  });

  it('a malformed result, or the result of another problem, becomes an error outcome and never records', () => {
    const good = { ok: true, problem, attempts: 1, records: { traces: [], pairs: [], steps: [], filters: {} }, stats: { algorithm: 'mcts' } };
    expect(parseJobResult(good, problem).ok).toBe(true);
    const failed = { ok: false, problem, attempts: 2, error: { code: 'PLUGIN_FAILED', message: 'x' } };
    expect(parseJobResult(failed, problem)).toEqual(failed);
    const bad = parseJobResult({ ok: true, problem, attempts: 1, records: { traces: 'no' } }, problem);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: 'QUEUE_FAILED', message: expect.stringContaining('malformed result') });
    const other = parseJobResult({ ...good, problem: { ...problem, id: 'someone-else' } }, problem);
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error.message).toContain('someone-else');
    expect(parseJobResult(null, problem).ok).toBe(false);
  });
});

describe('queue CLI and progress', () => {
  it('the progress line shows workers seen, jobs waiting and active, and a lost Redis', () => {
    const p: RunProgress = { done: 3, total: 10, skipped: 0, succeeded: 1, solved: 1, failures: 0, generatedTokens: 900, elapsedMs: 3000, lastProblemId: 'a', lastOk: true, queue: { workers: 2, waiting: 5, active: 2, outstanding: 7, redisDownMs: 0 } };
    expect(progressLine(p)).toContain('workers 2  queue 5 waiting, 2 active');
    expect(progressLine(p)).not.toContain('unreachable');
    expect(progressLine({ ...p, queue: { ...p.queue!, workers: undefined, redisDownMs: 4000 } })).toMatch(/workers \?.*Redis unreachable 4s/);
  });

  it('queue options need --queue; help names the worker command', async () => {
    const io = captureIO();
    expect(await main(['run', '--queue-name', 'x'], io)).toBe(2);
    expect(io.err()).toContain('--queue-name and --queue-window need --queue');
    const help = captureIO();
    expect(await main(['help', 'worker'], help)).toBe(0);
    expect(help.out()).toContain('mcts-gen worker --queue redis://HOST:PORT');
    const top = captureIO();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.out()).toMatch(/worker\s+take search jobs/);
  });
});
