// Row formats (native, HumanEval-X, MBJSP), fenced-code extraction, program assembly and assertion-site
// counting: pure functions, no sandbox.

import { describe, expect, it } from 'vitest';
import { isMcgError } from '../../../src/core/index.js';
import {
  countAssertionSites,
  declaresEntryPoint,
  extractCode,
  findDeclaredName,
  planProgram,
  toCodeTask,
} from '../../../verifiers/code/index.js';

const HUMANEVAL_ROW = {
  task_id: 'JavaScript/0',
  prompt: '/* adds */\nconst add = (a, b) => {\n',
  canonical_solution: '  return a + b;\n}\n',
  test: 'const testAdd = () => {\n  console.assert(add(1, 2) === 3)\n  console.assert(add(2, 2) === 4)\n}\ntestAdd()\n',
  declaration: '\nconst add = (a, b) => {\n',
  example_test: 'ignored',
};

const MBJSP_ROW = {
  task_id: 'MBJSP/7',
  prompt: '/**\n * Write a function.\n */\nfunction double(n) {\n',
  entry_point: 'double',
  canonical_solution: '  return n * 2;\n}',
  test: '\nconst _ = require("lodash")\n\nfunction compare(object1, object2){\n    return _.isEqual(object1, object2)\n}\n\nvar x0 = double(2);\nif(!compare(x0, 4)){ throw "e" }\nvar x1 = double(3);\nif(!compare(x1, 6)){ throw "e" }\n',
  description: 'Write a function.',
  language: 'javascript',
};

describe('toCodeTask', () => {
  it('reads a HumanEval-X row: prompt is the prefix, canonical solution is the code, entry point from the prompt', () => {
    const task = toCodeTask({ ...HUMANEVAL_ROW, extra: { anything: true } }, 3);
    expect(task.format).toBe('humaneval-x');
    expect(task.taskId).toBe('JavaScript/0');
    expect(task.code).toBe(HUMANEVAL_ROW.canonical_solution);
    expect(task.problem).toEqual({
      id: 'JavaScript/0',
      prompt: HUMANEVAL_ROW.prompt,
      domain: 'code',
      reference: { tests: HUMANEVAL_ROW.test, prefix: HUMANEVAL_ROW.prompt, entryPoint: 'add', solution: HUMANEVAL_ROW.canonical_solution },
      meta: { format: 'humaneval-x' },
    });
  });

  it('prefers a completion field over the canonical solution', () => {
    const task = toCodeTask({ ...HUMANEVAL_ROW, completion: '  return 0;\n}\n' });
    expect(task.code).toBe('  return 0;\n}\n');
    expect(task.problem.reference?.solution).toBe(HUMANEVAL_ROW.canonical_solution);
  });

  it('reads an MBJSP row with its entry_point and a null canonical solution as empty code', () => {
    const task = toCodeTask(MBJSP_ROW);
    expect(task.format).toBe('mbjsp');
    expect(task.problem.reference).toMatchObject({ entryPoint: 'double', prefix: MBJSP_ROW.prompt, tests: MBJSP_ROW.test });
    expect(toCodeTask({ ...MBJSP_ROW, canonical_solution: null }).code).toBe('');
  });

  it('reads a native row with one test string', () => {
    const task = toCodeTask({ language: 'javascript', code: 'const f = () => 1;', tests: 'console.assert(f() === 1)', entryPoint: 'f', id: 9 });
    expect(task.format).toBe('native');
    expect(task.problem).toEqual({
      id: '9',
      prompt: '',
      domain: 'code',
      reference: { tests: 'console.assert(f() === 1)', entryPoint: 'f' },
      meta: { format: 'native' },
    });
  });

  it('keeps a native list of tests in meta.testCases and joins them into reference.tests', () => {
    const task = toCodeTask({ code: 'const f = () => 1;', tests: ['console.assert(f() === 1)', 'console.assert(f() !== 2)'] }, 4);
    expect(task.problem.id).toBe('code-4');
    expect(task.problem.meta).toEqual({ format: 'native', testCases: ['console.assert(f() === 1)', 'console.assert(f() !== 2)'] });
    expect(task.problem.reference?.tests).toBe('console.assert(f() === 1)\nconsole.assert(f() !== 2)');
  });

  it.each([
    [null, 'must be a JSON object'],
    [[1, 2], 'must be a JSON object'],
    [{ code: 'x', tests: 'y', language: 'ruby' }, '"language" must be "javascript" or "python", got "ruby"'],
    [{ code: 1, tests: 'y' }, '"code" must be a string'],
    [{ code: 'x', tests: [1] }, '"tests" must be a string or an array of strings'],
    [{ prompt: 'p' }, 'not a code task'],
    [{ prompt: 1, test: 't' }, '"prompt" must be a string'],
  ])('rejects %j with INPUT_INVALID', (row, message) => {
    try {
      toCodeTask(row, 2);
      expect.unreachable();
    } catch (err) {
      expect(isMcgError(err, 'INPUT_INVALID')).toBe(true);
      expect((err as Error).message).toContain('row 2: ');
      expect((err as Error).message).toContain(message);
    }
  });

  it('finds the function a prompt declares last', () => {
    expect(findDeclaredName('const helper = (x) => x\nconst main = (a) => {\n')).toBe('main');
    expect(findDeclaredName('function isPrime(n) {\n')).toBe('isPrime');
    expect(findDeclaredName('/* nothing */')).toBeUndefined();
  });
});

