// The JavaScript that runs inside every sandbox context before the solution: console capture, the
// throwing console.assert, the assert helpers, the lodash isEqual shim, the seeded Math.random, and the
// removal of WebAssembly / SharedArrayBuffer / Atomics.wait. Imports nothing: it is plain source text
// that the runner compiles once per isolate (see sandbox-runner.ts).
//
// Rules for the source below: it captures every intrinsic it uses while the context is still pristine
// and never calls a prototype method afterwards (solution code may have replaced them), it creates only
// null-prototype records, and everything it hands to the runner is a primitive string.

/** File name the harness is compiled under (it shows in stack traces and is skipped when locating errors). */
export const HARNESS_FILENAME = 'file:///mcg-harness.js';

/**
 * Source of the harness. Its completion value is `init(configJson)`; `init` installs the globals and
 * returns `control(command, arg)`, which the runner calls through an isolated-vm Reference and which
 * only ever returns primitive strings. Commands: `beginScript`, `beginTests`, `declared` (arg: JSON list of
 * names), `assertBinding`, `completion` (arg: the test script's completion value), `tick` (fires one timer:
 * `fired` or `idle`), `scriptResult`, `snapshot`.
 * Config: `{ seed, maxOutputBytes, maxOutputTotalBytes }`.
 */
