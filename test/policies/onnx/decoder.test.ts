// The onnx policy on the tiny decoder: cache on/off equivalence, batched vs one-by-one sampling, stop
// strings, EOS, LRU eviction then recompute, cooperative cancellation.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McgError, Rng, isMcgError, type CallContext, type StepCandidate, type Trajectory } from '../../../src/index.js';
import { createOnnxPolicy, newMeter, onnxPolicyOptions, type OnnxPolicy, type OnnxPolicyOptions } from '../../../policies/onnx/index.js';
import { EOS_ID, TINY_DECODER, charId, writeDecoderDir, type TinyModelDirs } from '../../../scripts/onnx/tiny-models.js';
import { stepsBetweenFetches } from '../../../policies/onnx/decoder.js';
import { buildModelsInTemp, ctxOf, env, problem } from './helpers.js';

let dirs: TinyModelDirs;
let root: string;
let cleanup: () => void;
const open: OnnxPolicy[] = [];

beforeAll(() => {
  ({ dirs, root, cleanup } = buildModelsInTemp());
});
afterAll(async () => {
  for (const p of open) await p.close();
  cleanup();
});

async function policy(options: Partial<OnnxPolicyOptions> & { modelDir: string }): Promise<OnnxPolicy> {
  const p = await createOnnxPolicy(onnxPolicyOptions.parse(options), env);
  open.push(p);
  return p;
}