describe('extractCode', () => {
  it('takes the last JavaScript fenced block', () => {
    const text = 'First try:\n```js\nconst a = 1;\n```\nBetter:\n```javascript\nconst a = 2;\n```\nDone.';
    expect(extractCode(text)).toEqual({ code: 'const a = 2;', fenced: true });
  });

  it('accepts a bare fence and ignores fences in other languages', () => {
    expect(extractCode('```\nlet x = 1\n```\n```python\nprint(1)\n```')).toEqual({ code: 'let x = 1', fenced: true });
  });

  it('takes a last block left open up to the end of the text', () => {
    expect(extractCode('```js\nconst a = 1;\nconst b')).toEqual({ code: 'const a = 1;\nconst b', fenced: true });
  });

  it('returns the whole text when there is no fence', () => {
    expect(extractCode('  return a + b;\n}\n')).toEqual({ code: '  return a + b;\n}\n', fenced: false });
  });
});

describe('planProgram', () => {
  const problem = toCodeTask(HUMANEVAL_ROW).problem;

  it('joins the steps and puts the prefix in front', () => {
    const plan = planProgram(problem, { problem, steps: ['  return a + b;', '}'] });
    expect(plan).toMatchObject({ program: `${HUMANEVAL_ROW.prompt}  return a + b;\n}`, prefixed: true, fenced: false, testsAreList: false, assertionSites: 2 });
  });

  it('runs a fenced block that declares the entry point without the prefix', () => {
    const plan = planProgram(problem, { problem, steps: ['Here:\n```js\nconst add = (a, b) => a + b;\n```'] });
    expect(plan).toMatchObject({ program: 'const add = (a, b) => a + b;', prefixed: false, fenced: true });
  });

  it('keeps the prefix for a fenced block that only continues the function body', () => {
    const plan = planProgram(problem, { problem, steps: ['```js\n  return a + b;\n}\n```'] });
    expect(plan?.program).toBe(`${HUMANEVAL_ROW.prompt}  return a + b;\n}`);
  });

  it('returns undefined without tests', () => {
    const bare = { id: 'p', prompt: '', domain: 'code' };
    expect(planProgram(bare, { problem: bare, steps: ['x'] })).toBeUndefined();
  });

  it('treats a list of tests as one test per script', () => {
    const native = toCodeTask({ code: 'const f = () => 1', tests: ['console.assert(f() === 1)', 'console.assert(f())'] }).problem;
    expect(planProgram(native, { problem: native, steps: ['const f = () => 1'] })).toMatchObject({ testsAreList: true, tests: ['console.assert(f() === 1)', 'console.assert(f())'] });
  });
});

describe('assertion sites and entry points', () => {
  it('counts console.assert, assert and assert.x calls but not declarations', () => {
    expect(countAssertionSites('console.assert(a)\nconsole . assert (b)\nassert(c)\nassert.deepEqual(d, e)\nfunction assert(x) {}')).toBe(4);
  });

  it('counts compare( calls only when the tests declare function compare', () => {
    expect(countAssertionSites(MBJSP_ROW.test)).toBe(2);
    expect(countAssertionSites('console.assert(compare([1], [2]) === 0)')).toBe(1);
  });

  it('recognises declarations of the entry point', () => {
    expect(declaresEntryPoint('function add(a, b) { return a + b }', 'add')).toBe(true);
    expect(declaresEntryPoint('const add = (a, b) => a + b', 'add')).toBe(true);
    expect(declaresEntryPoint('  return add(a, b);\n}', 'add')).toBe(false);
    expect(declaresEntryPoint('function adder() {}', 'add')).toBe(false);
  });
});
