// The `code` verifier plugin: runs JavaScript solutions against their tests in isolated-vm sandboxes
// that live in child processes (sandbox-pool.ts). Importing this module loads neither isolated-vm nor
// any process: the pool starts on the first check. Imports core, zod and this folder only.

import {
  defineVerifier,
  hash32,
  throwIfAborted,
  type CallContext,
  type Problem,
  type Trajectory,
  type Verdict,
  type Verifier,
} from '../../src/core/index.js';
import { codeVerifierOptionsSchema, type CodeVerifierOptions, type CodeVerifierOptionsInput } from './options.js';
import { countAssertionSites, planProgram, type ProgramPlan } from './program.js';
import type { TestMeta } from './protocol.js';
import { SandboxPool } from './sandbox-pool.js';
import { instrumentTest } from './test-instrument.js';
import { buildVerdict, type CodeVerdict } from './verdict.js';

export { codeVerifierOptionsSchema, DEFAULT_CODE_VERIFIER_OPTIONS } from './options.js';
export type { CodeVerifierOptions, CodeVerifierOptionsInput } from './options.js';
export { countAssertionSites, declaresEntryPoint, extractCode, planProgram, readTests } from './program.js';
export type { ProgramPlan } from './program.js';
export { findDeclaredName, toCodeTask } from './task-format.js';
export type { CodeTask, CodeTaskFormat } from './task-format.js';
export { buildVerdict, classifyFailure } from './verdict.js';
export type { CodeVerdict } from './verdict.js';
export { SandboxPool, resolveRunnerEntry, runnerExecArgv } from './sandbox-pool.js';
export type { RunnerLaunch, SandboxJob, SandboxPoolOptions } from './sandbox-pool.js';
export type { RunResult, SandboxLimits, ScriptFailure, ScriptOutcome, TestMeta } from './protocol.js';
export { instrumentTest } from './test-instrument.js';
export type { InstrumentedTest } from './test-instrument.js';

/** Instrumented tests kept per verifier (a search checks the same tests many times). */
const INSTRUMENT_CACHE_SIZE = 256;

/** The code verifier: a Verifier plus direct program checks and the pool's lifecycle. */
export interface CodeVerifier extends Verifier {
  readonly name: 'code';
  readonly options: CodeVerifierOptions;
  /**
   * Checks a trajectory: program = `reference.prefix + code` (see planProgram for fenced blocks), then
   * the tests. Abstains with `no_reference` when the problem has no tests and with `no_answer` when
   * there is no code. Adds 1 to `ctx.usage.verifierCalls`; rejects with `ABORTED` when `ctx.signal` fires.
   */
  check(problem: Problem, trajectory: Trajectory, ctx: CallContext): Promise<Verdict>;
  /**
   * Runs `program`, then `tests`: one script (each assertion call is a test) or a list (each script
   * is a test). Same limits and verdict rules as `check`.
   */
  checkProgram(program: string, tests: string | readonly string[], signal?: AbortSignal): Promise<CodeVerdict>;
  /** Process ids of the sandbox runners that have started. */
  processIds(): number[];
  /** Process ids of the runners busy with a check right now (test hook for crash handling). */
  busyProcessIds(): number[];
  /** Stops the sandbox processes; pending checks reject with `ABORTED`. */
  close(): Promise<void>;
}

/** Creates a code verifier with the given options (validated; defaults as in the schema). */
export function createCodeVerifier(input: CodeVerifierOptionsInput = {}): CodeVerifier {
  const options = codeVerifierOptionsSchema.parse(input);
  let pool: SandboxPool | undefined;
  const getPool = (): SandboxPool => {
    pool ??= new SandboxPool({ size: options.poolSize });
    return pool;
  };

  // Tests are parsed and rewritten once per distinct source (see test-instrument.ts); least recently
  // used entries go first.
  const instrumented = new Map<string, { source: string; meta: TestMeta }>();
  const prepareTest = (test: string): { source: string; meta: TestMeta } => {
    const hit = instrumented.get(test);
    if (hit !== undefined) {
      instrumented.delete(test);
      instrumented.set(test, hit);
      return hit;
    }
    const out = instrumentTest(test);
    const entry = { source: out.source, meta: { declared: out.declared, checksAssert: /\bassert\b/.test(test) } };
    instrumented.set(test, entry);
    if (instrumented.size > INSTRUMENT_CACHE_SIZE) instrumented.delete(instrumented.keys().next().value as string);
    return entry;
  };

  const runPlan = async (plan: Pick<ProgramPlan, 'program' | 'tests' | 'testsAreList' | 'assertionSites'>, signal?: AbortSignal): Promise<CodeVerdict> => {
    const total = plan.testsAreList ? plan.tests.length : Math.max(1, plan.assertionSites);
    if (plan.program.length > options.maxCodeChars) {
      return { kind: 'fail', reason: 'too_large', score: 0, tests: { passed: 0, total }, detail: `the program has ${plan.program.length} characters; the limit is ${options.maxCodeChars}` };
    }
    const testChars = plan.tests.reduce((n, t) => n + t.length, 0);
    if (testChars > options.maxCodeChars) {
      return { kind: 'error', reason: 'too_large', score: 0, tests: { passed: 0, total }, detail: `the tests have ${testChars} characters; the limit is ${options.maxCodeChars}` };
    }
    const seed = hash32(`${plan.program}\u0000${plan.tests.join('\u0001')}`);
    const prepared = plan.tests.map(prepareTest);
    const result = await getPool().run(
      {
        program: plan.program,
        tests: prepared.map((t) => t.source),
        testMeta: prepared.map((t) => t.meta),
        seed,
        limits: {
          memoryLimitMb: options.memoryLimitMb,
          cpuTimeMsPerTest: options.cpuTimeMsPerTest,
          wallTimeMs: options.wallTimeMs,
          maxOutputBytes: options.maxOutputBytes,
          maxOutputTotalBytes: options.maxOutputTotalBytes,
        },
      },
      signal,
    );
    return buildVerdict(result, plan);
  };

  return {
    name: 'code',
    options,
    async check(problem, trajectory, ctx) {
      ctx.usage.verifierCalls += 1;
      throwIfAborted(ctx.signal);
      const plan = planProgram(problem, trajectory);
      if (plan === undefined) return { kind: 'abstain', reason: 'no_reference', detail: 'the problem has no tests' };
      const code = plan.prefixed ? plan.program.slice((problem.reference?.prefix ?? '').length) : plan.program;
      if (code.trim() === '') return { kind: 'abstain', reason: 'no_answer', detail: 'the trajectory has no code' };
      return runPlan(plan, ctx.signal);
    },
    async checkProgram(program, tests, signal) {
      throwIfAborted(signal);
      const list = typeof tests === 'string' ? undefined : [...tests];
      const plan = {
        program,
        tests: list ?? [tests as string],
        testsAreList: list !== undefined,
        assertionSites: list === undefined ? countAssertionSites(tests as string) : 0,
      };
      if (plan.tests.length === 0) return { kind: 'error', reason: 'no_reference', score: 0, tests: { passed: 0, total: 0 }, detail: 'no tests to run' };
      return runPlan(plan, signal);
    },
    processIds: () => pool?.processIds() ?? [],
    busyProcessIds: () => pool?.busyProcessIds() ?? [],
    async close() {
      const p = pool;
      pool = undefined;
      await p?.close();
    },
  };
}

/** The `code` verifier kind, for the plugin registry (`{ kind: 'code', options: {...} }`). */
export const codeVerifier = defineVerifier({
  kind: 'code',
  options: codeVerifierOptionsSchema,
  create: (options) => createCodeVerifier(options),
});
