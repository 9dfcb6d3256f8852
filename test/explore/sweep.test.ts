import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { generateArithProblems, gridPoints, lineChartSvg, niceTicks, pairedDifference, parseGridAxis, pointName, sweep, sweepCsv, wilsonInterval, type SweepRow } from '../../src/index.js';
import { repoRoot } from '../helpers/shared-data.js';
import { captureIO } from '../helpers/streams.js';

const bin = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const SCRIPTED = { policy: { kind: 'scripted' }, reward: { kind: 'scripted' } } as const;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-sweep-'));
}

/** Splits a CSV text (RFC 4180 quoting) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** Parses an SVG document strictly and returns its element tree (attributes prefixed with @). */
function parseSvg(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  expect(valid, JSON.stringify(valid)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['g', 'circle', 'text', 'line', 'polyline'].includes(name) }).parse(text) as Record<string, unknown>;
  expect(doc.svg).toBeDefined();
  return doc.svg as Record<string, unknown>;
}

function texts(node: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === 'text') for (const t of v as unknown[]) out.push(typeof t === 'object' && t !== null ? String((t as Record<string, unknown>)['#text'] ?? '') : String(t));
      else if (Array.isArray(v)) v.forEach(walk);
      else walk(v);
    }
  };
  walk(node);
  return out;
}

describe('grid parsing and point names', () => {
  it('reads values as --set does: JSON where it parses, text otherwise', () => {
    expect(parseGridAxis('search.width=2,4,8')).toEqual({ key: 'search.width', values: [2, 4, 8] });
    expect(parseGridAxis('algorithm=mcts,best-of-n')).toEqual({ key: 'algorithm', values: ['mcts', 'best-of-n'] });
    expect(parseGridAxis('search.backup=true, false')).toEqual({ key: 'search.backup', values: [true, false] });
    expect(() => parseGridAxis('search.width')).toThrow(/key=v1,v2/);
    expect(() => parseGridAxis('search.width=2,,4')).toThrow(/empty/);
  });

  it('expands the grid (first axis slowest), validates every point up front and names the bad key', () => {
    const pts = gridPoints('/x', {}, [
      { key: 'search.width', values: [2, 4] },
      { key: 'search.cInit', values: [0.5, 1.25] },
    ]);
    expect(pts.map((p) => p.params)).toEqual([
      { 'search.width': 2, 'search.cInit': 0.5 },
      { 'search.width': 2, 'search.cInit': 1.25 },
      { 'search.width': 4, 'search.cInit': 0.5 },
      { 'search.width': 4, 'search.cInit': 1.25 },
    ]);
    expect(pts.map((p) => [p.config.search.width, p.config.search.cInit])).toEqual([
      [2, 0.5],
      [2, 1.25],
      [4, 0.5],
      [4, 1.25],
    ]);
    expect(new Set(pts.map((p) => p.dir)).size).toBe(4);
    expect(() => gridPoints('/x', {}, { 'search.width': [2, 'wide'] })).toThrow(/grid point search\.width=wide.*search\.width/);
    expect(() => gridPoints('/x', {}, { 'search.widht': [2] })).toThrow(/widht/);
    expect(() => gridPoints('/x', {}, { 'search.width': [2, 2] })).toThrow(/twice/);
    expect(() => gridPoints('/x', {}, {})).toThrow(/at least one grid axis/);
  });

  it('point names are readable, file-system safe and distinct when made safe', () => {
    expect(pointName({ 'search.width': 2, algorithm: 'best-of-n' })).toBe('search.width=2+algorithm=best-of-n');
    const a = pointName({ 'policy.options.stop': 'a/b' });
    const b = pointName({ 'policy.options.stop': 'a:b' });
    expect(a).toMatch(/^[A-Za-z0-9._=+-]+$/);
    expect(a).not.toBe(b);
  });

  it('writes RFC 4180 CSV (quotes, commas and newlines survive a round trip)', () => {
    const row: SweepRow = {
      point: 'p',
      algorithm: 'mcts',
      params: { k: 'a,"b"\nc' },
      problems: 3,
      errors: 0,
      accuracy: 0.5,
      accuracyCi: [0.1, 0.9],
      solveRate: 1,
      solveRateCi: [0.4, 1],
      tracesPer1kTokens: 1.5,
      pairsPer1kTokens: 0,
      stepsPer1kTokens: 2,
      generatedTokens: 100,
      tokensPerProblem: 33.3,
      wallMs: 5,
      skipped: false,
    };
    const rows = parseCsv(sweepCsv([row], ['k']));
    expect(rows).toHaveLength(2);
    expect(rows[0][2]).toBe('k');
    expect(rows[1][2]).toBe('a,"b"\nc');
    expect(rows[1]).toHaveLength(rows[0].length);
  });

  it('Wilson intervals contain the rate and stay inside [0, 1]', () => {
    for (const [k, n] of [[0, 20], [20, 20], [7, 20], [1, 3]] as const) {
      const [lo, hi] = wilsonInterval(k, n);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(lo).toBeLessThanOrEqual(k / n);
      expect(hi).toBeGreaterThanOrEqual(k / n);
    }
    const [lo, hi] = wilsonInterval(10, 20);
    expect(lo).toBeCloseTo(0.2993, 3);
    expect(hi).toBeCloseTo(0.7007, 3);
  });

  it('paired differences: the mean change in points, an interval around it that shrinks with agreement, errors on unpaired lists', () => {
    const all = pairedDifference([true, true, true], [false, false, false]);
    expect(all).toEqual({ points: 100, ci: [100, 100], n: 3 });
    // 200 items: 30 gained, 10 lost -> +10 points; the normal approximation's half-width is about
    // 1.96 * sqrt((30 + 10) / 200 - 0.1^2) / sqrt(200) * 100 = 5.2 points.
    const before = Array.from({ length: 200 }, (_, i) => i >= 30 && i < 100);
    const after = Array.from({ length: 200 }, (_, i) => i < 90);
    const d = pairedDifference(after, before);
    expect(d.points).toBeCloseTo(10, 9);
    expect(d.ci[0]).toBeGreaterThan(10 - 7);
    expect(d.ci[0]).toBeLessThan(10 - 3.5);
    expect(d.ci[1]).toBeGreaterThan(10 + 3.5);
    expect(d.ci[1]).toBeLessThan(10 + 7);
    expect(pairedDifference(after, before)).toEqual(d);
    expect(() => pairedDifference([true], [])).toThrow(RangeError);
  });
});

