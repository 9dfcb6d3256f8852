// Parser for final answers written in LaTeX or plain math ("\frac{1}{2}", "1/2", "(3, \pi/2)", "[0, 1)",
// "x = 5", "\{1, 2\}", "1 \pm \sqrt{19}"): cleaned answer text in, a small AST out. Pure; imports only
// the size-guard error. Every loop is bounded by the input length, recursion by `maxDepth`.

import { TooLargeError } from './exact-number.js';

export type RelOp = '=' | '<' | '>' | '<=' | '>=' | '!=' | 'in';

/** The answer AST. Structural nodes (list, set, group, rel, union, matrix) only appear where answers have them. */
export type MathNode =
  | { t: 'num'; text: string }
  | { t: 'based'; digits: string; base: string }
  | { t: 'sym'; name: string }
  | { t: 'call'; fn: string; args: MathNode[] }
  | { t: 'neg'; arg: MathNode }
  | { t: 'pm'; left: MathNode | null; right: MathNode; minusFirst: boolean }
  | { t: 'bin'; op: '+' | '-' | '*' | '/' | '^'; left: MathNode; right: MathNode }
  | { t: 'fact'; arg: MathNode }
  | { t: 'pct'; arg: MathNode }
  | { t: 'group'; open: '(' | '['; close: ')' | ']'; items: MathNode[] }
  | { t: 'set'; items: MathNode[] }
  | { t: 'list'; items: MathNode[] }
  | { t: 'rel'; ops: RelOp[]; parts: MathNode[] }
  | { t: 'union'; items: MathNode[] }
  | { t: 'ratio'; parts: MathNode[] }
  | { t: 'matrix'; rows: MathNode[][] };

/** Thrown when the text is not an answer this grammar understands. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
}

export interface ParseLimits {
  /** Maximum AST nodes (default 2000). */
  maxNodes: number;
  /** Maximum nesting depth of the recursive descent (default 100). */
  maxDepth: number;
  /** Maximum matrix cells in `zeros(n, m)`-style constructors (default 10000). */
  maxMatrixCells: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxNodes: 2000, maxDepth: 100, maxMatrixCells: 10_000 };

/** Functions the evaluators know; anything else followed by parentheses is an uninterpreted function. */
export const KNOWN_FUNCTIONS = new Set([
  'sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'arcsin', 'arccos', 'arctan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'sqrt', 'nthroot', 'log', 'ln', 'lg', 'exp', 'abs', 'floor', 'ceil',
  'binom', 'gcd', 'lcm', 'max', 'min',
]);

/** Letters that name a function when followed by "(" (f(x), P(2)); any other letter multiplies. */
const FUNCTION_LETTERS = new Set(['f', 'g', 'h', 'F', 'G', 'H', 'P', 'Q', 'W', 'p', 'q']);

/** Constructors that would build a matrix of the given size (refused above the cell budget). */
const MATRIX_BUILDERS = new Set(['zeros', 'ones', 'identity', 'eye', 'matrix', 'rand', 'random', 'range', 'diag']);

const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega',
  'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Sigma', 'Phi', 'Psi', 'Omega', 'ell',
]);

/** Commands that only decorate a symbol (\overline{AB}, \vec{v}, \mathbb{R}): the content is kept. */
const WRAPPERS = new Set(['overline', 'bar', 'hat', 'widehat', 'vec', 'overrightarrow', 'mathbb', 'mathcal', 'tilde', 'widetilde', 'dot', 'ddot', 'underline', 'boldsymbol', 'text', 'operatorname']);

/** Commands that close or separate something; never a symbol. */
const STRUCTURAL_COMMANDS = new Set(['end', 'right', 'rfloor', 'rceil', 'rvert', 'cup', 'cap', 'setminus', 'approx', 'to', 'mid', 'cdot', 'times', 'div', 'pm', 'mp']);

const REL_COMMANDS: Record<string, RelOp> = {
  le: '<=', leq: '<=', leqslant: '<=', ge: '>=', geq: '>=', geqslant: '>=', lt: '<', gt: '>', ne: '!=', neq: '!=', in: 'in',
};

type Tok =
  | { k: 'num'; v: string; sp: boolean }
  | { k: 'id'; v: string; sp: boolean }
  | { k: 'cmd'; v: string; sp: boolean }
  | { k: 'op'; v: string; sp: boolean }
  | { k: 'end'; v: ''; sp: boolean };

