// Verdict rules: how runner reports map to kind, reason, tests passed / total and score. Pure.

import { describe, expect, it } from 'vitest';
import { buildVerdict, classifyFailure, type RunResult, type ScriptOutcome } from '../../../verifiers/code/index.js';

function report(program: ScriptOutcome, tests: ScriptOutcome[], assertions = { run: 0, passed: 0 }, extra: Partial<RunResult> = {}): RunResult {
  return { type: 'result', id: 1, program, tests, assertions, output: '', outputChars: 0, isolateReplaced: false, ...extra };
}

const ONE = { tests: ['console.assert(x)'], testsAreList: false, assertionSites: 4 };
const LIST = { tests: ['a', 'b', 'c', 'd'], testsAreList: true, assertionSites: 0 };

describe('buildVerdict', () => {
  it('passes with every counted assertion as a test', () => {
    expect(buildVerdict(report({ ok: true }, [{ ok: true }], { run: 6, passed: 6 }), ONE)).toEqual({
      kind: 'pass',
      reason: 'pass',
      score: 1,
      tests: { passed: 6, total: 6 },
    });
  });

  it('counts a passing script without assertions as one test', () => {
    expect(buildVerdict(report({ ok: true }, [{ ok: true }]), ONE).tests).toEqual({ passed: 1, total: 1 });
  });

  it('gives partial credit from assertions, with the sites as the total when the run stopped early', () => {
    const v = buildVerdict(report({ ok: true }, [{ ok: false, failure: 'assertion', message: 'AssertionError: console.assert failed' }], { run: 2, passed: 1 }), ONE);
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 4 }, score: 0.25, detail: 'tests: AssertionError: console.assert failed' });
  });

  it('never scores a failure as 1', () => {
    const v = buildVerdict(report({ ok: true }, [{ ok: false, failure: 'runtime_error', message: 'TypeError: x' }], { run: 4, passed: 4 }), ONE);
    expect(v.tests).toEqual({ passed: 4, total: 5 });
    expect(v.score).toBe(0.8);
  });

  it('scores a list of tests per script and reports the first failure', () => {
    const v = buildVerdict(
      report({ ok: true }, [{ ok: true }, { ok: false, failure: 'timeout', message: 'CPU time limit exceeded' }, { ok: true }, { ok: false, failure: 'assertion', message: 'm' }]),
      LIST,
    );
    expect(v).toEqual({ kind: 'fail', reason: 'timeout', score: 0.5, tests: { passed: 2, total: 4 }, detail: 'test 2 of 4: CPU time limit exceeded' });
  });

  it('fails every test when the program itself fails', () => {
    const v = buildVerdict(report({ ok: false, failure: 'syntax_error', message: 'SyntaxError: Unexpected token' }, [{ ok: false, failure: 'not_run' }]), ONE);
    expect(v).toEqual({ kind: 'fail', reason: 'syntax_error', score: 0, tests: { passed: 0, total: 4 }, detail: 'program: SyntaxError: Unexpected token' });
  });

  it('reports a runner fault as an error with reason sandbox_crash', () => {
    const v = buildVerdict(report({ ok: false, failure: 'crash', message: 'died' }, [], undefined, { internalError: 'the sandbox process died' }), LIST);
    expect(v).toMatchObject({ kind: 'error', reason: 'sandbox_crash', tests: { passed: 0, total: 4 }, detail: 'the sandbox process died' });
  });

  it('keeps the captured output', () => {
    expect(buildVerdict(report({ ok: true }, [{ ok: true }], undefined, { output: 'hi\n', outputChars: 3 }), ONE).output).toBe('hi\n');
  });
});

describe('classifyFailure', () => {
  it.each([
    ['assertion', 'fail', 'assertion'],
    ['syntax_error', 'fail', 'syntax_error'],
    ['runtime_error', 'fail', 'runtime_error'],
    ['timeout', 'fail', 'timeout'],
    ['oom', 'fail', 'oom'],
    ['output_limit', 'fail', 'output_limit'],
    ['unsettled', 'fail', 'unsettled'],
    ['wall_timeout', 'fail', 'timeout'],
    ['runner_timeout', 'error', 'sandbox_timeout'],
    ['crash', 'error', 'sandbox_crash'],
    ['not_run', 'error', 'sandbox_crash'],
  ] as const)('%s is %s / %s', (failure, kind, reason) => {
    expect(classifyFailure(failure)).toEqual({ kind, reason });
  });
});
