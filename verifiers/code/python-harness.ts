// The Python that runs in every sandbox interpreter before any candidate code (see python-worker.ts):
// an audit hook that blocks the host bridge, frame and heap introspection, processes and sockets; state
// snapshots restored before every check; the assertion rewriter and the value checks it calls. Imports
// nothing: it is plain source text, executed once per interpreter in a private namespace.
//
// Rules for the source below: everything used after install is captured at install time, the returned
// functions are referenced only by the host, and results handed back are tuples of str and int.

/** Python source defining `_mcg_install()`, which returns `(begin, run_program, run_statement, assertions)`. */
export const PYTHON_HARNESS_SOURCE = String.raw`
def _mcg_install():
    # Runs once per interpreter, before any candidate code. Everything the harness uses later is captured
    # here, so a program that replaces builtins or stdlib functions does not change what the harness does.
    # The functions returned are referenced only by the host (never by a module, a namespace or builtins).
    import sys, builtins, ast, marshal, random, os, re, collections, decimal, fractions, unittest, math, time
    _type = type
    _isinstance = isinstance
    _issubclass = issubclass
    _len = len
    _str = str
    _repr = repr
    _exec = exec
    _compile = compile
    _id = id
    _iter = iter
    _bool = bool
    _zip = zip
    _dict = dict
    _list = list
    _tuple = tuple
    _set = set
    _frozenset = frozenset
    _range = range
    _getattr = getattr
    _type_setattr = type.__setattr__
    _type_delattr = type.__delattr__
    _dict_get = dict.get
    _mp_get = type(type.__dict__).get
    _dict_items = dict.items
    _dict_keys = dict.keys
    _dict_clear = dict.clear
    _dict_update = dict.update
    _dict_copy = dict.copy
    _dict_pop = dict.pop
    _list_append = list.append
    _list_copy = list.copy
    _str_startswith = str.startswith
    _str_partition = str.partition
    _dumps = marshal.dumps
    _parse = ast.parse
    _walk = ast.walk
    _fix = ast.fix_missing_locations
    _copy_location = ast.copy_location
    _ast_Module = ast.Module
    _ast_Assert = ast.Assert
    _ast_Call = ast.Call
    _ast_Name = ast.Name
    _ast_Load = ast.Load
    _ast_Constant = ast.Constant
    _ast_List = ast.List
    _ast_Tuple = ast.Tuple
    _ast_Expr = ast.Expr
    _ast_Import = ast.Import
    _ast_ImportFrom = ast.ImportFrom
    _NodeTransformer = ast.NodeTransformer
    _import = builtins.__import__
    _seed = random.seed
    _setrecursionlimit = sys.setrecursionlimit
    _getrecursionlimit = sys.getrecursionlimit
    _set_int_max = getattr(sys, 'set_int_max_str_digits', None)
    _get_int_max = getattr(sys, 'get_int_max_str_digits', None)
    _chdir = os.chdir
    _scandir = os.scandir
    _remove = os.remove
    _rmdir = os.rmdir
    _is_dir_entry = os.DirEntry.is_dir
    _re_purge = re.purge
    _modules = sys.modules
    _builtins_dict = builtins.__dict__
    _environ = os.environ
    _environ_copy = dict(os.environ)
    _AssertionError = AssertionError
    _BaseException = BaseException
    _SystemExit = SystemExit
    _KeyboardInterrupt = KeyboardInterrupt
    _MemoryError = MemoryError
    _SyntaxError = SyntaxError
    _RuntimeError = RuntimeError
    _NoneType = type(None)
    _ModuleType = type(sys)
    _HOME = os.getcwd()
    _MAX_MESSAGE = 300
    _INT_MAX_DEFAULT = _get_int_max() if _get_int_max is not None else None
    _RECURSION_DEFAULT = _getrecursionlimit()
    _BLOCKED_PREFIXES = ('js', 'pyodide', '_pyodide', 'ctypes', '_ctypes', 'micropip', '_testcapi', '_testinternalcapi',
                         '_testlimitedcapi', '_testbuffer', '_testclinic', '_xxtestfuzz', '_remote_debugging',
                         '_posixsubprocess', 'pyodide_js', '_lsprof', 'tracemalloc', '_tracemalloc')
    _BLOCKED_EVENTS = _frozenset((
        'sys.addaudithook', 'sys._getframe', 'sys._current_frames', 'sys._current_exceptions', 'sys.settrace',
        'sys.setprofile', 'sys.monitoring.register_callback', 'gc.get_objects', 'gc.get_referrers', 'gc.get_referents', 'os.system', 'os.exec',
        'os.posix_spawn', 'os.spawn', 'os.fork', 'os.forkpty', 'os.kill', 'os.killpg', 'subprocess.Popen',
        'os.startfile', 'webbrowser.open', 'cpython.run_command', 'cpython.run_file', 'cpython.run_module',
        'cpython.run_startup', 'cpython.PyInterpreterState_New', 'cpython._PySys_ClearAuditHooks', 'os.add_dll_directory',
        'sys.remote_exec', 'os.setuid', 'os.chroot', 'mmap.__new__', 'pty.spawn',
    ))
    _BLOCKED_EVENT_PREFIXES = ('ctypes.', 'socket.', 'urllib.', 'http.', 'ftplib.', 'smtplib.', 'poplib.', 'imaplib.',
                               'nntplib.', 'telnetlib.', 'sys.monitoring.', '_posixsubprocess.', 'winreg.', 'syslog.')

    def _blocked_module(name):
        head = _str_partition(name, '.')[0]
        for p in _BLOCKED_PREFIXES:
            if head == p or (p in ('pyodide', '_pyodide', '_testclinic') and _str_startswith(head, p)):
                return True
        return False

    # The sandbox's own modules leave sys.modules; importing them (or ctypes, the C test modules) fails.
    for name in _list(_dict_keys(_modules)):
        if _blocked_module(name):
            _dict_pop(_modules, name, None)

    # Attribute access the audit hook sees: frames (a way up to the harness) may not be read; code
    # objects of functions may not be replaced.
    _FRAME_ATTRS = _frozenset(('tb_frame', 'gi_frame', 'cr_frame', 'ag_frame', 'f_back', 'gi_yieldfrom', 'cr_await'))

    def _audit(event, args):
        if event == 'object.__getattr__':
            if _len(args) > 1 and args[1] in _FRAME_ATTRS:
                raise _RuntimeError('blocked by the sandbox: reading ' + _str(args[1]))
            return
        if event == 'object.__setattr__' or event == 'object.__delattr__':
            if _len(args) > 1 and args[1] == '__code__':
                raise _RuntimeError('blocked by the sandbox: replacing __code__')
            return
        if event in _BLOCKED_EVENTS:
            raise _RuntimeError('blocked by the sandbox: ' + event)
        for p in _BLOCKED_EVENT_PREFIXES:
            if _str_startswith(event, p):
                raise _RuntimeError('blocked by the sandbox: ' + event)
        if event == 'import' and _blocked_module(args[0]):
            raise _RuntimeError('blocked by the sandbox: import ' + args[0])
        if event == 'open' and _isinstance(args[0], _str) and (_str_startswith(args[0], '/proc') or _str_startswith(args[0], '/dev/')):
            if args[0] not in ('/dev/null', '/dev/urandom', '/dev/random'):
                raise _RuntimeError('blocked by the sandbox: open ' + args[0])

    # os._exit would end the interpreter itself: it raises SystemExit like sys.exit.
    def _no_exit(code=0):
        raise _SystemExit(code)
    os._exit = _no_exit
    _import('posix')._exit = _no_exit

    # Modules whose state is compared and restored around every check: everything loaded now.
    _PLAIN_TYPES = _frozenset((int, float, complex, bool, str, bytes, _NoneType, type(...)))
    _CONTAINERS = _frozenset((list, tuple, dict, set, frozenset))
    _SAFE_OTHER = _frozenset((collections.OrderedDict, collections.defaultdict, collections.deque, collections.Counter,
                              decimal.Decimal, fractions.Fraction, range, bytearray))
    _EQ_BASES = ((tuple, tuple.__eq__), (list, list.__eq__), (dict, dict.__eq__), (int, int.__eq__), (str, str.__eq__),
                 (float, float.__eq__), (set, set.__eq__), (frozenset, frozenset.__eq__))

    def _module_state(mod):
        d = _getattr(mod, '__dict__', None)
        if _type(d) is not _dict:
            return None
        entries = _dict_copy(d)
        inner = []
        for k, v in _dict_items(d):
            t = _type(v)
            if t is _list:
                _list_append(inner, (v, 'list', _list_copy(v)))
            elif t is _dict and k != '__builtins__':
                _list_append(inner, (v, 'dict', _dict_copy(v)))
            elif _isinstance(v, _type) and _getattr(v, '__module__', None) == _getattr(mod, '__name__', None):
                cd = _getattr(v, '__dict__', None)
                if cd is not None:
                    _list_append(inner, (v, 'class', _dict(cd)))
        return (mod, d, entries, inner)

    def _same_dict(a, b):
        # a: a dict or a class's mappingproxy; b: a saved dict. Same keys, same objects.
        if _len(a) != _len(b):
            return False
        get = _dict_get if _type(a) is _dict else _mp_get
        for k, v in _dict_items(b):
            if get(a, k, _same_dict) is not v:
                return False
        return True

    def _same_list(a, b):
        if _len(a) != _len(b):
            return False
        for x, y in _zip(a, b):
            if x is not y:
                return False
        return True

    def _restore_state(state):
        # Puts a module back as it was at start-up; each part is written only when it differs.
        mod, d, entries, inner = state
        if not _same_dict(d, entries):
            _dict_clear(d)
            _dict_update(d, entries)
        for obj, kind, saved in inner:
            if kind == 'list':
                if not _same_list(obj, saved):
                    obj[:] = saved
            elif kind == 'dict':
                if not _same_dict(obj, saved):
                    _dict_clear(obj)
                    _dict_update(obj, saved)
            else:
                cd = _getattr(obj, '__dict__')
                if not _same_dict(cd, saved):
                    for k in _list(cd):
                        if k not in saved and k not in ('__dict__', '__weakref__'):
                            try:
                                _type_delattr(obj, k)
                            except _BaseException:
                                pass
                    for k, v in _dict_items(saved):
                        if _mp_get(cd, k, _restore_state) is not v:
                            try:
                                _type_setattr(obj, k, v)
                            except _BaseException:
                                pass

    _baseline = {}
    for name, mod in _list(_dict_items(_modules)):
        st = _module_state(mod)
        if st is not None:
            _baseline[name] = st
    _baseline_names = _frozenset(_baseline)
    _sys_state = _baseline['sys']
    _builtins_state = _baseline['builtins']
    _watch_always = (_builtins_state, _sys_state, _baseline['collections'], _baseline['unittest'], _baseline['unittest.case'])

    def _clean_dir(path):
        try:
            entries = _list(_scandir(path))
        except _BaseException:
            return
        for e in entries:
            try:
                if _is_dir_entry(e, follow_symlinks=False):
                    _clean_dir(e.path)
                    _rmdir(e.path)
                else:
                    _remove(e.path)
            except _BaseException:
                pass

    def _reset(seed):
        # Trace and profile functions need no reset: the audit hook refuses to install them.
        for cell, value in _helper_cells:
            try:
                if cell.cell_contents is not value:
                    cell.cell_contents = value
            except _BaseException:
                pass
        for name in _list(_dict_keys(_modules)):
            if name not in _baseline_names:
                _dict_pop(_modules, name, None)
        for name, st in _dict_items(_baseline):
            if _dict_get(_modules, name) is not st[0]:
                _modules[name] = st[0]
            _restore_state(st)
        if _RECURSION_DEFAULT != _getrecursionlimit():
            _setrecursionlimit(_RECURSION_DEFAULT)
        if _set_int_max is not None and _get_int_max() != _INT_MAX_DEFAULT:
            _set_int_max(_INT_MAX_DEFAULT)
        if _dict(_environ) != _environ_copy:
            for k in _list(_environ):
                if k not in _environ_copy:
                    del _environ[k]
            for k, v in _dict_items(_environ_copy):
                if _environ.get(k) != v:
                    _environ[k] = v
        try:
            _chdir(_HOME)
        except _BaseException:
            pass
        _clean_dir(_HOME)
        _clean_dir('/tmp')
        _re_purge()
        _seed(seed)

    # ---- value checks used by rewritten assertions ----------------------------------------------
    def _plain(x, budget):
        # True when x is built only from built-in values (and a few stdlib containers) whose comparison
        # is the library's own: a program-defined __eq__ or __bool__ cannot decide an assertion then.
        try:
            _dumps(x)
            return True
        except _BaseException:
            pass
        stack = [x]
        seen = 0
        while stack:
            v = stack.pop()
            seen += 1
            if seen > budget:
                return False
            t = _type(v)
            if t in _PLAIN_TYPES:
                continue
            if t in _CONTAINERS or t in _SAFE_OTHER:
                if t is _dict or t is collections.OrderedDict or t is collections.defaultdict or t is collections.Counter:
                    for k, w in _dict_items(v):
                        _list_append(stack, k)
                        _list_append(stack, w)
                elif t is not decimal.Decimal and t is not fractions.Fraction and t is not _range and t is not bytearray:
                    for w in v:
                        _list_append(stack, w)
                continue
            ok = False
            for base, eq in _EQ_BASES:
                if _issubclass(t, base) and _getattr(t, '__eq__', None) is eq and _getattr(t, '__ne__', None) is _getattr(base, '__ne__'):
                    ok = True
                    if base in _CONTAINERS:
                        if base is _dict:
                            for k, w in _dict_items(v):
                                _list_append(stack, k)
                                _list_append(stack, w)
                        else:
                            for w in _tuple.__iter__(v) if base is _tuple else _list.__iter__(v) if base is _list else _iter(_frozenset(v)):
                                _list_append(stack, w)
                    break
            if not ok:
                return False
        return True

    def _describe(x):
        t = _type(x)
        return _getattr(t, '__qualname__', '?')

    counters = [0]  # assertions reached in this check

    class _NamespaceView:
        # What unittest.main(module=...) reads the test cases from: an object whose __dict__ is the namespace.
        pass

    import operator as _operator_mod
    _eq = _operator_mod.eq
    _ne = _operator_mod.ne
    _lt = _operator_mod.lt
    _le = _operator_mod.le
    _gt = _operator_mod.gt
    _ge = _operator_mod.ge
    _contains = _operator_mod.contains

    def _mcg_compare(left, ops, rights):
        # The comparison chain "left op0 r0 op1 r1 ..." of an assertion. When one side is a built-in value
        # and the other is not, the assertion fails: an object that claims to equal anything is not an answer.
        a = left
        for i in _range(_len(ops)):
            op = ops[i]
            b = rights[i]
            if op == 'Is':
                r = a is b
            elif op == 'IsNot':
                r = a is not b
            else:
                pa = _plain(a, 100000)
                pb = _plain(b, 100000)
                if pa != pb:
                    raise _AssertionError('compared a ' + _describe(a if not pa else b) + ' with a built-in ' + _describe(b if not pa else a) + ' value')
                # An if-chain, not a table: a table would be a mutable object reachable from the helper.
                if op == 'Eq':
                    r = _eq(a, b)
                elif op == 'NotEq':
                    r = _ne(a, b)
                elif op == 'Lt':
                    r = _lt(a, b)
                elif op == 'LtE':
                    r = _le(a, b)
                elif op == 'Gt':
                    r = _gt(a, b)
                elif op == 'GtE':
                    r = _ge(a, b)
                elif op == 'In':
                    r = _contains(b, a)
                else:
                    r = not _contains(b, a)
                if not (pa and pb):
                    if _type(r) is not _bool:
                        if not _plain(r, 1000):
                            raise _AssertionError('a comparison returned a ' + _describe(r))
                r = _bool(r)
            if not r:
                return False
            a = b
        return True

    def _mcg_truth(value):
        counters[0] += 1
        if _type(value) is _bool:
            return value
        if not _plain(value, 100000):
            raise _AssertionError('asserted the truth of a ' + _describe(value) + ' (not a built-in value)')
        return _bool(value)

    # Every closure cell reachable from the two helpers (they are reachable from test code, and a cell's
    # contents can be replaced): checked for identity after every test statement.
    def _collect_cells(roots):
        out = []
        seen = _set()
        stack = _list(roots)
        while stack:
            fn = stack.pop()
            if _id(fn) in seen:
                continue
            seen.add(_id(fn))
            for cell in (_getattr(fn, '__closure__', None) or ()):
                value = cell.cell_contents
                _list_append(out, (cell, value))
                if _type(value) is _type(_collect_cells):
                    _list_append(stack, value)
        return _tuple(out)

    _helper_cells = _collect_cells((_mcg_compare, _mcg_truth))

    def _cells_intact():
        for cell, value in _helper_cells:
            try:
                if cell.cell_contents is not value:
                    return False
            except _BaseException:
                return False
        return True

    class _Rewriter(_NodeTransformer):
        def __init__(self, cmp_name, truth_name):
            self.cmp_name = cmp_name
            self.truth_name = truth_name
            self.depth = 0

        def visit_Assert(self, node):
            self.depth += 1
            test = self.visit(node.test)
            self.depth -= 1
            msg = self.visit(node.msg) if node.msg is not None else None
            call = _ast_Call(func=_ast_Name(id=self.truth_name, ctx=_ast_Load()), args=[test], keywords=[])
            return _copy_location(_ast_Assert(test=_copy_location(call, node.test), msg=msg), node)

        def visit_Compare(self, node):
            self.generic_visit(node)
            if self.depth == 0:
                return node
            names = [_type(op).__name__ for op in node.ops]
            for n in names:
                if n not in ('Eq', 'NotEq', 'Lt', 'LtE', 'Gt', 'GtE', 'In', 'NotIn', 'Is', 'IsNot'):
                    return node
            call = _ast_Call(
                func=_ast_Name(id=self.cmp_name, ctx=_ast_Load()),
                args=[node.left, _ast_Tuple(elts=[_ast_Constant(value=n) for n in names], ctx=_ast_Load()),
                      _ast_Tuple(elts=_list(node.comparators), ctx=_ast_Load())],
                keywords=[])
            return _copy_location(call, node)

    def _names_read(tree):
        loaded = _set()
        bound = _set()
        imported = _set()
        # Names passed to a top-level call (check(candidate_function)) are the code under test: the
        # program is meant to define them, even when they are also builtins (an entry point called sum).
        for node in tree.body:
            if _type(node) is _ast_Expr and _type(node.value) is _ast_Call:
                for arg in node.value.args:
                    if _type(arg) is _ast_Name:
                        bound.add(arg.id)
        for node in _walk(tree):
            t = _type(node)
            if t is _ast_Name:
                if _type(node.ctx) is _ast_Load:
                    loaded.add(node.id)
                else:
                    bound.add(node.id)
            elif t is _ast_Import:
                for a in node.names:
                    imported.add(a.name)
                    bound.add(a.asname or _str_partition(a.name, '.')[0])
            elif t is _ast_ImportFrom:
                if node.module and node.level == 0:
                    imported.add(node.module)
                for a in node.names:
                    bound.add(a.asname or a.name)
            elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                bound.add(node.name)
                for arg in ast.walk(node.args) if t is not ast.ClassDef else ():
                    if _type(arg) is ast.arg:
                        bound.add(arg.arg)
        return loaded, bound, imported

    def _short(text):
        text = _str(text)
        return text if _len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 3] + '...'

    def _failure_of(exc, where):
        t = _type(exc)
        name = _getattr(t, '__qualname__', 'Exception')
        try:
            text = _str(exc)
        except _BaseException:
            text = ''
        # The traceback starts in the harness; its next entry is the script's top-level line.
        lineno = None
        tb = _getattr(exc, '__traceback__', None)
        if tb is not None and tb.tb_next is not None:
            lineno = tb.tb_next.tb_lineno
        loc = '' if where is None else ' (' + where + (':' + _str(lineno) if lineno is not None else '') + ')'
        msg = _short(name + (': ' + text if text else '') + loc)
        if t is _AssertionError:
            return ('assertion', msg)
        if _issubclass(t, _SyntaxError):
            return ('syntax_error', msg)
        if _issubclass(t, _MemoryError):
            return ('oom', msg)
        if _issubclass(t, _KeyboardInterrupt):
            return ('interrupted', msg)
        if _issubclass(t, _SystemExit):
            return ('runtime_error', _short('SystemExit: the program exited (' + _repr(exc.code)[:40] + ')' + loc))
        return ('runtime_error', msg)

    job = {}

    def begin(program, tests, seed, nonce):
        # Resets the interpreter, compiles the program and the tests, and returns the number of statements
        # of each test (or a failure tuple for a test that does not compile).
        _reset(seed)
        job.clear()
        counters[0] = 0
        cmp_name = '__mcg_cmp_' + nonce
        truth_name = '__mcg_truth_' + nonce
        mod_name = '__mcg_module_' + nonce
        ns = {'__builtins__': builtins}
        ns_view = _NamespaceView()
        ns_view.__dict__ = ns
        job['ns_view'] = ns_view
        job['ns'] = ns
        job['cmp_name'] = cmp_name
        job['truth_name'] = truth_name
        job['mod_name'] = mod_name
        try:
            job['program'] = _compile(program, 'solution.py', 'exec', dont_inherit=True)
            job['program_error'] = None
        except _BaseException as e:
            job['program'] = None
            job['program_error'] = _failure_of(e, 'solution.py')
        compiled = []
        shapes = []
        used_builtins = _set()
        watch = _list(_watch_always)
        watched = _set()
        watch_names = [('builtins', builtins), ('sys', sys)]
        for i in _range(_len(tests)):
            src = tests[i]
            fname = 'test-' + _str(i + 1) + '.py'
            try:
                tree = _parse(src, fname)
                loaded, bound, imported = _names_read(tree)
                for n in loaded:
                    if n not in bound and n in _builtins_dict:
                        used_builtins.add(n)
                for m in imported:
                    if _blocked_module(m):
                        continue
                    try:
                        _import(m)
                    except _BaseException:
                        pass
                    for name in (m, _str_partition(m, '.')[0]):
                        mod = _dict_get(_modules, name)
                        if mod is not None and name not in watched:
                            _list_append(watch_names, (name, mod))
                            st = _dict_get(_baseline, name) or _module_state(mod)
                            if st is not None:
                                watched.add(name)
                                _list_append(watch, st)
                tree = _fix(_Rewriter(cmp_name, truth_name).visit(tree))
                stmts = []
                for node in tree.body:
                    mod = _ast_Module(body=[node], type_ignores=[])
                    is_unittest_main = False
                    if _type(node) is _ast_Expr and _type(node.value) is _ast_Call:
                        f = node.value.func
                        if _type(f) is ast.Attribute and f.attr == 'main' and _type(f.value) is _ast_Name and f.value.id == 'unittest':
                            is_unittest_main = True
                            # unittest.main() looks for tests in __main__: point it at the test namespace.
                            given = [k.arg for k in node.value.keywords]
                            if 'module' not in given and _len(node.value.args) == 0:
                                node.value.keywords.append(ast.keyword(arg='module', value=_ast_Name(id=mod_name, ctx=_ast_Load())))
                            if 'argv' not in given and _len(node.value.args) < 2:
                                node.value.keywords.append(ast.keyword(arg='argv', value=_ast_List(elts=[_ast_Constant(value='tests')], ctx=_ast_Load())))
                            _fix(mod)
                    defines = node.name if _type(node) in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef) else None
                    _list_append(stmts, (_compile(mod, fname, 'exec', dont_inherit=True), is_unittest_main, node.lineno, defines))
                _list_append(compiled, stmts)
                _list_append(shapes, _len(stmts))
            except _BaseException as e:
                _list_append(compiled, None)
                _list_append(shapes, _failure_of(e, fname))
        job['tests'] = compiled
        job['used_builtins'] = _tuple(used_builtins)
        job['watch_names'] = _tuple(watch_names)
        job['test_defs'] = {}
        # States of modules the tests rely on, taken now (before the program runs).
        job['watch'] = [_module_state(st[0]) for st in watch]
        return _tuple(shapes)

    _IMPORT_TABLES = (_id(_modules), _id(sys.path_importer_cache), _id(sys.path))

    def _tamper_changed(state):
        # What changed in a module while a check runs, or None. A saved entry
        # replaced or removed counts; an added entry counts only for a dunder name on a class (a new
        # __eq__ say). Importing adds submodules to packages and entries to sys.modules: not changes.
        mod, d, entries, inner = state
        for k, v in _dict_items(entries):
            now = _dict_get(d, k, _tamper_changed)
            if now is not v:
                # A lazy import binding the real module (collections binds heapq on first use) is not a change.
                if _type(now) is _ModuleType and _dict_get(_modules, _getattr(now, '__name__', None)) is now:
                    continue
                return _str(k)
        for obj, kind, saved in inner:
            if _id(obj) in _IMPORT_TABLES:
                continue
            if kind == 'list':
                if not _same_list(obj, saved):
                    return 'a list'
            elif kind == 'dict':
                for k, v in _dict_items(saved):
                    if _dict_get(obj, k, _tamper_changed) is not v:
                        return 'a table entry ' + _repr(k)[:40]
            else:
                cd = _getattr(obj, '__dict__')
                where = _str(_getattr(obj, '__qualname__', '?')) + '.'
                if _len(cd) != _len(saved):
                    for k in cd:
                        if k not in saved and _str_startswith(k, '__') and k.endswith('__'):
                            return where + k
                for k, v in _dict_items(saved):
                    if _mp_get(cd, k, _tamper_changed) is not v:
                        return where + _str(k)
        return None

    def _tampered():
        ns = job['ns']
        if _dict_get(ns, job['cmp_name']) is not _mcg_compare or _dict_get(ns, job['truth_name']) is not _mcg_truth:
            return 'the program replaced the assertion helpers'
        if not _cells_intact():
            return 'the program changed the assertion helpers'
        if _dict_get(ns, '__builtins__') is not builtins:
            return 'the program replaced __builtins__'
        for name, obj in _dict_items(job['test_defs']):
            if _dict_get(ns, name) is not obj:
                return 'the program replaced ' + name + ', which the tests define'
        for name, mod in job['watch_names']:
            if _dict_get(_modules, name) is not mod:
                return 'the program replaced module ' + name + ' in sys.modules'
        for name in job['used_builtins']:
            if name in ns:
                return 'the program redefines ' + name + ', which the tests use'
        for current in job['watch']:
            what = None if current is None else _tamper_changed(current)
            if what is not None:
                return 'the program changed ' + what + ' in module ' + _str(_getattr(current[0], '__name__', '?')) + ', which the tests use'
        return None

    def run_program():
        if job['program'] is None:
            return ('fail',) + job['program_error']
        try:
            _exec(job['program'], job['ns'])
        except _BaseException as e:
            return ('fail',) + _failure_of(e, 'solution.py')
        return ('ok', '', '')

    def run_statement(test_index, statement_index):
        # Runs one top-level statement of a test. Returns ('ok'|'fail', failure, message).
        ns = job['ns']
        stmts = job['tests'][test_index]
        code, is_unittest_main, lineno, defines = stmts[statement_index]
        ns[job['cmp_name']] = _mcg_compare
        ns[job['truth_name']] = _mcg_truth
        if is_unittest_main:
            ns[job['mod_name']] = job['ns_view']
        where = 'test-' + _str(test_index + 1) + '.py'
        if statement_index == 0:
            why = _tampered()
            if why is not None:
                return ('fail', 'assertion', _short(why))
        try:
            _exec(code, ns)
            outcome = ('ok', '', '')
        except _SystemExit as e:
            if is_unittest_main and (e.code is None or e.code is False or e.code == 0):
                outcome = ('ok', '', '')
            elif is_unittest_main:
                outcome = ('fail', 'assertion', _short('unittest reported failures (' + where + ':' + _str(lineno) + ')'))
            else:
                outcome = ('fail',) + _failure_of(e, where)
        except _BaseException as e:
            outcome = ('fail',) + _failure_of(e, where)
        why = _tampered()
        if why is not None:
            return ('fail', 'assertion', _short(why + ' (' + where + ':' + _str(lineno) + ')'))
        if defines is not None and outcome[0] == 'ok' and defines in ns:
            job['test_defs'][defines] = ns[defines]
        return outcome

    def assertions():
        return (counters[0],)

    sys.addaudithook(_audit)
    return (begin, run_program, run_statement, assertions)
`;
