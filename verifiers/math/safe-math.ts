// A restricted mathjs instance for untrusted answers: parse/simplify/evaluate are captured before being
// disabled inside expressions, so no expression can reach import, createUnit, evaluate, parse, simplify,
// matrix constructors or function definitions; parsed trees are checked against a whitelist of node
// types and function names. Loaded only by the evaluation worker (mathjs stays off the host's fast path).

import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode as MjsNode } from 'mathjs';

// The single-file bundle of the same mathjs version loads several times faster than its ~1000 ESM
// modules, and a fresh worker pays that on every start (the first start and after each timeout).
const { all, create } = createRequire(import.meta.url)('mathjs/lib/browser/math.js') as typeof import('mathjs');

/** Functions an expression may call (the printer in `symbolic-env.ts` only emits these). */
export const ALLOWED_FUNCTIONS = new Set([
  'sqrt', 'nthRoot', 'sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'asin', 'acos', 'atan', 'asec', 'acsc', 'acot',
  'sinh', 'cosh', 'tanh', 'log', 'log10', 'exp', 'abs', 'floor', 'ceil', 'combinations', 'gcd', 'lcm', 'max', 'min',
  'factorial',
]);

const ALLOWED_CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity']);

/** Names disabled inside expressions (each throws when called). */
const DISABLED = [
  'import', 'createUnit', 'evaluate', 'parse', 'simplify', 'simplifyConstant', 'simplifyCore', 'derivative', 'compile',
  'resolve', 'reviver', 'replacer', 'rationalize', 'matrix', 'sparse', 'zeros', 'ones', 'identity', 'range', 'diag',
  'random', 'randomInt', 'pickRandom', 'reshape', 'resize', 'concat', 'kron', 'map', 'forEach', 'filter', 'apply',
  'chain', 'help', 'parser', 'print', 'unit', 'splitUnit', 'to',
];

export interface SafeMath {
  /** Parses an expression and checks every node against the whitelist; throws on anything else. */
  parse(expr: string): MjsNode;
  /** mathjs simplify on an already checked node. */
  simplify(node: MjsNode): MjsNode;
  /** Evaluates a checked node with a scope of variable values. */
  evaluate(node: MjsNode, scope: Record<string, number>): unknown;
  /** Compiles a checked node once, for evaluation at many points. */
  compile(node: MjsNode): (scope: Record<string, number>) => unknown;
  /** The instance's own numeric helpers (BigNumber-aware). */
  readonly math: MathJsInstance;
}

/** Thrown for an expression outside the whitelist. */
export class UnsafeExpressionError extends Error {
  override readonly name = 'UnsafeExpressionError';
}

/**
 * Builds a restricted instance. `precision` > 0 switches numbers to BigNumber with that many significant
 * digits (used for constants far outside double range, e.g. sqrt(2)/2004!).
 */
export function createSafeMath(precision = 0): SafeMath {
  const math = create(all);
  // Set after creation: the single-file bundle's create() ignores a config argument.
  if (precision > 0) math.config({ number: 'BigNumber', precision });
  const parse = math.parse;
  const simplify = math.simplify;
  const refuse = (name: string) =>
    function disabled(): never {
      throw new UnsafeExpressionError(`${name} is disabled`);
    };
  const overrides: Record<string, () => never> = {};
  for (const name of DISABLED) overrides[name] = refuse(name);
  math.import(overrides, { override: true });

  return {
    math,
    parse(expr: string): MjsNode {
      const node = parse(expr);
      assertSafe(node);
      return node;
    },
    simplify(node: MjsNode): MjsNode {
      return simplify(node);
    },
    evaluate(node: MjsNode, scope: Record<string, number>): unknown {
      return node.compile().evaluate({ ...scope });
    },
    compile(node: MjsNode): (scope: Record<string, number>) => unknown {
      const code = node.compile();
      return (scope) => code.evaluate({ ...scope });
    },
  };
}

function assertSafe(root: MjsNode): void {
  let count = 0;
  root.traverse((node, _path, parent) => {
    count++;
    switch (node.type) {
      case 'ConstantNode':
      case 'OperatorNode':
      case 'ParenthesisNode':
        return;
      case 'FunctionNode': {
        const fn = (node as unknown as { fn: { name?: string } }).fn;
        if (fn.name === undefined || !ALLOWED_FUNCTIONS.has(fn.name)) throw new UnsafeExpressionError(`function ${String(fn.name)} is not allowed`);
        return;
      }
      case 'SymbolNode': {
        const name = (node as unknown as { name: string }).name;
        const isCallee = parent !== null && parent.type === 'FunctionNode' && (parent as unknown as { fn: MjsNode }).fn === node;
        if (isCallee) return;
        if (!ALLOWED_CONSTANTS.has(name) && !/^v\d+$/.test(name)) throw new UnsafeExpressionError(`symbol ${name} is not allowed`);
        return;
      }
      default:
        throw new UnsafeExpressionError(`${node.type} is not allowed`);
    }
  });
  if (count > 20_000) throw new UnsafeExpressionError('expression too large');
}