/** Splits cleaned answer text into tokens. `sp` records whitespace before a token. */
function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let sp = false;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      sp = true;
      i++;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && s[i + 1] >= '0' && s[i + 1] <= '9')) {
      const m = /^(\d*\.?\d+|\d+\.(?!\d))(?:[eE][+-]?\d+(?![a-zA-Z]))?/.exec(s.slice(i, i + 400));
      let text = m === null ? c : m[0];
      if (text.endsWith('.')) text = text.slice(0, -1);
      out.push({ k: 'num', v: text, sp });
      i += text.length;
      if (s[i] === '.' && !(s[i + 1] >= '0' && s[i + 1] <= '9')) i++; // "5." at the end of a sentence
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (j < s.length && /[A-Za-z]/.test(s[j])) j++;
      out.push({ k: 'id', v: s.slice(i, j), sp });
      i = j;
    } else if (c === '\\') {
      const n = s[i + 1];
      if (n !== undefined && /[A-Za-z]/.test(n)) {
        let j = i + 1;
        while (j < s.length && /[A-Za-z]/.test(s[j])) j++;
        out.push({ k: 'cmd', v: s.slice(i + 1, j), sp });
        i = j;
      } else if (n === '{' || n === '}' || n === '|' || n === '\\' || n === '%' || n === '_' || n === '&') {
        out.push({ k: 'cmd', v: n, sp });
        i += 2;
      } else {
        // "\," "\!" "\ " and friends: spacing, dropped.
        sp = true;
        i += n === undefined ? 1 : 2;
        continue;
      }
    } else {
      const two = s.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '!=' || two === '=>' || two === '=<') {
        out.push({ k: 'op', v: two === '=>' ? '>=' : two === '=<' ? '<=' : two, sp });
        i += 2;
      } else if ('+-*/^_!%=<>()[]{}|,;:&±∓\''.includes(c)) {
        out.push({ k: 'op', v: c, sp });
        i++;
      } else {
        throw new ParseError(`unexpected character "${c}"`);
      }
    }
    sp = false;
  }
  out.push({ k: 'end', v: '', sp });
  return out;
}

/**
 * Parses cleaned answer text (see `answer-normalize.ts`) into an AST.
 * Throws `ParseError` for text outside the grammar and `TooLargeError` when a limit is exceeded.
 */
