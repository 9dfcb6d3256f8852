// Arithmetic claims inside steps: detection (operators, chains, GSM8K habits, calculator annotations),
// per-claim and per-step verdicts, the verifier's checkSteps and the math-steps reward model.
import { describe, expect, it } from 'vitest';
import { Rng, emptyUsage, type CallContext, type Trajectory } from '../../../src/core/index.js';
import { checkStepClaims } from '../../../verifiers/math/step-claims.js';
import { mathStepReward, mathVerifier } from '../../../verifiers/math/index.js';

function ctx(): CallContext {
  return { signal: new AbortController().signal, rng: Rng.fromSeed(1), usage: emptyUsage() };
}

function claimsOf(step: string): [string, boolean][] {
  return checkStepClaims(step).claims.map((c) => [c.text, c.holds]);
}

describe('checkStepClaims', () => {
  it.each([
    ['12 * 7 = 84', [['12 * 7 = 84', true]]],
    ['12 * 7 = 85', [['12 * 7 = 85', false]]],
    ['She makes $5 x 3 = $15 a day.', [['5 * 3 = 15', true]]],
    ['Each gets 1,200 / 4 = 300 dollars.', [['1200 / 4 = 300', true]]],
    ['The area is $\\frac{1}{2} \\times 3 \\times 10 = 15$.', [['\\frac{1}{2} * 3 * 10 = 15', true]]],
    ['So 210 + 91 is 300.', [['210 + 91 = 300', false]]],
    ['So 1/3 = 0.33 approximately', [['1/3 = 0.33', true]]],
    ['It is 2.8461538461538463 = 37/13', [['2.8461538461538463 = 37/13', true]]],
    ['50 * 20% = 10', [['50 * 20% = 10', true]]],
  ] as [string, [string, boolean][]][])('%s', (step, expected) => {
    expect(claimsOf(step)).toEqual(expected);
  });

  it('reads chains, including running totals', () => {
    expect(claimsOf('3 + 4 = 7 + 2 = 9')).toEqual([
      ['3 + 4 = 7 + 2', true],
      ['7 + 2 = 9', true],
    ]);
    expect(claimsOf('$x = 5+3 = 8$')).toEqual([['5+3 = 8', true]]);
    expect(claimsOf('2 + 2 = 4 = 5')).toEqual([['2 + 2 = 4', true]]);
    expect(claimsOf('It checks out as $315(128) = 40320 = 8!$')).toEqual([
      ['315(128) = 40320', true],
      ['40320 = 8!', true],
    ]);
  });

  it('reads GSM8K prose habits: mixed numbers, spaced thousands, "x" and percents after "* 100"', () => {
    expect(claimsOf('After Friday, he had 3 1/2 - 2 = 1 1/2 hours left.')).toEqual([['(3+1/2) - 2 = (1+1/2)', true]]);
    expect(claimsOf('The total is $350 000 + $17500 = $367 500.')).toEqual([['350000 +  17500 = 367500', true]]);
    expect(claimsOf('It is off by 4% because 18 / 450 x 100 = 4%')).toEqual([['18 / 450 * 100 = 4%', true]]);
    expect(claimsOf('Tommy raised 23 slices x $4 = $92.')).toEqual([]);
    expect(claimsOf('Since 2/5 is equal to 12.8 hectares, 1/5 is 6.4 hectares.')).toEqual([]);
  });

  it('checks GSM8K calculator annotations and does not count them twice', () => {
    const r = checkStepClaims('Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.');
    expect(r.claims).toHaveLength(1);
    expect(r.claims[0]).toMatchObject({ left: '16-3-4', right: '9', holds: true, source: 'annotation' });
    expect(checkStepClaims('<<16-3-4=8>>8 eggs').verdict).toBe('fail');
  });

  it('ignores equalities with variables, subscripts or exponents glued to the side', () => {
    expect(checkStepClaims('This simplifies to $2p=0.58$. So $p=0.58$.').verdict).toBe('abstain');
    expect(checkStepClaims('$5p+e-3p-e=1.82-1.24$.').verdict).toBe('abstain');
    expect(checkStepClaims('We have $s^2=\\sqrt{2}$.').verdict).toBe('abstain');
    expect(checkStepClaims('So $S_{14} = 7 \\cdot 300 = 2100$.').claims.map((c) => c.text)).toEqual(['7 * 300 = 2100']);
  });

  it('ignores equalities that are being tested or refuted', () => {
    expect(checkStepClaims('Plugging in $0$ we get $0=\\sqrt{11}+4$, which is false.').verdict).toBe('abstain');
    expect(checkStepClaims('And $1=3+4$ is clearly not true.').verdict).toBe('abstain');
  });

  it('gives a step verdict: pass, fail or abstain', () => {
    expect(checkStepClaims('3 * 4 = 12 and 12 + 1 = 13').verdict).toBe('pass');
    expect(checkStepClaims('3 * 4 = 12 and 12 + 1 = 14').verdict).toBe('fail');
    expect(checkStepClaims('Let x be the number of apples.').verdict).toBe('abstain');
  });

  it('keeps exact arithmetic for big numbers', () => {
    expect(checkStepClaims('2^{100} = 1267650600228229401496703205376').verdict).toBe('pass');
    expect(checkStepClaims('2^{100} = 1267650600228229401496703205377').verdict).toBe('fail');
  });
});

describe('process checks in the plugins', () => {
  const trajectory: Trajectory = {
    problem: { id: 'p', prompt: 'q', domain: 'math', reference: { answer: '13' } },
    steps: ['Let x be the count.', '3 * 4 = 12 apples', '12 + 1 = 14 in total'],
  };

  it('the verifier checkSteps returns one verdict per step', async () => {
    const v = await mathVerifier.create(mathVerifier.options.parse({}), { baseDir: '.' });
    const c = ctx();
    const steps = await v.checkSteps!(trajectory.problem, trajectory, c);
    expect(steps.map((s) => [s.step, s.kind, s.reason, s.claims, s.failedClaims])).toEqual([
      [0, 'abstain', 'no_claims', 0, 0],
      [1, 'pass', 'arithmetic', 1, 0],
      [2, 'fail', 'mismatch', 1, 1],
    ]);
    expect(c.usage.verifierCalls).toBe(1);
    await v.close?.();
  });

  it('math-steps scores the last step: 1 all hold, 0 one fails, neutral without claims', async () => {
    const rm = await mathStepReward.create(mathStepReward.options.parse({}), { baseDir: '.' });
    expect(rm.granularity).toBe('step');
    const at = (n: number): Trajectory => ({ ...trajectory, steps: trajectory.steps.slice(0, n) });
    const c = ctx();
    const scores = await rm.score([at(1), at(2), at(3), at(0)], c);
    expect([...scores]).toEqual([0.5, 1, 0, 0.5]);
    expect(c.usage.rewardCalls).toBe(1);
    const custom = await mathStepReward.create(mathStepReward.options.parse({ neutral: 0.25 }), { baseDir: '.' });
    expect([...(await custom.score([at(1)], ctx()))]).toEqual([0.25]);
  });

  it('math-steps options are strict', () => {
    expect(mathStepReward.options.safeParse({ neutral: 2 }).success).toBe(false);
    expect(mathStepReward.options.safeParse({ nuetral: 0.5 }).success).toBe(false);
  });
});
