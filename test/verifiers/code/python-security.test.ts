// Hostile Python programs: reaching JavaScript or the host, processes and sockets, resource bombs,
// exits, forged results and patched test machinery. Each must be contained with the expected verdict,
// and the next ordinary check on the same (single) interpreter process must still pass. Controls: correct
// programs that use what real solutions use, which must pass.

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCodeVerifier, type CodeVerdict } from '../../../verifiers/code/index.js';

// One runner process, so every case runs where the previous one ran. Time limits kept short; the wall
// limit is generous because this machine is shared (no timing is asserted).
const verifier = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 1500, wallTimeMs: 60_000, pythonMemoryLimitMb: 256 });
// Memory bombs get time enough (Python's limit is wall-clock time) to reach the memory cap first.
const memoryVerifier = createCodeVerifier({ poolSize: 1, cpuTimeMsPerTest: 30_000, wallTimeMs: 60_000, pythonMemoryLimitMb: 128 });
afterAll(async () => {
  await verifier.close();
  await memoryVerifier.close();
});

const ORDINARY_PROGRAM = 'def add(a, b):\n    return a + b\n';
const ORDINARY_TESTS = 'assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert [add(1, 1)] == [2]\n';

async function expectOrdinaryPass(on = verifier): Promise<void> {
  const verdict = await on.checkProgram(ORDINARY_PROGRAM, ORDINARY_TESTS, undefined, 'python');
  expect(verdict).toMatchObject({ kind: 'pass', reason: 'pass', tests: { passed: 3, total: 3 } });
}

interface Case {
  name: string;
  program: string;
  tests?: string | string[];
  kind: CodeVerdict['kind'];
  reason: string;
  /** Extra checks on the verdict. */
  also?: (v: CodeVerdict) => void;
  /** Run on the memory-bomb verifier (more time, 128 MB). */
  memory?: boolean;
}

const PASS = 'assert True';
const detail = (text: string) => (v: CodeVerdict) => expect(v.detail ?? '').toContain(text);
const HOST_FILE = join(tmpdir(), 'mcg-python-escape.txt');

