// The built-in task: multi-step arithmetic word problems with known worked solutions, generated from
// a seed. Problem i of seed s is the same whatever the count, so sets nest (count 10 is a prefix of 100).

import { Rng } from '../core/rng.js';
import type { Problem, WorkedSolution, WorkedStep } from '../core/types.js';
import { formatNumber } from '../core/worked.js';

const NAMES = ['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonah', 'Kira', 'Leo', 'Maya', 'Noah', 'Olu', 'Priya'];
const ITEMS = ['apple', 'marble', 'sticker', 'pencil', 'cookie', 'stamp', 'shell', 'card', 'bead', 'book', 'coin', 'flower'];
const CONTAINERS = ['box', 'bag', 'jar', 'crate', 'basket', 'tin'];
const PLURAL: Record<string, string> = { box: 'boxes' };
const plural = (word: string): string => PLURAL[word] ?? `${word}s`;

/** Options for `generateArithProblems`. */
export interface ArithOptions {
  /** Number of problems (default 100). */
  count?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Operations per problem, inclusive range (default [2, 5]). */
  minSteps?: number;
  maxSteps?: number;
}

/** Generates `count` problems. Deterministic in (seed, index). */
export function generateArithProblems(options: ArithOptions = {}): Problem[] {
  const count = options.count ?? 100;
  const seed = options.seed ?? 0;
  const minSteps = options.minSteps ?? 2;
  const maxSteps = Math.max(minSteps, options.maxSteps ?? 5);
  const base = Rng.fromSeed(seed).split('arith');
  const out: Problem[] = [];
  for (let i = 0; i < count; i++) out.push(arithProblem(base.split(i), `arith-${seed}-${i}`, minSteps, maxSteps));
  return out;
}

/** Problem `index` of `seed` alone (the same problem `generateArithProblems` gives at that index). */
export function arithProblemAt(seed: number, index: number, minSteps = 2, maxSteps = 5): Problem {
  return arithProblem(Rng.fromSeed(seed).split('arith').split(index), `arith-${seed}-${index}`, minSteps, Math.max(minSteps, maxSteps));
}

function pickOf<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

function arithProblem(rng: Rng, id: string, minSteps: number, maxSteps: number): Problem {
  const name = pickOf(rng, NAMES);
  const item = pickOf(rng, ITEMS);
  const container = pickOf(rng, CONTAINERS);
  const nSteps = between(rng, minSteps, maxSteps);
  const steps: WorkedStep[] = [];
  const sentences: string[] = [];
  let value: number;

  // Opening: either one group (a containers of b items) or two groups combined.
  const boxes = between(rng, 2, 12);
  const per = between(rng, 3, 25);
  steps.push({ a: boxes, op: '*', b: per });
  value = boxes * per;
  if (nSteps >= 3 && rng.chance(0.3)) {
    const boxes2 = between(rng, 2, 9);
    const per2 = between(rng, 2, 20);
    sentences.push(`${name} has ${boxes} ${plural(container)} with ${per} ${item}s in each ${container}, and ${boxes2} more ${plural(container)} with ${per2} ${item}s in each.`);
    steps.push({ a: boxes2, op: '*', b: per2 });
    steps.push({ a: { ref: 0 }, op: '+', b: { ref: 1 } });
    value += boxes2 * per2;
  } else {
    sentences.push(`${name} has ${boxes} ${plural(container)} with ${per} ${item}s in each ${container}.`);
  }

  while (steps.length < nSteps) {
    const prev = { ref: steps.length - 1 };
    const kind = rng.int(4);
    if (kind === 0) {
      const n = between(rng, 5, 60);
      sentences.push(`${name} buys ${n} more ${item}s.`);
      steps.push({ a: prev, op: '+', b: n });
      value += n;
    } else if (kind === 1 && value > 10) {
      const n = between(rng, 1, Math.min(80, value - 1));
      sentences.push(`Then ${name} gives away ${n} ${item}s.`);
      steps.push({ a: prev, op: '-', b: n });
      value -= n;
    } else if (kind === 2 && value < 5000) {
      const k = between(rng, 2, 4);
      sentences.push(`A friend gives ${name} enough to make ${k} times as many ${item}s.`);
      steps.push({ a: prev, op: '*', b: k });
      value *= k;
    } else if (steps.length === nSteps - 1) {
      const divisors = [2, 3, 4, 5, 6, 8, 10].filter((d) => value % d === 0 && value / d >= 2);
      if (divisors.length === 0) {
        const n = between(rng, 2, 30);
        sentences.push(`${name} finds ${n} more ${item}s.`);
        steps.push({ a: prev, op: '+', b: n });
        value += n;
      } else {
        const d = pickOf(rng, divisors);
        sentences.push(`Finally, ${name} shares them equally among ${d} friends.`);
        steps.push({ a: prev, op: '/', b: d });
        value /= d;
      }
    } else {
      const n = between(rng, 2, 30);
      sentences.push(`${name} finds ${n} more ${item}s.`);
      steps.push({ a: prev, op: '+', b: n });
      value += n;
    }
  }
  const last = steps[steps.length - 1];
  const question =
    last.op === '/' ? `How many ${item}s does each friend get?` : `How many ${item}s does ${name} have now?`;
  const worked: WorkedSolution = { steps, answer: formatNumber(value) };
  return {
    id,
    prompt: `${sentences.join(' ')} ${question}`,
    domain: 'math',
    reference: { answer: worked.answer },
    meta: { task: 'arith', worked },
  };
}