describe('SVG line charts', () => {
  it('nice ticks cover the data with 1/2/5 steps', () => {
    const t = niceTicks(613, 637);
    expect(t[0]).toBeLessThanOrEqual(613);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(637);
    const step = t[1] - t[0];
    expect([1, 2, 5, 10].some((m) => Math.abs(step / 10 ** Math.floor(Math.log10(step)) - m) < 1e-9)).toBe(true);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
  });

  it('is valid XML with a title, axis labels, one legend entry and polyline per series, and escaped names', () => {
    const svg = lineChartSvg({
      title: 'A & B',
      xLabel: 'tokens',
      yLabel: 'accuracy',
      series: [
        { name: 'width<2>', points: [{ x: 1, y: 0.5, yLow: 0.3, yHigh: 0.7 }, { x: 2, y: 0.6 }] },
        { name: 'width=4', points: [{ x: 1.5, y: 0.4 }, { x: 3, y: 0.7 }] },
      ],
    });
    const root = parseSvg(svg);
    const all = texts(root);
    expect(all).toContain('A & B');
    expect(all).toContain('tokens');
    expect(all).toContain('accuracy');
    expect(all).toContain('width<2>');
    const series = (root.g as Record<string, unknown>[]).filter((g) => g['@class'] === 'series');
    expect(series.map((g) => g['@data-series'])).toEqual(['width<2>', 'width=4']);
    for (const g of series) {
      expect(g.polyline as unknown[]).toHaveLength(1);
      expect(g.circle as unknown[]).toHaveLength(2);
    }
    expect(((series[0].line ?? []) as unknown[]).length).toBe(1);
  });
});

