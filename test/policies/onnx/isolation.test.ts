// Importing the onnx plugin module loads neither onnxruntime-node nor the tokenizer: they are imported
// on first create. Checked in a fresh process (module caches are shared inside a test worker).
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('import isolation', () => {
  it('importing policies/onnx loads no runtime until a plugin is created', () => {
    const script = `
      import { createRequire } from 'node:module';
      const req = createRequire(import.meta.url);
      const loaded = () => Object.keys(req.cache).filter((k) => /onnxruntime|@huggingface[\\\\/]tokenizers/.test(k)).length;
      const mod = await import('./policies/onnx/index.ts');
      const before = loaded();
      await mod.loadOrt();
      console.log(JSON.stringify({ before, after: loaded(), kinds: [mod.onnxPolicy.kind, mod.onnxPrm.kind, mod.onnxOrm.kind] }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({ before: 0, after: expect.any(Number), kinds: ['onnx', 'onnx-prm', 'onnx-orm'] });
    expect(out.after).toBeGreaterThan(0);
  });
});
