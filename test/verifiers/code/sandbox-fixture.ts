// Shared helpers for the sandbox tests: an ordinary program that must keep passing after every hostile
// one, and a call context. Not a test file itself.

import { expect } from 'vitest';
import { emptyUsage, Rng, type CallContext } from '../../../src/core/index.js';
import type { CodeVerifier } from '../../../verifiers/code/index.js';

export const ORDINARY_PROGRAM = 'const add = (a, b) => a + b;';
export const ORDINARY_TESTS = 'console.assert(add(1, 2) === 3);\nconsole.assert(add(-1, 1) === 0);\nconsole.assert(JSON.stringify([add(1, 1)]) === "[2]");';

/** Runs the ordinary check and asserts it passes with its 3 assertions (the sandbox is still healthy). */
export async function expectOrdinaryPass(verifier: CodeVerifier): Promise<void> {
  const verdict = await verifier.checkProgram(ORDINARY_PROGRAM, ORDINARY_TESTS);
  expect(verdict).toMatchObject({ kind: 'pass', reason: 'pass', tests: { passed: 3, total: 3 } });
}

export function makeContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, rng: Rng.fromSeed(1), usage: emptyUsage() };
}