const at: Trajectory = { problem, steps: ['First, 2 + 3 = 5.'] };
const rowRngs = (seed: number, n: number) => Array.from({ length: n }, (_, r) => Rng.fromSeed(seed).split(`row:${r}`));

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('KV cache', () => {
  it('next-token logits from a reused prefix state match a full recompute (1e-4)', async () => {
    const cached = await policy({ modelDir: dirs.decoder });
    const fresh = await policy({ modelDir: dirs.decoder, kvReuse: false });
    const noCache = await policy({ modelDir: dirs.decoderNoCache });
    const signal = new AbortController().signal;
    const prefix = cached.encodeTrajectory({ problem, steps: [] });
    const full = cached.encodeTrajectory(at);
    expect(full.slice(0, prefix.length)).toEqual(prefix);

    await cached.decoder.prefill(prefix, signal, newMeter());
    const meter = newMeter();
    const reused = await cached.decoder.prefill(full, signal, meter);
    expect(meter.cachedTokens).toBe(prefix.length);
    expect(meter.prefillTokens).toBe(full.length - prefix.length);

    const recomputed = await fresh.decoder.prefill(full, signal, newMeter());
    const uncachedModel = await noCache.decoder.prefill(full, signal, newMeter());
    expect(maxAbsDiff(reused.lastLogits, recomputed.lastLogits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(reused.lastLogits, uncachedModel.lastLogits)).toBeLessThan(1e-4);
    // A longer cached entry serves a shorter query through a slice of its state.
    const shorter = full.slice(0, full.length - 3);
    const m2 = newMeter();
    const sliced = await cached.decoder.prefill(shorter, signal, m2);
    expect(m2.prefillTokens).toBe(1);
    expect(maxAbsDiff(sliced.lastLogits, (await fresh.decoder.prefill(shorter, signal, newMeter())).lastLogits)).toBeLessThan(1e-4);
  });

  it('whole steps sampled with reuse, without reuse and on the model without a cache agree (texts, logprobs to 1e-4)', async () => {
    const variants = [await policy({ modelDir: dirs.decoder }), await policy({ modelDir: dirs.decoder, kvReuse: false }), await policy({ modelDir: dirs.decoderNoCache })];
    const results: StepCandidate[][] = [];
    for (const p of variants) {
      // Root first, then a child: with reuse the child continues from the cached root state.
      const root = await p.propose({ problem, steps: [] }, 3, ctxOf(5));
      const child = await p.propose({ problem, steps: [root[0].text] }, 3, ctxOf(6));
      results.push([...root, ...child]);
    }
    expect(variants[0].stats().cachedTokens).toBeGreaterThan(0);
    expect(variants[1].stats().cachedTokens).toBe(0);
    for (const other of results.slice(1)) {
      expect(other.map((c) => [c.text, c.ending, c.tokens])).toEqual(results[0].map((c) => [c.text, c.ending, c.tokens]));
      other.forEach((c, i) => expect(Math.abs(c.logprob - results[0][i].logprob)).toBeLessThan(1e-4));
    }
  });

  it('a finished row leaves its state up to its last fetch of presents; a child continues from it with the logits of a full recompute', async () => {
    const cached = await policy({ modelDir: dirs.decoder, maxTokens: 30 });
    const fresh = await policy({ modelDir: dirs.decoder, kvReuse: false });
    const signal = new AbortController().signal;
    // A prompt long enough for several decode steps between fetches of presents on this model.
    const long = { ...problem, id: 'long', prompt: `${'Tom has 12 apples and buys 5 more. '.repeat(5)}How many apples?` };
    const n = cached.encodeTrajectory({ problem: long, steps: [] }).length;
    const { sig, weightCount } = cached.decoder.parts;
    const kv = 2 * sig.cacheLayers * sig.kvHeads * sig.headDim;
    // The tokens of a row of T tokens that its state covers when it finishes: the last fetch of presents.
    const coveredAt = (T: number) => {
      let covered = 0;
      for (let k = 1; k < T; k++) if (k - covered >= stepsBetweenFetches(n + covered, kv, weightCount)) covered = k;
      return covered;
    };
    expect(stepsBetweenFetches(n, kv, weightCount)).toBeGreaterThan(1);
    const root = await cached.propose({ problem: long, steps: [] }, 4, ctxOf(11));
    const checked = root.filter((c) => coveredAt(c.tokens) > 0 && coveredAt(c.tokens) < c.tokens - 1);
    expect(checked.length).toBeGreaterThan(0);
    for (const c of checked) {
      const child = cached.encodeTrajectory({ problem: long, steps: [c.text] });
      const meter = newMeter();
      const reused = await cached.decoder.prefill(child, signal, meter);
      // A sibling sharing more of its tokens may serve a longer match.
      expect(meter.cachedTokens).toBeGreaterThanOrEqual(n + coveredAt(c.tokens));
      expect(meter.prefillTokens).toBeGreaterThan(0);
      const recomputed = await fresh.decoder.prefill(child, signal, newMeter());
      expect(maxAbsDiff(reused.lastLogits, recomputed.lastLogits)).toBeLessThan(1e-4);
      // The stored entry itself: an exact hit returns the next-token logits kept at that fetch.
      const key = child.slice(0, n + coveredAt(c.tokens));
      const exact = newMeter();
      const hit = await cached.decoder.prefill(key, signal, exact);
      expect(exact.prefillTokens).toBe(0);
      expect(maxAbsDiff(hit.lastLogits, (await fresh.decoder.prefill(key, signal, newMeter())).lastLogits)).toBeLessThan(1e-4);
    }
  });

  it('steps between fetches of presents follow the cost of copying the cache against re-running tokens', async () => {
    // sqrt(2 x past x kvFloats x 23 / weights), in 1..8.
    expect(stepsBetweenFetches(512, 2048, 3_733_710)).toBe(4);
    expect(stepsBetweenFetches(512, 1024, 45_334_322)).toBe(1);
    expect(stepsBetweenFetches(100_000, 2048, 1000)).toBe(8);
    expect(stepsBetweenFetches(0, 2048, 1000)).toBe(1);
    expect(stepsBetweenFetches(512, 2048, 0)).toBe(1);
    // The policy's estimate is the ONNX file's bytes over 4 bytes per fp32 weight.
    const { weightCount } = (await policy({ modelDir: dirs.decoder })).decoder.parts;
    expect(weightCount).toBe(Math.round(statSync(join(dirs.decoder, 'onnx', 'model.onnx')).size / 4));
  });

  it('concurrent calls on one decoder, which reuse its past buffers, give the rows of sequential calls without reuse, with the log-probabilities of full prefills (fp32 and fp16)', async () => {
    const fp16 = writeDecoderDir(join(root, 'fp16-concurrent'), { ...TINY_DECODER, dtype: 'fp16' });
    const signal = new AbortController().signal;
    const settings = { maxTokens: 30, stops: ['\n\n'], finalPattern: null, processors: [], cacheRows: true };
    for (const [modelDir, extra] of [[dirs.decoder, {}], [fp16, { dtype: 'fp16' as const }]] as const) {
      const shared = await policy({ modelDir, ...extra });
      const alone = await policy({ modelDir, kvReuse: false, ...extra });
      const prefixes = [{ problem, steps: [] }, at, { problem, steps: ['Hmm.'] }].map((t) => shared.encodeTrajectory(t));
      for (let round = 0; round < 3; round++) {
        const concurrent = await Promise.all(prefixes.map((prefix, i) => shared.decoder.generate(prefix, rowRngs(40 + i + 10 * round, 6), settings, signal, newMeter())));
        for (let i = 0; i < prefixes.length; i++) {
          const sequential = await alone.decoder.generate(prefixes[i], rowRngs(40 + i + 10 * round, 6), { ...settings, cacheRows: false }, signal, newMeter());
          expect(concurrent[i].map((r) => r.ids)).toEqual(sequential.map((r) => r.ids));
        }
        // Rows longer than 8 tokens make the calls fetch presents (8 steps at most between fetches) and
        // hand their buffers back for reuse.
        expect(Math.max(...concurrent.flat().map((r) => r.ids.length))).toBeGreaterThan(8);
      }
      // Each row's log-probability equals the one recomputed token by token from full prefills of its prefix.
      const rows = await shared.decoder.generate(prefixes[1], rowRngs(7, 4), settings, signal, newMeter());
      const long = rows.filter((r) => r.ids.length > 8);
      expect(long.length).toBeGreaterThan(0);
      for (const row of long) {
        let logprob = 0;
        for (let t = 0; t < row.ids.length; t++) {
          const { lastLogits } = await alone.decoder.prefill([...prefixes[1], ...row.ids.slice(0, t)], signal, newMeter());
          const max = Math.max(...lastLogits);
          const logZ = max + Math.log(lastLogits.reduce((z, x) => z + Math.exp(x - max), 0));
          logprob += lastLogits[row.ids[t]] - logZ;
        }
        expect(Math.abs(logprob - row.logprob)).toBeLessThan(1e-2);
      }
    }
  });

  it('evicts least recently used states under kvCacheMb and recomputes an evicted prefix with the same result', async () => {
    // About 30 KB per state of a 30-token prefix: 0.05 MB holds one or two.
    const small = await policy({ modelDir: dirs.decoder, kvCacheMb: 0.05, maxTokens: 12 });
    const big = await policy({ modelDir: dirs.decoder, maxTokens: 12 });
    const first = await small.propose(at, 2, ctxOf(9));
    const afterFirst = small.stats();
    for (let i = 0; i < 4; i++) await small.propose({ problem: { ...problem, id: `o${i}`, prompt: `Other problem number ${i}, quite different.` }, steps: [] }, 2, ctxOf(i));
    const evicted = small.stats();
    expect(evicted.cache!.evictions).toBeGreaterThan(0);
    expect(evicted.cache!.bytes).toBeLessThanOrEqual(0.05 * 1024 * 1024);
    const again = await small.propose(at, 2, ctxOf(9));
    const last = small.stats();
    // The prefix was run again in full: no cached tokens for this call.
    expect(last.cachedTokens).toBe(evicted.cachedTokens);
    expect(last.prefillTokens - evicted.prefillTokens).toBe(afterFirst.prefillTokens);
    expect(again).toEqual(first);
    const reference = await big.propose(at, 2, ctxOf(9));
    expect(reference.map((c) => c.text)).toEqual(first.map((c) => c.text));
  });
});

describe('sampling', () => {
  it('batched siblings equal one-by-one sampling with the same seeds', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 30, kvReuse: false });
    const batched = await p.sampleSteps(at, rowRngs(3, 4), ctxOf(0));
    const single = [];
    for (const rng of rowRngs(3, 4)) single.push(...(await p.sampleSteps(at, [rng], ctxOf(0))));
    expect(single.map((c) => [c.text, c.ending, c.tokens])).toEqual(batched.map((c) => [c.text, c.ending, c.tokens]));
    single.forEach((c, i) => expect(Math.abs(c.logprob - batched[i].logprob)).toBeLessThan(1e-4));
    // propose is the same batch with rngs split from ctx.rng.
    const proposed = await p.propose(at, 4, { ...ctxOf(3) });
    expect(proposed.map((c) => c.text)).toEqual(batched.map((c) => c.text));
    expect(new Set(batched.map((c) => c.text)).size).toBeGreaterThan(1);
  });

  it('rows leave the batch as they finish, with the cache: 8 siblings still equal one-by-one sampling', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 30, kvReuse: true, cacheCandidates: false });
    const batched = await p.sampleSteps(at, rowRngs(5, 8), ctxOf(0));
    // Rows of different lengths: the batch shrank (a quarter finished) before the longest row ended.
    const lengths = batched.map((c) => c.tokens).sort((a, b) => a - b);
    expect(lengths[1]).toBeLessThan(lengths[7]);
    const single = [];
    for (const rng of rowRngs(5, 8)) single.push(...(await p.sampleSteps(at, [rng], ctxOf(0))));
    expect(single.map((c) => [c.text, c.ending, c.tokens])).toEqual(batched.map((c) => [c.text, c.ending, c.tokens]));
    single.forEach((c, i) => expect(Math.abs(c.logprob - batched[i].logprob)).toBeLessThan(1e-4));
  });

  it('same seed, same candidates; usage counts prompt and generated tokens, one call and model time', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 20 });
    const ctx = ctxOf(11);
    const a = await p.propose(at, 3, ctx);
    expect(await p.propose(at, 3, ctxOf(11))).toEqual(a);
    expect(ctx.usage.promptTokens).toBe(p.encodeTrajectory(at).length);
    expect(ctx.usage.generatedTokens).toBe(a.reduce((n, c) => n + c.tokens, 0));
    expect(ctx.usage.policyCalls).toBe(1);
    expect(ctx.usage.modelMs).toBeGreaterThan(0);
    for (const c of a) expect(c.logprob).toBeLessThan(0);
  });

  it('greedy calls return one argmax candidate, the same for any rng', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 20 });
    const a = await p.propose(at, 4, ctxOf(1, { greedy: true }));
    const b = await p.propose(at, 4, ctxOf(2, { greedy: true }));
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('stop strings split the decoded text exactly: the candidate excludes the stop, which ends the generated text', async () => {
    const stops = ['\n\n', 'ab', 'x'];
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 60, stop: stops, finalPattern: '(?!)' });
    const ids = p.encodeTrajectory(at);
    const tok = p.model.tokenizer;
    const rows = await p.decoder.generate(ids, rowRngs(21, 16), { maxTokens: 60, stops, finalPattern: null, processors: [], cacheRows: false }, new AbortController().signal, newMeter());
    let stepped = 0;
    for (const r of rows) {
      const full = tok.decode(r.ids);
      if (r.ending === 'step') {
        stepped += 1;
        const stop = stops.find((s) => full === r.text + s);
        expect(stop, JSON.stringify(full)).toBeDefined();
        // No stop occurs earlier (after the step's first non-space character).
        const content = r.text.search(/\S/);
        for (const s of stops) expect(r.text.indexOf(s, content + 1)).toBe(-1);
      } else if (r.ending === 'length') {
        expect(r.ids).toHaveLength(60);
        expect(r.text).toBe(full);
      }
    }
    expect(stepped).toBeGreaterThan(8);
  });

  it('a step matching finalPattern is final; EOS ends a row as final and is not in the text', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 40, finalPattern: '(?!)' });
    const rows = await p.decoder.generate(p.encodeTrajectory(at), rowRngs(4, 24), { maxTokens: 40, stops: ['\n\n'], finalPattern: null, processors: [], cacheRows: false }, new AbortController().signal, newMeter());
    const eos = rows.filter((r) => r.ending === 'final');
    expect(eos.length).toBeGreaterThan(0);
    for (const r of eos) {
      expect(r.ids[r.ids.length - 1]).toBe(EOS_ID);
      expect(r.text).toBe(p.model.tokenizer.decode(r.ids.slice(0, -1)));
      expect(r.text).not.toContain('<eos>');
    }
    // With a final pattern that matches every step, stop-string endings become final too.
    const q = await policy({ modelDir: dirs.decoder, maxTokens: 40, finalPattern: '[\\s\\S]' });
    const c = await q.sampleSteps(at, rowRngs(4, 24), ctxOf(0));
    expect(c.filter((x) => x.ending === 'step')).toHaveLength(0);
    expect(c.filter((x) => x.ending === 'final').length).toBe(rows.filter((r) => r.ending !== 'length' && r.text.trim() !== '').length);
  });

  it('a model that always emits EOS gives an empty final step of one token', async () => {
    const dir = writeDecoderDir(join(root, 'eos-decoder'), { ...TINY_DECODER, logitBias: { [EOS_ID]: 60, [charId('a')]: 1 } });
    const p = await policy({ modelDir: dir });
    const c = await p.propose(at, 2, ctxOf(0));
    expect(c).toEqual([
      { text: '', logprob: expect.any(Number), tokens: 1, ending: 'final', tokenIds: [EOS_ID], tokenProbs: [expect.any(Number)] },
      { text: '', logprob: expect.any(Number), tokens: 1, ending: 'final', tokenIds: [EOS_ID], tokenProbs: [expect.any(Number)] },
    ]);
    expect(c[0].logprob).toBeCloseTo(0, 6);
  });
});