const hostile: Case[] = [
  // ---- reaching JavaScript and the host ----------------------------------------------------------
  { name: 'import js', program: 'import js\nx = js.process', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox: import js') },
  { name: 'import pyodide_js', program: 'import pyodide_js\npyodide_js.FS', kind: 'fail', reason: 'runtime_error', also: detail('import pyodide_js') },
  { name: 'from pyodide.ffi import to_js', program: 'from pyodide.ffi import to_js', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  { name: 'pyodide.code.run_js', program: 'import pyodide.code\npyodide.code.run_js("process.exit(0)")', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  { name: 'import _pyodide_core', program: 'import _pyodide_core', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  {
    name: 'importlib.import_module("js") (the module is unregistered)',
    program: 'import importlib\nimportlib.import_module("js")',
    kind: 'fail',
    reason: 'runtime_error',
    also: (v) => expect(v.detail ?? '').toMatch(/blocked by the sandbox|No module named 'js'/),
  },
  { name: 'import ctypes (calls into WebAssembly function pointers)', program: 'import ctypes', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  { name: 'import _testcapi / _testinternalcapi', program: 'import _testinternalcapi', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  {
    name: 'no sandbox module is left in sys.modules',
    program: 'import sys\nleft = sorted(m for m in sys.modules if m == "js" or "pyodide" in m or m.startswith("_pyodide"))',
    tests: 'assert left == [], left',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'the FFI core module through _imp.create_builtin: JavaScript cannot compile code from strings',
    program: [
      'import _imp, importlib.machinery as m',
      'core = _imp.create_builtin(m.ModuleSpec("_pyodide_core", None))',
      'obj = core.to_js({})',
      'try:',
      '    got = obj.constructor.constructor("return process")()',
      'except BaseException as e:',
      '    got = "refused: " + type(e).__name__ + " " + str(e)',
    ].join('\n'),
    tests: 'assert str(got).startswith("refused"), got\nassert "Code generation from strings disallowed" in got, got',
    kind: 'pass',
    reason: 'pass',
  },
  { name: 'gc.get_objects (heap crawling)', program: 'import gc\nobjs = gc.get_objects()', kind: 'fail', reason: 'runtime_error', also: detail('gc.get_objects') },
  { name: 'gc.get_referrers', program: 'import gc\ngc.get_referrers(len)', kind: 'fail', reason: 'runtime_error', also: detail('gc.get_referrers') },
  { name: 'sys._getframe walk to the harness', program: 'import sys\nf = sys._getframe(0).f_back', kind: 'fail', reason: 'runtime_error', also: detail('sys._getframe') },
  {
    name: 'frame from a traceback (tb_frame.f_back)',
    program: 'try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    frame = e.__traceback__.tb_frame.f_back',
    kind: 'fail',
    reason: 'runtime_error',
    also: detail('reading tb_frame'),
  },
  { name: 'generator frame (gi_frame)', program: 'g = (i for i in range(3))\nf = g.gi_frame', kind: 'fail', reason: 'runtime_error', also: detail('reading gi_frame') },
  { name: 'sys.settrace (could jump over assertions)', program: 'import sys\nsys.settrace(lambda *a: None)', kind: 'fail', reason: 'runtime_error', also: detail('sys.settrace') },
  {
    name: 'sys.addaudithook (a second hook is refused silently: it never runs)',
    program: 'import sys\nseen = []\nsys.addaudithook(lambda *a: seen.append(a[0]))\nopen("/dev/null").close()\nimport json\nexec("1")',
    tests: 'assert seen == [], seen',
    kind: 'pass',
    reason: 'pass',
  },
  { name: 'replacing a function __code__', program: 'def f():\n    return 1\nf.__code__ = (lambda: 2).__code__', kind: 'fail', reason: 'runtime_error', also: detail('replacing __code__') },
  { name: 'os.system', program: 'import os\nos.system("touch /tmp/pwned")', kind: 'fail', reason: 'runtime_error', also: detail('os.system') },
  { name: 'subprocess.run', program: 'import subprocess\nsubprocess.run(["ls", "/"])', kind: 'fail', reason: 'runtime_error' },
  { name: 'os.fork', program: 'import os\nos.fork()', kind: 'fail', reason: 'runtime_error' },
  {
    name: "open('/etc/passwd') reads the interpreter's own file system, not the host's",
    program: 'import os\ntry:\n    data = open("/etc/passwd").read()\nexcept OSError as e:\n    data = "missing"\nroot = sorted(os.listdir("/"))',
    tests: 'assert data == "missing", data[:80]\nassert "work" not in root and "usr" not in root, root',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'a file written by the program stays in the in-memory file system',
    program: `open(${JSON.stringify(HOST_FILE)}, "w").write("x")\nimport os\nwritten = os.path.exists(${JSON.stringify(HOST_FILE)})`,
    tests: 'assert written',
    kind: 'pass',
    reason: 'pass',
    also: () => expect(existsSync(HOST_FILE)).toBe(false),
  },
  { name: '/proc is refused', program: 'open("/proc/self/environ").read()', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox') },
  { name: 'a socket', program: 'import socket\ns = socket.socket()\ns.connect(("127.0.0.1", 80))', kind: 'fail', reason: 'runtime_error', also: detail('blocked by the sandbox: socket.') },
  { name: 'urllib to the network', program: 'import urllib.request\nurllib.request.urlopen("http://127.0.0.1:9/")', kind: 'fail', reason: 'runtime_error' },
  // ---- resources ----------------------------------------------------------------------------------
  { name: 'infinite loop in the program', program: 'while True:\n    pass', kind: 'fail', reason: 'timeout' },
  {
    name: 'infinite loop that swallows the interrupt (the interpreter is terminated)',
    program: 'while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass',
    kind: 'fail',
    reason: 'timeout',
  },
  { name: 'a long computation inside C (no bytecode boundary to interrupt at)', program: 'x = 10 ** 10 ** 8', kind: 'fail', reason: 'timeout' },
  { name: 'infinite loop inside the tested function', program: 'def f():\n    while True:\n        pass', tests: 'assert f() == 1', kind: 'fail', reason: 'timeout' },
  { name: 'memory bomb: one huge list', program: 'x = [0] * (10 ** 9)', kind: 'fail', reason: 'oom', memory: true },
  { name: 'memory bomb: growing list of strings', program: 'x = []\nwhile True:\n    x.append(" " * 10 ** 6)', kind: 'fail', reason: 'oom', memory: true },
  { name: 'memory bomb: bytearray of 2 GB', program: 'b = bytearray(2 * 10 ** 9)', kind: 'fail', reason: 'oom', memory: true },
  { name: 'unbounded recursion', program: 'def f(n):\n    return f(n + 1)\nf(0)', kind: 'fail', reason: 'runtime_error', also: detail('RecursionError') },
  {
    // Frames then grow until memory or the C stack runs out, whichever comes first on this build.
    name: 'recursion limit raised, then deep recursion',
    program: 'import sys\nsys.setrecursionlimit(10 ** 7)\ndef f(n):\n    return f(n + 1) + 1\nf(0)',
    kind: 'fail',
    reason: 'runtime_error',
    memory: true,
  },
  { name: 'huge output at once', program: 'print("x" * 10 ** 7)', kind: 'fail', reason: 'output_limit' },
  { name: 'output flood in a loop', program: 'while True:\n    print("spam spam spam spam")', kind: 'fail', reason: 'output_limit' },
  // ---- exits and forged results ---------------------------------------------------------------------
  { name: 'sys.exit(0) before the tests', program: 'import sys\nprint("All tests passed")\nsys.exit(0)', kind: 'fail', reason: 'runtime_error', also: detail('SystemExit') },
  { name: 'exit() inside the tested function', program: 'def f(x):\n    exit(0)', tests: 'assert f(1) == 2', kind: 'fail', reason: 'runtime_error', also: detail('SystemExit') },
  { name: 'os._exit(0)', program: 'import os\nos._exit(0)', kind: 'fail', reason: 'runtime_error', also: detail('SystemExit') },
  { name: 'raise KeyboardInterrupt is not a timeout', program: 'def f(x):\n    raise KeyboardInterrupt', tests: 'assert f(1) == 2', kind: 'fail', reason: 'runtime_error' },
  {
    name: 'an object equal to everything',
    program: 'class A:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return A()',
    tests: 'assert add(1, 2) == 3',
    kind: 'fail',
    reason: 'assertion',
    also: detail('compared a A with a built-in int value'),
  },
  {
    name: 'an int subclass equal to everything',
    program: 'class E(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\ndef add(a, b):\n    return E(0)',
    tests: 'assert add(1, 2) == 3',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'a list subclass equal to everything, inside a check(candidate) test',
    program: 'class L(list):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return L()',
    tests: 'def check(candidate):\n    assert candidate(1) == [1, 2]\n\ncheck(f)\n',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'an object that is always truthy',
    program: 'class T:\n    def __bool__(self):\n        return True\ndef is_prime(n):\n    return T()',
    tests: 'assert is_prime(4)',
    kind: 'fail',
    reason: 'assertion',
    also: detail('asserted the truth of a T'),
  },
  {
    name: '!= answered by an object',
    program: 'class N:\n    def __ne__(self, other):\n        return False\n    def __eq__(self, other):\n        return True\ndef f():\n    return N()',
    tests: 'assert not (f() != 5)',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'builtins patched (sorted returns the expected list)',
    program: 'import builtins\nbuiltins.sorted = lambda *a, **k: [1, 2, 3]\ndef f(x):\n    return x',
    tests: 'assert sorted(f([3, 9])) == [1, 2, 3]',
    kind: 'fail',
    reason: 'assertion',
    also: detail('the program changed sorted in module builtins'),
  },
  {
    name: 'a builtin the tests use shadowed by the program',
    program: 'def sorted(x):\n    return [1, 2, 3]\ndef f(x):\n    return x',
    tests: 'assert sorted(f([3, 9])) == [1, 2, 3]',
    kind: 'fail',
    reason: 'assertion',
    also: detail('redefines sorted'),
  },
  {
    name: 'builtins patched from inside the tested function',
    program: 'def f(x):\n    import builtins\n    builtins.len = lambda o: 3\n    return x',
    tests: 'assert len(f([1])) == 3',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: '__builtins__ of the namespace replaced',
    program: 'import builtins\n__builtins__ = dict(vars(builtins), sorted=lambda *a, **k: [1, 2, 3])\ndef f(x):\n    return x',
    tests: 'assert sorted(f([9])) == [1, 2, 3]',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'math.isclose patched',
    program: 'import math\nmath.isclose = lambda *a, **k: True\ndef area(r):\n    return 0',
    tests: 'import math\nassert math.isclose(area(1), 3.14159, rel_tol=1e-3)',
    kind: 'fail',
    reason: 'assertion',
    also: detail('isclose'),
  },
  {
    name: 'unittest.TestCase.assertEqual patched',
    program: 'import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\ndef add(a, b):\n    return 0',
    tests: 'import unittest\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\nunittest.main()',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'a fake unittest module in sys.modules',
    program: 'import sys, types\nfake = types.ModuleType("unittest")\nfake.TestCase = object\nfake.main = lambda *a, **k: None\nsys.modules["unittest"] = fake\ndef add(a, b):\n    return 0',
    tests: 'import unittest\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\nunittest.main()',
    kind: 'fail',
    reason: 'assertion',
    also: detail('replaced module unittest'),
  },
  {
    name: 'the assertion helpers replaced from inside the tested function',
    program: 'def f(x):\n    g = globals()\n    for k in list(g):\n        if k.startswith("__mcg"):\n            g[k] = lambda *a: True\n    return 0',
    tests: 'assert f(1) == 5\nassert f(2) == 6',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: "the helpers' closure cells rewritten",
    program: [
      'def f(x):',
      '    for k, h in list(globals().items()):',
      '        if k.startswith("__mcg") and h.__closure__:',
      '            for c in h.__closure__:',
      '                if callable(c.cell_contents) and getattr(c.cell_contents, "__name__", "") == "_plain":',
      '                    c.cell_contents = lambda *a: True',
      '    class A:',
      '        def __eq__(self, o): return True',
      '    return A()',
    ].join('\n'),
    tests: 'assert f(1) == 5',
    kind: 'fail',
    reason: 'assertion',
  },
  {
    name: 'a test-defined check() replaced by the candidate while the tests run',
    program: 'def f(x):\n    globals()["check"] = lambda c: None\n    return x + 1',
    tests: 'def check(candidate):\n    assert candidate(1) == 2\n\ncheck(f)\n\ndef wrong(x):\n    return 0\n\ncheck(wrong)\n',
    kind: 'fail',
    reason: 'assertion',
    also: detail('replaced check'),
  },
];

const controls: Case[] = [
  {
    name: 'a HumanEval-style check(candidate) test',
    program: 'def add(a, b):\n    """Adds."""\n    return a + b\n',
    tests: 'METADATA = {}\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n\ncheck(add)\n',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'the standard library a solution uses',
    program: [
      'import math, re, heapq, itertools, functools, collections, bisect, string, statistics, fractions, decimal, datetime, json',
      'from dataclasses import dataclass',
      'from typing import List, NamedTuple',
      '@dataclass',
      'class P:',
      '    x: int',
      'class Q(NamedTuple):',
      '    a: int',
      '    b: int',
      '@functools.lru_cache(maxsize=None)',
      'def fib(n):',
      '    return n if n < 2 else fib(n - 1) + fib(n - 2)',
      'def solve(words: List[str]):',
      '    c = collections.Counter(words)',
      '    return [w for w, _ in c.most_common(2)], heapq.nsmallest(2, [5, 1, 4]), fib(30), re.findall(r"\\d+", "a1b22"), P(3).x, Q(1, 2)',
    ].join('\n'),
    tests: 'assert solve(["a", "b", "a"]) == (["a", "b"], [1, 4], 832040, ["1", "22"], 3, (1, 2))',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'a Counter, an OrderedDict, a defaultdict and a namedtuple compared with built-in values',
    program: 'from collections import Counter, OrderedDict, defaultdict, namedtuple\nPt = namedtuple("Pt", "x y")\ndef f():\n    d = defaultdict(int)\n    d["a"] += 1\n    return Counter("aab"), OrderedDict(a=1), d, Pt(1, 2)',
    tests: 'c, o, d, p = f()\nassert c == {"a": 2, "b": 1}\nassert o == {"a": 1}\nassert d == {"a": 1}\nassert p == (1, 2)',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'objects of a program-defined class compared with each other',
    program: 'class V:\n    def __init__(self, x):\n        self.x = x\n    def __eq__(self, o):\n        return isinstance(o, V) and o.x == self.x\ndef make(x):\n    return V(x)',
    tests: 'assert make(2) == V(2)\nassert not (make(2) == V(3))',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'floats with math.isclose and a tolerance',
    program: 'import math\ndef area(r):\n    return math.pi * r * r',
    tests: 'import math\nassert math.isclose(area(1), 3.14159, rel_tol=1e-3)\nassert abs(area(2) - 12.566) < 1e-2',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'a unittest test case run with unittest.main()',
    program: 'def add(a, b):\n    return a + b',
    tests: 'import unittest\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\nunittest.main()',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'a solution that prints, recurses 500 deep, raises and catches',
    program: 'def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\ndef f():\n    print("working")\n    try:\n        {}["k"]\n    except KeyError:\n        pass\n    return depth(500)',
    tests: 'assert f() == 500',
    kind: 'pass',
    reason: 'pass',
    also: (v) => expect(v.output).toContain('working'),
  },
  {
    name: 'a temporary file written and read back',
    program: 'import tempfile, os\ndef roundtrip(s):\n    with tempfile.NamedTemporaryFile("w+", delete=False) as fh:\n        fh.write(s)\n        name = fh.name\n    with open(name) as fh:\n        return fh.read()',
    tests: 'assert roundtrip("abc") == "abc"',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'an entry point named like a builtin (MBPP has `sum`)',
    program: 'def sum(a, b):\n    return a + b',
    tests: 'def check(candidate):\n    assert candidate(1, 2) == 3\n\ncheck(sum)\n',
    kind: 'pass',
    reason: 'pass',
  },
  {
    name: 'a generator, sets and a slow but finishing loop',
    program: 'def gen(n):\n    for i in range(n):\n        yield i * i\ndef total():\n    s = 0\n    for i in range(200000):\n        s += i\n    return s',
    tests: 'assert list(gen(4)) == [0, 1, 4, 9]\nassert {1, 2} | {3} == {1, 2, 3}\nassert total() == 19999900000',
    kind: 'pass',
    reason: 'pass',
  },
];

describe('python security: hostile programs are contained', () => {
  it.each(hostile)('$name', { timeout: 120_000 }, async (c) => {
    const on = c.memory === true ? memoryVerifier : verifier;
    const verdict = await on.checkProgram(c.program, c.tests ?? PASS, undefined, 'python');
    if (c.name.startsWith('recursion limit raised')) {
      expect(verdict.kind, JSON.stringify(verdict)).toBe('fail');
      expect(['runtime_error', 'oom']).toContain(verdict.reason);
      await expectOrdinaryPass(on);
      return;
    }
    expect({ kind: verdict.kind, reason: verdict.reason }, JSON.stringify(verdict)).toEqual({ kind: c.kind, reason: c.reason });
    c.also?.(verdict);
    await expectOrdinaryPass(on);
  });

  it('has at least 30 hostile cases', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30);
  });
});

describe('python security: controls pass', () => {
  it.each(controls)('$name', { timeout: 60_000 }, async (c) => {
    const verdict = await verifier.checkProgram(c.program, c.tests ?? PASS, undefined, 'python');
    expect({ kind: verdict.kind, reason: verdict.reason }, JSON.stringify(verdict)).toEqual({ kind: c.kind, reason: c.reason });
    c.also?.(verdict);
  });
});

describe('python security: state does not leak between checks', () => {
  it('a patched stdlib function, a module in sys.modules, a file and a global are gone in the next check', { timeout: 60_000 }, async () => {
    const first = await verifier.checkProgram(
      'import math, sys, types, os\nmath.floor = lambda x: 42\nsys.modules["leak"] = types.ModuleType("leak")\nopen("/tmp/leak.txt", "w").write("x")\nos.environ["LEAK"] = "1"\nimport builtins\nbuiltins.LEAKED = 1',
      PASS,
      undefined,
      'python',
    );
    expect(first.kind).toBe('pass');
    const second = await verifier.checkProgram(
      'import math, sys, os\nstate = (math.floor(1.5), "leak" in sys.modules, os.path.exists("/tmp/leak.txt"), os.environ.get("LEAK"))',
      'assert state == (1, False, False, None), state\ntry:\n    LEAKED\n    leaked = True\nexcept NameError:\n    leaked = False\nassert not leaked',
      undefined,
      'python',
    );
    expect(second).toMatchObject({ kind: 'pass' });
  });

  it('random is seeded from the check: the same check gives the same output', { timeout: 60_000 }, async () => {
    const program = 'import random\nprint(random.random(), random.randint(0, 10 ** 9), list({"a", "b", "c", "d"}))';
    const a = await verifier.checkProgram(program, PASS, undefined, 'python');
    await expectOrdinaryPass();
    const b = await verifier.checkProgram(program, PASS, undefined, 'python');
    expect(a.output).toBeDefined();
    expect(a.output).toBe(b.output);
  });
});
