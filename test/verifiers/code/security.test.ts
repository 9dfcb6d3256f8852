// Hostile programs: host escapes, state leaks between checks, resource bombs, values that would run code
// in the host, output floods and a killed sandbox process. Each must be contained with the expected
// verdict, and the next ordinary check on the same (single) sandbox process must still pass.

import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCodeVerifier, resolveRunnerEntry, runnerExecArgv, type CodeVerdict } from '../../../verifiers/code/index.js';
import { expectOrdinaryPass } from './sandbox-fixture.js';

// One runner process, so every case runs where the previous one ran. CPU limit kept short; the wall
// limit is generous because this machine is shared (no timing is asserted).
const verifier = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 400, wallTimeMs: 60_000, memoryLimitMb: 64 });
// Memory bombs get CPU time enough to reach the (smaller) memory limit first.
const memoryVerifier = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 10_000, wallTimeMs: 60_000, memoryLimitMb: 32 });
afterAll(async () => {
  await verifier.close();
  await memoryVerifier.close();
});

interface Case {
  name: string;
  program: string;
  tests?: string | string[];
  kind: CodeVerdict['kind'];
  reason: string;
  /** Extra checks on the verdict. */
  also?: (v: CodeVerdict) => void;
  /** Run on the memory-bomb verifier (more CPU time, 32 MB). */
  memory?: boolean;
}

const PASS = 'console.assert(true)';

