// A whole run in process with the onnx policy and an onnx PRM: records, trees and usage are written.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultRegistry, generateArithProblems, runToDirectory, type ConfigInput } from '../../../src/index.js';
import { onnxOrm, onnxPolicy, onnxPrm } from '../../../policies/onnx/index.js';
import type { TinyModelDirs } from '../../../scripts/onnx/tiny-models.js';
import { buildModelsInTemp } from './helpers.js';

let dirs: TinyModelDirs;
let cleanup: () => void;
const outs: string[] = [];
beforeAll(() => {
  ({ dirs, cleanup } = buildModelsInTemp());
});
afterAll(() => {
  cleanup();
  for (const o of outs) rmSync(o, { recursive: true, force: true });
});

const registry = () => createDefaultRegistry().register('policy', 'onnx', onnxPolicy).register('reward', 'onnx-prm', onnxPrm).register('reward', 'onnx-orm', onnxOrm);

function config(reward: ConfigInput['reward']): ConfigInput {
  return {
    seed: 3,
    search: { width: 3 },
    budget: { simulations: 8, depth: 4 },
    policy: { kind: 'onnx', options: { modelDir: dirs.decoder, maxTokens: 24, temperature: 1, finalPattern: 'answer' } },
    reward,
    outputs: { trees: true },
  };
}

async function run(reward: ConfigInput['reward']) {
  const outDir = mkdtempSync(join(tmpdir(), 'mcg-onnx-run-'));
  outs.push(outDir);
  const problems = generateArithProblems({ count: 2, seed: 1 });
  const result = await runToDirectory({ outDir, input: { problems }, config: config(reward), registry: registry(), overwrite: true });
  return { outDir, result };
}

describe('a run with the onnx policy and reward heads', () => {
  it('searches every problem with the onnx policy and the step-tag PRM and writes the run directory', async () => {
    const { outDir, result } = await run({ kind: 'onnx-prm', options: { modelDir: dirs.prmStepTag, tagToken: '<tag>' } });
    const { summary } = result;
    expect(summary.problems.committed).toBe(2);
    expect(readFileSync(join(outDir, 'errors.jsonl'), 'utf8')).toBe('');
    const trees = readdirSync(join(outDir, 'trees'));
    expect(trees).toHaveLength(2);
    const tree = JSON.parse(readFileSync(join(outDir, 'trees', trees[0]), 'utf8'));
    expect(JSON.stringify(tree)).toContain('onnx(tiny-decoder)');
    const ledger = readFileSync(join(outDir, 'ledger.jsonl'), 'utf8').trim().split('\n');
    expect(ledger).toHaveLength(2);
    const written = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
    expect(JSON.stringify(written)).toContain('onnx-prm');
    for (const f of ['steps.jsonl', 'pairs.jsonl', 'traces.jsonl']) expect(existsSync(join(outDir, f))).toBe(true);
    // Random weights rarely verify, but finished solutions give step-label records.
    const steps = readFileSync(join(outDir, 'steps.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps.length).toBe(summary.records.steps);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps[0].provenance).toMatchObject({ policy: 'onnx(tiny-decoder)', reward: 'onnx-prm:step-tag(tiny-prm-step-tag)' });
    expect(summary.usage.generatedTokens).toBeGreaterThan(0);
    expect(summary.usage.promptTokens).toBeGreaterThan(summary.usage.generatedTokens);
    expect(summary.usage.rewardCalls).toBeGreaterThan(0);
    expect(summary.usage.modelMs).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives the same files, also with the ORM', async () => {
    const a = await run({ kind: 'onnx-orm', options: { modelDir: dirs.ormValue } });
    const b = await run({ kind: 'onnx-orm', options: { modelDir: dirs.ormValue } });
    for (const f of ['steps.jsonl', 'pairs.jsonl', 'traces.jsonl']) {
      expect(readFileSync(join(b.outDir, f), 'utf8')).toBe(readFileSync(join(a.outDir, f), 'utf8'));
    }
    const treesA = readdirSync(join(a.outDir, 'trees')).sort();
    for (const t of treesA) expect(readFileSync(join(b.outDir, 'trees', t), 'utf8')).toBe(readFileSync(join(a.outDir, 'trees', t), 'utf8'));
  });
});