describe('cancellation', () => {
  it('stops between decode steps with ABORTED and leaves the policy usable', async () => {
    const p = await policy({ modelDir: dirs.decoder, maxTokens: 200, stop: ['NEVER STOPS'] });
    let reads = 0;
    // Becomes aborted on its 6th check: after the prefill and a few decode steps.
    const signal = { get aborted() { reads += 1; return reads > 5; }, reason: new Error('stop') } as unknown as AbortSignal;
    const ctx: CallContext = { ...ctxOf(1), signal };
    const err = await p.propose(at, 3, ctx).catch((e: unknown) => e);
    expect(isMcgError(err, 'ABORTED')).toBe(true);
    expect(err).toBeInstanceOf(McgError);
    const runs = p.stats().runs;
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThan(10);
    expect(ctx.usage.modelMs).toBeGreaterThan(0);
    // The next call works and matches a policy that was never interrupted.
    const after = await p.propose(at, 2, ctxOf(2));
    const clean = await policy({ modelDir: dirs.decoder, maxTokens: 200, stop: ['NEVER STOPS'] });
    expect(after).toEqual(await clean.propose(at, 2, ctxOf(2)));
  });

  it('an already aborted signal rejects before any model run', async () => {
    const p = await policy({ modelDir: dirs.decoder });
    const c = new AbortController();
    c.abort();
    await expect(p.propose(at, 2, { ...ctxOf(0), signal: c.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(p.stats().runs).toBe(0);
  });
});
