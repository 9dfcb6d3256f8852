// Rewrites a JavaScript test script so the sandbox can tell that its asynchronous work ran to the end,
// and lists the names the script declares at top level. Runs in the parent on test text only (never on
// candidate code), pure; imports acorn and nothing else.
//
// Two rewrites, none of which adds a line (error locations keep their line numbers):
// - the body of every async function or async arrow of the test is wrapped in
//   `const t = __mcgAsync.enter(); try { ... } catch (e) { __mcgAsync.threw(t, e); throw e; } finally { __mcgAsync.exit(t); }`,
//   so a call that never finishes (an await on a promise that never settles) is still open at the verdict;
// - `x.then(..)`, `x.catch(..)`, `x.finally(..)` become `__mcgAsync.chain(x, "then")(..)`: the harness
//   adopts `x` the way `await` does (a replaced `then` on a genuine promise is not called), registers the
//   callbacks with the intrinsic `Promise.prototype.then` and tracks the promise it returns;
// - nothing else changes; a script that does not parse is left as it is (compiling it reports the error).

import { parse, type Node } from 'acorn';
import { ASYNC_GLOBAL } from './async-global.js';

/** Name of the frozen, non-writable global the rewritten tests call (installed by the harness). */
export { ASYNC_GLOBAL };

export interface InstrumentedTest {
  /** The rewritten source (the original when it did not parse or needed nothing). */
  source: string;
  /** Names the script declares at top level (`var`, `let`, `const`, `function`, `class`). */
  declared: string[];
  /** True when the script has async functions or promise chains the harness tracks. */
  tracksAsync: boolean;
}

const CHAIN_METHODS = new Set(['then', 'catch', 'finally']);
/** Longest test script parsed; longer ones run as written (the code verifier caps them anyway). */
const MAX_INSTRUMENT_CHARS = 2_000_000;

interface AnyNode extends Node {
  [key: string]: unknown;
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { start?: unknown }).start === 'number';
}

/** Child nodes in source order. */
function childrenOf(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) out.push(value);
  }
  return out.sort((a, b) => a.start - b.start);
}

function isFunction(node: AnyNode): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

function chainMethod(node: AnyNode): string | undefined {
  if (node.type !== 'CallExpression' || node.optional === true) return undefined;
  const callee = node.callee as AnyNode;
  if (callee.type !== 'MemberExpression' || callee.optional === true) return undefined;
  const property = callee.property as AnyNode;
  let name: unknown;
  if (callee.computed !== true && property.type === 'Identifier') name = property.name;
  else if (callee.computed === true && property.type === 'Literal' && typeof property.value === 'string') name = property.value;
  if (typeof name !== 'string' || !CHAIN_METHODS.has(name)) return undefined;
  if ((callee.object as AnyNode).type === 'Super') return undefined;
  return name;
}

function declaredNames(program: AnyNode): string[] {
  const names = new Set<string>();
  const addPattern = (pattern: AnyNode | null | undefined): void => {
    if (pattern === null || pattern === undefined) return;
    switch (pattern.type) {
      case 'Identifier':
        names.add(pattern.name as string);
        return;
      case 'ObjectPattern':
        for (const p of pattern.properties as AnyNode[]) addPattern(p.type === 'RestElement' ? (p.argument as AnyNode) : (p.value as AnyNode));
        return;
      case 'ArrayPattern':
        for (const e of pattern.elements as (AnyNode | null)[]) addPattern(e);
        return;
      case 'RestElement':
        addPattern(pattern.argument as AnyNode);
        return;
      case 'AssignmentPattern':
        addPattern(pattern.left as AnyNode);
        return;
    }
  };
  for (const statement of program.body as AnyNode[]) {
    if (statement.type === 'VariableDeclaration') for (const d of statement.declarations as AnyNode[]) addPattern(d.id as AnyNode);
    else if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement.id !== null) addPattern(statement.id as AnyNode);
  }
  return [...names].sort();
}

/** Rewrites `source`; see the module comment. Pure and deterministic. */
export function instrumentTest(source: string): InstrumentedTest {
  if (source.length > MAX_INSTRUMENT_CHARS) return { source, declared: [], tracksAsync: false };
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true }) as unknown as AnyNode;
  } catch {
    return { source, declared: [], tracksAsync: false };
  }
  let tracksAsync = false;
  const A = ASYNC_GLOBAL;

  /** Source of [from, to) with every child inside rewritten. */
  const span = (node: AnyNode, from: number, to: number): string => {
    let out = '';
    let at = from;
    for (const child of childrenOf(node)) {
      // `child.start < at`: a node listed twice (the key and value of a shorthand property).
      if (child.end <= from || child.start >= to || child.start < at) continue;
      out += source.slice(at, child.start) + rewrite(child);
      at = child.end;
    }
    return out + source.slice(at, to);
  };

  const rewrite = (node: AnyNode): string => {
    const method = chainMethod(node);
    if (method !== undefined) {
      tracksAsync = true;
      const callee = node.callee as AnyNode;
      const object = callee.object as AnyNode;
      return `${A}.chain(${rewrite(object)}, ${JSON.stringify(method)})${span(node, callee.end, node.end)}`;
    }
    if (isFunction(node) && node.async === true) {
      tracksAsync = true;
      const body = node.body as AnyNode;
      const head = span(node, node.start, body.start);
      const open = `const __mcgT = ${A}.enter(); try {`;
      const close = `} catch (__mcgE) { ${A}.threw(__mcgT, __mcgE); throw __mcgE; } finally { ${A}.exit(__mcgT); }`;
      if (body.type !== 'BlockStatement') return `${head}{ ${open} return (${rewrite(body)}); ${close} }`;
      // Keep the directive prologue ('use strict') first in the body.
      const statements = body.body as AnyNode[];
      let prologueEnd = body.start + 1;
      for (const s of statements) {
        if (s.type === 'ExpressionStatement' && typeof s.directive === 'string') prologueEnd = s.end;
        else break;
      }
      return `${head}${span(body, body.start, prologueEnd)} ${open}${span(body, prologueEnd, body.end - 1)} ${close}}`;
    }
    return span(node, node.start, node.end);
  };

  const rewritten = rewrite(program);
  return { source: tracksAsync ? rewritten : source, declared: declaredNames(program), tracksAsync };
}
