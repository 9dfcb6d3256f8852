// The `code` verifier plugin: options, check() on each input format, fenced code, abstentions, usage,
// cancellation, limits, the lifecycle of its processes, and that importing it loads no sandbox.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isMcgError, PluginRegistry } from '../../../src/core/index.js';
import { codeVerifier, codeVerifierOptionsSchema, createCodeVerifier, toCodeTask } from '../../../verifiers/code/index.js';
import { expectOrdinaryPass, makeContext } from './sandbox-fixture.js';

const verifier = createCodeVerifier({ poolSize: 1 });
afterAll(() => verifier.close());

const HUMANEVAL_ROW = {
  task_id: 'JavaScript/53',
  prompt: '/* Add two numbers x and y */\nconst add = (x, y) => {\n',
  canonical_solution: '  return x + y;\n};\n',
  test: 'const testAdd = () => {\n  console.assert(add(0, 1) === 1)\n  console.assert(add(1, 0) === 1)\n  console.assert(add(2, 3) === 5)\n  console.assert(add(5, 7) === 12)\n}\ntestAdd()\n',
};

describe('options', () => {
  it('has the documented defaults', () => {
    expect(codeVerifierOptionsSchema.parse({})).toEqual({
      memoryLimitMb: 64,
      cpuTimeMsPerTest: 1000,
      wallTimeMs: 10_000,
      maxOutputBytes: 1024,
      maxOutputTotalBytes: 1_048_576,
      pythonMemoryLimitMb: 512,
      poolSize: 2,
      maxCodeChars: 200_000,
    });
  });

  it('rejects unknown keys and out-of-range values with the key path', async () => {
    const registry = new PluginRegistry().register('verifier', 'code', codeVerifier);
    const env = { baseDir: '.' };
    await expect(registry.create('verifier', { kind: 'code', options: { memoryLimitMb: 4 } }, env, 'verifiers.code')).rejects.toThrow(
      'verifiers.code.options.memoryLimitMb must be an integer in [8, 4096], got 4',
    );
    await expect(registry.create('verifier', { kind: 'code', options: { cpuTimeMs: 5 } }, env, 'verifiers.code')).rejects.toThrow(
      'verifiers.code.options.cpuTimeMs is not a known key',
    );
  });

  it('builds a working verifier through the registry from a lazy loader', async () => {
    const registry = new PluginRegistry().register('verifier', 'code', async () => (await import('../../../verifiers/code/index.js')).codeVerifier);
    const built = await registry.create('verifier', { kind: 'code', options: { poolSize: 1 } }, { baseDir: '.' });
    try {
      const { problem, code } = toCodeTask(HUMANEVAL_ROW);
      expect(await built.check(problem, { problem, steps: [code] }, makeContext())).toMatchObject({ kind: 'pass', tests: { passed: 4, total: 4 } });
    } finally {
      await built.close?.();
    }
  });
});