export function parseMath(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): MathNode {
  return new Parser(tokenize(text), limits).parseTop();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private nodes = 0;
  /** Open "|" pairs: inside them a "|" closes instead of starting a product. */
  private absDepth = 0;

  constructor(
    private readonly toks: Tok[],
    private readonly limits: ParseLimits,
  ) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)];
  }

  private next(): Tok {
    const t = this.toks[this.pos];
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === 'op' && t.v === v;
  }

  private isCmd(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === 'cmd' && t.v === v;
  }

  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new ParseError(`expected "${v}", got "${this.peek().v || 'end'}"`);
    this.next();
  }

  private node<T extends MathNode>(n: T): T {
    if (++this.nodes > this.limits.maxNodes) throw new TooLargeError(`answer has more than ${this.limits.maxNodes} nodes`);
    return n;
  }

  private enter(): void {
    if (++this.depth > this.limits.maxDepth) throw new TooLargeError(`answer nests deeper than ${this.limits.maxDepth}`);
  }

  private leave(): void {
    this.depth--;
  }

  parseTop(): MathNode {
    if (this.peek().k === 'end') throw new ParseError('empty answer');
    const n = this.parseList(true);
    if (this.peek().k !== 'end') throw new ParseError(`unexpected "${this.peek().v}"`);
    return n;
  }

  /** Comma/semicolon-separated items; a single item is returned as is. */
  private parseList(top: boolean): MathNode {
    // Semicolons separate groups when commas separate items within them ("p=5, q=2; p=7, q=2").
    const groups: MathNode[][] = [[this.parseRelation()]];
    let sawComma = false;
    while (this.isOp(',') || this.isOp(';')) {
      const sep = this.next().v;
      if (this.atListEnd()) break; // trailing comma
      if (sep === ';') groups.push([]);
      else sawComma = true;
      groups[groups.length - 1].push(this.parseRelation());
    }
    if (groups.length > 1 && sawComma && top) {
      const items = groups.map((g) => (g.length === 1 ? g[0] : this.node({ t: 'list', items: g })));
      return this.node({ t: 'list', items });
    }
    const items = groups.flat();
    if (items.length === 1) return items[0];
    return this.node({ t: 'list', items });
  }

  private atListEnd(): boolean {
    const t = this.peek();
    return t.k === 'end' || (t.k === 'op' && (t.v === ')' || t.v === ']' || t.v === '}')) || (t.k === 'cmd' && t.v === '}');
  }

  private relOp(): RelOp | null {
    const t = this.peek();
    if (t.k === 'op') {
      if (t.v === '=' || t.v === '<' || t.v === '>' || t.v === '<=' || t.v === '>=' || t.v === '!=') return t.v;
      return null;
    }
    if (t.k === 'cmd') return REL_COMMANDS[t.v] ?? null;
    return null;
  }

  private parseRelation(): MathNode {
    this.enter();
    const parts = [this.parseUnion()];
    const ops: RelOp[] = [];
    for (;;) {
      const op = this.relOp();
      if (op === null) break;
      this.next();
      ops.push(op);
      parts.push(this.parseUnion());
    }
    this.leave();
    if (ops.length === 0) return parts[0];
    return this.node({ t: 'rel', ops, parts });
  }

  private parseUnion(): MathNode {
    const items = [this.parseRatio()];
    while (this.isCmd('cup') || (this.peek().k === 'id' && this.peek().v === 'U' && this.peek(1).k === 'op' && '([{'.includes(this.peek(1).v))) {
      this.next();
      items.push(this.parseRatio());
    }
    return items.length === 1 ? items[0] : this.node({ t: 'union', items });
  }

  private parseRatio(): MathNode {
    const parts = [this.parseAdditive()];
    while (this.isOp(':')) {
      this.next();
      parts.push(this.parseAdditive());
    }
    return parts.length === 1 ? parts[0] : this.node({ t: 'ratio', parts });
  }

  private isPm(): 'pm' | 'mp' | null {
    const t = this.peek();
    if ((t.k === 'cmd' && t.v === 'pm') || (t.k === 'op' && t.v === '±')) return 'pm';
    if ((t.k === 'cmd' && t.v === 'mp') || (t.k === 'op' && t.v === '∓')) return 'mp';
    return null;
  }

  private parseAdditive(): MathNode {
    this.enter();
    let left = this.parseMultiplicative();
    for (;;) {
      if (this.isOp('+') || this.isOp('-')) {
        const op = this.next().v as '+' | '-';
        const right = this.parseMultiplicative();
        left = this.node({ t: 'bin', op, left, right });
        continue;
      }
      const pm = this.isPm();
      if (pm !== null) {
        this.next();
        const right = this.parseMultiplicative();
        left = this.node({ t: 'pm', left, right, minusFirst: pm === 'mp' });
        continue;
      }
      break;
    }
    this.leave();
    return left;
  }

  /** True when the next token can start a factor of an implicit product (2x, 3\sqrt2, (a)(b)). */
  private startsImplicitFactor(): boolean {
    const t = this.peek();
    if (t.k === 'num' || t.k === 'id') return true;
    if (t.k === 'op') {
      if (t.v === '(' || t.v === '{') return true;
      if (t.v === '[') return false;
      if (t.v === '|') return this.absDepth === 0;
      return false;
    }
    if (t.k === 'cmd') {
      if (t.v in REL_COMMANDS || t.v === 'cup' || t.v === 'pm' || t.v === 'mp' || t.v === 'cdot' || t.v === 'times' || t.v === 'div') return false;
      if (t.v === '}' || t.v === '\\' || t.v === '&' || t.v === 'end' || t.v === 'rfloor' || t.v === 'rceil' || t.v === 'right' || t.v === 'approx') return false;
      if (t.v === 'pmod' || t.v === 'bmod' || t.v === 'mod') return false;
      return true;
    }
    return false;
  }

  private parseMultiplicative(): MathNode {
    this.enter();
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if ((t.k === 'op' && (t.v === '*' || t.v === '/')) || (t.k === 'cmd' && (t.v === 'cdot' || t.v === 'times' || t.v === 'div'))) {
        this.next();
        const op = t.v === '/' || t.v === 'div' ? '/' : '*';
        const right = this.parseUnary();
        left = this.node({ t: 'bin', op, left, right });
        continue;
      }
      if (this.startsImplicitFactor()) {
        // Mixed number: an integer followed by \frac{int}{int} ("12\frac{3}{5}" is 12 + 3/5).
        const right = this.parsePower();
        if (left.t === 'num' && /^\d+$/.test(left.text) && isIntFraction(right) && t.k === 'cmd') {
          left = this.node({ t: 'bin', op: '+', left, right });
        } else if (left.t === 'neg' && left.arg.t === 'num' && /^\d+$/.test(left.arg.text) && isIntFraction(right) && t.k === 'cmd') {
          left = this.node({ t: 'neg', arg: this.node({ t: 'bin', op: '+', left: left.arg, right }) });
        } else {
          left = this.node({ t: 'bin', op: '*', left, right });
        }
        continue;
      }
      break;
    }
    this.leave();
    return left;
  }

  private parseUnary(): MathNode {
    this.enter();
    let out: MathNode;
    if (this.isOp('-')) {
      this.next();
      out = this.node({ t: 'neg', arg: this.parseUnary() });
    } else if (this.isOp('+')) {
      this.next();
      out = this.parseUnary();
    } else {
      const pm = this.isPm();
      if (pm !== null) {
        this.next();
        out = this.node({ t: 'pm', left: null, right: this.parseUnary(), minusFirst: pm === 'mp' });
      } else {
        out = this.parsePower();
      }
    }
    this.leave();
    return out;
  }

  private parsePower(): MathNode {
    this.enter();
    let base = this.parsePostfix(this.parsePrimary());
    if (this.isOp('^')) {
      this.next();
      const exp = this.parseExponent();
      base = this.parsePostfix(this.node({ t: 'bin', op: '^', left: base, right: exp }));
    }
    this.leave();
    return base;
  }

  /** Exponent after "^": a braced group, or a signed primary (plain-text "2^-1", "x^2"), right-associative. */
  private parseExponent(): MathNode {
    this.enter();
    let out: MathNode;
    if (this.isOp('-')) {
      this.next();
      out = this.node({ t: 'neg', arg: this.parseExponent() });
    } else if (this.isOp('+')) {
      this.next();
      out = this.parseExponent();
    } else {
      out = this.parsePrimary();
      if (this.isOp('^')) {
        this.next();
        out = this.node({ t: 'bin', op: '^', left: out, right: this.parseExponent() });
      }
    }
    this.leave();
    return out;
  }

  private parsePostfix(n: MathNode): MathNode {
    for (;;) {
      if (this.isOp('!') && !(this.peek(1).k === 'op' && this.peek(1).v === '=')) {
        this.next();
        n = this.node({ t: 'fact', arg: n });
      } else if (this.isOp('%') || this.isCmd('%')) {
        this.next();
        n = this.node({ t: 'pct', arg: n });
      } else if (this.isOp("'")) {
        this.next();
        n = n.t === 'sym' ? this.node({ t: 'sym', name: `${n.name}'` }) : n;
      } else {
        return n;
      }
    }
  }

  /** A LaTeX macro argument: `{...}`, or a single digit / letter / command (\frac12, \sqrt2, \frac\pi4). */
  private parseArg(): MathNode {
    const t = this.peek();
    if (t.k === 'op' && t.v === '{') {
      this.next();
      const inner = this.parseList(false);
      this.expectOp('}');
      return inner;
    }
    if (t.k === 'num') {
      if (t.v.length > 1 && /^\d/.test(t.v)) {
        // Take one digit; leave the rest of the literal in place.
        this.toks[this.pos] = { k: 'num', v: t.v.slice(1), sp: false };
        return this.node({ t: 'num', text: t.v[0] });
      }
      this.next();
      return this.node({ t: 'num', text: t.v });
    }
    if (t.k === 'id') {
      if (t.v.length > 1) {
        this.toks[this.pos] = { k: 'id', v: t.v.slice(1), sp: false };
        return this.node({ t: 'sym', name: t.v[0] });
      }
      this.next();
      return this.node({ t: 'sym', name: t.v });
    }
    if (t.k === 'cmd') return this.parsePrimary();
    throw new ParseError(`expected an argument, got "${t.v || 'end'}"`);
  }

  /** Optional subscript after a name: `_3`, `_{12}`, `_{MBCN}` become part of the name. */
  private readSubscript(): string | null {
    if (!this.isOp('_')) return null;
    this.next();
    const t = this.peek();
    if (t.k === 'op' && t.v === '{') {
      this.next();
      let text = '';
      let guard = 0;
      while (!this.isOp('}')) {
        const x = this.next();
        if (x.k === 'end' || ++guard > 200) throw new ParseError('unclosed subscript');
        text += x.k === 'cmd' ? x.v : x.v;
      }
      this.next();
      return text;
    }
    if (t.k === 'num' || t.k === 'id') {
      this.next();
      // LaTeX subscripts take one character; plain "a_12" takes the whole literal.
      return t.v;
    }
    if (t.k === 'cmd') {
      this.next();
      return t.v;
    }
    throw new ParseError('bad subscript');
  }

  private parsePrimary(): MathNode {
    this.enter();
    try {
      return this.parsePrimaryInner();
    } finally {
      this.leave();
    }
  }

  private parsePrimaryInner(): MathNode {
    const t = this.peek();
    switch (t.k) {
      case 'num': {
        this.next();
        if (this.isOp('_')) {
          const base = this.readSubscript();
          return this.node({ t: 'based', digits: t.v, base: base ?? '' });
        }
        return this.node({ t: 'num', text: t.v });
      }
      case 'id':
        return this.parseIdentifier();
      case 'cmd':
        return this.parseCommand();
      case 'op':
        return this.parseBracketed();
      default:
        throw new ParseError('unexpected end of answer');
    }
  }

  private parseIdentifier(): MathNode {
    const t = this.next() as Tok & { k: 'id' };
    const word = t.v;
    const lower = word.toLowerCase();
    if (KNOWN_FUNCTIONS.has(word) || (lower === word && KNOWN_FUNCTIONS.has(lower))) return this.parseFunctionTail(word === 'lg' ? 'log10' : word);
    if (MATRIX_BUILDERS.has(word) && this.isOp('(')) return this.parseMatrixBuilder(word);
    if (word === 'pi') return this.node({ t: 'sym', name: 'pi' });
    if (word === 'inf' || word === 'infty' || word === 'infinity' || word === 'oo') return this.node({ t: 'sym', name: 'inf' });
    // A run of letters is a product of one-letter symbols (ab = a*b), the last one taking a subscript.
    if (word.length > 1) {
      this.toks.splice(this.pos, 0, { k: 'id', v: word.slice(1), sp: false });
      return this.node({ t: 'sym', name: word[0] });
    }
    const sub = this.readSubscript();
    const name = sub === null ? word : `${word}_${sub}`;
    if (this.isOp('(') && FUNCTION_LETTERS.has(word) && !this.peek().sp) {
      this.next();
      const args = this.parseCallArgs();
      return this.node({ t: 'call', fn: name, args });
    }
    return this.node({ t: 'sym', name });
  }

  private parseCallArgs(): MathNode[] {
    const args: MathNode[] = [];
    if (this.isOp(')')) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.parseRelation());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(')');
      return args;
    }
  }

  private parseMatrixBuilder(word: string): MathNode {
    this.next();
    const args = this.parseCallArgs();
    let cells = 1;
    for (const a of args) {
      if (a.t === 'num') cells *= Number(a.text);
      else if (a.t === 'neg' && a.arg.t === 'num') cells *= Number(a.arg.text);
      else cells *= this.limits.maxMatrixCells + 1;
    }
    if (!(cells <= this.limits.maxMatrixCells)) throw new TooLargeError(`${word}(...) would build more than ${this.limits.maxMatrixCells} cells`);
    return this.node({ t: 'call', fn: word, args });
  }

  /** After a function name: optional power (\sin^2 x), then "(args)" or a bare argument (\sin x, \log 8). */
  private parseFunctionTail(fn: string): MathNode {
    let power: MathNode | null = null;
    let base: MathNode | null = null;
    for (let guard = 0; guard < 2; guard++) {
      if (this.isOp('^') && power === null) {
        this.next();
        power = this.parseExponent();
      } else if (this.isOp('_') && (fn === 'log' || fn === 'lg')) {
        this.next();
        base = this.parseArg();
      }
    }
    let args: MathNode[];
    if (this.isOp('(')) {
      this.next();
      args = this.parseCallArgs();
    } else if (this.isOp('{')) {
      args = [this.parseArg()];
    } else {
      // Bare argument: a product of factors up to the next operator or function (\sin b \cos a).
      let arg = this.parsePower();
      while (this.startsImplicitFactor() && !this.startsFunction()) arg = this.node({ t: 'bin', op: '*', left: arg, right: this.parsePower() });
      args = [arg];
    }
    if (args.length === 0) throw new ParseError(`${fn}() needs an argument`);
    if (base !== null) args = [args[0], base];
    let call: MathNode = this.node({ t: 'call', fn: fn === 'ln' ? 'log' : fn === 'log' && base === null ? 'log' : fn, args });
    if (power !== null) {
      // \sin^{-1} is the inverse function, \sin^2 x is (\sin x)^2.
      if (power.t === 'neg' && power.arg.t === 'num' && power.arg.text === '1' && call.t === 'call' && ['sin', 'cos', 'tan'].includes(call.fn)) {
        call = this.node({ t: 'call', fn: `a${call.fn}`, args: call.args });
      } else {
        call = this.node({ t: 'bin', op: '^', left: call, right: power });
      }
    }
    return call;
  }

  private startsFunction(): boolean {
    const t = this.peek();
    if (t.k === 'cmd') return KNOWN_FUNCTIONS.has(t.v) || t.v === 'operatorname';
    if (t.k === 'id') return KNOWN_FUNCTIONS.has(t.v);
    return false;
  }

  private parseCommand(): MathNode {
    const t = this.next() as Tok & { k: 'cmd' };
    const c = t.v;
    if (c === 'frac' || c === 'dfrac' || c === 'tfrac' || c === 'cfrac') {
      const num = this.parseArg();
      const den = this.parseArg();
      return this.node({ t: 'bin', op: '/', left: num, right: den });
    }
    if (c === 'binom' || c === 'dbinom' || c === 'tbinom' || c === 'choose') {
      const n = this.parseArg();
      const k = this.parseArg();
      return this.node({ t: 'call', fn: 'binom', args: [n, k] });
    }
    if (c === 'sqrt') {
      let index: MathNode | null = null;
      if (this.isOp('[')) {
        this.next();
        index = this.parseAdditive();
        this.expectOp(']');
      }
      const arg = this.parseArg();
      return this.node(index === null ? { t: 'call', fn: 'sqrt', args: [arg] } : { t: 'call', fn: 'nthroot', args: [arg, index] });
    }
    if (KNOWN_FUNCTIONS.has(c)) return this.parseFunctionTail(c);
    if (c === 'arcsec' || c === 'arccsc' || c === 'arccot') return this.parseFunctionTail(c);
    if (c === 'pi') return this.node({ t: 'sym', name: 'pi' });
    if (c === 'infty' || c === 'infin') return this.node({ t: 'sym', name: 'inf' });
    if (c === 'emptyset' || c === 'varnothing') return this.node({ t: 'set', items: [] });
    if (c === 'dots' || c === 'ldots' || c === 'cdots') return this.node({ t: 'sym', name: 'dots' });
    if (c === 'imath') return this.node({ t: 'sym', name: 'i' });
    if (GREEK.has(c)) {
      const sub = this.readSubscript();
      return this.node({ t: 'sym', name: sub === null ? c : `${c}_${sub}` });
    }
    if (c === '{') return this.parseSetBraces();
    if (c === '|' || c === 'vert' || c === 'lvert' || c === 'Vert') return this.parseAbs(true);
    if (c === 'lfloor' || c === 'lceil') {
      const inner = this.parseAdditive();
      const close = this.next();
      if (close.k !== 'cmd' || close.v !== (c === 'lfloor' ? 'rfloor' : 'rceil')) throw new ParseError(`unclosed \\${c}`);
      return this.node({ t: 'call', fn: c === 'lfloor' ? 'floor' : 'ceil', args: [inner] });
    }
    if (c === 'begin') return this.parseEnvironment();
    if (c === 'operatorname') {
      const name = this.readBracedWord();
      if (KNOWN_FUNCTIONS.has(name)) return this.parseFunctionTail(name);
      if (this.isOp('(')) {
        this.next();
        return this.node({ t: 'call', fn: name, args: this.parseCallArgs() });
      }
      return this.node({ t: 'sym', name });
    }
    if (WRAPPERS.has(c)) {
      if (c === 'text') {
        const word = this.readBracedWord();
        return this.node({ t: 'sym', name: word });
      }
      const inner = this.parseArg();
      if (inner.t === 'sym') return this.node({ t: 'sym', name: `${c}(${inner.name})` });
      const flat = flattenName(inner);
      if (flat !== null) return this.node({ t: 'sym', name: `${c}(${flat})` });
      return inner;
    }
    if (c === 'angle' || c === 'triangle') {
      const inner = this.parsePrimary();
      const flat = flattenName(inner) ?? 'x';
      return this.node({ t: 'sym', name: `${c}${flat}` });
    }
    if (STRUCTURAL_COMMANDS.has(c)) throw new ParseError(`unexpected \\${c}`);
    // Any other command names a symbol (\zzz, \sum, \Box): compared by name, never evaluated.
    const sub = this.readSubscript();
    return this.node({ t: 'sym', name: sub === null ? `\\${c}` : `\\${c}_${sub}` });
  }

  private readBracedWord(): string {
    if (!this.isOp('{')) {
      const t = this.next();
      return t.v;
    }
    this.next();
    let text = '';
    let guard = 0;
    while (!this.isOp('}')) {
      const x = this.next();
      if (x.k === 'end' || ++guard > 500) throw new ParseError('unclosed group');
      text += (x.sp && text !== '' ? ' ' : '') + x.v;
    }
    this.next();
    return text;
  }

  private parseAbs(isCommand: boolean): MathNode {
    this.absDepth++;
    const inner = this.parseAdditive();
    this.absDepth--;
    const close = this.next();
    const ok = close.k === 'op' ? close.v === '|' : close.k === 'cmd' && ['|', 'vert', 'rvert', 'Vert'].includes(close.v);
    if (!ok) throw new ParseError(isCommand ? 'unclosed \\vert' : 'unclosed |');
    return this.node({ t: 'call', fn: 'abs', args: [inner] });
  }

  private parseSetBraces(): MathNode {
    const items: MathNode[] = [];
    if (this.isCmd('}')) {
      this.next();
      return this.node({ t: 'set', items });
    }
    for (;;) {
      items.push(this.parseRelation());
      if (this.isOp(',') || this.isOp(';')) {
        this.next();
        continue;
      }
      const close = this.next();
      if (close.k !== 'cmd' || close.v !== '}') throw new ParseError('unclosed \\{');
      return this.node({ t: 'set', items });
    }
  }

  private parseBracketed(): MathNode {
    const t = this.next();
    if (t.v === '|') return this.parseAbs(false);
    if (t.v === '{') {
      // Braces group in LaTeX; with top-level commas they are a set ("{1, 2, 3}").
      if (this.isOp('}')) {
        this.next();
        return this.node({ t: 'set', items: [] });
      }
      const inner = this.parseList(false);
      this.expectOp('}');
      if (inner.t === 'list') return this.node({ t: 'set', items: inner.items });
      return inner;
    }
    if (t.v === '(' || t.v === '[') {
      const items: MathNode[] = [];
      const saveAbs = this.absDepth;
      this.absDepth = 0;
      for (;;) {
        items.push(this.parseRelation());
        if (this.isOp(',') || this.isOp(';')) {
          this.next();
          continue;
        }
        break;
      }
      this.absDepth = saveAbs;
      const close = this.next();
      if (close.k !== 'op' || (close.v !== ')' && close.v !== ']')) throw new ParseError(`unclosed "${t.v}"`);
      if (items.length === 1 && t.v === '(' && close.v === ')') return items[0];
      // "\left[\begin{array}...\end{array}\right]": brackets around a matrix are its delimiters.
      if (items.length === 1 && items[0].t === 'matrix') return items[0];
      return this.node({ t: 'group', open: t.v, close: close.v, items });
    }
    throw new ParseError(`unexpected "${t.v}"`);
  }

  /** \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, array, ...). */
  private parseEnvironment(): MathNode {
    const env = this.readBracedWord();
    if (env === 'array' && this.isOp('{')) this.readBracedWord(); // column spec
    if (!/^(p|b|v|V|B|small)?matrix$|^array$/.test(env)) throw new ParseError(`unsupported environment ${env}`);
    const rows: MathNode[][] = [];
    let row: MathNode[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > this.limits.maxNodes) throw new TooLargeError('matrix too large');
      if (this.isCmd('end')) {
        this.next();
        this.readBracedWord();
        if (row.length > 0) rows.push(row);
        break;
      }
      if (this.isCmd('\\')) {
        this.next();
        if (row.length > 0) rows.push(row);
        row = [];
        continue;
      }
      row.push(this.parseAdditive());
      if (this.isOp('&') || this.isCmd('&')) this.next();
      else if (!this.isCmd('\\') && !this.isCmd('end')) throw new ParseError('bad matrix cell');
    }
    if (rows.length === 0) throw new ParseError('empty matrix');
    return this.node({ t: 'matrix', rows });
  }
}

