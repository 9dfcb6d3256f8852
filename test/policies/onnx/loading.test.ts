// Loading a model directory: every missing or malformed file is PLUGIN_UNAVAILABLE naming the file and
// what was expected; bad options are CONFIG_INVALID with their key path.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultRegistry } from '../../../src/index.js';
import { onnxOrm, onnxPolicy, onnxPrm } from '../../../policies/onnx/index.js';
import type { TinyModelDirs } from '../../../scripts/onnx/tiny-models.js';
import { buildModelsInTemp } from './helpers.js';

let dirs: TinyModelDirs;
let root: string;
let cleanup: () => void;
let n = 0;
beforeAll(() => {
  ({ dirs, root, cleanup } = buildModelsInTemp());
});
afterAll(() => cleanup());

const registry = () => createDefaultRegistry().register('policy', 'onnx', onnxPolicy).register('reward', 'onnx-prm', onnxPrm).register('reward', 'onnx-orm', onnxOrm);

/** A copy of the tiny decoder directory, changed by `edit`. */
function variant(edit: (dir: string) => void): string {
  const dir = join(root, `variant-${n++}`);
  cpSync(dirs.decoder, dir, { recursive: true });
  edit(dir);
  return dir;
}

async function loadError(modelDir: string, extra: Record<string, unknown> = {}): Promise<{ code: string; message: string }> {
  const err = await registry()
    .create('policy', { kind: 'onnx', options: { modelDir, ...extra } }, { baseDir: root })
    .then(async (p) => {
      await p.close?.();
      return undefined;
    }, (e: unknown) => e);
  expect(err, 'expected the load to fail').toBeDefined();
  return err as { code: string; message: string };
}

describe('loading a model directory', () => {
  it('loads through the registry with a path relative to baseDir', async () => {
    const p = await registry().create('policy', { kind: 'onnx', options: { modelDir: 'tiny-decoder' } }, { baseDir: root });
    expect(p.name).toBe('onnx(tiny-decoder)');
    await p.close?.();
  });

  it('a missing directory', async () => {
    const e = await loadError(join(root, 'nope'));
    expect(e.code).toBe('PLUGIN_UNAVAILABLE');
    expect(e.message).toContain(join(root, 'nope'));
    expect(e.message).toContain('model directory');
  });

  it('a missing config.json', async () => {
    const dir = variant((d) => rmSync(join(d, 'config.json')));
    expect(await loadError(dir)).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringMatching(/config\.json is missing: expected the model configuration/) });
  });

  it('a malformed config.json', async () => {
    const dir = variant((d) => writeFileSync(join(d, 'config.json'), '{"num_hidden_layers": 2,'));
    expect(await loadError(dir)).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringMatching(/config\.json is not valid JSON/) });
    const dir2 = variant((d) => writeFileSync(join(d, 'config.json'), '{"num_hidden_layers": "two"}'));
    expect((await loadError(dir2)).message).toMatch(/config\.json: "num_hidden_layers" must be a non-negative integer, got "two"/);
    const dir3 = variant((d) => writeFileSync(join(d, 'config.json'), '[1, 2]'));
    expect((await loadError(dir3)).message).toMatch(/config\.json must hold a JSON object/);
  });

  it('a malformed generation_config.json or tokenizer_config.json', async () => {
    const dir = variant((d) => writeFileSync(join(d, 'generation_config.json'), '{"eos_token_id": "x"}'));
    expect((await loadError(dir)).message).toMatch(/generation_config\.json: "eos_token_id" must be a token id or a list of token ids/);
    const dir2 = variant((d) => writeFileSync(join(d, 'tokenizer_config.json'), 'nope'));
    expect((await loadError(dir2)).message).toMatch(/tokenizer_config\.json is not valid JSON/);
  });

  it('a missing or malformed tokenizer.json', async () => {
    const dir = variant((d) => rmSync(join(d, 'tokenizer.json')));
    expect((await loadError(dir)).message).toMatch(/tokenizer\.json is missing: expected a Hugging Face tokenizer/);
    const dir2 = variant((d) => writeFileSync(join(d, 'tokenizer.json'), '{"version": "1.0"}'));
    expect((await loadError(dir2)).message).toMatch(/tokenizer\.json has no "model" object/);
  });

  it('a missing or corrupt ONNX file', async () => {
    const dir = variant((d) => rmSync(join(d, 'onnx'), { recursive: true }));
    const e = await loadError(dir);
    expect(e.message).toContain(join(dir, 'onnx/model.onnx'));
    expect(e.message).toContain('onnx/decoder_model_merged.onnx');
    const dir2 = variant((d) => writeFileSync(join(d, 'onnx', 'model.onnx'), 'not a model'));
    expect(await loadError(dir2)).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringContaining(`${join(dir2, 'onnx', 'model.onnx')} could not be loaded by onnxruntime`) });
    expect((await loadError(dirs.decoder, { modelFile: 'onnx/other.onnx' })).message).toContain('options.modelFile');
  });

  it('a model with wrong input names', async () => {
    const e = await loadError(dirs.decoderBadInputs);
    expect(e.code).toBe('PLUGIN_UNAVAILABLE');
    expect(e.message).toContain(join(dirs.decoderBadInputs, 'onnx', 'model.onnx'));
    expect(e.message).toContain('has no input "input_ids"');
    expect(e.message).toContain('past_key_values.{i}.key/value');
  });

  it('a model without the configured output', async () => {
    const err = await registry()
      .create('reward', { kind: 'onnx-orm', options: { modelDir: dirs.ormValue, outputName: 'scores' } }, { baseDir: root })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', message: expect.stringContaining('has no output "scores"') });
  });

  it('bad options name their key path', async () => {
    await expect(registry().create('policy', { kind: 'onnx', options: { modelDir: dirs.decoder, temprature: 1 } }, { baseDir: root })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('policy.options.temprature') });
    await expect(registry().create('policy', { kind: 'onnx', options: { modelDir: dirs.decoder, topK: -1 } }, { baseDir: root })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('policy.options.topK must be an integer') });
    await expect(registry().create('policy', { kind: 'onnx', options: {} }, { baseDir: root })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('policy.options.modelDir') });
    await expect(registry().create('reward', { kind: 'onnx-prm', options: { modelDir: dirs.prmStepTag, head: 'value' } }, { baseDir: root })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('reward.options.head') });
  });
});