describe('check', () => {
  it('passes a HumanEval-X canonical solution and counts one verifier call', async () => {
    const { problem, code } = toCodeTask(HUMANEVAL_ROW);
    const ctx = makeContext();
    const v = await verifier.check(problem, { problem, steps: [code] }, ctx);
    expect(v).toEqual({ kind: 'pass', reason: 'pass', score: 1, tests: { passed: 4, total: 4 } });
    expect(ctx.usage.verifierCalls).toBe(1);
  });

  it('joins trajectory steps with newlines after the prefix', async () => {
    const { problem } = toCodeTask(HUMANEVAL_ROW);
    const v = await verifier.check(problem, { problem, steps: ['  const s = x + y;', '  return s;', '};'] }, makeContext());
    expect(v.kind).toBe('pass');
  });

  it('gives partial credit for a wrong completion', async () => {
    const { problem } = toCodeTask({ ...HUMANEVAL_ROW, completion: '  return x + y + (x > 1 ? 1 : 0);\n};\n' });
    const v = await verifier.check(problem, { problem, steps: ['  return x + y + (x > 1 ? 1 : 0);\n};\n'] }, makeContext());
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 2, total: 4 }, score: 0.5 });
  });

  it('uses the last fenced block of model text, with the prefix when it continues the body', async () => {
    const { problem } = toCodeTask(HUMANEVAL_ROW);
    const text = 'We add them.\n```js\n  return x - y;\n};\n```\nOops, fixed:\n```javascript\n  return x + y;\n};\n```\n';
    expect(await verifier.check(problem, { problem, steps: [text] }, makeContext())).toMatchObject({ kind: 'pass' });
  });

  it('runs a fenced block that declares the entry point as a whole program', async () => {
    const { problem } = toCodeTask(HUMANEVAL_ROW);
    const text = 'Full solution:\n```js\nconst add = (x, y) => x + y;\n```';
    expect(await verifier.check(problem, { problem, steps: [text] }, makeContext())).toMatchObject({ kind: 'pass', tests: { passed: 4, total: 4 } });
  });

  it('checks an MBJSP row with the lodash-based tests', async () => {
    const row = {
      task_id: 'MBJSP/3',
      prompt: '/**\n * Tell non-primes.\n */\nfunction isNotPrime(n) {\n',
      entry_point: 'isNotPrime',
      canonical_solution: '  for (let i = 2; i * i <= n; i++) if (n % i === 0) return true;\n  return false;\n}',
      test: '\nconst _ = require("lodash")\n\nfunction compare(object1, object2){\n    return _.isEqual(object1, object2)\n}\n\nvar x0 = isNotPrime(2);\nif(!compare(x0, false)){ throw "Error at 1th assert statement. Value = " + JSON.stringify(x) }\nvar x1 = isNotPrime(10);\nif(!compare(x1, true)){ throw "Error at 2th assert statement. Value = " + JSON.stringify(x) }\n',
      language: 'javascript',
    };
    const { problem, code } = toCodeTask(row);
    expect(await verifier.check(problem, { problem, steps: [code] }, makeContext())).toMatchObject({ kind: 'pass', tests: { passed: 2, total: 2 } });
    const wrong = await verifier.check(problem, { problem, steps: ['  return n % 2 === 1;\n}'] }, makeContext());
    expect(wrong).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 2 } });
  });

  it('checks native rows with a list of tests, one test per script', async () => {
    const { problem, code } = toCodeTask({ code: 'const sq = (x) => x * x;', tests: ['console.assert(sq(2) === 4)', 'console.assert(sq(3) === 10)', 'assert.equal(sq(0), 0)'] });
    expect(await verifier.check(problem, { problem, steps: [code] }, makeContext())).toMatchObject({
      kind: 'fail',
      reason: 'assertion',
      tests: { passed: 2, total: 3 },
      detail: expect.stringContaining('test 2 of 3'),
    });
  });

  it('abstains with no_reference when the problem has no tests, and with no_answer when there is no code', async () => {
    const bare = { id: 'p', prompt: 'write add', domain: 'code' };
    expect(await verifier.check(bare, { problem: bare, steps: ['const add = 1'] }, makeContext())).toMatchObject({ kind: 'abstain', reason: 'no_reference' });
    const { problem } = toCodeTask(HUMANEVAL_ROW);
    expect(await verifier.check(problem, { problem, steps: ['   '] }, makeContext())).toMatchObject({ kind: 'abstain', reason: 'no_answer' });
  });

  it('fails a program over maxCodeChars without running it', async () => {
    const small = createCodeVerifier({ poolSize: 1, maxCodeChars: 50 });
    const v = await small.checkProgram(`const s = "${'x'.repeat(100)}";`, 'console.assert(true)');
    expect(v).toMatchObject({ kind: 'fail', reason: 'too_large' });
    expect(small.processIds()).toEqual([]);
    await small.close();
  });

  it("reports the wall-clock limit as the candidate's timeout (fail), like the CPU limit", async () => {
    const walled = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 60_000, wallTimeMs: 300 });
    try {
      await walled.checkProgram('', 'console.assert(true)');
      expect(await walled.checkProgram('for (;;) {}', 'console.assert(true)')).toMatchObject({ kind: 'fail', reason: 'timeout' });
      expect(await walled.checkProgram('const f = () => 2;', 'console.assert(f() === 2)')).toMatchObject({ kind: 'pass' });
    } finally {
      await walled.close();
    }
  });
});

describe('cancellation and lifecycle', () => {
  it('rejects with ABORTED when the signal has already fired, and still counts the call', async () => {
    const { problem, code } = toCodeTask(HUMANEVAL_ROW);
    const controller = new AbortController();
    controller.abort();
    const ctx = makeContext(controller.signal);
    await expect(verifier.check(problem, { problem, steps: [code] }, ctx)).rejects.toSatisfy((err) => isMcgError(err, 'ABORTED'));
    expect(ctx.usage.verifierCalls).toBe(1);
  });

  it('rejects a running check with ABORTED when the signal fires, and the next check passes', async () => {
    const slow = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 60_000, wallTimeMs: 120_000 });
    try {
      const { problem } = toCodeTask(HUMANEVAL_ROW);
      const controller = new AbortController();
      const running = slow.check(problem, { problem, steps: ['  for (;;) {}\n};'] }, makeContext(controller.signal));
      while (slow.busyProcessIds().length === 0) await new Promise((r) => setTimeout(r, 20));
      controller.abort(new Error('budget spent'));
      await expect(running).rejects.toSatisfy((err) => isMcgError(err, 'ABORTED'));
      await expectOrdinaryPass(slow);
    } finally {
      await slow.close();
    }
  });

  it('starts no process before the first check and stops them on close()', async () => {
    const lazy = createCodeVerifier({ poolSize: 2 });
    expect(lazy.processIds()).toEqual([]);
    await Promise.all([expectOrdinaryPass(lazy), expectOrdinaryPass(lazy)]);
    const pids = lazy.processIds();
    expect(pids.length).toBeGreaterThanOrEqual(1);
    await lazy.close();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('does not load isolated-vm or spawn anything when the module is imported', { timeout: 60_000 }, async () => {
    const require = createRequire(import.meta.url);
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const index = pathToFileURL(fileURLToPath(new URL('../../../verifiers/code/index.ts', import.meta.url))).href;
    const script = [
      `const m = await import(${JSON.stringify(index)});`,
      'const { createRequire } = await import("node:module");',
      'const loaded = () => Object.keys(createRequire(process.cwd() + "/").cache).some((k) => k.includes("isolated-vm"));',
      'const v = m.createCodeVerifier({});',
      'const before = { ivm: loaded(), pids: v.processIds(), kind: m.codeVerifier.kind };',
      // The probe must be able to see isolated-vm once it is loaded, or it proves nothing.
      `await import(${JSON.stringify(pathToFileURL(require.resolve('isolated-vm')).href)});`,
      'console.log(JSON.stringify({ ...before, ivmAfterImport: loaded() }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--no-node-snapshot', '--import', tsx, '--input-type=module', '-e', script], { timeout: 50_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ ivm: false, pids: [], kind: 'code', ivmAfterImport: true });
  });
});