function isIntFraction(n: MathNode): boolean {
  return n.t === 'bin' && n.op === '/' && n.left.t === 'num' && /^\d+$/.test(n.left.text) && n.right.t === 'num' && /^\d+$/.test(n.right.text);
}

/** A name made of symbols only (AB from a*b), or null. */
function flattenName(n: MathNode): string | null {
  if (n.t === 'sym') return n.name;
  if (n.t === 'bin' && n.op === '*') {
    const a = flattenName(n.left);
    const b = flattenName(n.right);
    return a === null || b === null ? null : a + b;
  }
  return null;
}

/** Free symbols (variables) of a node: every `sym` except the constants pi, e, i, inf. */
export function freeSymbols(n: MathNode, into: Set<string> = new Set()): Set<string> {
  switch (n.t) {
    case 'sym':
      if (!CONSTANTS.has(n.name)) into.add(n.name);
      break;
    case 'num':
    case 'based':
      break;
    case 'call':
      if (!KNOWN_FUNCTIONS.has(n.fn) && !['log10', 'asin', 'acos', 'atan', 'arcsec', 'arccsc', 'arccot'].includes(n.fn)) into.add(`${n.fn}()`);
      for (const a of n.args) freeSymbols(a, into);
      break;
    case 'neg':
    case 'fact':
    case 'pct':
      freeSymbols(n.arg, into);
      break;
    case 'pm':
      if (n.left !== null) freeSymbols(n.left, into);
      freeSymbols(n.right, into);
      break;
    case 'bin':
      freeSymbols(n.left, into);
      freeSymbols(n.right, into);
      break;
    case 'group':
    case 'set':
    case 'list':
    case 'union':
      for (const a of n.items) freeSymbols(a, into);
      break;
    case 'rel':
    case 'ratio':
      for (const a of n.parts) freeSymbols(a, into);
      break;
    case 'matrix':
      for (const r of n.rows) for (const a of r) freeSymbols(a, into);
      break;
  }
  return into;
}

