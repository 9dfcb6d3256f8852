// The HTML viewer in real headless Chromium (playwright-core, the system browser): a small real run
// and a 10,000-node synthetic tree, opened from file://. Skipped, with the reason printed, only when
// no Chromium is installed; a Chromium that is there but fails to start fails the suite.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, type PageGlobals } from '../../bench/chromium.js';
import { syntheticTree } from '../../bench/synthetic-tree.js';
import type { NodeJSON } from '../../src/core/tree.js';
import { committedPath, readForView, verifiedLeaves, type ViewDocument, type ViewTree } from '../../src/explore/tree-data.js';
import { renderViewerHtml, viewerIframe } from '../../src/explore/viewer.js';
import { generateArithProblems, runToDirectory } from '../../src/index.js';

const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-results/viewer');
const NEEDLE = 'needle-step 4242 = 4242';
const HOSTILE_STEP = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_PROMPT = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">';
const LAUNCH_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;

const executablePath = findChromium();
if (executablePath === undefined) {
  console.log('viewer browser tests skipped: no Chromium found (set CHROMIUM_PATH, or install /usr/bin/chromium or /usr/bin/chromium-browser)');
}
const describeInBrowser = executablePath === undefined ? describe.skip : describe;

interface OpenPage {
  page: Page;
  url: string;
  /** Every request the page made (URLs), and every console error or uncaught exception. */
  requests: string[];
  errors: string[];
}

