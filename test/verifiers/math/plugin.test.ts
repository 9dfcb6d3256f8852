// The `math` verifier plugin: verdicts, usage, cancellation, options (strict schema with defaults) and
// the registry path the search uses; plus the compiled worker entry in dist/ when it has been built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { PluginRegistry, Rng, emptyUsage, isMcgError, type CallContext, type Problem, type Verifier } from '../../../src/core/index.js';
import { checkAnswer, closeMathWorkers, compareAnswers, mathStepReward, mathVerifier } from '../../../verifiers/math/index.js';
import { repoRoot } from '../../helpers/shared-data.js';

function ctx(signal = new AbortController().signal): CallContext {
  return { signal, rng: Rng.fromSeed(7), usage: emptyUsage() };
}

function problem(answer?: string): Problem {
  return { id: 'p1', prompt: 'How many?', domain: 'math', reference: answer === undefined ? {} : { answer } };
}

const verifiers: Verifier[] = [];
async function makeVerifier(options: Record<string, unknown> = {}): Promise<Verifier> {
  const v = await new PluginRegistry().register('verifier', 'math', mathVerifier).create('verifier', { kind: 'math', options }, { baseDir: '.' });
  verifiers.push(v);
  return v;
}
afterAll(async () => {
  for (const v of verifiers) await v.close?.();
  await closeMathWorkers();
});

describe('mathVerifier.check', () => {
  it('passes an equivalent final answer and counts one verifier call', async () => {
    const v = await makeVerifier();
    const c = ctx();
    const p = problem('\\frac{1}{2}');
    const verdict = await v.check(p, { problem: p, steps: ['Half of it.', 'The answer is $0.5$.'] }, c);
    expect(verdict).toMatchObject({ kind: 'pass', reason: 'rational', score: 1, answer: '0.5' });
    expect(verdict.detail).toContain('answer-is');
    expect(c.usage.verifierCalls).toBe(1);
  });

  it('accepts GSM8K gold answers with thousands commas (and whole GSM8K solutions as gold)', async () => {
    const v = await makeVerifier();
    for (const gold of ['2,125', 'He pays 2,000 + 125 = <<2000+125=2125>>2,125\n#### 2,125']) {
      const p = problem(gold);
      expect((await v.check(p, { problem: p, steps: ['2000 + 125 = 2125', '#### 2125'] }, ctx())).kind).toBe('pass');
    }
  });

  it('fails a wrong answer, fails no_answer, abstains without a reference', async () => {
    const v = await makeVerifier();
    const p = problem('42');
    expect(await v.check(p, { problem: p, steps: ['\\boxed{41}'] }, ctx())).toMatchObject({ kind: 'fail', reason: 'mismatch', score: 0 });
    expect(await v.check(p, { problem: p, steps: ['I am not sure.'] }, ctx())).toMatchObject({ kind: 'fail', reason: 'no_answer' });
    const none = problem(undefined);
    expect(await v.check(none, { problem: none, steps: ['\\boxed{1}'] }, ctx())).toEqual({ kind: 'abstain', reason: 'no_reference' });
  });

  it('gives equal answers the same canonical string for majority voting', async () => {
    const v = await makeVerifier();
    const p = problem('7');
    const a = await v.check(p, { problem: p, steps: ['\\boxed{\\frac{3}{4}}'] }, ctx());
    const b = await v.check(p, { problem: p, steps: ['\\boxed{0.75}'] }, ctx());
    const d = await v.check(p, { problem: p, steps: ['\\boxed{\\dfrac{6}{8}}'] }, ctx());
    expect(a.answer).toBe('0.75');
    expect(b.answer).toBe(a.answer);
    expect(d.answer).toBe(a.answer);
  });

  it('honours ctx.signal', async () => {
    const v = await makeVerifier();
    const ac = new AbortController();
    ac.abort();
    const p = problem('1');
    await expect(v.check(p, { problem: p, steps: ['\\boxed{1}'] }, ctx(ac.signal))).rejects.toSatisfy((e: unknown) => isMcgError(e, 'ABORTED'));
  });

  it('reports a timeout as an undecided error verdict', async () => {
    const v = await makeVerifier({ timeoutMs: 10, simplifyMaxNodes: 100_000 });
    const terms = Array.from({ length: 20 }, (_, i) => `\\frac{${i + 1} x^{${(i + 1) % 7}}}{z+${i + 1}}`);
    const p = problem(terms.join('+'));
    const verdict = await v.check(p, { problem: p, steps: [`\\boxed{${[...terms].reverse().join('+')}+x}`] }, ctx());
    expect(verdict).toMatchObject({ kind: 'error', reason: 'timeout' });
  }, 60_000);
});

