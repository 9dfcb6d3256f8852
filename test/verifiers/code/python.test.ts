// Python code tasks: reading published rows, the language of a problem, fences and entry points, the
// verdicts of the Python sandbox, and `verify code` choosing the sandbox per line.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { guessCodeLanguage, parseCodeLanguage, pythonTestScript, type Problem } from '../../../src/core/index.js';
import { problemFromRow } from '../../../src/data/problems.js';
import { verifyCodeCommand } from '../../../verifiers/code/command.js';
import {
  countAssertionSites,
  createCodeVerifier,
  declaresEntryPoint,
  extractCode,
  planProgram,
  toCodeTask,
} from '../../../verifiers/code/index.js';
import { makeContext } from './sandbox-fixture.js';

const MBPP_ROW = {
  task_id: 'MBPP/2',
  prompt: '\n\ndef similar_elements(test_tup1, test_tup2):\n  """\n  Write a function to find the similar elements from the given two tuple lists.\n  """\n',
  canonical_solution: '  \n  res = tuple(set(test_tup1) & set(test_tup2))\n  return (res) ',
  entry_point: 'similar_elements',
  test: '\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n    assert candidate((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n\n',
  language: 'python',
};

const verifier = createCodeVerifier({ poolSize: 1, wallTimeMs: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'mcg-python-'));
afterAll(async () => {
  await verifier.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('python rows and problems', () => {
  it('reads an MBPP row: prompt as prefix, check(candidate) called on the entry point', () => {
    const task = toCodeTask(MBPP_ROW, 0);
    expect(task).toMatchObject({ format: 'mbpp', language: 'python', taskId: 'MBPP/2', code: MBPP_ROW.canonical_solution });
    expect(task.problem.reference).toMatchObject({ language: 'python', entryPoint: 'similar_elements', prefix: MBPP_ROW.prompt });
    expect(task.problem.reference?.tests).toBe(`${MBPP_ROW.test}\ncheck(similar_elements)\n`);
  });

  it('guesses Python from MBPP/ and HumanEval/ ids and from a def-only prompt; JavaScript otherwise', () => {
    expect(guessCodeLanguage('MBPP/7', '')).toBe('python');
    expect(guessCodeLanguage('HumanEval/0', '')).toBe('python');
    expect(guessCodeLanguage('JavaScript/0', 'const f = (x) => {\n')).toBe('javascript');
    expect(guessCodeLanguage(undefined, 'def f(x):\n    """doc"""\n')).toBe('python');
    expect(guessCodeLanguage(undefined, 'function f(x) {\n')).toBe('javascript');
    const { language: _drop, ...noLanguage } = MBPP_ROW;
    expect(toCodeTask(noLanguage, 0).language).toBe('python');
    expect(toCodeTask({ ...noLanguage, task_id: 'HumanEval/3' }, 0).format).toBe('humaneval-py');
  });

  it('native rows are JavaScript unless they or --language say python; a bad language names the row', () => {
    expect(toCodeTask({ code: 'x = 1', tests: 'assert x == 1' }, 0).language).toBe('javascript');
    expect(toCodeTask({ code: 'x = 1', tests: 'assert x == 1' }, 0, 'python').language).toBe('python');
    expect(toCodeTask({ code: 'x = 1', tests: 'assert x == 1', language: 'Python3' }, 0, 'javascript').language).toBe('python');
    expect(() => toCodeTask({ code: 'x', tests: 'y', language: 'ruby' }, 5)).toThrow(/row 5: "language" must be "javascript" or "python", got "ruby"/);
    expect(parseCodeLanguage('PY')).toBe('python');
    expect(parseCodeLanguage('node')).toBe('javascript');
    expect(parseCodeLanguage('go')).toBeUndefined();
  });

  it('renames the test function when the entry point is itself called check', () => {
    const script = pythonTestScript('def check(candidate):\n    assert candidate(1) == 2\n', 'check');
    expect(script).toBe('def check__test(candidate):\n    assert candidate(1) == 2\n\ncheck__test(check)\n');
    expect(pythonTestScript('def check(c):\n    pass\ncheck(f)\n', 'f')).toBe('def check(c):\n    pass\ncheck(f)\n');
    expect(pythonTestScript('assert f(1) == 2\n', 'f')).toBe('assert f(1) == 2\n');
  });

  it('search problems read from MBPP rows carry the language, and native rows may name it', () => {
    const parsed = problemFromRow(MBPP_ROW);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.problem.reference).toMatchObject({ language: 'python', entryPoint: 'similar_elements' });
    expect(parsed.problem.reference?.tests).toContain('check(similar_elements)');
    const native = problemFromRow({ prompt: 'Write f', tests: 'assert f() == 1', language: 'python' });
    expect(native.ok && native.problem.reference?.language).toBe('python');
    expect(problemFromRow({ prompt: 'Write f', tests: 'assert f() == 1', language: 'cobol' })).toMatchObject({ ok: false, reason: expect.stringContaining('"language"') });
    const js = problemFromRow({ task_id: 'JavaScript/1', prompt: 'const f = () => {\n', test: 'console.assert(f() === 1)' });
    expect(js.ok && js.problem.reference?.language).toBeUndefined();
  });

  it('takes the last ```python block, declares entry points with def, counts assert statements', () => {
    const text = 'Here:\n```js\nconst f = 1\n```\n```python\ndef f(x):\n    return x\n```\nDone.';
    expect(extractCode(text, 'python')).toEqual({ code: 'def f(x):\n    return x', fenced: true });
    expect(extractCode(text, 'javascript')).toEqual({ code: 'const f = 1', fenced: true });
    expect(declaresEntryPoint('def f(x):\n    return x', 'f', 'python')).toBe(true);
    expect(declaresEntryPoint('class f:\n    pass', 'f', 'python')).toBe(true);
    expect(declaresEntryPoint('    return f(x)', 'f', 'python')).toBe(false);
    expect(countAssertionSites('def check(c):\n    assert c(1) == 1\n    assert c(2)\nassert True\n# assert no\n', 'python')).toBe(3);
  });

  it('plans a fenced whole program without the prefix, and a bare body after it', () => {
    const problem = toCodeTask(MBPP_ROW, 0).problem;
    const fenced = planProgram(problem, { problem, steps: ['```python\ndef similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n```'] });
    expect(fenced).toMatchObject({ language: 'python', prefixed: false, fenced: true });
    const body = planProgram(problem, { problem, steps: ['  return ()'] });
    expect(body?.program).toBe(`${MBPP_ROW.prompt}  return ()`);
  });
});

describe('python verdicts', () => {
  const check = (program: string, tests: string | string[]) => verifier.checkProgram(program, tests, undefined, 'python');

  it('passes a correct program and counts the assertions', { timeout: 60_000 }, async () => {
    expect(await check('def add(a, b):\n    return a + b', 'assert add(1, 2) == 3\nassert add(2, 2) == 4')).toMatchObject({ kind: 'pass', tests: { passed: 2, total: 2 }, score: 1 });
  });

  it('fails a wrong one with the assertions that held as partial credit', { timeout: 60_000 }, async () => {
    const v = await check('def add(a, b):\n    return a * b', 'assert add(2, 2) == 4\nassert add(1, 2) == 3\nassert add(0, 5) == 5');
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 3 } });
    expect(v.detail).toContain('test-1.py:2');
  });

  it('scores a test list script by script', { timeout: 60_000 }, async () => {
    const v = await check('def sq(x):\n    return x * 2', ['assert sq(2) == 4', 'assert sq(3) == 9', 'assert sq(0) == 0']);
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 2, total: 3 } });
    expect(v.score).toBeCloseTo(2 / 3);
  });

  it('reports syntax errors in the program and in a test, and runtime errors, as failures', { timeout: 60_000 }, async () => {
    expect(await check('def f(:\n    pass', 'assert True')).toMatchObject({ kind: 'fail', reason: 'syntax_error' });
    expect(await check('def f():\n    return 1', 'assert f( == 1')).toMatchObject({ kind: 'fail', reason: 'syntax_error' });
    expect(await check('def f():\n    return {}["k"]', 'assert f() == 1')).toMatchObject({ kind: 'fail', reason: 'runtime_error', detail: expect.stringContaining('KeyError') });
  });

  it('gives the same verdict and output for the same check', { timeout: 60_000 }, async () => {
    const program = 'import random\ndef f():\n    print(random.random())\n    return sorted({"b", "a", "c"})';
    const a = await check(program, 'assert f() == ["a", "b", "c"]');
    const b = await check(program, 'assert f() == ["a", "b", "c"]');
    expect(a).toEqual(b);
    expect(a.kind).toBe('pass');
  });

  it('routes a python problem of a search to the Python sandbox, from a fenced model answer', { timeout: 60_000 }, async () => {
    const problem: Problem = { id: 'py-1', prompt: 'Write add', domain: 'code', reference: { tests: 'assert add(2, 3) == 5', entryPoint: 'add', language: 'python' } };
    const ctx = makeContext();
    const v = await verifier.check(problem, { problem, steps: ['Sure.', '```python\ndef add(a, b):\n    return a + b\n```'] }, ctx);
    expect(v).toMatchObject({ kind: 'pass' });
    expect(ctx.usage.verifierCalls).toBe(1);
    expect(verifier.processIds('python').length).toBe(1);
    const js: Problem = { ...problem, reference: { ...problem.reference, language: undefined, tests: 'console.assert(add(2, 3) === 5)' } };
    expect(await verifier.check(js, { problem: js, steps: ['const add = (a, b) => a + b;'] }, ctx)).toMatchObject({ kind: 'pass' });
    expect(verifier.processIds('javascript').length).toBe(1);
  });
});

