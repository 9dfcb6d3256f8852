// Shared by the onnx backend tests: builds the tiny models into a temp dir (once per test file), and
// makes call contexts and problems.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, emptyUsage, type CallContext, type Problem } from '../../../src/index.js';
import { buildTinyModels, type TinyModelDirs } from '../../../scripts/onnx/tiny-models.js';

export function buildModelsInTemp(): { dirs: TinyModelDirs; root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'mcg-onnx-'));
  const dirs = buildTinyModels(root);
  return { dirs, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function ctxOf(seed: number | string, extra: Partial<CallContext> = {}): CallContext {
  return { signal: new AbortController().signal, rng: Rng.fromSeed(seed), usage: emptyUsage(), ...extra };
}

export const problem: Problem = { id: 'p1', prompt: 'What is 2 + 3?', domain: 'math', reference: { answer: '5' } };

export const env = { baseDir: '/' };
