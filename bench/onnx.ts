// bench:onnx — the onnx policy on random-weight decoders built by scripts/onnx/tiny-models.ts (2 x 32 and
// 4 x 256): generated tokens/s at batch 1, 4 and 8; time inside session.run against total generation time
// (loop overhead); then an MCTS search of depth >= 8 with prefix KV reuse on and off: model ms per
// expanded node; one expansion at 128/512/1,024-token prefixes with 4 and 8 siblings, reuse on and off, on
// the 4 x 256 model and on a 4 x 1,024 GQA model. Prints tables; takes about three minutes.
// Run: npx tsx bench/onnx.ts [--threads N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng, emptyUsage, generateArithProblems, search, type CallContext, type Problem } from '../src/index.js';
import { createOnnxPolicy, onnxPolicyOptions, type OnnxPolicy, type OnnxPolicyOptions } from '../policies/onnx/index.js';
import { EOS_ID, PAD_ID, SEP_ID, TAG_ID, TINY_DECODER, charId, writeDecoderDir, type DecoderSpec } from '../scripts/onnx/tiny-models.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' } } });
const threads = Number(values.threads);

const root = mkdtempSync(join(tmpdir(), 'mcg-bench-onnx-'));
// Throughput models never emit EOS, so every row runs to the token limit.
const noEos: DecoderSpec['logitBias'] = { [charId('\n')]: 4.5, [charId(' ')]: 2, [EOS_ID]: -30, [PAD_ID]: -30, [2]: -30, [TAG_ID]: -30, [SEP_ID]: -30 };
const models = [
  { name: 'tiny 2x32', dir: writeDecoderDir(join(root, 'tiny'), { ...TINY_DECODER, logitBias: noEos }) },
  { name: 'random 4x256', dir: writeDecoderDir(join(root, 'large'), { ...TINY_DECODER, layers: 4, hidden: 256, heads: 4, maxPositions: 2048, seed: 11, logitBias: noEos }) },
];

function ctx(seed: string): CallContext {
  return { signal: new AbortController().signal, rng: Rng.fromSeed(seed), usage: emptyUsage() };
}

async function policy(dir: string, extra: Partial<OnnxPolicyOptions> = {}): Promise<OnnxPolicy> {
  return createOnnxPolicy(onnxPolicyOptions.parse({ modelDir: dir, intraOpNumThreads: threads, interOpNumThreads: 1, ...extra }), { baseDir: '/' });
}

const problems: Problem[] = generateArithProblems({ count: 8, seed: 5 });
const pad = (s: string | number, n: number) => String(s).padStart(n);

async function throughput(): Promise<void> {
  console.log(`\nGeneration throughput (64 tokens per row, no stop, intraOpNumThreads=${threads})`);
  console.log(`${'model'.padEnd(14)} ${pad('batch', 5)} ${pad('tokens/s', 9)} ${pad('ms/step', 8)} ${pad('run ms', 8)} ${pad('total ms', 9)} ${pad('overhead', 9)}`);
  for (const m of models) {
    const p = await policy(m.dir, { maxTokens: 64, stop: ['\u0000never\u0000'], finalPattern: '(?!)', kvReuse: false });
    await p.propose({ problem: problems[0], steps: [] }, 2, ctx('warmup'));
    for (const batch of [1, 4, 8]) {
      let tokens = 0;
      let modelMs = 0;
      let totalMs = 0;
      let steps = 0;
      for (let i = 0; i < 4; i++) {
        const c = ctx(`tp:${batch}:${i}`);
        const t0 = performance.now();
        const out = await p.propose({ problem: problems[i], steps: [] }, batch, c);
        totalMs += performance.now() - t0;
        modelMs += c.usage.modelMs;
        tokens += c.usage.generatedTokens;
        steps += Math.max(...out.map((o) => o.tokens));
      }
      const overhead = 1 - modelMs / totalMs;
      console.log(
        `${m.name.padEnd(14)} ${pad(batch, 5)} ${pad(Math.round((tokens / totalMs) * 1000), 9)} ${pad((totalMs / steps).toFixed(2), 8)} ${pad(modelMs.toFixed(0), 8)} ${pad(totalMs.toFixed(0), 9)} ${pad(`${(overhead * 100).toFixed(1)} %`, 9)}`,
      );
    }
    await p.close();
  }
  console.log('overhead = share of generation time outside session.run (tensor building, sampling, decoding, stop checks)');
}

/** A few-shot preamble (about 700 tokens with the character tokenizer), as rStar-Math-style prompts carry. */
const FEW_SHOT = Array.from({ length: 6 }, (_, i) => `Example ${i + 1}: Tom has ${12 + i} apples and buys ${3 * i + 2} more. 12 + ${i} = ${12 + i}.\n\nThen ${12 + i} + ${3 * i + 2} = ${15 + 4 * i}.\n\nThe answer is ${15 + 4 * i}.`).join('\n\n');