describeInBrowser('HTML viewer in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let runDoc: ViewDocument;
  let runFile: string;
  let big: ViewTree;
  let bigFile: string;
  let needleId: number;
  let hostileId: number;
  let edgeFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcg-viewer-browser-'));
    mkdirSync(SCREENSHOTS, { recursive: true });

    // A real small run, searched in this process.
    const runDir = join(dir, 'run');
    await runToDirectory({
      outDir: runDir,
      input: { problems: generateArithProblems({ count: 3, seed: 0 }) },
      config: { outputs: { trees: true }, budget: { generatedTokens: 300 } },
      workers: 0,
    });
    runDoc = readForView(runDir);
    runFile = join(dir, 'run.html');
    writeFileSync(runFile, renderViewerHtml(runDoc));

    // The 10,000-node tree, with one unique step deep off the committed path and one hostile step on screen.
    big = syntheticTree(10_000, 1);
    const path = committedPath(big);
    const onPath = new Set(path);
    const deep = big.nodes.find((n) => n.depth >= 12 && !onPath.has(n.id) && !onPath.has(n.parent));
    const hostile = big.nodes[path[1]].children.map((c) => big.nodes[c]).find((n) => !onPath.has(n.id));
    if (deep === undefined || hostile === undefined) throw new Error('synthetic tree lacks the nodes this test edits');
    deep.text = NEEDLE;
    hostile.text = HOSTILE_STEP;
    needleId = deep.id;
    hostileId = hostile.id;
    big.prompt = HOSTILE_PROMPT;
    bigFile = join(dir, 'big.html');
    writeFileSync(bigFile, renderViewerHtml({ title: 'synthetic 10k', source: 'bench', problems: [{ problemId: big.problemId, outcome: 'correct', tree: big }] }));

    // A node with more children than one page, a problem without a tree, one that errored, a deep chain.
    edgeFile = join(dir, 'edge.html');
    writeFileSync(edgeFile, renderViewerHtml({
      title: 'edge cases',
      source: 'test',
      problems: [
        { problemId: 'wide', outcome: 'unsolved', tree: wideTree(120) },
        { problemId: 'bare', outcome: 'unsolved', nodes: 9 },
        { problemId: 'broken', outcome: 'error', error: `policy failed: ${HOSTILE_STEP}` },
        { problemId: 'deep', outcome: 'unsolved', tree: chainTree(300) },
      ],
    }));

    browser = await chromium.launch({ executablePath, timeout: LAUNCH_TIMEOUT_MS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<OpenPage> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const o: OpenPage = { page, url: pathToFileURL(file).href, requests: [], errors: [] };
    page.on('request', (r) => o.requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') o.errors.push(m.text());
    });
    page.on('pageerror', (e) => o.errors.push(e.message));
    await page.goto(o.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS });
    return o;
  }

  /** Nothing but the file itself was requested, and nothing was logged as an error. */
  async function closeClean(o: OpenPage): Promise<void> {
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([o.url]);
    await o.page.context().close();
  }

  const dataset = (page: Page, key: string): Promise<string | undefined> =>
    page.evaluate((k) => (globalThis as unknown as PageGlobals).document.body.dataset[k], key);
  const renderedIds = (page: Page): Promise<number[]> =>
    page.$$eval('[data-node-id]', (cards) => cards.map((c) => Number(c.getAttribute('data-node-id'))));

  it('opens a real run: problem list with outcomes, the first tree, its prompt and gold answer, path and verified leaves marked', async () => {
    const o = await open(runFile);
    const { page } = o;
    const first = runDoc.problems.find((p) => p.problemId === runDoc.initial)!;
    const tree = first.tree!;
    expect(await dataset(page, 'nodeCount')).toBe(String(tree.nodes.length));
    expect(Number(await dataset(page, 'rendered'))).toBe((await renderedIds(page)).length);

    const items = await page.$$eval('#problem-list button', (bs) => bs.map((b) => [b.querySelector('.pid')!.textContent, b.querySelector('.outcome')!.textContent, b.querySelector('.pcount')!.textContent]));
    expect(items).toEqual(runDoc.problems.map((p) => [p.problemId, p.outcome, `${p.tree!.nodes.length} nodes`]));
    expect(await page.textContent('#prompt')).toBe(tree.prompt);
    expect(await page.textContent('#facts')).toContain(`gold answer ${tree.answer}`);

    const path = new Set(committedPath(tree));
    const verified = new Set(verifiedLeaves(tree));
    const marks = await page.$$eval('[data-node-id]', (cards) => cards.map((c) => [Number(c.getAttribute('data-node-id')), c.classList.contains('path'), c.classList.contains('verified')] as const));
    for (const id of path) expect(marks.some(([m]) => m === id)).toBe(true);
    for (const [id, isPath, isVerified] of marks) {
      expect(isPath).toBe(path.has(id));
      expect(isVerified).toBe(verified.has(id));
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'run.png') });

    const second = runDoc.problems[1];
    await page.click(`#problem-list button[data-problem-index="1"]`);
    expect(await dataset(page, 'nodeCount')).toBe(String(second.tree!.nodes.length));
    expect(await page.textContent('#problem-id')).toBe(second.problemId);
    expect(await page.textContent('#prompt')).toBe(second.tree!.prompt);
    await closeClean(o);
  });

  it('renders a 10,000-node tree lazily: only the first levels and the committed path have cards', async () => {
    const o = await open(bigFile);
    const { page } = o;
    expect(await dataset(page, 'nodeCount')).toBe('10000');
    const ids = await renderedIds(page);
    expect(Number(await dataset(page, 'rendered'))).toBe(ids.length);
    expect(ids.length).toBeLessThan(1000);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of committedPath(big)) expect(ids).toContain(id);
    expect(ids).not.toContain(needleId);
    await page.screenshot({ path: join(SCREENSHOTS, 'synthetic-10k.png') });
    await closeClean(o);
  });

  it('expands a collapsed node to show its children and collapses it again', async () => {
    const o = await open(bigFile);
    const { page } = o;
    const id = Number(await page.getAttribute('button[data-toggle-for][aria-expanded="false"]', 'data-toggle-for'));
    const children = big.nodes[id].children;
    expect(children.length).toBeGreaterThan(0);
    const before = Number(await dataset(page, 'rendered'));
    for (const c of children) expect(await page.$(`[data-node-id="${c}"]`)).toBeNull();

    await page.click(`button[data-toggle-for="${id}"]`);
    expect(await page.getAttribute(`button[data-toggle-for="${id}"]`, 'aria-expanded')).toBe('true');
    expect(Number(await dataset(page, 'rendered'))).toBe(before + children.length);
    for (const c of children) expect(await page.$(`[data-node-id="${c}"]`)).not.toBeNull();

    await page.click(`button[data-toggle-for="${id}"]`);
    expect(Number(await dataset(page, 'rendered'))).toBe(before);
    for (const c of children) expect(await page.$(`[data-node-id="${c}"]`)).toBeNull();
    await closeClean(o);
  });

  it('search finds a step that exists only deep in the tree, renders it, scrolls to it and highlights it', async () => {
    const o = await open(bigFile);
    const { page } = o;
    await page.fill('#search', 'NEEDLE-step');
    await page.press('#search', 'Enter');
    const card = page.locator(`[data-node-id="${needleId}"]`);
    await card.waitFor({ state: 'visible' });
    expect(await dataset(page, 'matches')).toBe('1');
    expect(await page.textContent('#search-count')).toBe('1 / 1');
    expect(await card.getAttribute('class')).toMatch(/\bmatch-current\b/);
    const box = (await card.boundingBox())!;
    const pane = (await page.locator('#tree-pane').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(pane.x);
    expect(box.y).toBeGreaterThanOrEqual(pane.y);
    expect(box.x + box.width).toBeLessThanOrEqual(pane.x + pane.width);
    expect(box.y + box.height).toBeLessThanOrEqual(pane.y + pane.height);
    // Every ancestor got a card on the way down.
    for (let a = big.nodes[needleId].parent; a >= 0; a = big.nodes[a].parent) expect(await page.$(`[data-node-id="${a}"]`)).not.toBeNull();
    expect(await page.textContent('#details')).toContain(NEEDLE);
    await page.screenshot({ path: join(SCREENSHOTS, 'search.png') });

    await page.fill('#search', 'no such step anywhere');
    await page.press('#search', 'Enter');
    expect(await dataset(page, 'matches')).toBe('0');
    expect(await page.textContent('#search-count')).toBe('no match');
    await closeClean(o);
  });

  it('colours cards by Q or by the reward-model score, grey where the score is missing', async () => {
    const o = await open(bigFile);
    const { page } = o;
    expect(big.nodes[0].value).not.toBeNull();
    expect(big.nodes[0].reward).toBeNull();
    const rootColour = (): Promise<string> =>
      page.$eval('[data-node-id="0"]', (c) => (globalThis as unknown as PageGlobals).getComputedStyle(c as never).backgroundColor);
    const byQ = await rootColour();
    await page.selectOption('#color-by', 'reward');
    const byReward = await rootColour();
    expect(byReward).not.toBe(byQ);
    expect(byReward).toBe('rgb(230, 232, 235)');
    expect(await page.textContent('#color-name')).toBe('reward-model score');
    await page.selectOption('#color-by', 'q');
    expect(await rootColour()).toBe(byQ);
    await closeClean(o);
  });

  it('selecting a node fills the details panel with its fields and verdicts', async () => {
    const o = await open(bigFile);
    const { page } = o;
    const n: NodeJSON = big.nodes[big.chosen];
    await page.click(`[data-node-id="${n.id}"]`);
    expect(await page.getAttribute(`[data-node-id="${n.id}"]`, 'class')).toMatch(/\bselected\b/);
    const details = (await page.textContent('#details'))!;
    expect(details).toContain(`Node #${n.id}`);
    expect(details).toContain(n.text);
    expect(details).toContain(`visits N${n.visits.toLocaleString('en-US')}`);
    expect(details).toContain(`value Q${n.value!.toFixed(4)}`);
    expect(details).toContain(`prior${n.prior.toFixed(4)}`);
    expect(details).toContain(`tokens${n.tokens}`);
    expect(details).toContain(`kind${n.verdict!.kind}reason${n.verdict!.reason}`);
    expect(details).toContain(`Step verdictkind${n.stepVerdict!.kind}reason${n.stepVerdict!.reason}`);
    await closeClean(o);
  });

  it('shows hostile model text as text and never runs it', async () => {
    const o = await open(bigFile);
    const { page } = o;
    expect(await page.textContent(`[data-node-id="${hostileId}"] .t`)).toBe(HOSTILE_STEP);
    expect(await page.textContent('#prompt')).toBe(HOSTILE_PROMPT);
    await page.click(`[data-node-id="${hostileId}"]`);
    expect(await page.textContent('#details pre')).toBe(HOSTILE_STEP);
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
    await closeClean(o);
  });

  it('caps "Expand all" and says so', async () => {
    const o = await open(bigFile);
    const { page } = o;
    await page.click('#expand-all');
    const rendered = Number(await dataset(page, 'rendered'));
    expect(rendered).toBeGreaterThan(1000);
    expect(rendered).toBeLessThan(2500);
    expect(rendered).toBe((await renderedIds(page)).length);
    expect(await page.textContent('#status')).toContain('(cap 2,000)');
    await page.screenshot({ path: join(SCREENSHOTS, 'expand-all.png') });
    await page.click('#reset-view');
    expect(Number(await dataset(page, 'rendered'))).toBeLessThan(1000);
    await closeClean(o);
  });

  it('pages long child lists, reveals a searched child past the page, and explains problems without a tree', async () => {
    const o = await open(edgeFile);
    const { page } = o;
    expect(await dataset(page, 'nodeCount')).toBe('121');
    expect(await dataset(page, 'rendered')).toBe('51');
    expect(await page.textContent('button[data-more-for="0"]')).toBe('show 50 more of 70');
    await page.click('button[data-more-for="0"]');
    expect(await dataset(page, 'rendered')).toBe('101');
    expect(await page.textContent('button[data-more-for="0"]')).toBe('show 20 more of 20');
    expect(await page.$('[data-node-id="115"]')).toBeNull();
    await page.fill('#search', 'step 115:');
    await page.press('#search', 'Enter');
    await page.locator('[data-node-id="115"]').waitFor({ state: 'visible' });
    expect(await page.textContent('button[data-more-for="0"]')).toBe('show 19 more of 19');

    await page.click('#problem-list button[data-problem-index="1"]');
    expect(await page.textContent('#empty')).toBe('no tree saved — run with --save-trees');
    expect(await dataset(page, 'nodeCount')).toBe('0');
    expect(await dataset(page, 'rendered')).toBe('0');
    expect(await page.textContent('#problem-list button[data-problem-index="1"] .pcount')).toBe('9 nodes · no tree saved');
    await page.click('#problem-list button[data-problem-index="2"]');
    expect(await page.textContent('#empty')).toBe(`This problem was not searched: policy failed: ${HOSTILE_STEP}`);
    expect(await page.$$('img')).toHaveLength(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'edge.png') });
    await page.click('#problem-list button[data-problem-index="0"]');
    expect(await dataset(page, 'nodeCount')).toBe('121');
    await closeClean(o);
  });

  it('keeps a deep tree to a window of levels: a way down, search moves the window, a way back to the root', async () => {
    const o = await open(edgeFile);
    const { page } = o;
    await page.click('#problem-list button[data-problem-index="3"]');
    expect(await dataset(page, 'nodeCount')).toBe('300');
    const rendered = Number(await dataset(page, 'rendered'));
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(100);
    expect(await page.$(`[data-node-id="${rendered}"]`)).toBeNull();
    expect(await page.textContent('#crumbs')).toBe('');

    await page.fill('#search', 'chain step 290');
    await page.press('#search', 'Enter');
    await page.locator('[data-node-id="290"]').waitFor({ state: 'visible' });
    expect(await page.$('[data-node-id="0"]')).toBeNull();
    expect(await page.textContent('#crumbs')).toContain('Showing the tree below #282 at depth 282 of 299.');
    expect(Number(await dataset(page, 'rendered'))).toBeLessThan(100);

    await page.click('#crumbs button[data-top="0"]');
    expect(await page.$('[data-node-id="0"]')).not.toBeNull();
    expect(await page.textContent('#crumbs')).toBe('');
    const down = Number(await page.getAttribute('button[data-descend-for]', 'data-descend-for'));
    await page.click(`button[data-descend-for="${down}"]`);
    expect(await page.$(`[data-node-id="${down + 1}"]`)).not.toBeNull();
    expect(await page.$('[data-node-id="0"]')).toBeNull();
    expect(await page.textContent('#crumbs')).toContain(`Showing the tree below #${down - 8}`);
    await closeClean(o);
  });

  it('runs inside a sandboxed srcdoc iframe without requesting anything', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 700 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(`<!doctype html><title>host</title><body>${viewerIframe(renderViewerHtml(runDoc), 600)}</body>`);
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    await frame.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS });
    const first = runDoc.problems.find((p) => p.problemId === runDoc.initial)!;
    expect(await frame.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.nodeCount)).toBe(String(first.tree!.nodes.length));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await context.close();
  });
});