const cases: Case[] = [
  // ---- reaching the host ------------------------------------------------------------------------
  {
    name: 'constructor chain to Function: this.constructor.constructor("return process")()',
    program: 'let got; try { got = this.constructor.constructor("return process")(); } catch (e) { got = "blocked " + e.name; }',
    tests: 'console.assert(got === "blocked ReferenceError", String(got))',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'constructor chain from an object literal to the global object',
    program: 'const g = ({}).constructor.constructor("return this")();',
    tests: 'console.assert(g === globalThis); console.assert(typeof g.process === "undefined"); console.assert(typeof g.Buffer === "undefined")',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'async and generator function constructors lead nowhere',
    program: 'const AsyncFunction = (async () => {}).constructor; const GenFn = Object.getPrototypeOf(function* () {}).constructor;\nlet a = "pending"; AsyncFunction("return process")().then(() => { a = "reached"; }, (e) => { a = e.name; });\nlet b; try { b = GenFn("yield typeof process")().next().value; } catch (e) { b = e.name; }',
    tests: 'console.assert(a === "ReferenceError", a); console.assert(b === "undefined", b)',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'process is not defined',
    program: 'const env = process.env;',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('ReferenceError: process is not defined'),
  },
  {
    name: 'require of a Node module fails',
    program: 'const fs = require("fs"); fs.writeFileSync("/tmp/mcg-escape", "x");',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('module "fs" is not available'),
  },
  {
    name: 'require reached through the global object still serves nothing',
    program: 'const req = Function("return this")().require; let msg = ""; try { req("child_process"); } catch (e) { msg = e.message; }',
    tests: 'console.assert(msg.includes("not available"), msg)',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'dynamic import() is rejected',
    program: 'let outcome = "pending"; import("fs").then(() => { outcome = "loaded"; }, () => { outcome = "rejected"; });',
    tests: 'console.assert(outcome === "rejected", outcome)',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'no timers, network, Node globals, WebAssembly or SharedArrayBuffer',
    program: '',
    tests: [
      'setTimeout, setInterval, setImmediate, queueMicrotask, fetch, process, Buffer, global, module, exports, __dirname, WebAssembly, SharedArrayBuffer, ivm, XMLHttpRequest, WebSocket'
        .split(', ')
        .map((n) => `console.assert(typeof ${n} === "undefined", "${n} is defined")`)
        .join('\n'),
    ],
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'WebAssembly memory cannot be allocated',
    program: 'const mem = new WebAssembly.Memory({ initial: 16000 });',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('WebAssembly is not defined'),
  },
  {
    name: 'Atomics.wait is gone (and SharedArrayBuffer with it)',
    program: 'Atomics.wait(new Int32Array(new ArrayBuffer(16)), 0, 0);',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('TypeError'),
  },
  {
    name: 'SharedArrayBuffer cannot be created',
    program: 'const sab = new SharedArrayBuffer(1024);',
    kind: 'fail',
    reason: 'runtime_error',
  },
  // ---- stack-trace tricks ----------------------------------------------------------------------
  {
    name: 'Error.prepareStackTrace that loops is never called',
    program: 'Error.prepareStackTrace = () => { while (true) {} };\nnull.boom;',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('TypeError'),
  },
  {
    name: 'Error.prepareStackTrace cannot collect call-site receivers',
    program: 'Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis());\nconst s = new Error("x").stack;',
    tests: 'console.assert(typeof s === "string"); console.assert(Error.prepareStackTrace === undefined)',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'redefining Error.prepareStackTrace as a getter fails',
    program: 'Object.defineProperty(Error, "prepareStackTrace", { get() { while (true) {} } });',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('Cannot redefine property'),
  },
  // ---- endless work --------------------------------------------------------------------------------
  { name: 'synchronous infinite loop at top level', program: 'while (true) {}', kind: 'fail', reason: 'timeout' },
  { name: 'infinite loop inside the function under test', program: 'const f = () => { for (;;) {} };', tests: 'f()', kind: 'fail', reason: 'timeout' },
  { name: 'async infinite loop', program: '(async () => { while (true) await null; })();', kind: 'fail', reason: 'timeout' },
  { name: 'endless microtask chain', program: 'Promise.resolve().then(function again() { return Promise.resolve().then(again); });', kind: 'fail', reason: 'timeout' },
  { name: 'infinite loop in a getter read by the tests', program: 'const o = { get x() { while (true) {} } };', tests: 'o.x', kind: 'fail', reason: 'timeout' },
  {
    name: 'catastrophic regular expression',
    program: 'const r = /^(a+)+$/;',
    tests: 'console.assert(!r.test("a".repeat(40) + "b"))',
    kind: 'fail',
    reason: 'timeout',
  },
  // ---- memory ----------------------------------------------------------------------------------------
  { name: 'array memory bomb', program: 'const a = []; for (;;) a.push(new Array(10000).fill(1.5));', kind: 'fail', reason: 'oom', memory: true },
  { name: 'object and map memory bomb', program: 'const o = {}; const m = new Map(); for (let i = 0; ; i++) { o["k" + i] = new Array(1000).fill(i); m.set(i, { i }); }', kind: 'fail', reason: 'oom', memory: true },
  { name: 'string doubling bomb', program: 'let s = "x"; for (;;) s += s;', kind: 'fail', reason: 'oom', memory: true },
  { name: 'string repeat bomb', program: 'const s = "y".repeat(2 ** 30);', kind: 'fail', reason: 'oom', memory: true },
  { name: 'typed array bomb', program: 'const keep = []; for (;;) keep.push(new Float64Array(4 * 1024 * 1024));', kind: 'fail', reason: 'oom', memory: true },
  { name: 'one huge typed array', program: 'const big = new Uint8Array(1024 * 1024 * 1024);', kind: 'fail', reason: 'oom', memory: true },
  {
    name: 'stack overflow',
    program: 'function down(n) { return down(n + 1) + 1; }',
    tests: 'down(0)',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail).toContain('Maximum call stack size exceeded'),
  },
  // ---- output --------------------------------------------------------------------------------------
  { name: 'output flood', program: 'for (;;) console.log("spam ".repeat(200));', kind: 'fail', reason: 'output_limit' },
  {
    name: 'output flood that catches the limit error',
    program: 'for (let i = 0; i < 5000; i++) { try { console.log("z".repeat(1000)); } catch (e) {} }',
    kind: 'fail',
    reason: 'output_limit',
    also: (v) => expect((v.output ?? '').length).toBeLessThan(1200),
  },
  // ---- values that would run code in the host ------------------------------------------------------
  { name: 'a Proxy as the completion value', program: 'new Proxy({}, { get() { while (true) {} }, ownKeys() { while (true) {} } });', tests: PASS, kind: 'pass', reason: 'pass' },
  { name: 'a function as the completion value', program: '(() => { while (true) {} });', tests: PASS, kind: 'pass', reason: 'pass' },
  {
    name: 'a looping getter on the global object',
    program: 'Object.defineProperty(globalThis, "trap", { get() { while (true) {} }, enumerable: true });',
    tests: PASS,
    kind: 'pass',
    reason: 'pass',
  },
  { name: 'throwing a number', program: 'throw 42;', kind: 'fail', reason: 'runtime_error', also: (v) => expect(v.detail).toContain('42') },
  { name: 'throwing null from the tests', program: 'const f = () => { throw null; };', tests: 'f()', kind: 'fail', reason: 'runtime_error', also: (v) => expect(v.detail).toContain('thrown null') },
  { name: 'throwing an object with a looping toString', program: 'throw { toString() { while (true) {} } };', kind: 'fail', reason: 'runtime_error' },
  { name: 'throwing a Symbol from the tests', program: 'const f = () => { throw Symbol("s"); };', tests: 'f()', kind: 'fail', reason: 'runtime_error' },
  { name: 'throwing a Proxy with looping traps at top level', program: 'throw new Proxy({}, { get() { while (true) {} } });', kind: 'fail', reason: 'timeout' },
  { name: 'throwing a Proxy with looping traps from the tests', program: 'const f = () => { throw new Proxy(new Error("p"), { get() { while (true) {} } }); };', tests: 'f()', kind: 'fail', reason: 'timeout' },
  { name: 'throwing an Error whose message getter loops', program: 'const e = new Error("m"); Object.defineProperty(e, "message", { get() { while (true) {} } }); const f = () => { throw e; };', tests: 'f()', kind: 'fail', reason: 'timeout' },
  // ---- tampering with what the tests rely on --------------------------------------------------------
  {
    name: 'replacing JSON.stringify does not make wrong answers pass',
    program: 'try { JSON.stringify = () => "same"; } catch (e) {}\nconst f = () => [1, 2];',
    tests: 'console.assert(JSON.stringify(f()) === JSON.stringify([2, 1]))',
    kind: 'fail',
    reason: 'assertion',
  },
  { name: 'shadowing JSON at top level is refused', program: 'const JSON = { stringify: () => "same" };', tests: PASS, kind: 'fail', reason: 'runtime_error' },
];