async function searchReuse(): Promise<void> {
  console.log('\nMCTS with prefix KV reuse on and off (width 2, 40 simulations, depth limit 10, steps up to 24 tokens, 2 problems)');
  const head = `${'model / prompt'.padEnd(24)} ${pad('reuse', 5)} ${pad('nodes', 6)} ${pad('depth', 5)} ${pad('expans.', 7)} ${pad('prefill tok', 11)} ${pad('cached tok', 10)} ${pad('prefill ms/exp', 14)} ${pad('decode ms/exp', 13)} ${pad('model ms/exp', 12)} ${pad('ratio', 6)} ${pad('prefill ratio', 13)}`;
  console.log(head);
  const cases = [
    { label: `${models[0].name} / problem`, dir: models[0].dir, template: '{prompt}{delimiter}', problems: problems.slice(0, 2) },
    { label: `${models[1].name} / problem`, dir: models[1].dir, template: '{prompt}{delimiter}', problems: problems.slice(0, 2) },
    { label: `${models[1].name} / few-shot`, dir: models[1].dir, template: `${FEW_SHOT}\n\n{prompt}{delimiter}`, problems: problems.slice(0, 2) },
  ];
  for (const c of cases) {
    let off = { model: Number.NaN, prefill: Number.NaN };
    for (const reuse of [false, true]) {
      const p = await policy(c.dir, { maxTokens: 24, temperature: 1, finalPattern: '(?!)', kvReuse: reuse, promptTemplate: c.template });
      let nodes = 0;
      let maxDepth = 0;
      let expansions = 0;
      for (const problem of c.problems) {
        const result = await search(problem, {
          config: { seed: 1, algorithm: 'mcts', search: { width: 2 }, budget: { simulations: 40, depth: 10 }, reward: null },
          plugins: { policy: p },
        });
        nodes += result.tree.size;
        for (let i = 0; i < result.tree.size; i++) maxDepth = Math.max(maxDepth, result.tree.depth[i]);
        expansions += result.usage.policyCalls;
      }
      const s = p.stats();
      const model = s.modelMs / expansions;
      const prefill = s.prefillMs / expansions;
      if (!reuse) off = { model, prefill };
      console.log(
        `${c.label.padEnd(24)} ${pad(reuse ? 'on' : 'off', 5)} ${pad(nodes, 6)} ${pad(maxDepth, 5)} ${pad(expansions, 7)} ${pad(s.prefillTokens, 11)} ${pad(s.cachedTokens, 10)} ${pad(prefill.toFixed(2), 14)} ${pad((model - prefill).toFixed(2), 13)} ${pad(model.toFixed(2), 12)} ${pad(reuse ? `${(off.model / model).toFixed(1)}x` : '', 6)} ${pad(reuse ? `${(off.prefill / prefill).toFixed(1)}x` : '', 13)}`,
      );
      await p.close();
    }
  }
  console.log('ratio = model ms per expansion without reuse / with reuse; prefill ratio = the same for prefix runs only.');
  console.log('Reuse does not change the samples: both rows of a pair grow the same trees.');
}

/**
 * One expansion (W siblings after a P-token prefix) with reuse off and on. With reuse the prefix state
 * is cached as it is in a tree search when its parent was expanded; without it the prefix is run again.
 * Model ms is the median of 5 expansions; the outside share is over all 5.
 */
async function expansionGrid(model: { name: string; dir: string }): Promise<void> {
  console.log(`\nOne expansion after a P-token prefix: W siblings, steps up to 24 tokens (${model.name}, median of 5 expansions)`);
  console.log(`${pad('prefix', 6)} ${pad('W', 3)} ${pad('reuse', 5)} ${pad('tok/row', 7)} ${pad('model ms/exp', 12)} ${pad('prefill ms', 10)} ${pad('decode ms', 9)} ${pad('outside run', 11)} ${pad('ratio', 6)}`);
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
  for (const P of [128, 512, 1024]) {
    const prompt = FEW_SHOT.repeat(Math.ceil(P / FEW_SHOT.length)).slice(0, P - 2);
    for (const W of [4, 8]) {
      let off = Number.NaN;
      for (const reuse of [false, true]) {
        const p = await policy(model.dir, { maxTokens: 24, temperature: 1, finalPattern: '(?!)', kvReuse: reuse, cacheCandidates: false });
        const at = { problem: { id: 'grid', prompt, domain: 'math' as const, reference: { answer: '0' } }, steps: [] };
        await p.propose(at, 1, ctx('warm')); // with reuse, this caches the prefix state
        const models: number[] = [];
        const prefills: number[] = [];
        let wall = 0;
        let modelSum = 0;
        let tokens = 0;
        for (let i = 0; i < 5; i++) {
          const before = p.stats();
          const c = ctx(`grid:${P}:${W}:${i}`);
          const t0 = performance.now();
          await p.propose(at, W, c);
          wall += performance.now() - t0;
          const s = p.stats();
          models.push(s.modelMs - before.modelMs);
          prefills.push(s.prefillMs - before.prefillMs);
          modelSum += s.modelMs - before.modelMs;
          tokens += c.usage.generatedTokens;
        }
        const ms = median(models);
        const prefill = median(prefills);
        const outside = 1 - modelSum / wall;
        if (!reuse) off = ms;
        console.log(`${pad(P, 6)} ${pad(W, 3)} ${pad(reuse ? 'on' : 'off', 5)} ${pad((tokens / 5 / W).toFixed(1), 7)} ${pad(ms.toFixed(1), 12)} ${pad(prefill.toFixed(1), 10)} ${pad((ms - prefill).toFixed(1), 9)} ${pad(`${(outside * 100).toFixed(1)} %`, 11)} ${pad(reuse ? `${(off / ms).toFixed(2)}x` : '', 6)}`);
        await p.close();
      }
    }
  }
  console.log('ratio = model ms per expansion without reuse / with reuse; tok/row = generated tokens per sibling; outside run = share of the expansions\' wall time outside session.run.');
}

try {
  await throughput();
  await expansionGrid(models[1]);
  // Compute per cached token as in released models (GQA with 2 KV heads, 4x wider): the same grid.
  const wide = { name: 'random 4x1024 GQA 16/2 heads', dir: writeDecoderDir(join(root, 'wide'), { ...TINY_DECODER, layers: 4, hidden: 1024, heads: 16, kvHeads: 2, maxPositions: 2048, seed: 11, logitBias: noEos }) };
  await expansionGrid(wide);
  await searchReuse();
} finally {
  rmSync(root, { recursive: true, force: true });
}
