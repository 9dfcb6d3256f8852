// Smoke training (about a minute): a small policy trained from scratch on built-in problems must lower
// its loss, export to an Optimum directory that the plain `onnx` policy loads, and write well-formed
// solutions greedily. The committed models are trained by `npm run train:policy` / `train:prm`, never here.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, arithProblemAt, createDefaultRegistry, emptyUsage } from '../../src/index.js';
import { EMBEDDED_POLICY_DEFAULTS } from '../../policies/onnx/index.js';
import { VOCAB_SIZE } from '../../scripts/onnx/tiny-models.js';
import { policyBatches } from '../../scripts/train/data.js';
import { exportModel, gradeSolution, readSpec } from '../../scripts/train/export.js';
import type { ModelSpec } from '../../scripts/train/model.js';
import { DEFAULT_TRAIN, train } from '../../scripts/train/trainer.js';

const scratch = mkdtempSync(join(tmpdir(), 'mcts-gen-smoke-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SMOKE_STEPS = 900;

describe('smoke training', () => {
  it('lowers the loss, exports a loadable model and writes well-formed solutions', async () => {
    const spec: ModelSpec = { layers: 2, hidden: 64, heads: 2, ffn: 256, maxPositions: 512, vocabSize: VOCAB_SIZE, head: 'lm' };
    const result = await train({
      spec,
      settings: { ...DEFAULT_TRAIN, steps: SMOKE_STEPS, seed: 1, lr: 4e-3, warmupSteps: 40 },
      data: policyBatches({ seed: 1000, batchSize: 16, maxLen: 511 }),
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(result.losses.slice(0, 10));
    const last = mean(result.losses.slice(-20));
    console.log(`smoke training: loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${SMOKE_STEPS} steps, ${result.msPerStep.toFixed(0)} ms/step`);
    expect(last).toBeLessThan(first * 0.35);

    const dir = join(scratch, 'policy');
    exportModel(dir, spec, result.params, { smoke: true });
    expect(readSpec(dir)).toEqual(spec);
    const policy = await createDefaultRegistry().create('policy', { kind: 'onnx', options: { modelDir: dir, ...EMBEDDED_POLICY_DEFAULTS } }, { baseDir: scratch });
    try {
      let wellFormed = 0;
      const n = 10;
      for (let i = 0; i < n; i++) {
        const problem = arithProblemAt(0, i);
        const ctx = { signal: new AbortController().signal, rng: Rng.fromSeed(0), usage: emptyUsage(), greedy: true };
        const lines = (await policy.rollout!({ problem, steps: [] }, ctx)).map((c) => c.text);
        if (gradeSolution(problem, lines).wellFormed) wellFormed++;
      }
      expect(wellFormed).toBeGreaterThanOrEqual(8);
    } finally {
      await policy.close?.();
    }
  }, 600_000);
});