/** Symbols with a fixed value. */
export const CONSTANTS = new Set(['pi', 'e', 'i', 'inf']);

/** Prints a node back as plain text (canonical spacing); `num` text is used as is. */
export function printNode(n: MathNode, parentPrec = 0): string {
  switch (n.t) {
    case 'num':
      return n.text;
    case 'based':
      return `${n.digits}_${n.base}`;
    case 'sym':
      return n.name;
    case 'call':
      return `${n.fn}(${n.args.map((a) => printNode(a)).join(', ')})`;
    case 'neg':
      return wrap(`-${printNode(n.arg, 3)}`, 2, parentPrec);
    case 'pm': {
      const sym = n.minusFirst ? '∓' : '±';
      return n.left === null ? wrap(`${sym}${printNode(n.right, 3)}`, 2, parentPrec) : wrap(`${printNode(n.left, 1)} ${sym} ${printNode(n.right, 2)}`, 1, parentPrec);
    }
    case 'bin': {
      const prec = n.op === '+' || n.op === '-' ? 1 : n.op === '^' ? 4 : 2;
      const l = printNode(n.left, n.op === '^' ? 5 : prec);
      const r = printNode(n.right, n.op === '^' ? 4 : prec + (n.op === '-' || n.op === '/' ? 1 : 0));
      const sep = n.op === '*' || n.op === '/' || n.op === '^' ? n.op : ` ${n.op} `;
      return wrap(`${l}${sep}${r}`, prec, parentPrec);
    }
    case 'fact':
      return `${printNode(n.arg, 5)}!`;
    case 'pct':
      return `${printNode(n.arg, 5)}%`;
    case 'group':
      return `${n.open}${n.items.map((a) => printNode(a)).join(', ')}${n.close}`;
    case 'set':
      return `{${n.items.map((a) => printNode(a)).join(', ')}}`;
    case 'list':
      return n.items.map((a) => printNode(a)).join(', ');
    case 'rel':
      return n.parts.map((p, i) => (i === 0 ? printNode(p) : ` ${n.ops[i - 1]} ${printNode(p)}`)).join('');
    case 'union':
      return n.items.map((a) => printNode(a)).join(' U ');
    case 'ratio':
      return n.parts.map((a) => printNode(a, 1)).join(':');
    case 'matrix':
      return `[${n.rows.map((r) => `[${r.map((a) => printNode(a)).join(', ')}]`).join(', ')}]`;
  }
}

function wrap(s: string, prec: number, parentPrec: number): string {
  return prec < parentPrec ? `(${s})` : s;
}
