// `mcts-gen verify code`: the CLI handler end to end, from a temp file or stdin to JSONL lines.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCodeCommand } from '../../../verifiers/code/command.js';

const dir = mkdtempSync(join(tmpdir(), 'mcg-verify-code-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runCommand(args: string[], stdinText = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = collect();
  const stderr = collect();
  const code = await verifyCodeCommand(args, { stdin: Readable.from([stdinText]), stdout: stdout.stream, stderr: stderr.stream, cwd: dir });
  return { code, out: stdout.text(), err: stderr.text() };
}

const HUMANEVAL_LINE = JSON.stringify({
  task_id: 'JavaScript/53',
  prompt: 'const add = (x, y) => {\n',
  canonical_solution: '  return x + y;\n};\n',
  test: 'const testAdd = () => {\n  console.assert(add(2, 3) === 5)\n  console.assert(add(5, 7) === 12)\n}\ntestAdd()\n',
  declaration: 'const add = (x, y) => {\n',
});
const SLOW_PASS_LINE = JSON.stringify({ code: 'let s = 0; for (let i = 0; i < 2e7; i++) s += i;', tests: 'console.assert(s > 0)' });
const NATIVE_FAIL_LINE = JSON.stringify({ code: 'const sq = (x) => x * 2;', tests: ['console.assert(sq(2) === 4)', 'console.assert(sq(3) === 9)'] });
const MBJSP_NO_SOLUTION = JSON.stringify({ task_id: 'MBJSP/9', prompt: 'function f(a) {\n', entry_point: 'f', canonical_solution: null, test: 'f(1)', language: 'javascript' });
const LOOP_LINE = JSON.stringify({ code: 'while (true) {}', tests: 'console.assert(true)' });

function parseLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('verify code command', () => {
  it('writes one line per input line, in order, reporting bad lines and going on', { timeout: 90_000 }, async () => {
    const input = join(dir, 'tasks.jsonl');
    writeFileSync(input, [SLOW_PASS_LINE, HUMANEVAL_LINE, '{not json', '', NATIVE_FAIL_LINE, '{"foo": 1}', MBJSP_NO_SOLUTION, LOOP_LINE, HUMANEVAL_LINE].join('\n') + '\n');
    const { code, out, err } = await runCommand(['--input', 'tasks.jsonl', '--concurrency', '2', '--cpu-time-ms', '300']);
    expect(code).toBe(0);
    expect(parseLines(out)).toEqual([
      { index: 0, passed: true, kind: 'pass', reason: 'pass', tests: { passed: 1, total: 1 } },
      { index: 1, task_id: 'JavaScript/53', passed: true, kind: 'pass', reason: 'pass', tests: { passed: 2, total: 2 } },
      { index: 2, passed: false, kind: 'error', reason: 'parse_error', tests: { passed: 0, total: 0 } },
      { index: 3, passed: false, kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 2 } },
      { index: 4, passed: false, kind: 'error', reason: 'invalid_input', tests: { passed: 0, total: 0 } },
      { index: 5, task_id: 'MBJSP/9', passed: false, kind: 'abstain', reason: 'no_answer', tests: { passed: 0, total: 0 } },
      { index: 6, passed: false, kind: 'fail', reason: 'timeout', tests: { passed: 0, total: 1 } },
      { index: 7, task_id: 'JavaScript/53', passed: true, kind: 'pass', reason: 'pass', tests: { passed: 2, total: 2 } },
    ]);
    expect(err).toContain('tasks.jsonl:3: invalid JSON');
    expect(err).toContain('tasks.jsonl:6: not a code task');
    expect(err).toContain('verify code: 8 lines: 3 passed, 2 failed, 2 errors, 1 abstained');
  });

  it('reads stdin with --input -, writes --output, and adds detail with --verbose', { timeout: 60_000 }, async () => {
    const { code, out, err } = await runCommand(['-i', '-', '-o', 'out.jsonl', '--verbose'], `${NATIVE_FAIL_LINE}\n{bad\n`);
    expect(code).toBe(0);
    expect(out).toBe('');
    const lines = parseLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ index: 0, kind: 'fail', reason: 'assertion', detail: expect.stringContaining('test 2 of 2') });
    expect(err).toContain('<stdin>:2: invalid JSON');
  });

  it('prints help and rejects bad arguments without running anything', async () => {
    const help = await runCommand(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: mcts-gen verify code --input');
    expect((await runCommand([])).code).toBe(2);
    const bad = await runCommand(['--input', 'x.jsonl', '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--concurrency must be an integer in [1, 64], got 0');
    const unknown = await runCommand(['--input', 'x.jsonl', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("Unknown option '--bogus'");
  });

  it('does not parse an over-long line, and fails programs over --max-code-chars unrun', { timeout: 60_000 }, async () => {
    const huge = JSON.stringify({ code: `const s = "${'x'.repeat(700_000)}";`, tests: 'console.assert(true)' });
    const long = JSON.stringify({ code: `const s = "${'y'.repeat(2000)}";`, tests: 'console.assert(true)' });
    writeFileSync(join(dir, 'huge.jsonl'), `${huge}\n${long}\n${HUMANEVAL_LINE}\n`);
    const first = await runCommand(['--input', 'huge.jsonl']);
    expect(first.code).toBe(0);
    expect(parseLines(first.out).map((l) => `${l.kind}/${l.reason}`)).toEqual(['error/too_large', 'pass/pass', 'pass/pass']);
    expect(first.err).toContain('huge.jsonl:1: line of 700');
    const second = await runCommand(['--input', 'huge.jsonl', '--max-code-chars', '1000']);
    expect(parseLines(second.out).map((l) => `${l.kind}/${l.reason}`)).toEqual(['error/too_large', 'fail/too_large', 'pass/pass']);
  });

  it('returns 1 when the input file cannot be read', async () => {
    const { code, err } = await runCommand(['--input', 'missing.jsonl']);
    expect(code).toBe(1);
    expect(err).toContain('cannot read missing.jsonl');
  });
});