describe('sweep()', () => {
  it('runs each point as a run directory, resumes a stopped sweep, and re-running runs nothing new', async () => {
    const problems = generateArithProblems({ count: 6, seed: 0 });
    const base = { ...SCRIPTED, budget: { simulations: 12 } };
    const grid = { 'search.width': [2, 3], 'search.cInit': [0.5, 1.25] };

    // Reference: the whole sweep in one go.
    const ref = join(tmp(), 'ref');
    const full = await sweep({ outDir: ref, input: { problems }, config: base, grid, workers: 0 });
    expect(full.ran).toBe(4);
    expect(full.rows).toHaveLength(4);

    // Stopped during its second point, then started again.
    const out = join(tmp(), 'sw');
    let committed = 0;
    const first = await sweep({ outDir: out, input: { problems }, config: base, grid, workers: 0, onProgress: () => committed++, shouldStop: () => committed >= 8 });
    expect(first.stoppedEarly).toBe(true);
    expect(existsSync(join(out, 'sweep.csv'))).toBe(false);
    const second = await sweep({ outDir: out, input: { problems }, config: base, grid, workers: 0 });
    expect(second.stoppedEarly).toBe(false);
    expect(second.skipped).toBe(1);
    expect(second.ran).toBe(3);
    for (const p of readdirSync(join(ref, 'points'))) {
      for (const f of ['traces.jsonl', 'pairs.jsonl', 'steps.jsonl']) {
        const lines = (d: string): string[] => readFileSync(join(d, 'points', p, f), 'utf8').split('\n').filter(Boolean).sort();
        expect(lines(out), `${p}/${f}`).toEqual(lines(ref));
      }
    }
    const strip = (csv: string): string[][] => parseCsv(csv).map((r) => r.slice(0, -1)); // wall_ms differs
    expect(strip(readFileSync(join(out, 'sweep.csv'), 'utf8'))).toEqual(strip(readFileSync(join(ref, 'sweep.csv'), 'utf8')));

    // Again: nothing runs, and the outputs are byte-identical.
    const before = readFileSync(join(out, 'sweep.csv'), 'utf8');
    const ledgerTimes = readdirSync(join(out, 'points')).map((p) => statSync(join(out, 'points', p, 'ledger.jsonl')).mtimeMs);
    const third = await sweep({ outDir: out, input: { problems }, config: base, grid, workers: 0 });
    expect(third.ran).toBe(0);
    expect(third.skipped).toBe(4);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(before);
    expect(readdirSync(join(out, 'points')).map((p) => statSync(join(out, 'points', p, 'ledger.jsonl')).mtimeMs)).toEqual(ledgerTimes);

    // A new grid value runs only the new points; changed shared settings are refused.
    const wider = await sweep({ outDir: out, input: { problems }, config: base, grid: { ...grid, 'search.width': [2, 3, 4] }, workers: 0 });
    expect([wider.ran, wider.skipped]).toEqual([2, 4]);
    await expect(sweep({ outDir: out, input: { problems }, config: { ...base, budget: { simulations: 13 } }, grid, workers: 0 })).rejects.toThrow(/config hash .* --overwrite/);

    // --overwrite starts again, deleting only what a sweep writes.
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    const fresh = await sweep({ outDir: out, input: { problems }, config: { ...base, budget: { simulations: 13 } }, grid, workers: 0, overwrite: true });
    expect([fresh.ran, fresh.skipped]).toEqual([4, 0]);
    expect(readdirSync(join(out, 'points'))).toHaveLength(4);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  }, 120_000);

  it('rows carry the summary figures of their point', async () => {
    const problems = generateArithProblems({ count: 4, seed: 1 });
    const out = join(tmp(), 'sw');
    const r = await sweep({ outDir: out, input: { problems }, config: { ...SCRIPTED, budget: { simulations: 10 } }, grid: { algorithm: ['mcts', 'best-of-n'] }, workers: 0 });
    for (const row of r.rows) {
      const s = JSON.parse(readFileSync(join(out, 'points', row.point, 'summary.json'), 'utf8'));
      expect(row.algorithm).toBe(row.params.algorithm);
      expect(row.problems).toBe(s.problems.committed);
      expect(row.generatedTokens).toBe(s.usage.generatedTokens);
      expect(row.tracesPer1kTokens).toBeCloseTo((1000 * s.records.traces) / s.usage.generatedTokens, 5);
      expect(row.accuracy).toBe(s.algorithms[row.algorithm].accuracy);
    }
    const csv = parseCsv(readFileSync(join(out, 'sweep.csv'), 'utf8'));
    expect(new Set(csv[0]).size).toBe(csv[0].length);
    expect(csv.slice(1).map((row) => row[csv[0].indexOf('algorithm')])).toEqual(['mcts', 'best-of-n']);
    const legend = texts(parseSvg(readFileSync(join(out, 'accuracy.svg'), 'utf8')));
    expect(legend).toContain('algorithm=mcts');
    expect(legend).toContain('algorithm=best-of-n');
  }, 60_000);
});

