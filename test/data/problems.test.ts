import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { McgError, parseProblemLine, problemFromRow, readProblems, type BadLine, type Problem } from '../../src/index.js';
import { hasSharedData, sharedDataPath } from '../helpers/shared-data.js';

async function collect(file: string, onBadInput: 'error' | 'skip' = 'error'): Promise<{ problems: Problem[]; bad: BadLine[] }> {
  const problems: Problem[] = [];
  const bad: BadLine[] = [];
  for await (const p of readProblems(file, { onBadInput, onBadLine: (b) => bad.push(b) })) problems.push(p);
  return { problems, bad };
}

function tmpFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mcg-in-')), name);
  writeFileSync(file, text);
  return file;
}

describe('reading problems as published', () => {
  it('native, GSM8K, MATH, HumanEval-X rows', () => {
    const nat = problemFromRow({ id: 'n1', prompt: 'What is 2+2?', answer: '4', extra: 1 });
    expect(nat).toEqual({ ok: true, problem: { id: 'n1', prompt: 'What is 2+2?', domain: 'math', reference: { answer: '4' } } });
    const gsm = problemFromRow({ question: 'Q?', answer: 'Work 2+2=<<2+2=4>>4\n#### 2,125' });
    expect(gsm.ok && gsm.problem.reference?.answer).toBe('2,125');
    expect(gsm.ok && gsm.problem.id).toMatch(/^gsm8k-[0-9a-f]{12}$/);
    const math = problemFromRow({ problem: 'P', solution: 'so \\boxed{\\frac{1}{2}} and \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}', unique_id: 'test/x/1.json' });
    expect(math.ok && math.problem).toMatchObject({ id: 'test/x/1.json', reference: { answer: '\\left( 3, \\frac{\\pi}{2} \\right)' } });
    const he = problemFromRow({ task_id: 'JavaScript/0', prompt: 'const f = () => {', test: 'console.assert(f())', canonical_solution: 'return 1}' });
    expect(he.ok && he.problem).toMatchObject({ id: 'JavaScript/0', domain: 'code', reference: { tests: 'console.assert(f())', prefix: 'const f = () => {', entryPoint: 'f' } });
    const native = problemFromRow({ id: 'c1', prompt: 'Write add', tests: ['assert.equal(add(1, 2), 3)', 'assert.equal(add(0, 0), 0)'] });
    expect(native.ok && native.problem).toMatchObject({ domain: 'code', reference: { tests: ['assert.equal(add(1, 2), 3)', 'assert.equal(add(0, 0), 0)'] } });
  });

  it('bad lines have a defined reason', () => {
    expect(parseProblemLine('{"prompt": "x"')).toMatchObject({ ok: false, reason: expect.stringContaining('invalid JSON') });
    expect(parseProblemLine('[1,2]')).toEqual({ ok: false, reason: 'line is not a JSON object' });
    expect(parseProblemLine('{"prompt": "x"}')).toEqual({ ok: false, reason: 'row has a prompt but neither "answer" nor "tests"' });
    expect(parseProblemLine('{"text": "x"}')).toMatchObject({ ok: false, reason: expect.stringContaining('unrecognised row') });
    expect(parseProblemLine('{"prompt": " ", "answer": "1"}')).toEqual({ ok: false, reason: 'prompt is empty' });
    expect(parseProblemLine(`{"prompt": "${'x'.repeat(1_000_001)}", "answer": "1"}`)).toMatchObject({ ok: false, reason: expect.stringContaining('longer than') });
  });

  it('a bad line fails the read with file:line, or is skipped and reported', async () => {
    const file = tmpFile('in.jsonl', '{"id":"a","prompt":"p","answer":"1"}\n\n{"id":"b","prompt":"q"\n{"id":"a","prompt":"r","answer":"2"}\n{"id":"c","prompt":"s","answer":"3"}\n');
    const err = await collect(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McgError);
    expect((err as McgError).code).toBe('INPUT_INVALID');
    expect((err as McgError).message).toMatch(/^in\.jsonl:3: invalid JSON/);
    const { problems, bad } = await collect(file, 'skip');
    expect(problems.map((p) => p.id)).toEqual(['a', 'c']);
    expect(bad.map((b) => [b.line, b.reason])).toEqual([
      [3, expect.stringContaining('invalid JSON')],
      [4, 'duplicate problem id "a"'],
    ]);
  });

  it('a missing file is an IO error naming it', async () => {
    await expect(collect('/nonexistent/problems.jsonl')).rejects.toMatchObject({ code: 'IO_FAILED', message: expect.stringContaining('/nonexistent/problems.jsonl') });
  });

  it.runIf(hasSharedData('gsm8k_test.jsonl'))('reads all of GSM8K test with its answers', async () => {
    const { problems } = await collect(sharedDataPath('gsm8k_test.jsonl'));
    expect(problems).toHaveLength(1319);
    expect(problems.every((p) => p.domain === 'math' && /^-?[\d,]+$/.test(p.reference!.answer!))).toBe(true);
  });

  it.runIf(hasSharedData('math500_test.jsonl'))('reads all of MATH-500 with its ids and answers', async () => {
    const { problems } = await collect(sharedDataPath('math500_test.jsonl'));
    expect(problems).toHaveLength(500);
    expect(problems[0].id).toMatch(/^test\//);
  });

  it.runIf(hasSharedData('humaneval_x_js.jsonl') && hasSharedData('mbxp_mbjsp_js.jsonl'))('reads HumanEval-X JS and MBJSP as code problems', async () => {
    const he = await collect(sharedDataPath('humaneval_x_js.jsonl'));
    expect(he.problems).toHaveLength(164);
    expect(he.problems.every((p) => p.domain === 'code' && p.reference?.tests !== undefined)).toBe(true);
    const mb = await collect(sharedDataPath('mbxp_mbjsp_js.jsonl'));
    expect(mb.problems).toHaveLength(966);
    expect(mb.problems[0].reference?.entryPoint).toBe('minCost');
  });
});
