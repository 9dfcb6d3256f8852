// Viewer bench: writes the HTML viewer for a 10,000-node synthetic tree, opens it in headless Chromium
// five times and reports file size, first paint, and the time to "Expand all" (capped) and to search.
// Run: npx tsx bench/viewer.ts [--nodes 10000] [--runs 5]. Target: first paint under 2 s.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { renderViewerHtml } from '../src/explore/viewer.js';
import { findChromium, type PageGlobals } from './chromium.js';
import { syntheticTree } from './synthetic-tree.js';

const FIRST_PAINT_TARGET_MS = 2000;
const SEED = 1;

interface RunFigures {
  /** `__viewerFirstPaintMs`: performance.now() two frames after the first render, from navigation start. */
  firstPaintMs: number;
  /** The browser's first-contentful-paint entry (the page frame, before the tree is drawn). */
  fcpMs: number;
  scriptStartMs: number;
  treeParsedMs: number;
  renderedMs: number;
  /** From page.goto() in this process to seeing data-ready (includes Chromium's navigation and polling). */
  gotoToReadyMs: number;
  searchMs: number;
  searchMatches: number;
  expandAllMs: number;
  expandAllCards: number;
}

/** Runs `action` in the page and resolves after two frames (laid out and painted), with its duration. */
async function timedInPage(page: Page, action: 'search' | 'expand-all', query = ''): Promise<number> {
  return page.evaluate(
    ([which, q]) =>
      new Promise<number>((resolve) => {
        const g = globalThis as unknown as PageGlobals;
        const t = g.performance.now();
        if (which === 'search') {
          const input = g.document.getElementById('search')!;
          input.value = q;
          input.dispatchEvent(new g.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        } else {
          g.document.getElementById('expand-all')!.click();
        }
        g.requestAnimationFrame(() => g.requestAnimationFrame(() => resolve(g.performance.now() - t)));
      }),
    [action, query] as const,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } } });
  const nodeCount = Number(values.nodes);
  const runs = Number(values.runs);
  const executablePath = findChromium();
  if (executablePath === undefined) throw new Error('no Chromium found: set CHROMIUM_PATH or install chromium');

  const tree = syntheticTree(nodeCount, SEED);
  // Search for the deepest node's step, which the first view does not render.
  const deepest = tree.nodes.reduce((best, n) => (n.depth > best.depth && !committedOrRoot(n.id) ? n : best), tree.nodes[1]);
  function committedOrRoot(id: number): boolean {
    for (let a = tree.chosen; a >= 0; a = tree.nodes[a].parent) if (a === id) return true;
    return id === 0;
  }
  const needle = deepest.text.split('\n')[0];

  const dir = mkdtempSync(join(tmpdir(), 'mcg-bench-viewer-'));
  const file = join(dir, 'viewer.html');
  const started = performance.now();
  writeFileSync(file, renderViewerHtml({ title: tree.problemId, source: 'bench/viewer.ts', problems: [{ problemId: tree.problemId, outcome: 'correct', nodes: nodeCount, tree }] }));
  const renderMs = performance.now() - started;
  const bytes = statSync(file).size;

  const launchStart = performance.now();
  const browser = await chromium.launch({ executablePath });
  const launchMs = performance.now() - launchStart;
  const figures: RunFigures[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
      const gotoToReadyMs = performance.now() - t0;
      const t = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        const fcp = g.performance.getEntriesByName('first-contentful-paint')[0];
        return { ...g.__viewerTimings!, firstPaintMs: g.__viewerFirstPaintMs!, fcpMs: fcp === undefined ? Number.NaN : fcp.startTime };
      });
      const searchMs = await timedInPage(page, 'search', needle);
      const searchMatches = Number(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.matches));
      await page.click('#reset-view');
      const expandAllMs = await timedInPage(page, 'expand-all');
      const expandAllCards = Number(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.rendered));
      figures.push({
        firstPaintMs: t.firstPaintMs,
        fcpMs: t.fcpMs,
        scriptStartMs: t.scriptStartMs,
        treeParsedMs: t.treeParsedMs ?? Number.NaN,
        renderedMs: t.renderedMs ?? Number.NaN,
        gotoToReadyMs,
        searchMs,
        searchMatches,
        expandAllMs,
        expandAllCards,
      });
      await context.close();
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0).padStart(6) : '     -');
  console.log(`viewer bench: synthetic tree, ${nodeCount.toLocaleString('en-US')} nodes (seed ${SEED}), max depth ${Math.max(...tree.nodes.map((n) => n.depth))}`);
  console.log(`HTML: ${(bytes / 1e6).toFixed(2)} MB, rendered in ${renderMs.toFixed(0)} ms; Chromium ${executablePath} launched in ${launchMs.toFixed(0)} ms`);
  console.log(`search for "${needle}" (the deepest node's step, depth ${deepest.depth}); expand all is capped by the page`);
  console.log('');
  console.log('times in ms since navigation start     | action times in ms (after 2 frames)');
  console.log('run  script  parsed  render  paint*  fcp  goto→ready | search matches  expand-all cards');
  const row = (label: string, f: (k: keyof RunFigures) => number): string =>
    `${label.padEnd(3)} ${ms(f('scriptStartMs'))}  ${ms(f('treeParsedMs'))}  ${ms(f('renderedMs'))}  ${ms(f('firstPaintMs'))} ${ms(f('fcpMs'))} ${ms(f('gotoToReadyMs'))}     | ${ms(f('searchMs'))} ${String(f('searchMatches')).padStart(7)}  ${ms(f('expandAllMs'))}  ${String(f('expandAllCards')).padStart(9)}`;
  figures.forEach((fig, i) => console.log(row(String(i + 1), (k) => fig[k])));
  console.log(row('med', (k) => median(figures.map((fig) => fig[k]))));
  console.log(row('max', (k) => Math.max(...figures.map((fig) => fig[k]))));
  console.log('');
  const worst = Math.max(...figures.map((f) => f.firstPaintMs));
  console.log(`* paint = window.__viewerFirstPaintMs. First paint median ${median(figures.map((f) => f.firstPaintMs)).toFixed(0)} ms, max ${worst.toFixed(0)} ms: ${worst < FIRST_PAINT_TARGET_MS ? 'within' : 'OVER'} the ${FIRST_PAINT_TARGET_MS} ms target`);
}

await main();
