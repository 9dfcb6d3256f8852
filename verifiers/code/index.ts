// The `code` verifier plugin: runs JavaScript solutions against their tests in isolated-vm sandboxes
// and Python solutions in Pyodide interpreters, both in child processes (sandbox-pool.ts). Importing
// this module loads neither isolated-vm, Pyodide nor any process: each language's pool starts on its
// first check. Imports core, zod and this folder only.

import {
  defineVerifier,
  hash32,
  throwIfAborted,
  type CallContext,
  type CodeLanguage,
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
export type { RunnerLaunch, SandboxJob, SandboxLanguage, SandboxPoolOptions } from './sandbox-pool.js';
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
   * is a test), in the sandbox of `language` (default JavaScript). Same limits and verdict rules as `check`.
   */
  checkProgram(program: string, tests: string | readonly string[], signal?: AbortSignal, language?: CodeLanguage): Promise<CodeVerdict>;
  /** Process ids of the sandbox runners that have started (of one language, or of all). */
  processIds(language?: CodeLanguage): number[];
  /** Process ids of the runners busy with a check right now (test hook for crash handling). */
  busyProcessIds(language?: CodeLanguage): number[];
  /** Stops the sandbox processes; pending checks reject with `ABORTED`. */
  close(): Promise<void>;
}

/** Creates a code verifier with the given options (validated; defaults as in the schema). */
export function createCodeVerifier(input: CodeVerifierOptionsInput = {}): CodeVerifier {
  const options = codeVerifierOptionsSchema.parse(input);
  const pools = new Map<CodeLanguage, SandboxPool>();
  const getPool = (language: CodeLanguage): SandboxPool => {
    let pool = pools.get(language);
    if (pool === undefined) {
      pool = new SandboxPool({ size: options.poolSize, language, pythonMemoryLimitMb: options.pythonMemoryLimitMb });
      pools.set(language, pool);
    }
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

  const runPlan = async (plan: Pick<ProgramPlan, 'language' | 'program' | 'tests' | 'testsAreList' | 'assertionSites'>, signal?: AbortSignal): Promise<CodeVerdict> => {
    const total = plan.testsAreList ? plan.tests.length : Math.max(1, plan.assertionSites);
    if (plan.program.length > options.maxCodeChars) {
      return { kind: 'fail', reason: 'too_large', score: 0, tests: { passed: 0, total }, detail: `the program has ${plan.program.length} characters; the limit is ${options.maxCodeChars}` };
    }
    const testChars = plan.tests.reduce((n, t) => n + t.length, 0);
    if (testChars > options.maxCodeChars) {
      return { kind: 'error', reason: 'too_large', score: 0, tests: { passed: 0, total }, detail: `the tests have ${testChars} characters; the limit is ${options.maxCodeChars}` };
    }
    const seed = hash32(`${plan.program}\u0000${plan.tests.join('\u0001')}`);
    // JavaScript tests are instrumented (async settling, locked names); Python tests are rewritten
    // inside the interpreter by its harness.
    const prepared = plan.language === 'javascript' ? plan.tests.map(prepareTest) : undefined;
    const result = await getPool(plan.language).run(
      {
        program: plan.program,
        tests: prepared === undefined ? plan.tests : prepared.map((t) => t.source),
        ...(prepared === undefined ? {} : { testMeta: prepared.map((t) => t.meta) }),
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
    async checkProgram(program, tests, signal, language = 'javascript') {
      throwIfAborted(signal);
      const list = typeof tests === 'string' ? undefined : [...tests];
      const plan = {
        language,
        program,
        tests: list ?? [tests as string],
        testsAreList: list !== undefined,
        assertionSites: list === undefined ? countAssertionSites(tests as string, language) : 0,
      };
      if (plan.tests.length === 0) return { kind: 'error', reason: 'no_reference', score: 0, tests: { passed: 0, total: 0 }, detail: 'no tests to run' };
      return runPlan(plan, signal);
    },
    processIds: (language) => [...pools].flatMap(([l, p]) => (language === undefined || l === language ? p.processIds() : [])),
    busyProcessIds: (language) => [...pools].flatMap(([l, p]) => (language === undefined || l === language ? p.busyProcessIds() : [])),
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
    },
  };
}

/** The `code` verifier kind, for the plugin registry (`{ kind: 'code', options: {...} }`). */
export const codeVerifier = defineVerifier({
  kind: 'code',
  options: codeVerifierOptionsSchema,
  create: (options) => createCodeVerifier(options),
});
