// `mcts-gen verify math` end to end: a temp JSONL file in, one output line per non-blank input line,
// bad lines reported as file:line on stderr while processing goes on, a summary on stderr.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyMathCommand } from '../../../verifiers/math/command.js';
import { captureIO } from '../../helpers/streams.js';

const dir = mkdtempSync(join(tmpdir(), 'mcg-verify-math-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(stdinText?: string) {
  const c = captureIO(dir, stdinText);
  return { io: c, out: c.out, err: c.err };
}

const lines = [
  JSON.stringify({ gold: '\\frac{1}{2}', pred: 'So the answer is $0.5$.' }),
  JSON.stringify({ gold: '2,125', pred: 'He pays 2,000 + 125 = <<2000+125=2125>>2125\n#### 2125', id: 'extra fields are ignored' }),
  '',
  '{"gold": "3", "pred": ',
  JSON.stringify({ gold: 'x^2-1', pred: '\\boxed{(x-1)(x+1)}' }),
  JSON.stringify({ gold: '7', pred: 'I do not know.' }),
  JSON.stringify({ gold: '7', pred: '\\boxed{8}' }),
  JSON.stringify({ pred: '\\boxed{8}' }),
];

describe('verifyMathCommand', () => {
  it('writes one line per non-blank input line and goes on after a bad line', async () => {
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const t = io();
    const code = await verifyMathCommand(['--input', 'pairs.jsonl'], t.io);
    expect(code).toBe(1); // one line was not JSON
    const out = t.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => [o.index, o.equal, o.kind, o.reason])).toEqual([
      [0, true, 'pass', 'rational'],
      [1, true, 'pass', 'exact'],
      [2, false, 'error', 'parse_error'],
      [3, true, 'pass', 'symbolic'],
      [4, false, 'fail', 'no_answer'],
      [5, false, 'fail', 'mismatch'],
      [6, false, 'abstain', 'no_reference'],
    ]);
    expect(out[0]).toMatchObject({ extracted: '$0.5$', rule: 'answer-is' });
    expect(out[1]).toMatchObject({ extracted: '2125', rule: 'gsm8k' });
    expect(t.err()).toContain('pairs.jsonl:4: invalid JSON');
    expect(t.err()).toContain('pairs.jsonl:8: no "gold" field');
    expect(t.err()).toMatch(/7 line\(s\): pass 3, fail 2, error 1, abstain 1; reasons: .*parse_error 1/);
  });

  it('reads stdin with "-", writes --output, and honours --gold-field/--pred-field and option overrides', async () => {
    const t = io(`${JSON.stringify({ answer: '28\\%', response: '\\boxed{0.28}' })}\n`);
    const code = await verifyMathCommand(['--input', '-', '--output', 'out.jsonl', '--gold-field', 'answer', '--pred-field', 'response', '--percent', 'strip'], t.io);
    expect(code).toBe(0);
    expect(t.out()).toBe('');
    const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([{ index: 0, equal: false, kind: 'fail', reason: 'mismatch', extracted: '0.28', rule: 'boxed' }]);
  });

  it('compares a bare prediction as it is, and still extracts from a whole output', async () => {
    const rows = [
      { gold: '\\frac{1}{2}', pred: '0.5' },
      { gold: '0.5', pred: '\\frac{1}{2}' },
      { gold: '2', pred: 'x=2' },
      { gold: '3', pred: ' 4 ' },
      { gold: '7', pred: 'The total is 7' },
      { gold: '7', pred: 'So the answer is 7.' },
    ];
    writeFileSync(join(dir, 'bare.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const t = io();
    expect(await verifyMathCommand(['--input', 'bare.jsonl'], t.io)).toBe(0);
    const out = t.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => [o.equal, o.kind, o.rule])).toEqual([
      [true, 'pass', 'bare'],
      [true, 'pass', 'bare'],
      [true, 'pass', 'bare'],
      [false, 'fail', 'bare'],
      // A sentence is a model output, not a bare answer: without a marker it has none.
      [false, 'fail', null],
      [true, 'pass', 'answer-is'],
    ]);
    expect(out[3]).toMatchObject({ reason: 'mismatch', extracted: '4' });
    expect(out[4]).toMatchObject({ reason: 'no_answer' });
  });

  it('--tolerance changes the numeric rung', async () => {
    const input = `${JSON.stringify({ gold: '\\frac{1}{3}', pred: '\\boxed{0.3333}' })}\n`;
    const strict = io(input);
    await verifyMathCommand(['-i', '-'], strict.io);
    expect(JSON.parse(strict.out()).equal).toBe(false);
    const loose = io(input);
    await verifyMathCommand(['-i', '-', '--tolerance', '1e-3'], loose.io);
    expect(JSON.parse(loose.out()).equal).toBe(true);
  });

  it('prints help, and rejects bad usage with exit code 2', async () => {
    const help = io();
    expect(await verifyMathCommand(['--help'], help.io)).toBe(0);
    expect(help.out()).toContain('usage: mcts-gen verify math');
    const missing = io();
    expect(await verifyMathCommand([], missing.io)).toBe(2);
    expect(missing.err()).toContain('--input is required');
    const unknown = io();
    expect(await verifyMathCommand(['--input', 'x', '--bogus'], unknown.io)).toBe(2);
    const badValue = io();
    expect(await verifyMathCommand(['--input', '-', '--tolerance', '5'], badValue.io)).toBe(2);
    expect(badValue.err()).toContain('--tolerance must be a number in [0, 1], got 5');
    const badRule = io();
    expect(await verifyMathCommand(['--input', '-', '--priority', 'boxd'], badRule.io)).toBe(2);
    expect(badRule.err()).toContain('--priority[0] must be one of "boxed"');
    const noFile = io();
    expect(await verifyMathCommand(['--input', 'absent.jsonl'], noFile.io)).toBe(2);
    expect(noFile.err()).toContain('absent.jsonl: no such file');
  });
});
