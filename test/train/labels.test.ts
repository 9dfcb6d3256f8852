// Step-label sources for PRM training (scripts/train/labels.ts), with the embedded policy and the real
// math verifier on held-out built-in problems: each source's rules, checked against an independent
// reading of the worked solution, and determinism.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arithProblemAt, createDefaultRegistry, type Policy, type Problem, type Verifier } from '../../src/index.js';
import { checkStepClaims } from '../../verifiers/math/index.js';
import { stepIsRight, truthOf } from '../../scripts/train/prm-eval.js';
import { labelBalance, labelProblem, truthAgreement, type LabelOptions, type LabelledRecord } from '../../scripts/train/labels.js';

const env = { baseDir: process.cwd() };
const problems: Problem[] = [3, 4, 5, 6].map((i) => arithProblemAt(0, i));
let policy: Policy;
let verifier: Verifier;
beforeAll(async () => {
  const registry = createDefaultRegistry();
  policy = await registry.create('policy', { kind: 'embedded', options: {} }, env);
  verifier = await registry.create('verifier', { kind: 'math', options: {} }, env);
});
afterAll(async () => {
  await policy?.close?.();
  await verifier?.close?.();
});

const options = (source: LabelOptions['source'], extra: Partial<LabelOptions> = {}): LabelOptions => ({ source, solutions: 4, completions: 3, seed: 7, delimiter: '\n\n', ...extra });

/** Truth by bench:prm's reading of the worked solution (a strict "a op b = r" parse, not the verifier's). */
function truthLabels(problem: Problem, steps: readonly string[]): boolean[] {
  const truth = truthOf(problem);
  let ok = true;
  return steps.map((s, i) => (ok = ok && stepIsRight(truth, i, s)));
}

async function label(source: LabelOptions['source'], extra: Partial<LabelOptions> = {}): Promise<LabelledRecord[]> {
  const out: LabelledRecord[] = [];
  for (const p of problems) out.push(...(await labelProblem(p, policy, verifier, options(source, extra))).records);
  return out;
}

describe('PRM step-label sources', () => {
  it('reference: labels equal the worked solution read independently, and records stop at the first bad step', async () => {
    const records = await label('reference', { siblings: 4 });
    expect(records.length).toBeGreaterThan(problems.length * 3);
    let good = 0;
    let bad = 0;
    for (const r of records) {
      const problem = problems.find((p) => p.id === r.problemId)!;
      expect(r.labels).toEqual(truthLabels(problem, r.completions).slice(0, r.labels.length));
      expect(truthAgreement(problem, r)).toEqual({ agree: r.labels.length, total: r.labels.length, falsePositive: 0, falseNegative: 0 });
      // Only the last label of a record may be false.
      expect(r.labels.slice(0, -1).every((l) => l)).toBe(true);
      for (const l of r.labels) l ? good++ : bad++;
    }
    expect(good).toBeGreaterThan(0);
    expect(bad).toBeGreaterThan(0);
  });

  it('verdict: a step is good exactly while every claim so far holds (and the last step needs a verified answer)', async () => {
    const records = await label('verdict');
    // Blind to wrong operands: some steps it calls good are wrong by the worked solution.
    const fp = records.reduce((n, r) => n + truthAgreement(problems.find((p) => p.id === r.problemId)!, r)!.falsePositive, 0);
    expect(fp).toBeGreaterThan(0);
    for (const r of records) {
      let holds = true;
      r.completions.forEach((step, i) => {
        if (checkStepClaims(step).verdict === 'fail') holds = false;
        const last = i === r.completions.length - 1;
        if (!last || r.verified) expect(r.labels[i]).toBe(holds);
        else expect(r.labels[i]).toBe(false);
      });
    }
  });

  it('mc: values are shares of the completions, labels are "value > 0", and nothing after a bad step is good', async () => {
    const records = await label('mc');
    for (const r of records) {
      let seenBad = false;
      r.values.forEach((v, i) => {
        expect(Number.isInteger(v * 3) || v === 1).toBe(true);
        expect(r.labels[i]).toBe(v > 0);
        if (seenBad) expect(r.labels[i]).toBe(false);
        if (!r.labels[i]) seenBad = true;
        if (checkStepClaims(r.completions[i]).verdict === 'fail') expect(r.labels[i]).toBe(false);
      });
      if (r.verified) expect(r.labels.every((l) => l)).toBe(true);
    }
  });

  it('omega: a failed solution ends at its first error, no later than its first false claim; the same seed gives the same records', async () => {
    const records = await label('omega');
    for (const r of records) {
      if (r.verified) continue;
      expect(r.labels.slice(0, -1).every((l) => l)).toBe(true);
      const firstFalse = r.completions.findIndex((s) => checkStepClaims(s).verdict === 'fail');
      if (firstFalse !== -1) expect(r.completions.length - 1).toBeLessThanOrEqual(firstFalse);
    }
    expect(JSON.stringify(await label('omega'))).toBe(JSON.stringify(records));
  });

  it('labelBalance counts good steps per depth', () => {
    expect(labelBalance([{ labels: [true, false] }, { labels: [true, true, true] }], 2)).toEqual([
      { depth: '1', positive: 2, total: 2 },
      { depth: '2+', positive: 2, total: 3 },
    ]);
  });
});