// State that must not survive into the next check: a first check changes things, a second one
// (on the same sandbox process) must see a pristine context.
const leaks: Array<{ name: string; first: string; second: string; probe: string }> = [
  {
    name: 'Object.prototype / Array.prototype pollution',
    first: 'Object.prototype.polluted = 1; Array.prototype.push = null; Object.defineProperty(Object.prototype, "toJSON", { value: () => "x", configurable: true });',
    second: '',
    probe: 'console.assert(({}).polluted === undefined); console.assert(typeof [].push === "function"); console.assert(JSON.stringify([1]) === "[1]")',
  },
  {
    name: 'globals and builtins replaced',
    first: 'globalThis.counter = (globalThis.counter || 0) + 1; Math.max = () => 0; String.prototype.trim = () => "x"; Math.random = () => 0.5;',
    second: '',
    probe: 'console.assert(typeof counter === "undefined"); console.assert(Math.max(1, 2) === 2); console.assert(" a ".trim() === "a"); console.assert(Math.random() !== 0.5)',
  },
  {
    name: 'code that passes on the first call and would misbehave later',
    first: 'globalThis.__calls = (globalThis.__calls || 0) + 1; const f = () => (globalThis.__calls === 1 ? 1 : 2);',
    second: 'globalThis.__calls = (globalThis.__calls || 0) + 1; const f = () => (globalThis.__calls === 1 ? 1 : 2);',
    probe: 'console.assert(f() === 1)',
  },
];