export const HARNESS_SOURCE = String.raw`(function () {
'use strict';
return function init(configJson) {
  const g = globalThis;
  const apply = Reflect.apply;
  const ownKeysOf = Object.keys;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  const freeze = Object.freeze;
  const objectIs = Object.is;
  const isArray = Array.isArray;
  const hasOwn = Object.prototype.hasOwnProperty;
  const objectToString = Object.prototype.toString;
  const stringify = JSON.stringify;
  const parseJson = JSON.parse;
  const StringCtor = String;
  const strSlice = String.prototype.slice;
  const strIndexOf = String.prototype.indexOf;
  const symbolToString = Symbol.prototype.toString;
  const numberValueOf = Number.prototype.valueOf;
  const stringValueOf = String.prototype.valueOf;
  const booleanValueOf = Boolean.prototype.valueOf;
  const bigintValueOf = BigInt.prototype.valueOf;
  const dateGetTime = Date.prototype.getTime;
  const regexpSource = getOwnPropertyDescriptor(RegExp.prototype, 'source').get;
  const regexpFlags = getOwnPropertyDescriptor(RegExp.prototype, 'flags').get;
  const regexpExec = RegExp.prototype.exec;
  const ErrorCtor = Error;
  const RangeErrorCtor = RangeError;
  const RegExpCtor = RegExp;
  const WeakSetCtor = WeakSet;
  const weakAdd = WeakSet.prototype.add;
  const weakHas = WeakSet.prototype.has;
  const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size').get;
  const mapEntries = Map.prototype.entries;
  const mapHas = Map.prototype.has;
  const mapGet = Map.prototype.get;
  const mapIterNext = getPrototypeOf(new Map().entries()).next;
  const setSize = getOwnPropertyDescriptor(Set.prototype, 'size').get;
  const setValues = Set.prototype.values;
  const setHas = Set.prototype.has;
  const setIterNext = getPrototypeOf(new Set().values()).next;
  const isView = ArrayBuffer.isView;
  const typedLength = getOwnPropertyDescriptor(getPrototypeOf(Uint8Array.prototype), 'length').get;
  const dataViewLength = getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const dataViewGetUint8 = DataView.prototype.getUint8;
  const imul = Math.imul;
  const floor = Math.floor;
  const ObjectProto = Object.prototype;
  const PromiseCtor = Promise;
  const promiseThen = Promise.prototype.then;
  const TypeErrorCtor = TypeError;
  const SetCtor = Set;
  const setAdd = Set.prototype.add;
  const setDelete = Set.prototype.delete;
  const arrayPush = Array.prototype.push;
  const arraySplice = Array.prototype.splice;

  const config = parseJson(configJson);
  const MAX_DETAIL = 300;

  // ---- removals and lock-downs ------------------------------------------------------------------
  // WebAssembly memory is outside isolated-vm's memory limit; SharedArrayBuffer + Atomics.wait could
  // park the isolate thread. Error.prepareStackTrace is pinned so formatting a stack never runs
  // solution code.
  delete g.WebAssembly;
  delete g.SharedArrayBuffer;
  if (typeof Atomics === 'object') {
    delete Atomics.wait;
    delete Atomics.waitAsync;
  }
  defineProperty(ErrorCtor, 'prepareStackTrace', { value: undefined, writable: false, enumerable: false, configurable: false });

  // ---- state (closure only; nothing here is reachable from solution code) ---------------------------
  let inTests = false;
  let assertionsRun = 0;
  let assertionsPassed = 0;
  let lastCheckFailed = false;
  let lastCheckMessage = '';
  let scriptFailure = '';
  let scriptMessage = '';
  let outHead = '';
  let outTail = '';
  let outChars = 0;
  let outputLimitHit = false;
  const headMax = floor(config.maxOutputBytes / 2);
  const tailMax = config.maxOutputBytes - headMax;
  const harnessErrors = new WeakSetCtor();

  function includes(text, part) { return apply(strIndexOf, text, [part]) !== -1; }
  function cut(text, max) {
    return text.length <= max ? text : apply(strSlice, text, [0, max]) + '...';
  }
  function recordFailure(kind, message) {
    if (scriptFailure === '') { scriptFailure = kind; scriptMessage = cut(message, MAX_DETAIL); }
  }

  // Where an error was raised: the first stack frame outside the harness, as "file:line:col".
  function locate(stack) {
    let start = 0;
    while (start < stack.length) {
      let end = apply(strIndexOf, stack, ['\n', start]);
      if (end === -1) end = stack.length;
      const line = apply(strSlice, stack, [start, end]);
      start = end + 1;
      if (!includes(line, '    at ') || includes(line, 'mcg-harness.js')) continue;
      const at = apply(strIndexOf, line, ['file:///']);
      if (at === -1) continue;
      let stop = line.length;
      if (apply(strSlice, line, [stop - 1]) === ')') stop -= 1;
      return apply(strSlice, line, [at + 8, stop]);
    }
    return '';
  }
  function harnessError(kind, message) {
    const e = new ErrorCtor(message);
    defineProperty(e, 'name', { value: kind === 'assertion' ? 'AssertionError' : 'OutputLimitError', writable: true, enumerable: false, configurable: true });
    apply(weakAdd, harnessErrors, [e]);
    let where = '';
    try { where = locate(e.stack); } catch (_) { where = ''; }
    recordFailure(kind, (kind === 'assertion' ? 'AssertionError: ' : '') + message + (where === '' ? '' : ' at ' + where));
    return e;
  }

  // ---- value formatting (console) ----------------------------------------------------------------
  function formatValue(value) {
    const t = typeof value;
    if (t === 'string') return value;
    if (t === 'symbol') return apply(symbolToString, value, []);
    if (t === 'bigint') return StringCtor(value) + 'n';
    if (t !== 'object' && t !== 'function' || value === null) return StringCtor(value);
    if (t === 'function') return '[Function]';
    try {
      const s = stringify(value);
      if (typeof s === 'string') return s;
    } catch (_) { /* fall through */ }
    try {
      const s = StringCtor(value);
      if (typeof s === 'string') return s;
    } catch (_) { /* fall through */ }
    return '[object]';
  }
  function formatArgs(args, from) {
    let text = '';
    for (let i = from; i < args.length; i++) text += (i > from ? ' ' : '') + formatValue(args[i]);
    return text;
  }
  function write(text) {
    if (outputLimitHit) throw harnessError('output_limit', 'console output limit exceeded');
    outChars += text.length;
    if (outHead.length < headMax) {
      const room = headMax - outHead.length;
      outHead += apply(strSlice, text, [0, room]);
      text = text.length > room ? apply(strSlice, text, [room]) : '';
    }
    if (text.length > 0) {
      if (text.length >= tailMax) outTail = apply(strSlice, text, [text.length - tailMax]);
      else {
        const joined = outTail + text;
        outTail = joined.length > tailMax ? apply(strSlice, joined, [joined.length - tailMax]) : joined;
      }
    }
    if (outChars > config.maxOutputTotalBytes) {
      outputLimitHit = true;
      throw harnessError('output_limit', 'console output limit of ' + config.maxOutputTotalBytes + ' characters exceeded');
    }
  }
  function capturedOutput() {
    const kept = outHead.length + outTail.length;
    if (outChars <= kept) return outHead + outTail;
    return outHead + '\n...[' + (outChars - kept) + ' characters omitted]...\n' + outTail;
  }

  // ---- assertions ----------------------------------------------------------------------------------
  // Every assertion call made while tests run is counted; a failed one is recorded before it throws,
  // so a failure counts even when the exception is caught.
  function check(passed, message) {
    if (inTests) {
      assertionsRun += 1;
      if (passed) assertionsPassed += 1;
    }
    lastCheckFailed = !passed;
    if (!passed) {
      lastCheckMessage = message;
      throw harnessError('assertion', message);
    }
  }
  function describeMessage(message, fallback) {
    if (message === undefined) return fallback;
    if (typeof message === 'string') return message;
    return formatValue(message);
  }

  // Deep equality with lodash isEqual semantics: SameValueZero for primitives, own enumerable keys,
  // Map/Set compared without order, prototypes of non-plain objects must match. Cycles are handled.
  function isPlain(proto) { return proto === null || proto === ObjectProto; }
  function equal(a, b, seen) {
    if (a === b) return true;
    if (a !== a && b !== b) return true;
    if (a === null || b === null) return false;
    const ta = typeof a;
    const tb = typeof b;
    if (ta !== 'object' || tb !== 'object') return false;
    for (let s = seen; s !== null; s = s.next) if (s.a === a && s.b === b) return true;
    const frame = { __proto__: null, a: a, b: b, next: seen };
    const tag = apply(objectToString, a, []);
    if (tag !== apply(objectToString, b, [])) return false;
    try {
      if (tag === '[object Number]') { const x = apply(numberValueOf, a, []); const y = apply(numberValueOf, b, []); return x === y || (x !== x && y !== y); }
      if (tag === '[object String]') return apply(stringValueOf, a, []) === apply(stringValueOf, b, []);
      if (tag === '[object Boolean]') return apply(booleanValueOf, a, []) === apply(booleanValueOf, b, []);
      if (tag === '[object BigInt]') return apply(bigintValueOf, a, []) === apply(bigintValueOf, b, []);
      if (tag === '[object Date]') { const x = apply(dateGetTime, a, []); const y = apply(dateGetTime, b, []); return x === y || (x !== x && y !== y); }
      if (tag === '[object RegExp]') return apply(regexpSource, a, []) === apply(regexpSource, b, []) && apply(regexpFlags, a, []) === apply(regexpFlags, b, []);
      if (tag === '[object Error]') return a.name === b.name && a.message === b.message;
      if (tag === '[object Map]') {
        if (apply(mapSize, a, []) !== apply(mapSize, b, [])) return false;
        const it = apply(mapEntries, a, []);
        for (;;) {
          const step = apply(mapIterNext, it, []);
          if (step.done) return true;
          const key = step.value[0];
          if (!apply(mapHas, b, [key]) || !equal(step.value[1], apply(mapGet, b, [key]), frame)) return false;
        }
      }
      if (tag === '[object Set]') {
        if (apply(setSize, a, []) !== apply(setSize, b, [])) return false;
        const it = apply(setValues, a, []);
        for (;;) {
          const step = apply(setIterNext, it, []);
          if (step.done) return true;
          const value = step.value;
          if (apply(setHas, b, [value])) continue;
          let found = false;
          const other = apply(setValues, b, []);
          for (;;) {
            const o = apply(setIterNext, other, []);
            if (o.done) break;
            if (equal(value, o.value, frame)) { found = true; break; }
          }
          if (!found) return false;
        }
      }
      if (tag === '[object DataView]') {
        const n = apply(dataViewLength, a, []);
        if (n !== apply(dataViewLength, b, [])) return false;
        for (let i = 0; i < n; i++) if (apply(dataViewGetUint8, a, [i]) !== apply(dataViewGetUint8, b, [i])) return false;
        return true;
      }
      if (isView(a)) {
        if (!isView(b)) return false;
        const n = apply(typedLength, a, []);
        if (n !== apply(typedLength, b, [])) return false;
        for (let i = 0; i < n; i++) { const x = a[i]; const y = b[i]; if (!(x === y || (x !== x && y !== y))) return false; }
        return true;
      }
      if (isArray(a) || tag === '[object Arguments]') {
        if (isArray(a) !== isArray(b)) return false;
        const n = a.length;
        if (n !== b.length) return false;
        for (let i = 0; i < n; i++) if (!equal(a[i], b[i], frame)) return false;
        return true;
      }
      const pa = getPrototypeOf(a);
      const pb = getPrototypeOf(b);
      if (pa !== pb && !(isPlain(pa) && isPlain(pb))) return false;
      const ka = ownKeysOf(a);
      const kb = ownKeysOf(b);
      if (ka.length !== kb.length) return false;
      for (let i = 0; i < ka.length; i++) {
        const k = ka[i];
        if (!apply(hasOwn, b, [k]) || !equal(a[k], b[k], frame)) return false;
      }
      return true;
    } catch (_) {
      return false;
    }
  }
  function isEqual(a, b) {
    const same = equal(a, b, null);
    if (inTests) {
      assertionsRun += 1;
      if (same) assertionsPassed += 1;
    }
    lastCheckFailed = !same;
    if (!same) lastCheckMessage = 'equality check failed (isEqual returned false)';
    return same;
  }

  function matchesExpected(err, expected) {
    if (expected === undefined) return true;
    if (typeof expected === 'function') {
      if (expected.prototype !== undefined && err instanceof expected) return true;
      if (ErrorCtor === expected || apply(hasOwn, expected, ['prototype']) && expected.prototype instanceof ErrorCtor) return false;
      return expected(err) === true;
    }
    if (expected instanceof RegExpCtor) return apply(regexpExec, expected, [formatValue(err && typeof err === 'object' ? err.message : err)]) !== null;
    if (expected !== null && typeof expected === 'object') {
      const keys = ownKeysOf(expected);
      for (let i = 0; i < keys.length; i++) if (!equal(err[keys[i]], expected[keys[i]], null)) return false;
      return true;
    }
    return false;
  }

  const assertFn = function assert(value, message) { check(!!value, describeMessage(message, 'assert(value) failed: value is ' + formatValue(value))); };
  assertFn.ok = function ok(value, message) { check(!!value, describeMessage(message, 'assert.ok failed: value is ' + formatValue(value))); };
  assertFn.equal = function equal_(actual, expected, message) { check(actual == expected, describeMessage(message, 'assert.equal failed: ' + formatValue(actual) + ' == ' + formatValue(expected))); };
  assertFn.notEqual = function notEqual(actual, expected, message) { check(actual != expected, describeMessage(message, 'assert.notEqual failed: ' + formatValue(actual) + ' != ' + formatValue(expected))); };
  assertFn.strictEqual = function strictEqual(actual, expected, message) { check(objectIs(actual, expected), describeMessage(message, 'assert.strictEqual failed: ' + formatValue(actual) + ' !== ' + formatValue(expected))); };
  assertFn.notStrictEqual = function notStrictEqual(actual, expected, message) { check(!objectIs(actual, expected), describeMessage(message, 'assert.notStrictEqual failed: both are ' + formatValue(actual))); };
  assertFn.deepEqual = function deepEqual(actual, expected, message) { check(equal(actual, expected, null), describeMessage(message, 'assert.deepEqual failed: ' + formatValue(actual) + ' vs ' + formatValue(expected))); };
  assertFn.deepStrictEqual = function deepStrictEqual(actual, expected, message) { check(equal(actual, expected, null), describeMessage(message, 'assert.deepStrictEqual failed: ' + formatValue(actual) + ' vs ' + formatValue(expected))); };
  assertFn.notDeepEqual = function notDeepEqual(actual, expected, message) { check(!equal(actual, expected, null), describeMessage(message, 'assert.notDeepEqual failed: ' + formatValue(actual))); };
  assertFn.notDeepStrictEqual = assertFn.notDeepEqual;
  assertFn.throws = function throws(fn, expected, message) {
    if (typeof expected === 'string' && message === undefined) { message = expected; expected = undefined; }
    let threw = false;
    let err;
    try { fn(); } catch (e) { threw = true; err = e; }
    if (!threw) return check(false, describeMessage(message, 'assert.throws failed: the function did not throw'));
    check(matchesExpected(err, expected), describeMessage(message, 'assert.throws failed: the error did not match (' + formatValue(err) + ')'));
  };
  assertFn.fail = function fail(message) { check(false, describeMessage(message, 'assert.fail()')); };
  assertFn.isEqual = isEqual;
  freeze(assertFn);

  const lodash = freeze({ __proto__: null, isEqual: isEqual });
  const requireFn = function require(name) {
    const id = typeof name === 'string' ? name : formatValue(name);
    if (id === 'lodash' || id === 'lodash/isEqual' || id === 'lodash.isequal') return id === 'lodash' ? lodash : isEqual;
    throw new ErrorCtor('module "' + cut(id, 80) + '" is not available in the sandbox (only "lodash" with isEqual is provided)');
  };
  freeze(requireFn);

  const consoleObj = {
    log: function log(...args) { write(formatArgs(args, 0) + '\n'); },
    info: function info(...args) { write(formatArgs(args, 0) + '\n'); },
    debug: function debug(...args) { write(formatArgs(args, 0) + '\n'); },
    warn: function warn(...args) { write(formatArgs(args, 0) + '\n'); },
    error: function error(...args) { write(formatArgs(args, 0) + '\n'); },
    trace: function trace(...args) { write('Trace: ' + formatArgs(args, 0) + '\n'); },
    dir: function dir(value) { write(formatValue(value) + '\n'); },
    table: function table(value) { write(formatValue(value) + '\n'); },
    group: function group(...args) { if (args.length > 0) write(formatArgs(args, 0) + '\n'); },
    groupCollapsed: function groupCollapsed(...args) { if (args.length > 0) write(formatArgs(args, 0) + '\n'); },
    groupEnd: function groupEnd() {},
    time: function time() {},
    timeEnd: function timeEnd() {},
    timeLog: function timeLog() {},
    count: function count() {},
    countReset: function countReset() {},
    assert: function assert(value, ...message) {
      check(!!value, message.length === 0 ? 'console.assert failed' : 'console.assert failed: ' + formatArgs(message, 0));
    },
  };
  freeze(consoleObj);

  // Deterministic Math.random (mulberry32), seeded per check so verdicts do not depend on luck.
  let seed = config.seed >>> 0;
  defineProperty(Math, 'random', {
    value: function random() {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    writable: true, enumerable: false, configurable: true,
  });

  // Test scripts are wrapped in try/catch by the runner; the catch hands the thrown value here, so
  // solution-thrown values (Proxies, getters) are inspected inside the sandbox, never in the host.
  function testFailed(e) {
    if (scriptFailure !== '') return;
    if (e !== null && (typeof e === 'object' || typeof e === 'function') && apply(weakHas, harnessErrors, [e])) return;
    if (lastCheckFailed) {
      recordFailure('assertion', lastCheckMessage + '; then threw ' + describeThrown(e));
      return;
    }
    let oom = false;
    try {
      if (e instanceof RangeErrorCtor) {
        const m = e.message;
        oom = typeof m === 'string' && (includes(m, 'Array buffer allocation failed') || includes(m, 'Invalid string length') || includes(m, 'out of memory'));
      }
    } catch (_) { oom = false; }
    recordFailure(oom ? 'oom' : 'runtime_error', describeThrown(e));
  }
  function describeThrown(e) {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
      let text = '';
      try { text = typeof e === 'symbol' ? apply(symbolToString, e, []) : StringCtor(e); } catch (_) { text = ''; }
      return 'thrown ' + (e === null ? 'null' : typeof e) + ': ' + cut(text, 200);
    }
    let name = '';
    let message = '';
    let where = '';
    let isError = false;
    try { isError = e instanceof ErrorCtor; } catch (_) { isError = false; }
    try { const n = e.name; if (typeof n === 'string') name = n; } catch (_) { name = ''; }
    try { const m = e.message; if (typeof m === 'string') message = m; } catch (_) { message = ''; }
    if (isError) {
      try { const s = e.stack; if (typeof s === 'string') where = locate(s); } catch (_) { where = ''; }
    }
    if (!isError && name === '' && message === '') return 'thrown non-Error object';
    return cut((name === '' ? 'Error' : name) + ': ' + message, 200) + (where === '' ? '' : ' at ' + where);
  }

  defineProperty(g, 'console', { value: consoleObj, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'require', { value: requireFn, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'assert', { value: assertFn, writable: true, enumerable: false, configurable: true });
  defineProperty(g, '__mcgTestFailed', { value: testFailed, writable: false, enumerable: false, configurable: false });
  freeze(JSON);
  defineProperty(g, 'JSON', { value: JSON, writable: false, enumerable: false, configurable: false });


  // ---- asynchronous work: virtual timers, and what the tests started ---------------------------------
  // A test passes only when it ran to the end. The runner rewrites test scripts (test-instrument.ts) so
  // every async function of the tests reports enter/exit and every .then/.catch/.finally goes through
  // chain(); the completion value of a test script is tracked too. After a script the runner fires the
  // timers one by one (microtasks run between them); whatever is still open at the verdict is
  // "unsettled", a rejection nobody handled is a failure.
  let serial = 0;            // which script is running (program = 1, then one per test)
  let virtualNow = 0;        // ms on the virtual timer clock
  let timerSeq = 0;
  let nextTimerId = 1;
  let timersFired = 0;
  const timers = [];         // { id, due, seq, fn, args, interval } (null-prototype records)
  const openCalls = new SetCtor();   // tokens of async test functions that started and did not finish
  const tracked = new SetCtor();     // records of promises the tests chained or returned, still pending
  const rejections = [];             // { serial, error, promise } of tracked promises that rejected
  const handled = new WeakSetCtor(); // promises the tests chained on (their rejection is handled there)

  function uncaught(e) {
    // An exception no test code caught (a timer or microtask callback): Node would exit with an error.
    testFailed(e);
  }
  function toFunction(fn, name) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument of ' + name + ' must be of type function. Received ' + (fn === null ? 'null' : typeof fn));
    return fn;
  }
  function addTimer(fn, delay, args, interval) {
    let ms = +delay;
    if (!(ms >= 1) || ms > 2147483647) ms = 1;
    ms = floor(ms);
    const id = nextTimerId++;
    apply(arrayPush, timers, [{ __proto__: null, id: id, due: virtualNow + ms, seq: timerSeq++, fn: fn, args: args, interval: interval ? ms : 0 }]);
    return id;
  }
  function removeTimer(id) {
    for (let i = 0; i < timers.length; i++) if (timers[i].id === id) { apply(arraySplice, timers, [i, 1]); return; }
  }
  const setTimeoutFn = function setTimeout(fn, delay, ...args) { return addTimer(toFunction(fn, 'setTimeout'), delay, args, false); };
  const setIntervalFn = function setInterval(fn, delay, ...args) { return addTimer(toFunction(fn, 'setInterval'), delay, args, true); };
  const setImmediateFn = function setImmediate(fn, ...args) { return addTimer(toFunction(fn, 'setImmediate'), 0, args, false); };
  const clearTimerFn = function clearTimeout(id) { if (typeof id === 'number') removeTimer(id); };
  const resolvedPromise = new PromiseCtor(function (resolve) { resolve(undefined); });
  const queueMicrotaskFn = function queueMicrotask(fn) {
    toFunction(fn, 'queueMicrotask');
    apply(promiseThen, resolvedPromise, [function () { try { fn(); } catch (e) { uncaught(e); } }]);
  };
  /** Fires the earliest timer (ties in scheduling order). Returns false when none is left. */
  function fireNextTimer() {
    if (timers.length === 0) return false;
    let best = 0;
    for (let i = 1; i < timers.length; i++) {
      const t = timers[i];
      const b = timers[best];
      if (t.due < b.due || (t.due === b.due && t.seq < b.seq)) best = i;
    }
    const timer = timers[best];
    if (timer.due > virtualNow) virtualNow = timer.due;
    if (timer.interval > 0) { timer.due = virtualNow + timer.interval; timer.seq = timerSeq++; }
    else apply(arraySplice, timers, [best, 1]);
    timersFired += 1;
    try { apply(timer.fn, undefined, timer.args); } catch (e) { uncaught(e); }
    return true;
  }

  /** A promise of our own that follows x the way await does (a genuine promise's own then is not called). */
  function adopt(x) {
    return new PromiseCtor(function (resolve, reject) {
      try { apply(promiseThen, x, [resolve, reject]); } catch (_) { resolve(x); }
    });
  }
  function track(promise, root) {
    const record = { __proto__: null, serial: serial, settled: false, root: root };
    apply(setAdd, tracked, [record]);
    apply(promiseThen, promise, [
      function () { record.settled = true; apply(setDelete, tracked, [record]); },
      function (e) {
        record.settled = true;
        apply(setDelete, tracked, [record]);
        apply(arrayPush, rejections, [{ __proto__: null, serial: record.serial, error: e, promise: promise, root: root }]);
      },
    ]);
  }
  function isThenable(x) {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return false;
    return typeof x.then === 'function';
  }
  const asyncApi = freeze({
    __proto__: null,
    enter: function enter() {
      const token = freeze({ __proto__: null });
      // Only the instrumented function's local variable holds the token: code that is not the test's
      // cannot close a call it did not open.
      apply(setAdd, openCalls, [token]);
      return token;
    },
    exit: function exit(token) { apply(setDelete, openCalls, [token]); },
    threw: function threw(token, e) { if (apply(setHas, openCalls, [token])) testFailed(e); },
    chain: function chain(x, method) {
      if (x === null || x === undefined) throw new TypeErrorCtor('Cannot read properties of ' + x + " (reading '" + method + "')");
      if (typeof x[method] !== 'function') throw new TypeErrorCtor('(intermediate value).' + method + ' is not a function');
      if (x !== null && (typeof x === 'object' || typeof x === 'function')) apply(weakAdd, handled, [x]);
      return function (onFulfilled, onRejected) {
        const source = adopt(x);
        let derived;
        if (method === 'then') derived = apply(promiseThen, source, [onFulfilled, onRejected]);
        else if (method === 'catch') derived = apply(promiseThen, source, [undefined, onFulfilled]);
        else if (typeof onFulfilled !== 'function') derived = apply(promiseThen, source, [undefined, undefined]);
        else {
          const onFinally = onFulfilled;
          derived = apply(promiseThen, source, [
            function (value) { return apply(promiseThen, adopt(onFinally()), [function () { return value; }]); },
            function (error) { return apply(promiseThen, adopt(onFinally()), [function () { throw error; }]); },
          ]);
        }
        track(derived, false);
        return derived;
      };
    },
    sameAssert: function sameAssert(value) { assertBindingOk = value === assertFn; },
  });
  let assertBindingOk = true;

  /** What is still open for the current script, as a failure message ('' when nothing is). */
  function unsettledMessage() {
    const parts = [];
    if (inTests) {
      let calls = 0;
      const it = apply(setValues, openCalls, []);
      for (;;) { const step = apply(setIterNext, it, []); if (step.done) break; calls += 1; }
      let roots = 0;
      let chains = 0;
      const tt = apply(setValues, tracked, []);
      for (;;) {
        const step = apply(setIterNext, tt, []);
        if (step.done) break;
        if (step.value.serial !== serial) continue;
        if (step.value.root) roots += 1; else chains += 1;
      }
      if (roots > 0) apply(arrayPush, parts, ['the promise the test script returned never settled']);
      if (calls > 0) apply(arrayPush, parts, [calls + ' async function call' + (calls === 1 ? '' : 's') + ' of the tests never finished (an await that never settled)']);
      if (chains > 0) apply(arrayPush, parts, [chains + ' promise chain' + (chains === 1 ? '' : 's') + ' of the tests never settled']);
    }
    if (timers.length > 0) apply(arrayPush, parts, [timers.length + ' timer' + (timers.length === 1 ? '' : 's') + ' still pending after ' + timersFired + ' fired']);
    let text = '';
    for (let i = 0; i < parts.length; i++) text += (i > 0 ? '; ' : '') + parts[i];
    return text;
  }
  /** Rejections of the current script's tracked promises that no later chain handled. */
  function checkRejections() {
    for (let i = 0; i < rejections.length; i++) {
      const r = rejections[i];
      if (r.serial !== serial) continue;
      if (!r.root && apply(weakHas, handled, [r.promise])) continue;
      if (scriptFailure !== '') return;
      if (r.error !== null && (typeof r.error === 'object' || typeof r.error === 'function') && apply(weakHas, harnessErrors, [r.error])) continue;
      if (lastCheckFailed) recordFailure('assertion', lastCheckMessage + '; then rejected with ' + describeThrown(r.error));
      else recordFailure('runtime_error', 'unhandled rejection: ' + describeThrown(r.error));
    }
  }

  // Promise and the timer functions are pinned: a solution cannot replace what the tests build on.
  freeze(PromiseCtor.prototype);
  freeze(PromiseCtor);
  defineProperty(g, 'Promise', { value: PromiseCtor, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'setTimeout', { value: freeze(setTimeoutFn), writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'setInterval', { value: freeze(setIntervalFn), writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'setImmediate', { value: freeze(setImmediateFn), writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'clearTimeout', { value: freeze(clearTimerFn), writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'clearInterval', { value: clearTimerFn, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'clearImmediate', { value: clearTimerFn, writable: false, enumerable: false, configurable: false });
  defineProperty(g, 'queueMicrotask', { value: freeze(queueMicrotaskFn), writable: false, enumerable: false, configurable: false });
  defineProperty(g, '__mcgAsync', { value: asyncApi, writable: false, enumerable: false, configurable: false });
  const PINNED = { __proto__: null, console: 1, require: 1, JSON: 1, Promise: 1, setTimeout: 1, setInterval: 1, setImmediate: 1, clearTimeout: 1, clearInterval: 1, clearImmediate: 1, queueMicrotask: 1, __mcgAsync: 1, __mcgTestFailed: 1 };

  return function control(command, arg) {
    if (command === 'beginScript') {
      serial += 1;
      scriptFailure = '';
      scriptMessage = '';
      lastCheckFailed = false;
      lastCheckMessage = '';
      assertBindingOk = true;
      return '';
    }
    if (command === 'beginTests') {
      inTests = true;
      // The program may have declared its own assert: a function declaration leaves a writable,
      // non-configurable property, which is overwritten; a lexical binding is caught by sameAssert.
      const d = getOwnPropertyDescriptor(g, 'assert');
      if (d === undefined || d.configurable) defineProperty(g, 'assert', { value: assertFn, writable: true, enumerable: false, configurable: true });
      else if (d.writable === true) g.assert = assertFn;
      return '';
    }
    if (command === 'declared') {
      // Names the next test script declares: a program that made one of them an accessor or read-only
      // would have the test run the program's value instead of its own definition.
      const names = parseJson(arg);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (PINNED[name] === 1) continue;
        const d = getOwnPropertyDescriptor(g, name);
        if (d === undefined) continue;
        if (d.get !== undefined || d.set !== undefined || d.writable === false) {
          recordFailure('runtime_error', 'the program locked the global "' + cut(name, 60) + '" that the tests declare (it is ' + (d.writable === false ? 'read-only' : 'an accessor') + ')');
          return 'locked';
        }
      }
      return '';
    }
    if (command === 'assertBinding') {
      if (assertBindingOk) return '';
      recordFailure('runtime_error', 'the program declares its own top-level "assert" binding, which the tests would call instead of the harness assert');
      return 'shadowed';
    }
    if (command === 'completion') {
      // The completion value of a test script: a promise (or thenable) must fulfil.
      if (inTests && isThenable(arg)) track(adopt(arg), true);
      return '';
    }
    if (command === 'tick') return fireNextTimer() ? 'fired' : 'idle';
    if (command === 'scriptResult') {
      if (outputLimitHit) return stringify({ __proto__: null, failure: 'output_limit', message: 'console output limit of ' + config.maxOutputTotalBytes + ' characters exceeded' });
      if (scriptFailure === '' && inTests) checkRejections();
      if (scriptFailure === '') {
        const open = unsettledMessage();
        if (open !== '') recordFailure('unsettled', open);
      }
      return stringify({ __proto__: null, failure: scriptFailure, message: scriptMessage });
    }
    if (command === 'snapshot') {
      return stringify({ __proto__: null, assertionsRun: assertionsRun, assertionsPassed: assertionsPassed, output: capturedOutput(), outputChars: outChars, outputLimitHit: outputLimitHit });
    }
    return '';
  };
};
})()`;

/** Name of the global the test wrapper's catch clause calls (non-writable, non-configurable). */
export const TEST_FAILED_GLOBAL = '__mcgTestFailed';
