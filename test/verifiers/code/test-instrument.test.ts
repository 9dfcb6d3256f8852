// The test instrumenter: which sources it rewrites, that the rewrite keeps lines and meaning, and that
// the calls it adds reach the tracking global in the order the sandbox relies on.

import { runInNewContext } from 'node:vm';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { ASYNC_GLOBAL, instrumentTest } from '../../../verifiers/code/test-instrument.js';

const lines = (s: string): number => s.split('\n').length;

/** Runs an instrumented source in a fresh Node context with a recording stand-in for the global. */
async function runRecorded(source: string): Promise<{ log: string[]; value: unknown }> {
  const log: string[] = [];
  let next = 0;
  const tracker = {
    enter: () => {
      const t = next++;
      log.push(`enter ${t}`);
      return t;
    },
    exit: (t: number) => log.push(`exit ${t}`),
    threw: (t: number, e: unknown) => log.push(`threw ${t} ${(e as Error).message}`),
    chain: (x: Promise<unknown>, method: 'then' | 'catch' | 'finally') => {
      log.push(`chain ${method}`);
      return (...args: unknown[]) => (Promise.prototype[method] as (...a: unknown[]) => unknown).apply(x, args);
    },
  };
  const out = { value: undefined as unknown };
  const value: unknown = runInNewContext(source, { [ASYNC_GLOBAL]: tracker, out, Promise });
  out.value = await value;
  await new Promise((r) => setTimeout(r, 10));
  return { log, value: out.value };
}

describe('instrumentTest', () => {
  it('leaves synchronous tests exactly as written', () => {
    const src = 'const x = add(1, 2);\nconsole.assert(x === 3);\nassert.equal(add(2, 2), 4)';
    const out = instrumentTest(src);
    expect(out.source).toBe(src);
    expect(out.tracksAsync).toBe(false);
    expect(out.declared).toEqual(['x']);
  });

  it('lists top-level declarations, including destructured names, but not nested ones', () => {
    const out = instrumentTest('var a = 1; let { b, c: [d, ...e] } = o; const f = () => { var inner; };\nfunction g() {}\nclass H {}\n{ let blockScoped; }');
    expect(out.declared).toEqual(['H', 'a', 'b', 'd', 'e', 'f', 'g']);
  });

  it('leaves a source that does not parse unchanged (compiling it reports the error)', () => {
    const src = 'async function (( {';
    expect(instrumentTest(src)).toEqual({ source: src, declared: [], tracksAsync: false });
  });

  it('wraps async bodies and promise chains without adding lines, and the result parses', () => {
    const src = [
      '"use strict";',
      'const t = async (x) => x + 1;',
      'async function main() {',
      '  "use strict";',
      '  const r = await add(1, 2);',
      '  p.then((v) => v).catch(() => 0)["finally"](() => {});',
      '}',
      'const o = { async m() { return 1; }, t };',
      'main();',
    ].join('\n');
    const out = instrumentTest(src);
    expect(out.tracksAsync).toBe(true);
    expect(lines(out.source)).toBe(lines(src));
    expect(() => parse(out.source, { ecmaVersion: 'latest', sourceType: 'script' })).not.toThrow();
    // The directive stays first in the function body, so the function is still strict.
    expect(out.source).toMatch(/async function main\(\) \{\n {2}"use strict"; const __mcgT = __mcgAsync\.enter\(\)/);
    expect(out.source.match(/__mcgAsync\.enter\(\)/g)).toHaveLength(3);
    expect(out.source.match(/__mcgAsync\.chain\(/g)).toHaveLength(3);
    // The shorthand property `t` is copied once.
    expect(out.source).toContain(', t };');
  });

  it('does not touch optional chains, super calls or other members named like chain methods', () => {
    const src = 'p?.then(f); p.then?.(f); x.thenable(); class A extends B { m() { return super.then(f); } }';
    const out = instrumentTest(src);
    expect(out.source).toBe(src);
  });

  it('keeps the meaning: values, order, and every async call entered and exited', async () => {
    const src = 'const add = async (a, b) => a + b;\nasync function run() { const r = await add(1, 2); return Promise.resolve(r).then((v) => v * 10); }\nrun()';
    const { log, value } = await runRecorded(instrumentTest(src).source);
    expect(value).toBe(30);
    expect(log.filter((l) => l.startsWith('enter'))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('exit'))).toHaveLength(2);
    expect(log).toContain('chain then');
  });

  it('reports a throw in an async body before re-throwing it', async () => {
    const src = 'const f = async () => { throw new Error("boom"); };\nf().catch((e) => e.message)';
    const { log, value } = await runRecorded(instrumentTest(src).source);
    expect(value).toBe('boom');
    expect(log).toContain('threw 0 boom');
    expect(log).toContain('chain catch');
  });

  it('is deterministic', () => {
    const src = 'async function t() { await x.then(y); }\nt();';
    expect(instrumentTest(src)).toEqual(instrumentTest(src));
  });
});
