// The in-sandbox harness: throwing console.assert, the assert helpers, the lodash isEqual shim, the
// require that refuses other modules, output capture, the seeded Math.random and assertion counting.

import { afterAll, describe, expect, it } from 'vitest';
import { createCodeVerifier } from '../../../verifiers/code/index.js';
import { expectOrdinaryPass } from './sandbox-fixture.js';

const verifier = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 2000 });
afterAll(() => verifier.close());

describe('console.assert', () => {
  it('throws on failure, so the rest of the test does not run', async () => {
    const v = await verifier.checkProgram('', 'console.assert(1 === 2, "boom", 42);\nthrow new Error("not reached");');
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion' });
    expect(v.detail).toContain('console.assert failed: boom 42');
    expect(v.detail).not.toContain('not reached');
  });

  it('throws an Error named AssertionError', async () => {
    const v = await verifier.checkProgram(
      'let seen = "none";\ntry { console.assert(false); } catch (e) { seen = e.name + ":" + (e instanceof Error); }\nconsole.log(seen);',
      'console.assert(true)',
    );
    expect(v.output).toBe('AssertionError:true\n');
  });

  it('fails the check even when the failed assertion is caught', async () => {
    const v = await verifier.checkProgram('const f = () => { try { console.assert(false, "inner"); } catch (e) {} return 1; };', 'console.assert(f() === 1)');
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion' });
    expect(v.detail).toContain('inner');
  });

  it('counts each call as a test and gives partial credit', async () => {
    const tests = 'const t = () => {\n  console.assert(sq(1) === 1)\n  console.assert(sq(2) === 4)\n  console.assert(sq(3) === 10)\n  console.assert(sq(4) === 16)\n}\nt()\n';
    const v = await verifier.checkProgram('const sq = (x) => x * x;', tests);
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 2, total: 4 }, score: 0.5 });
    expect(v.detail).toMatch(/test-0\.js:4:\d+/);
  });

  it('counts assertions run in loops beyond the call sites', async () => {
    const v = await verifier.checkProgram('const id = (x) => x;', 'for (let i = 0; i < 10; i++) console.assert(id(i) === i);');
    expect(v).toMatchObject({ kind: 'pass', tests: { passed: 10, total: 10 } });
  });

  it('cannot be replaced by the solution', async () => {
    const program = 'try { console.assert = () => {}; } catch (e) {}\ntry { globalThis.console = { assert() {} }; } catch (e) {}\nconst f = () => 1;';
    expect(await verifier.checkProgram(program, 'console.assert(f() === 2)')).toMatchObject({ kind: 'fail', reason: 'assertion' });
  });
});

describe('assert helpers', () => {
  it('pass on true statements, one test per script in a list', async () => {
    const tests = [
      'assert(1)',
      'assert.ok("x")',
      'assert.equal(1, "1")',
      'assert.notEqual(1, 2)',
      'assert.strictEqual(NaN, NaN)',
      'assert.notStrictEqual(1, "1")',
      'assert.deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })',
      'assert.deepStrictEqual(new Map([[1, "a"]]), new Map([[1, "a"]]))',
      'assert.notDeepEqual([1, 2], [2, 1])',
      'assert.throws(() => { throw new TypeError("bad input") }, TypeError)',
      'assert.throws(() => { throw new Error("bad input") }, /bad/)',
      'assert.throws(() => { throw new Error("x") }, (e) => e.message === "x")',
    ];
    const v = await verifier.checkProgram('', tests);
    expect(v).toMatchObject({ kind: 'pass', tests: { passed: tests.length, total: tests.length } });
  });

  it('fail on false statements, each with reason assertion', async () => {
    const tests = [
      'assert(0)',
      'assert.ok("")',
      'assert.equal(1, 2)',
      'assert.strictEqual(1, "1")',
      'assert.deepEqual({ a: 1 }, { a: 2 })',
      'assert.throws(() => 1)',
      'assert.throws(() => { throw new Error("x") }, TypeError)',
      'assert.fail("nope")',
    ];
    const v = await verifier.checkProgram('', tests);
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 0, total: tests.length } });
    expect(v.detail).toContain('test 1 of 8: AssertionError: assert(value) failed');
  });
});