describe('mcts-gen sweep', () => {
  it('a 2×2 grid on 20 built-in problems writes sweep.csv with 4 rows and valid SVG plots; running it again runs nothing', () => {
    const out = join(tmp(), 'sweep');
    const args = [bin, 'sweep', '--grid', 'search.width=2,4', '--grid', 'search.cInit=0.5,1.25', '--count', '20', '--set', 'budget.generatedTokens=200', '--workers', '2', '--out', out];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 points \(4 run, 0 finished earlier\)/);
    const rows = parseCsv(readFileSync(join(out, 'sweep.csv'), 'utf8'));
    expect(rows).toHaveLength(5);
    const header = rows[0];
    for (const col of ['search.width', 'search.cInit', 'accuracy', 'solve_rate', 'traces_per_1k_tokens', 'pairs_per_1k_tokens', 'steps_per_1k_tokens', 'generated_tokens', 'wall_ms']) expect(header).toContain(col);
    const at = (row: string[], col: string): number => Number(row[header.indexOf(col)]);
    expect(rows.slice(1).map((row) => [at(row, 'search.width'), at(row, 'search.cInit')])).toEqual([
      [2, 0.5],
      [2, 1.25],
      [4, 0.5],
      [4, 1.25],
    ]);
    for (const row of rows.slice(1)) {
      expect(at(row, 'problems')).toBe(20);
      expect(at(row, 'accuracy')).toBeGreaterThanOrEqual(0);
      expect(at(row, 'accuracy')).toBeLessThanOrEqual(1);
      expect(at(row, 'generated_tokens')).toBeGreaterThan(0);
    }
    for (const f of ['accuracy.svg', 'solve-rate.svg', 'yield.svg']) {
      const root = parseSvg(readFileSync(join(out, f), 'utf8'));
      const series = (root.g as Record<string, unknown>[]).filter((g) => g['@class'] === 'series');
      expect(series.map((g) => g['@data-series'])).toEqual(['search.width=2', 'search.width=4']);
      expect(series.reduce((n, g) => n + (g.circle as unknown[]).length, 0)).toBe(4);
      expect(texts(root)).toContain('generated tokens per problem');
    }

    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8');
    const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/4 points \(0 run, 4 finished earlier\)/);
    expect(again.stderr.match(/finished earlier, not run again/g)).toHaveLength(4);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(csv);
  }, 240_000);

  it('usage errors name what is wrong', async () => {
    const io = captureIO();
    expect(await main(['sweep', '--grid', 'search.width=2,4'], io)).toBe(2);
    expect(io.err()).toMatch(/--out DIR/);
    const io2 = captureIO();
    expect(await main(['sweep', '--out', join(tmp(), 'o')], io2)).toBe(2);
    expect(io2.err()).toMatch(/--grid/);
    const io3 = captureIO();
    expect(await main(['sweep', '--out', join(tmp(), 'o'), '--grid', 'search.width=2,x', '--workers', '0'], io3)).toBe(2);
    expect(io3.err()).toMatch(/search\.width=x/);
    const io4 = captureIO();
    expect(await main(['sweep', '--out', join(tmp(), 'o'), '--grid', 'search.width=2', '--series', 'search.cInit', '--workers', '0'], io4)).toBe(2);
    expect(io4.err()).toMatch(/--series "search.cInit" is not a grid key/);
    const dir = tmp();
    writeFileSync(join(dir, 'bad.jsonl'), '{"prompt": "1+1?", "answer": "2"}\nnot json\n');
    const io5 = captureIO();
    expect(await main(['sweep', '--out', join(dir, 'o'), '--problems', join(dir, 'bad.jsonl'), '--grid', 'search.width=2', '--workers', '0', '--quiet'], io5)).toBe(2);
    expect(io5.err()).toMatch(/bad\.jsonl:2/);
  });
});