/** A root with `width` children, all alike but for their number (one page shows 50). */
function wideTree(width: number): ViewTree {
  const nodes: NodeJSON[] = [{
    id: 0, parent: -1, depth: 0, text: '', ending: 'root', prior: 1, logprob: null, tokens: 0, visits: width, value: 0.5,
    evalValue: null, reward: null, outcome: null, terminal: false, children: Array.from({ length: width }, (_, i) => i + 1),
  }];
  for (let i = 1; i <= width; i++) {
    nodes.push({
      id: i, parent: 0, depth: 1, text: `step ${i}: ${i} + 1 = ${i + 1}`, ending: 'step', prior: 1 / width, logprob: null, tokens: 9,
      visits: 1, value: 0.5, evalValue: 0.5, reward: 0.5, outcome: null, terminal: false, children: [],
    });
  }
  return { problemId: 'wide', prompt: 'A root with many children.', chosen: -1, nodes };
}

/** A single path of `length` nodes, committed to its last one. */
function chainTree(length: number): ViewTree {
  const nodes: NodeJSON[] = Array.from({ length }, (_, i) => ({
    id: i, parent: i - 1, depth: i, text: i === 0 ? '' : `chain step ${i}`, ending: i === 0 ? 'root' : i === length - 1 ? 'final' : 'step',
    prior: 1, logprob: null, tokens: 4, visits: length - i, value: 0.5, evalValue: null, reward: null, outcome: null,
    terminal: i === length - 1, children: i < length - 1 ? [i + 1] : [],
  }));
  return { problemId: 'deep', prompt: 'One long chain of steps.', chosen: length - 1, nodes };
}