describe('require', () => {
  it('serves lodash isEqual with lodash semantics', async () => {
    const tests = [
      'const _ = require("lodash"); console.assert(_.isEqual([1, { a: [2, 3] }], [1, { a: [2, 3] }]))',
      'console.assert(require("lodash").isEqual(-0, 0))',
      'console.assert(require("lodash").isEqual(NaN, NaN))',
      'console.assert(!require("lodash").isEqual([1, 2], [2, 1]))',
      'console.assert(require("lodash").isEqual(new Set([1, 2]), new Set([2, 1])))',
      'console.assert(require("lodash").isEqual(new Map([["a", 1], ["b", 2]]), new Map([["b", 2], ["a", 1]])))',
      'console.assert(!require("lodash").isEqual({ a: 1 }, { a: 1, b: undefined }))',
      'class P { constructor() { this.x = 1 } }; console.assert(!require("lodash").isEqual(new P(), { x: 1 }))',
      'console.assert(require("lodash").isEqual(new Date(5), new Date(5)))',
      'const a = { n: 1 }; a.self = a; const b = { n: 1 }; b.self = b; console.assert(require("lodash").isEqual(a, b))',
      'console.assert(!require("lodash").isEqual("1", 1))',
    ];
    const v = await verifier.checkProgram('', tests);
    expect(v).toMatchObject({ kind: 'pass', tests: { passed: tests.length, total: tests.length } });
  });

  it('refuses any other module with a runtime error saying it is not available', async () => {
    const v = await verifier.checkProgram('const md5 = require("js-md5");', 'console.assert(true)');
    expect(v).toMatchObject({ kind: 'fail', reason: 'runtime_error' });
    expect(v.detail).toContain('module "js-md5" is not available in the sandbox');
  });

  it('counts an MBJSP-style failed comparison followed by a throw as an assertion failure', async () => {
    const tests = 'const _ = require("lodash")\nfunction compare(a, b) { return _.isEqual(a, b) }\nif (!compare(dbl(1), 2)) { throw "Error at 1th assert statement" }\nif (!compare(dbl(2), 5)) { throw "Error at 2th assert statement. " + JSON.stringify(x) }\nif (!compare(dbl(3), 6)) { throw "Error at 3th assert statement" }\n';
    const v = await verifier.checkProgram('function dbl(n) { return n * 2 }', tests);
    expect(v).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 3 } });
    expect(v.detail).toContain('equality check failed');
  });
});

describe('console output and randomness', () => {
  it('captures console output with a head and a tail when it is long', async () => {
    const small = createCodeVerifier({ poolSize: 1, maxOutputBytes: 200 });
    try {
      const v = await small.checkProgram('for (let i = 0; i < 200; i++) console.log("line " + i, { i }, [i]);', 'console.assert(true)');
      expect(v.kind).toBe('pass');
      expect(v.output?.startsWith('line 0 {"i":0} [0]\n')).toBe(true);
      expect(v.output?.endsWith('line 199 {"i":199} [199]\n')).toBe(true);
      expect(v.output).toMatch(/\.\.\.\[\d+ characters omitted\]\.\.\./);
      expect((v.output ?? '').length).toBeLessThan(200 + 60);
    } finally {
      await small.close();
    }
  });

  it('seeds Math.random per program, so the same check gives the same output', async () => {
    const program = 'console.log(Math.random(), Math.random());';
    const a = await verifier.checkProgram(program, 'console.assert(true)');
    const b = await verifier.checkProgram(program, 'console.assert(true)');
    expect(a.output).toMatch(/^0\.\d+ 0\.\d+\n$/);
    expect(b.output).toBe(a.output);
  });

  it('stays healthy after all of the above', async () => {
    await expectOrdinaryPass(verifier);
  });
});