describe('security: containment', () => {
  it('has at least 30 hostile cases', () => {
    expect(cases.length + leaks.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of cases) {
    it(`${c.name} -> ${c.kind}/${c.reason}, then an ordinary check passes`, { timeout: 60_000 }, async () => {
      const v = c.memory === true ? memoryVerifier : verifier;
      const verdict = await v.checkProgram(c.program, c.tests ?? PASS);
      expect(verdict, JSON.stringify(verdict)).toMatchObject({ kind: c.kind, reason: c.reason });
      c.also?.(verdict);
      await expectOrdinaryPass(v);
    });
  }
});

describe('security: no state leaks between checks', () => {
  for (const leak of leaks) {
    it(`${leak.name}: the next check sees a fresh context`, { timeout: 60_000 }, async () => {
      const first = await verifier.checkProgram(leak.first, leak.second === '' ? PASS : leak.probe);
      expect(first, JSON.stringify(first)).toMatchObject({ kind: 'pass' });
      const second = await verifier.checkProgram(leak.second, leak.probe);
      expect(second, JSON.stringify(second)).toMatchObject({ kind: 'pass' });
      await expectOrdinaryPass(verifier);
    });
  }
});

describe('security: a killed sandbox process', () => {
  it('turns the running check into error/sandbox_crash and the next check passes', { timeout: 90_000 }, async () => {
    const slow = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 60_000, wallTimeMs: 120_000 });
    try {
      await expectOrdinaryPass(slow);
      const running = slow.checkProgram('for (;;) {}', PASS);
      let pids: number[] = [];
      while (pids.length === 0) {
        await new Promise((r) => setTimeout(r, 20));
        pids = slow.busyProcessIds();
      }
      process.kill(pids[0], 'SIGKILL');
      const verdict = await running;
      expect(verdict).toMatchObject({ kind: 'error', reason: 'sandbox_crash' });
      expect(verdict.detail).toContain('SIGKILL');
      await expectOrdinaryPass(slow);
      expect(slow.processIds()).not.toContain(pids[0]);
    } finally {
      await slow.close();
    }
  });
});

describe('security: the runner process itself', () => {
  /** Starts `probe.mjs` (in a temp folder) with `execArgv` and returns what it reports. */
  async function probe(execArgv: (dir: string) => string[], env: Record<string, string> = {}): Promise<{ report: Record<string, string>; wrote: boolean }> {
    const dir = mkdtempSync(join(tmpdir(), 'mcg-runner-perm-'));
    try {
      const file = join(dir, 'probe.mjs');
      const target = join(dir, 'written.txt');
      writeFileSync(
        file,
        [
          "import { writeFileSync, readFileSync } from 'node:fs';",
          "import { execFileSync } from 'node:child_process';",
          'const out = {};',
          `try { writeFileSync(${JSON.stringify(target)}, 'x'); out.write = 'allowed'; } catch (e) { out.write = e.code; }`,
          "try { execFileSync('true'); out.spawn = 'allowed'; } catch (e) { out.spawn = e.code; }",
          "try { readFileSync('/etc/hostname'); out.readOutside = 'allowed'; } catch (e) { out.readOutside = e.code === 'ENOENT' ? 'allowed' : e.code; }",
          'process.send(out, () => process.exit(0));',
        ].join('\n'),
      );
      const child = fork(file, [], { execArgv: execArgv(dir), env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      const report = await new Promise<Record<string, string>>((resolve, reject) => {
        child.once('message', (m) => resolve(m as Record<string, string>));
        child.once('exit', (code) => reject(new Error(`probe exited with ${code} before reporting`)));
      });
      return { report, wrote: existsSync(target) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('the built runner may not write files, start processes or read outside its folders', { timeout: 60_000 }, async () => {
    const isolatedVmDir = dirname(createRequire(import.meta.url).resolve('isolated-vm/package.json'));
    const { report, wrote } = await probe((dir) => runnerExecArgv({ kind: 'js', dir, isolatedVmDir }));
    expect(report).toEqual({ write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', readOutside: 'ERR_ACCESS_DENIED' });
    expect(wrote).toBe(false);
  });

  it('the runner started through tsx may not write files either', { timeout: 60_000 }, async () => {
    const { execArgv, env } = resolveRunnerEntry();
    expect(execArgv.some((a) => a.startsWith('--allow-fs-write'))).toBe(false);
    const { report, wrote } = await probe(() => execArgv, env);
    expect(report.write).toBe('ERR_ACCESS_DENIED');
    expect(wrote).toBe(false);
  });
});
