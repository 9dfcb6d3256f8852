import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { repoRoot } from '../helpers/shared-data.js';
import { captureIO } from '../helpers/streams.js';

const bin = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** The scripted policy and reward model: fast and exact, for tests of the run machinery. */
const SCRIPTED = ['--set', 'policy.kind="scripted"', '--set', 'reward.kind="scripted"'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-cli-'));
}

describe('mcts-gen CLI', () => {
  it('run on the built-in task (embedded models, default settings) writes the data files and a readable summary', async () => {
    const out = join(tmp(), 'out');
    const io = captureIO();
    expect(await main(['run', '--out', out, '--count', '6', '--seed', '3'], io)).toBe(0);
    for (const f of ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'summary.json', 'ledger.jsonl']) expect(existsSync(join(out, f))).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.problems.committed).toBe(6);
    expect(summary.seed).toBe(3);
    expect(io.err()).toContain('6 problems in');
    expect(io.err()).toMatch(/wrote \d+ traces, \d+ pairs, \d+ step records/);
    expect(io.err()).toMatch(/of tokens on duplicate steps; \d+ false arithmetic steps caught/);
    // The default search samples without replacement and checks every step.
    expect(summary.search.duplicateTokenShare).toBeLessThan(0.15);
    const traces = readFileSync(join(out, 'traces.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    for (const t of traces) for (const v of t.verdicts.steps) expect(['pass', 'abstain']).toContain(v);
    // Data goes to files, never to stdout.
    expect(io.out()).toBe('');
  }, 120_000);

  it('each algorithm runs from the command line', async () => {
    for (const algorithm of ['greedy', 'best-of-n', 'self-consistency', 'beam', 'mcts']) {
      const io = captureIO();
      expect(await main(['run', '--out', join(tmp(), 'o'), '--count', '3', '--algorithm', algorithm, '--quiet', ...SCRIPTED], io)).toBe(0);
      expect(io.err()).toBe('');
    }
  });

  it('config mistakes exit 2 and name the key path', async () => {
    const io = captureIO();
    expect(await main(['run', '--out', join(tmp(), 'o'), '--set', 'search.widht=3'], io)).toBe(2);
    expect(io.err()).toContain('mcts-gen: error [CONFIG_INVALID]: --set: search.widht is not a known key; did you mean "width"?');
    const io2 = captureIO();
    expect(await main(['run', '--out', join(tmp(), 'o'), '--algorithm', 'mtcs'], io2)).toBe(2);
    expect(io2.err()).toContain('algorithm must be one of');
    const io3 = captureIO();
    expect(await main(['run', '--bogus'], io3)).toBe(2);
    expect(io3.err()).toContain("Unknown option '--bogus'");
  });

  it('a bad input line exits 2 naming file:line; skip mode goes on', async () => {
    const dir = tmp();
    const input = join(dir, 'in.jsonl');
    const gen = captureIO();
    expect(await main(['problems', 'arith', '--count', '2', '--seed', '1'], gen)).toBe(0);
    const [a, b] = gen.out().trim().split('\n');
    writeFileSync(input, `${a}\n{"oops"\n${b}\n`);
    const io = captureIO();
    expect(await main(['run', '--problems', input, '--out', join(dir, 'o1')], io)).toBe(2);
    expect(io.err()).toContain('[INPUT_INVALID]: in.jsonl:2: invalid JSON');
    const io2 = captureIO();
    expect(await main(['run', '--problems', input, '--out', join(dir, 'o2'), '--on-bad-input', 'skip'], io2)).toBe(0);
    expect(io2.err()).toContain('2 problems in');
    expect(io2.err()).toContain('1 rejected inputs');
  });

  it('problems arith writes JSONL that run reads back', async () => {
    const io = captureIO();
    expect(await main(['problems', 'arith', '--count', '4', '--seed', '9'], io)).toBe(0);
    const rows = io.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ id: 'arith-9-0', domain: 'math', answer: expect.any(String) });
    const file = join(tmp(), 'p.jsonl');
    writeFileSync(file, io.out());
    const run = captureIO();
    expect(await main(['run', '--problems', file, '--out', join(tmp(), 'o'), '--quiet'], run)).toBe(0);
  });

  it('help is there for every command', async () => {
    for (const args of [['--help'], ['help', 'run'], ['run', '--help'], ['problems', '--help'], ['verify', '--help']]) {
      const io = captureIO();
      expect(await main(args, io)).toBe(0);
      expect(io.out()).toMatch(/Usage|mcts-gen/);
    }
    const io = captureIO();
    expect(await main([], io)).toBe(2);
    const bad = captureIO();
    expect(await main(['frobnicate'], bad)).toBe(2);
    expect(bad.err()).toContain('unknown command "frobnicate"');
  });

  it('the built binary runs end to end', () => {
    const out = join(tmp(), 'out');
    const r = spawnSync(process.execPath, [bin, 'run', '--out', out, '--count', '4', ...SCRIPTED], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('4 problems in');
    expect(readFileSync(join(out, 'traces.jsonl'), 'utf8').length).toBeGreaterThan(0);
  });

  it('SIGINT stops after the problem in flight, prints the resume command, and --resume finishes the run', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const args = [bin, 'run', '--out', out, '--count', '400', '--set', 'budget.simulations=200', ...SCRIPTED];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Interrupt once the first problems are committed.
    const ledger = join(out, 'ledger.jsonl');
    while (!(existsSync(ledger) && readFileSync(ledger, 'utf8').length > 0)) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('stopping after the problem in flight');
    expect(stderr).toContain('--resume');
    const committed = readFileSync(join(out, 'ledger.jsonl'), 'utf8').trim().split('\n').length;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(400);
    const resumed = spawnSync(process.execPath, [...args, '--count', '400', '--resume', '--quiet'], { encoding: 'utf8' });
    expect(resumed.status).toBe(0);
    expect(readFileSync(join(out, 'ledger.jsonl'), 'utf8').trim().split('\n')).toHaveLength(400);
  });
});

describe('import isolation', () => {
  function loaded(code: string): string[] {
    const script = `
      import { createRequire } from 'node:module';
      ${code}
      const cache = Object.keys(createRequire(import.meta.url).cache);
      const hits = ['onnxruntime-node', 'isolated-vm', 'bullmq', 'ioredis'].filter((m) => cache.some((k) => k.includes('/node_modules/' + m + '/')));
      console.log(JSON.stringify(hits));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  it('importing mcts-gen loads neither onnxruntime-node nor isolated-vm, nor the queue\'s bullmq and ioredis', () => {
    expect(loaded(`const m = await import('mcts-gen'); if (typeof m.search !== 'function') throw new Error('no search');`)).toEqual([]);
  });

  it('the check detects those modules when they are loaded', () => {
    expect(loaded(`await import('onnxruntime-node'); await import('isolated-vm'); await import('mcts-gen/queue');`)).toEqual(['onnxruntime-node', 'isolated-vm', 'bullmq', 'ioredis']);
  });
});
