// The committed embedded models (models/arith-policy, models/arith-prm): size and checksum, defaults,
// the policy's solutions on held-out problems, loading through the plain `onnx` plugins, and the PRM
// telling correct steps from wrong ones.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, arithProblemAt, createDefaultRegistry, emptyUsage, parseConfig, type Policy, type Problem, type RewardModel } from '../../../src/index.js';
import { EMBEDDED_POLICY_DEFAULTS, embeddedModelDir } from '../../../policies/onnx/index.js';
import { gradeSolution } from '../../../scripts/train/export.js';
import { auc, sampleAtTruePrefixes } from '../../../scripts/train/prm-eval.js';

const env = { baseDir: process.cwd() };
const ctx = (greedy = true) => ({ signal: new AbortController().signal, rng: Rng.fromSeed(1), usage: emptyUsage(), greedy });
const heldOut: Problem[] = Array.from({ length: 40 }, (_, i) => arithProblemAt(0, i));

let policy: Policy;
let prm: RewardModel;
beforeAll(async () => {
  const registry = createDefaultRegistry();
  const config = parseConfig({});
  policy = await registry.create('policy', config.policy, env);
  prm = await registry.create('reward', config.reward!, env);
});
afterAll(async () => {
  await policy?.close?.();
  await prm?.close?.();
});

describe('embedded models', () => {
  it('the default config uses them', () => {
    const config = parseConfig({});
    expect(config.policy.kind).toBe('embedded');
    expect(config.reward?.kind).toBe('embedded-prm');
    expect(policy.name).toBe('onnx(arith-policy)');
    expect(prm.name).toBe('onnx-prm:classifier(arith-prm)');
  });

  it.each(['arith-policy', 'arith-prm'])('%s is at most 5 MB and matches the checksum and settings its mcts-gen.json records', (name) => {
    const dir = embeddedModelDir(name);
    const file = join(dir, 'onnx', 'model.onnx');
    expect(statSync(file).size).toBeLessThanOrEqual(5 * 1024 * 1024);
    const meta = JSON.parse(readFileSync(join(dir, 'mcts-gen.json'), 'utf8')) as { sha256: string; training: { command: string; settings: { seed: number } } };
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(meta.sha256);
    expect(meta.training.command).toMatch(/^npx tsx scripts\/train\.ts (policy|prm) /);
    expect(Number.isInteger(meta.training.settings.seed)).toBe(true);
  });

  it('the policy writes well-formed solutions to held-out problems, with mostly right arithmetic', async () => {
    let wellFormed = 0;
    let steps = 0;
    let right = 0;
    for (const problem of heldOut) {
      const lines = (await policy.rollout!({ problem, steps: [] }, ctx())).map((c) => c.text);
      const g = gradeSolution(problem, lines);
      if (g.wellFormed) wellFormed++;
      steps += g.steps;
      right += g.arithmeticCorrect;
    }
    expect(wellFormed).toBe(heldOut.length);
    expect(right / steps).toBeGreaterThan(0.5);
  }, 120_000);

  it('loads through the plain onnx policy with no special case (same greedy steps)', async () => {
    const registry = createDefaultRegistry();
    const plain = await registry.create('policy', { kind: 'onnx', options: { modelDir: embeddedModelDir('arith-policy'), ...EMBEDDED_POLICY_DEFAULTS } }, env);
    try {
      for (const problem of heldOut.slice(0, 3)) {
        const a = await plain.rollout!({ problem, steps: [] }, ctx());
        const b = await policy.rollout!({ problem, steps: [] }, ctx());
        expect(a.map((c) => c.text)).toEqual(b.map((c) => c.text));
      }
    } finally {
      await plain.close?.();
    }
  }, 60_000);

  it('the PRM ranks the next steps the policy samples at true prefixes of held-out problems, above "earlier is better"', async () => {
    // What bench:prm measures, on 40 problems: distinct steps sampled 8 at a time after the worked
    // solution's true steps, right when the claim holds with the true result (or the right answer).
    const samples = (await sampleAtTruePrefixes(heldOut, policy, prm, { width: 8, seed: 0 })).flat(2);
    const right = samples.filter((s) => s.right);
    const wrong = samples.filter((s) => !s.right);
    expect(right.length).toBeGreaterThan(50);
    expect(wrong.length).toBeGreaterThan(50);
    const prmAuc = auc(right.map((s) => s.prm), wrong.map((s) => s.prm));
    const depthAuc = auc(right.map((s) => -s.depth), wrong.map((s) => -s.depth));
    // Deterministic (seeded sampling, fixed weights): measured 0.923 (140 right, 449 wrong), depth 0.665.
    expect(prmAuc).toBeGreaterThan(0.85);
    expect(prmAuc).toBeGreaterThan(depthAuc + 0.15);
    // A right final answer step is a good step (measured mean 0.990 over 40).
    const finals = right.filter((s) => s.final);
    expect(finals.length).toBeGreaterThan(20);
    expect(finals.reduce((a, s) => a + s.prm, 0) / finals.length).toBeGreaterThan(0.9);
  }, 120_000);
});
