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
    name: 'no network, Node globals, WebAssembly or SharedArrayBuffer; timers are the sandbox\'s own',
    program: '',
    tests: [
      [
        ...'fetch, process, Buffer, global, module, exports, __dirname, WebAssembly, SharedArrayBuffer, ivm, XMLHttpRequest, WebSocket'
          .split(', ')
          .map((n) => `console.assert(typeof ${n} === "undefined", "${n} is defined")`),
        // Virtual timers: they exist, and a long delay costs no wall-clock time.
        ...'setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate, queueMicrotask'
          .split(', ')
          .map((n) => `console.assert(typeof ${n} === "function", "${n} is missing")`),
        'let fired = false; setTimeout(() => { fired = true; }, 3_600_000); setTimeout(() => console.assert(fired, "the hour-long timer did not fire first"), 3_600_001);',
      ].join('\n'),
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

// ---- asynchronous tests: a test passes only when everything it started settled ------------------
// The two reported hacks first, then variants. A wrong `add` (a - b) hides behind work that never ends.
const ASYNC_TEST = '(async()=>{ assert.equal(await add(1,2),3); })()';
const MAIN_TEST = "const main = async () => { const r = await add(1,2); if (r !== 3) throw new Error('bad'); }; main();";
const THEN_TEST = 'add(1, 2).then((r) => assert.equal(r, 3));';

const asyncHacks: Case[] = [
  { name: 'an await that never resolves inside the solution', program: 'async function add(a,b){ await new Promise(()=>{}); return a-b }', tests: ASYNC_TEST, kind: 'fail', reason: 'unsettled' },
  { name: 'a returned promise that never settles, awaited by a dropped main()', program: 'function add(a,b){ return new Promise(()=>{}) }', tests: MAIN_TEST, kind: 'fail', reason: 'unsettled' },
  { name: 'a never-settling promise in a .then test', program: 'function add(a,b){ return new Promise(()=>{}) }', tests: THEN_TEST, kind: 'fail', reason: 'unsettled' },
  { name: 'a never-settling promise returned by the test script', program: 'function add(a,b){ return new Promise(()=>{}) }', tests: 'add(1, 2)', kind: 'fail', reason: 'unsettled' },
  { name: 'a named async test function called without await', program: 'function add(a,b){ return new Promise(()=>{}) }', tests: 'async function t() { assert.equal(await add(1, 2), 3); }\nt();\nconsole.assert(true);', kind: 'fail', reason: 'unsettled' },
  { name: 'a thenable whose then never calls back', program: 'function add(a,b){ return { then() {} } }', tests: ASYNC_TEST, kind: 'fail', reason: 'unsettled' },
  { name: 'a thenable whose then returns a value instead of calling back', program: 'function add(a,b){ return { then(ok) { return "done"; } } }', tests: THEN_TEST, kind: 'fail', reason: 'unsettled' },
  {
    name: 'a resolved promise whose own then is replaced by a no-op',
    program: 'function add(a,b){ const p = Promise.resolve(a-b); p.then = function () { return this; }; return p; }',
    tests: THEN_TEST,
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'a resolved promise whose constructor is faked so await would call a dead then',
    program: 'function add(a,b){ const p = Promise.resolve(a-b); p.constructor = Object; p.then = function () {}; return p; }',
    tests: ASYNC_TEST,
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'Promise.prototype.then patched to report success',
    program: 'try { Promise.prototype.then = function (ok) { ok(3); return this; }; } catch {}\nasync function add(a,b){ return a-b }',
    tests: ASYNC_TEST,
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'Promise.prototype.then redefined with defineProperty',
    program: 'Object.defineProperty(Promise.prototype, "then", { value() {} });\nasync function add(a,b){ return a-b }',
    kind: 'fail',
    reason: 'runtime_error',
  },
  {
    name: 'Promise replaced by assignment',
    program: 'Promise = class { then() {} };\nfunction add(a,b){ return new Promise(() => {}) }',
    tests: ASYNC_TEST,
    kind: 'fail',
    reason: 'unsettled',
  },
  {
    name: 'globalThis.Promise replaced by a class that never settles',
    program: '"use strict"; globalThis.Promise = class { constructor() {} then() {} };\nfunction add(a,b){ return a-b }',
    kind: 'fail',
    reason: 'runtime_error',
  },
  {
    name: 'Promise redefined with defineProperty',
    program: 'Object.defineProperty(globalThis, "Promise", { value: function () {} });\nfunction add(a,b){ return a-b }',
    kind: 'fail',
    reason: 'runtime_error',
  },
  {
    name: 'Promise.resolve and Promise.all replaced',
    program: 'try { Promise.resolve = () => ({ then() {} }); Promise.all = () => ({ then() {} }); } catch {}\nfunction add(a,b){ return Promise.resolve(a-b) }',
    tests: 'Promise.all([add(1, 2)]).then(([r]) => assert.equal(r, 3));',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'the async-tracking global is frozen and pinned',
    program: 'try { __mcgAsync.enter = () => 0; __mcgAsync.exit = () => {}; } catch {}\ntry { globalThis.__mcgAsync = { enter() {}, exit() {}, threw() {}, chain: (x, m) => () => undefined, sameAssert: () => true }; } catch {}\nfunction add(a,b){ return new Promise(()=>{}) }',
    tests: ASYNC_TEST,
    kind: 'fail',
    reason: 'unsettled',
  },
  {
    name: 'setTimeout replaced by a function that never calls back',
    program: 'try { setTimeout = () => 0; } catch {}\ntry { globalThis.setTimeout = () => 0; } catch {}\nfunction add(a,b){ return a-b }',
    tests: 'setTimeout(() => assert.equal(add(1, 2), 3), 10);',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'queueMicrotask replaced by a no-op',
    program: 'try { queueMicrotask = () => {}; } catch {}\nfunction add(a,b){ return a-b }',
    tests: 'queueMicrotask(() => assert.equal(add(1, 2), 3));',
    kind: 'fail',
    reason: 'assertion',
  },
  { name: 'an interval the solution never clears', program: 'setInterval(() => {}, 10);\nfunction add(a,b){ return a+b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'unsettled' },
  { name: 'a timeout that re-arms itself forever', program: 'function add(a,b){ const tick = () => setTimeout(tick, 0); tick(); return a+b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'unsettled' },
  {
    name: 'a promise that waits on a timer that keeps re-arming',
    program: 'function add(a,b){ return new Promise(() => { const f = () => setTimeout(f, 1); f(); }) }',
    tests: ASYNC_TEST,
    kind: 'fail',
    reason: 'unsettled',
  },
  { name: 'an endless microtask loop', program: 'function add(a,b){ const loop = () => Promise.resolve().then(loop); loop(); return a+b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'timeout' },
  { name: 'a rejection nobody awaits (the dropped async test rejects)', program: 'async function add(a,b){ return a-b }', tests: 'async function t() { assert.equal(await add(1, 2), 3); }\nt();\nconsole.assert(true);', kind: 'fail', reason: 'assertion' },
  { name: 'an unhandled rejection inside the solution', program: 'function add(a,b){ Promise.reject(new Error("lost")); return a+b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'runtime_error' },
  { name: 'a timer callback that throws after the test returned', program: 'function add(a,b){ return a-b }', tests: 'setTimeout(() => assert.equal(add(1, 2), 3), 5000);', kind: 'fail', reason: 'assertion' },
  // A test helper the solution redefines.
  { name: 'assert redefined by a function declaration (the harness puts its own back)', program: 'function assert() {}\nassert.equal = () => {};\nfunction add(a,b){ return a-b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'assertion' },
  { name: 'assert shadowed by a global let', program: 'let assert = { equal() {}, ok() {} };\nfunction add(a,b){ return a-b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'runtime_error' },
  { name: 'assert replaced by an accessor', program: 'Object.defineProperty(globalThis, "assert", { get() { return { equal() {} }; }, configurable: false });\nfunction add(a,b){ return a-b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'runtime_error' },
  { name: 'the assert helper mutated in place', program: 'try { assert.equal = () => {}; } catch {}\nfunction add(a,b){ return a-b }', tests: 'assert.equal(add(1, 2), 3)', kind: 'fail', reason: 'assertion' },
  { name: 'console.assert silenced', program: 'try { console.assert = () => {}; } catch {}\ntry { globalThis.console = { assert() {}, log() {} }; } catch {}\nfunction add(a,b){ return a-b }', tests: 'console.assert(add(1, 2) === 3)', kind: 'fail', reason: 'assertion' },
  {
    name: 'a test variable locked by a global accessor (var main = ... is swallowed)',
    program: 'Object.defineProperty(globalThis, "main", { get() { return () => {}; }, set() {}, configurable: false });\nfunction add(a,b){ return a-b }',
    tests: 'var main = function () { assert.equal(add(1, 2), 3); };\nmain();',
    kind: 'fail',
    reason: 'runtime_error',
  },
  {
    name: 'a test function locked by a read-only global',
    program: 'Object.defineProperty(globalThis, "check", { value: () => {}, writable: false, configurable: false });\nfunction add(a,b){ return a-b }',
    tests: 'function check() { assert.equal(add(1, 2), 3); }\ncheck();',
    kind: 'fail',
    reason: 'runtime_error',
  },
];

// Controls: correct asynchronous solutions and tests whose timers finish must pass.
const asyncControls: Case[] = [
  { name: 'await of a correct async solution', program: 'async function add(a,b){ await null; return a+b }', tests: ASYNC_TEST, kind: 'pass', reason: 'pass' },
  { name: 'a dropped main() over a correct promise', program: 'function add(a,b){ return Promise.resolve(a+b) }', tests: MAIN_TEST, kind: 'pass', reason: 'pass' },
  { name: 'a .then chain', program: 'function add(a,b){ return Promise.resolve(a).then((x) => x + b) }', tests: 'add(1, 2).then((r) => r * 2).then((r) => assert.equal(r, 6)).finally(() => {});', kind: 'pass', reason: 'pass' },
  { name: 'a solution resolving through a timer', program: 'function add(a,b){ return new Promise((ok) => setTimeout(() => ok(a+b), 250)) }', tests: ASYNC_TEST, kind: 'pass', reason: 'pass' },
  { name: 'a chain of timeouts that ends', program: 'function add(a,b){ return a+b }', tests: 'let n = 0; const step = () => { n++; if (n < 5) setTimeout(step, 100); else assert.equal(add(n, 1), 6); }; setTimeout(step, 0);', kind: 'pass', reason: 'pass' },
  { name: 'an interval cleared after three ticks', program: 'function add(a,b){ return a+b }', tests: 'let n = 0; const id = setInterval(() => { n = add(n, 1); if (n === 3) clearInterval(id); }, 10); setTimeout(() => assert.equal(n, 3), 1000);', kind: 'pass', reason: 'pass' },
  { name: 'queueMicrotask and setImmediate', program: 'function add(a,b){ return a+b }', tests: 'let seen = ""; queueMicrotask(() => { seen += "m"; }); setImmediate(() => { seen += "i"; assert.equal(seen, "mi"); });', kind: 'pass', reason: 'pass' },
  { name: 'Promise.all over several calls', program: 'async function add(a,b){ return a+b }', tests: '(async () => { const r = await Promise.all([add(1, 2), add(3, 4)]); assert.deepEqual(r, [3, 7]); })()', kind: 'pass', reason: 'pass' },
  { name: 'an expected rejection caught by the test', program: 'async function add(a,b){ if (typeof b !== "number") throw new TypeError("b"); return a+b }', tests: 'add(1, "x").catch((e) => assert.ok(e instanceof TypeError));\n(async () => { try { await add(1, null); assert.fail("no throw"); } catch (e) { assert.ok(e instanceof TypeError); } })()', kind: 'pass', reason: 'pass' },
  { name: 'an async solution awaited in a sync-looking test that awaits nothing', program: 'async function add(a,b){ return a+b }\nfunction addSync(a,b){ return a+b }', tests: 'assert.equal(addSync(1, 2), 3)', kind: 'pass', reason: 'pass' },
  { name: 'an async arrow with an expression body', program: 'const add = async (a, b) => a + b;', tests: 'const t = async () => assert.equal(await add(1, 2), 3);\nt();', kind: 'pass', reason: 'pass' },
  { name: 'a test that declares assert-free helpers the program also uses', program: 'var total = 0; function add(a,b){ total += 1; return a+b }', tests: 'var total = 10; const main = async () => { assert.equal(await add(1, 2), 3); assert.equal(total, 11); }; main();', kind: 'pass', reason: 'pass' },
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

describe('security: asynchronous tests settle or fail', () => {
  it('has every reported variant and controls', () => {
    expect(asyncHacks.length).toBeGreaterThanOrEqual(25);
    expect(asyncControls.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of [...asyncHacks, ...asyncControls]) {
    it(`${c.name} -> ${c.kind}/${c.reason}, then an ordinary check passes`, { timeout: 60_000 }, async () => {
      const verdict = await verifier.checkProgram(c.program, c.tests ?? PASS);
      expect(verdict, JSON.stringify(verdict)).toMatchObject({ kind: c.kind, reason: c.reason });
      await expectOrdinaryPass(verifier);
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

  it('the built Python runner may not write files, start processes or read outside its folders, and has code generation from strings off', { timeout: 60_000 }, async () => {
    const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
    const execArgv = (dir: string) => runnerExecArgv({ kind: 'python-js', dir, pyodideDir });
    expect(execArgv('/x')).toContain('--disallow-code-generation-from-strings');
    const { report, wrote } = await probe(execArgv);
    expect(report).toEqual({ write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', readOutside: 'ERR_ACCESS_DENIED' });
    expect(wrote).toBe(false);
  });

  it('the Python runner started through tsx may not write files either', { timeout: 60_000 }, async () => {
    const { execArgv, env } = resolveRunnerEntry('python');
    expect(execArgv.some((a) => a.startsWith('--allow-fs-write'))).toBe(false);
    const { report, wrote } = await probe(() => execArgv, env);
    expect(report.write).toBe('ERR_ACCESS_DENIED');
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
