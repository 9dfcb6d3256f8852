// Screenshot of the HTML viewer for the README: renders a run directory (or one tree file), opens it
// in headless Chromium with the committed path expanded and its last node selected, writes a PNG.
// Usage: npx tsx scripts/viewer-screenshot.mts <run-dir | tree.json> <out.png> [problem-id]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { findChromium } from '../bench/chromium.js';
import { committedPath, readForView } from '../src/explore/tree-data.js';
import { renderViewerHtml } from '../src/explore/viewer.js';

const [input, output, problem] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  console.error('usage: npx tsx scripts/viewer-screenshot.mts <run-dir | tree.json> <out.png> [problem-id]');
  process.exit(2);
}
const executablePath = findChromium();
if (executablePath === undefined) {
  console.error('no Chromium found: set CHROMIUM_PATH or install chromium');
  process.exit(1);
}

const doc = readForView(input, problem === undefined ? {} : { problem });
// Open a problem whose committed path is worth showing: answered correctly, else solved, else any with a tree.
const withTree = doc.problems.filter((p) => p.tree !== undefined);
const shown = withTree.find((p) => p.outcome === 'correct') ?? withTree.find((p) => p.outcome === 'solved') ?? withTree[0];
if (shown !== undefined) doc.initial = shown.problemId;
const dir = mkdtempSync(join(tmpdir(), 'mcg-viewer-shot-'));
const file = join(dir, 'viewer.html');
writeFileSync(file, renderViewerHtml(doc));

const browser = await chromium.launch({ executablePath });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="1"]');
  const tree = shown?.tree;
  if (tree !== undefined) {
    const path = committedPath(tree);
    const target = path.length > 0 ? path[path.length - 1] : 0;
    // The committed path is open on first view; select its last node through the details panel's own control.
    await page.locator(`[data-node-id="${target}"]`).click();
    await page.locator('#details button[data-goto]').first().click();
  }
  mkdirSync(dirname(resolve(output)), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`wrote ${output} (${shown === undefined ? 'no tree in the input' : `${shown.problemId}, ${shown.tree?.nodes.length} nodes`})`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