describe('options', () => {
  it('have defaults', () => {
    const o = mathVerifier.options.parse({});
    expect(o).toMatchObject({
      tolerance: 1e-6,
      percent: 'either',
      unreducedFractions: 'accept',
      strictUnits: false,
      timeoutMs: 2000,
      extraction: { lastNumberFallback: false, priority: ['final-answer', 'boxed', 'gsm8k', 'answer-is', 'answer-colon'] },
    });
  });

  it('are strict, and errors name the key path', async () => {
    const reg = new PluginRegistry().register('verifier', 'math', mathVerifier).register('reward', 'math-steps', mathStepReward);
    const fail = async (role: 'verifier' | 'reward', kind: string, options: Record<string, unknown>) => {
      try {
        await reg.create(role, { kind, options }, { baseDir: '.' });
      } catch (err) {
        expect(isMcgError(err, 'CONFIG_INVALID')).toBe(true);
        return (err as Error).message;
      }
      throw new Error('expected CONFIG_INVALID');
    };
    expect(await fail('verifier', 'math', { tolerance: 2 })).toBe('verifier.options.tolerance must be a number in [0, 1], got 2');
    expect(await fail('verifier', 'math', { tolerence: 1e-3 })).toContain('verifier.options.tolerence is not a known key; did you mean "tolerance"?');
    expect(await fail('verifier', 'math', { percent: 'half' })).toContain('verifier.options.percent must be one of "either", "strip", "fraction"');
    const priority = await fail('verifier', 'math', { extraction: { priority: ['boxd'] } });
    expect(priority).toContain('verifier.options.extraction.priority');
    expect(priority).toContain('"boxd"');
    expect(await fail('reward', 'math-steps', { neutral: -1 })).toBe('reward.options.neutral must be a number in [0, 1], got -1');
  });
});

describe('pure helpers', () => {
  it('compareAnswers and checkAnswer share checkers per options', async () => {
    expect(await compareAnswers('\\frac{1}{2}', '0.5')).toMatchObject({ equal: true });
    expect(await compareAnswers('x^2-1', '(x-1)(x+1)')).toMatchObject({ equal: true, reason: 'symbolic' });
    expect(await checkAnswer('#### 18', 'She makes 9 * 2 = $18.\nA: 18')).toMatchObject({ equal: true, rule: 'answer-colon', extracted: '18' });
    expect(await checkAnswer('3', 'so 3', { extraction: { lastNumberFallback: true } })).toMatchObject({ equal: true, rule: 'last-number' });
  });
});

describe('isolation', () => {
  it('importing the plugin and checking cheap pairs never loads mathjs on the host', () => {
    const script = [
      `const m = await import(${JSON.stringify(pathToFileURL(resolve(repoRoot, 'verifiers/math/index.ts')).href)});`,
      `const r = await m.compareAnswers('\\\\frac{1}{2}', '0.5');`,
      `const { createRequire } = await import('node:module');`,
      `const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('mathjs'));`,
      `console.log(JSON.stringify({ equal: r.equal, loaded }));`,
      `await m.closeMathWorkers();`,
    ].join('\n');
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({ equal: true, loaded: [] });
  }, 60_000);

  it('the worker entry stays silent in a worker thread the guard did not start (e.g. a piscina pool)', async () => {
    const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const entry = pathToFileURL(resolve(repoRoot, 'verifiers/math/eval-worker.ts')).href;
    const code = `const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })
        .then(() => setTimeout(() => parentPort.postMessage('done'), 50));`;
    const w = new Worker(code, { eval: true, workerData: { unrelated: true } });
    const messages: unknown[] = [];
    await new Promise<void>((res, rej) => {
      w.on('message', (msg) => {
        messages.push(msg);
        if (msg === 'done') res();
      });
      w.on('error', rej);
    });
    await w.terminate();
    expect(messages).toEqual(['done']);
  }, 60_000);
});

describe('compiled package', () => {
  it('runs the symbolic rung through dist/verifiers/math/eval-worker.js', async () => {
    const entry = resolve(repoRoot, 'dist/verifiers/math/index.js');
    if (!existsSync(entry) || !existsSync(resolve(repoRoot, 'dist/verifiers/math/eval-worker.js'))) {
      console.warn('skipping: dist/verifiers/math is not built (npm run build)');
      return;
    }
    const mod = (await import(pathToFileURL(entry).href)) as typeof import('../../../verifiers/math/index.js');
    const checker = mod.createMathChecker({});
    try {
      expect(await checker.compare('\\sin^2 x + \\cos^2 x', '1')).toMatchObject({ equal: true, reason: 'symbolic' });
      expect(checker.stats.inWorker).toBe(1);
    } finally {
      await checker.close();
    }
  }, 60_000);
});