describe('verify code with Python lines', () => {
  function collect(): { stream: PassThrough; text: () => string } {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  }
  async function run(args: string[], stdinText: string): Promise<{ code: number; lines: Array<Record<string, unknown>>; err: string }> {
    const out = collect();
    const err = collect();
    const code = await verifyCodeCommand(args, { stdin: Readable.from([stdinText]), stdout: out.stream, stderr: err.stream, cwd: dir });
    const lines = out
      .text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, lines, err: err.text() };
  }

  it('picks the language from the row, else --language', { timeout: 90_000 }, async () => {
    const input = [
      JSON.stringify(MBPP_ROW),
      JSON.stringify({ ...MBPP_ROW, task_id: 'MBPP/2-wrong', canonical_solution: '  return ()\n' }),
      JSON.stringify({ code: 'def f():\n    return 1', tests: 'assert f() == 1' }),
      JSON.stringify({ code: 'const f = () => 1;', tests: 'console.assert(f() === 1)', language: 'javascript' }),
    ].join('\n');
    const { code, lines } = await run(['--input', '-', '--language', 'python'], input);
    expect(code).toBe(0);
    expect(lines.map((l) => [l.kind, l.reason])).toEqual([
      ['pass', 'pass'],
      ['fail', 'assertion'],
      ['pass', 'pass'],
      ['pass', 'pass'],
    ]);
  });

  it('rejects an unknown --language', async () => {
    const { code, err } = await run(['--input', '-', '--language', 'ruby'], '');
    expect(code).toBe(2);
    expect(err).toContain('--language must be javascript or python');
  });
});
