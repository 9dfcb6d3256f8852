// Executes examples/explore.ipynb with Jupyter (Debian's jupyter-nbconvert) on the tslab TypeScript
// kernel installed in examples/kernel (npm ci --prefix examples/kernel), and checks what it showed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-data.js';

const nbconvert = ['/usr/bin/jupyter-nbconvert', '/usr/local/bin/jupyter-nbconvert'].find((p) => existsSync(p));
const kernelEntry = join(repoRoot, 'examples', 'kernel', 'node_modules', 'tslab', 'bin', 'tslab');
const missing = nbconvert === undefined ? 'jupyter-nbconvert is not installed (apt-get install -y jupyter-nbconvert)' : !existsSync(kernelEntry) ? 'the tslab kernel is not installed (npm ci --prefix examples/kernel)' : undefined;
if (missing !== undefined) console.log(`skipping the notebook test: ${missing}`);

interface Output {
  output_type: string;
  text?: string[];
  data?: Record<string, string | string[]>;
  ename?: string;
}

const joined = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

describe.skipIf(missing !== undefined)('examples/explore.ipynb', () => {
  it('runs top to bottom on the tslab kernel: a search, its tree in the viewer, a sweep and its plots', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcg-nb-'));
    const install = spawnSync(process.execPath, [join(repoRoot, 'examples', 'kernel', 'install.mjs'), '--prefix', join(dir, 'jupyter')], { encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const out = join(dir, 'executed.ipynb');
    const r = spawnSync(nbconvert!, ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', join(repoRoot, 'examples', 'explore.ipynb'), '--output', out], {
      cwd: join(repoRoot, 'examples'),
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: join(dir, 'jupyter'), JUPYTER_DATA_DIR: join(dir, 'data'), JUPYTER_RUNTIME_DIR: join(dir, 'runtime') },
    });
    expect(r.status, r.stderr.slice(-4000)).toBe(0);
    const nb = JSON.parse(readFileSync(out, 'utf8')) as { cells: Array<{ cell_type: string; outputs?: Output[] }> };
    const outputs = nb.cells.filter((c) => c.cell_type === 'code').flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
    const text = outputs.filter((o) => o.output_type === 'stream').map((o) => joined(o.text)).join('');
    expect(text).toMatch(/mcts-gen \d+\.\d+\.\d+/);
    expect(text).toMatch(/\d+ nodes, \d+ verified leaves, \d+ generated tokens/);
    expect(text).toMatch(/4 points run, 0 finished earlier/);

    const html = outputs.map((o) => joined(o.data?.['text/html'])).filter((h) => h !== '');
    expect(html).toHaveLength(1);
    expect(html[0]).toMatch(/^<iframe [^>]*srcdoc="/);
    expect(html[0]).toContain('Content-Security-Policy');

    const svgs = outputs.map((o) => joined(o.data?.['image/svg+xml'])).filter((s) => s !== '');
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) {
      expect(XMLValidator.validate(svg)).toBe(true);
      expect(svg).toContain('search.width=2');
      expect(svg).toContain('search.width=4');
      expect((svg.match(/<circle [^>]*><title>/g) ?? []).length).toBe(4); // data points (legend markers have no tooltip)
    }
  }, 360_000);
});
