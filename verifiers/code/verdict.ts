// Maps what the sandbox runner reports (protocol.ts) to a Verdict: kind, reason, tests passed / total
// and score. Pure; imports core types and the protocol only.

import type { Verdict } from '../../src/core/index.js';
import type { RunResult, ScriptFailure, ScriptOutcome } from './protocol.js';
import type { ProgramPlan } from './program.js';

/** A code verdict: always carries `tests` and `score`; `output` is the captured console output. */
export interface CodeVerdict extends Verdict {
  tests: { passed: number; total: number };
  score: number;
  /** Console output of the check, head and tail kept (at most `maxOutputBytes` plus a marker line). */
  output?: string;
}

/**
 * Kind and reason for a script failure. Everything the candidate can cause is `fail`: an assertion,
 * a syntax or runtime error, running out of time (CPU or wall clock, whichever limit came first),
 * async work still pending at the verdict (`unsettled`), memory, output. `error` is reserved for the
 * harness's own faults: a runner that crashed or failed (`sandbox_crash`) and a runner that stopped
 * answering and was killed from outside (`sandbox_timeout`).
 */
export function classifyFailure(failure: ScriptFailure | undefined): { kind: 'fail' | 'error'; reason: string } {
  switch (failure) {
    case 'assertion':
    case 'syntax_error':
    case 'runtime_error':
    case 'timeout':
    case 'unsettled':
    case 'oom':
    case 'output_limit':
      return { kind: 'fail', reason: failure };
    case 'wall_timeout':
      return { kind: 'fail', reason: 'timeout' };
    case 'runner_timeout':
      return { kind: 'error', reason: 'sandbox_timeout' };
    case 'crash':
    case 'not_run':
    case undefined:
      return { kind: 'error', reason: 'sandbox_crash' };
  }
}

function withOutput(verdict: CodeVerdict, result: RunResult): CodeVerdict {
  return result.output === '' ? verdict : { ...verdict, output: result.output };
}

/**
 * Builds the verdict of one check.
 * - Pass (reason `pass`): the program and every test script ran to the end with no assertion failure
 *   (even a caught one) and no output flood. `tests.passed = tests.total` = assertions counted (at
 *   least 1), or the number of scripts for a test list.
 * - Test list: each script is one test; `tests.passed` = scripts that passed; the reason and detail
 *   come from the first failing script.
 * - One test script: each assertion call is one test. On failure `tests.passed` = assertions that
 *   held and `tests.total` = max(assertions run, assertion sites in the source, passed + 1), so a
 *   failure never scores 1.
 * `score = tests.passed / tests.total`.
 */
export function buildVerdict(result: RunResult, plan: Pick<ProgramPlan, 'testsAreList' | 'assertionSites' | 'tests'>): CodeVerdict {
  const testCount = plan.tests.length;
  if (result.internalError !== undefined) {
    const total = plan.testsAreList ? testCount : Math.max(1, plan.assertionSites);
    return withOutput({ kind: 'error', reason: 'sandbox_crash', score: 0, tests: { passed: 0, total }, detail: result.internalError }, result);
  }
  if (!result.program.ok) {
    const { kind, reason } = classifyFailure(result.program.failure);
    const total = plan.testsAreList ? testCount : Math.max(1, plan.assertionSites, result.assertions.run);
    return withOutput({ kind, reason, score: 0, tests: { passed: 0, total }, ...detailOf(result.program, 'program') }, result);
  }
  if (plan.testsAreList) {
    const passed = result.tests.filter((t) => t.ok).length;
    const firstFailure = result.tests.findIndex((t) => !t.ok);
    if (firstFailure === -1) return withOutput({ kind: 'pass', reason: 'pass', score: 1, tests: { passed, total: testCount } }, result);
    const failed = result.tests[firstFailure];
    const { kind, reason } = classifyFailure(failed.failure);
    return withOutput(
      {
        kind,
        reason,
        score: passed / testCount,
        tests: { passed, total: testCount },
        ...detailOf(failed, `test ${firstFailure + 1} of ${testCount}`),
      },
      result,
    );
  }
  const outcome = result.tests[0] ?? { ok: false, failure: 'not_run' };
  if (outcome.ok) {
    const n = Math.max(1, result.assertions.run);
    return withOutput({ kind: 'pass', reason: 'pass', score: 1, tests: { passed: n, total: n } }, result);
  }
  const { kind, reason } = classifyFailure(outcome.failure);
  const passed = result.assertions.passed;
  const total = Math.max(result.assertions.run, plan.assertionSites, passed + 1);
  return withOutput({ kind, reason, score: passed / total, tests: { passed, total }, ...detailOf(outcome, 'tests') }, result);
}

function detailOf(outcome: ScriptOutcome, where: string): { detail?: string } {
  const message = outcome.message ?? outcome.failure ?? '';
  return message === '' ? {} : { detail: `${where}: ${message}` };
}
