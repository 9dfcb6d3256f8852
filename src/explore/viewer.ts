// The HTML search-tree viewer: one self-contained document (inline script and style, a CSP that
// forbids every fetch) holding each problem's tree as its own JSON block, parsed when opened.
// Imports only the view model and the browser code it inlines; writes no files.

import { McgError } from '../core/errors.js';
import { VERSION } from '../version.js';
import type { ProblemOutcomeLabel, ViewDocument } from './tree-data.js';
import { escapeXml } from './svg-plot.js';
import { VIEWER_SCRIPT, VIEWER_STYLE } from './viewer-client.js';

/** The page may run its own inline script and style and show data: images; it may fetch nothing. */
export const VIEWER_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export interface ViewerOptions {
  /** Card fill on open: Q (the node's value) or the reward-model score. The page can switch. Default 'q'. */
  colorBy?: 'q' | 'reward';
}

/** What the page's script reads from `#viewer-meta` (version 1). */
interface ViewerMeta {
  version: 1;
  title: string;
  source: string;
  colorBy: 'q' | 'reward';
  /** Index into `problems` of the problem opened first (0 when there are none). */
  initial: number;
  problems: {
    problemId: string;
    outcome: ProblemOutcomeLabel;
    nodes: number | null;
    generatedTokens: number | null;
    error: string | null;
    /** Element id of the problem's tree block, null when no tree was saved. */
    tree: string | null;
  }[];
}

/**
 * JSON for a `<script type="application/json">` block: every `<` is written `\u003c`, so no text in
 * it (`</script>`, `<!--`) can end the block or change how the HTML parser reads it.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * Renders a view document as one self-contained HTML page: no network access (its CSP forbids any),
 * no external fonts or images. Model text reaches the page only as JSON and is shown as text.
 * Same document and options: byte-identical output.
 */
export function renderViewerHtml(doc: ViewDocument, options: ViewerOptions = {}): string {
  const colorBy = options.colorBy ?? 'q';
  if (colorBy !== 'q' && colorBy !== 'reward') {
    throw new McgError('CONFIG_INVALID', `colorBy must be "q" or "reward", got ${JSON.stringify(colorBy)}`);
  }
  const blocks: string[] = [];
  const problems: ViewerMeta['problems'] = doc.problems.map((p, i) => {
    let tree: string | null = null;
    if (p.tree !== undefined) {
      tree = `tree-${i}`;
      blocks.push(`<script type="application/json" id="${tree}">${scriptJson(p.tree)}</script>`);
    }
    return { problemId: p.problemId, outcome: p.outcome, nodes: p.nodes ?? p.tree?.nodes.length ?? null, generatedTokens: p.generatedTokens ?? null, error: p.error ?? null, tree };
  });
  let initial = doc.initial === undefined ? -1 : doc.problems.findIndex((p) => p.problemId === doc.initial);
  if (initial < 0) initial = doc.problems.findIndex((p) => p.tree !== undefined);
  const meta: ViewerMeta = { version: 1, title: doc.title, source: doc.source, colorBy, initial: Math.max(0, initial), problems };

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${VIEWER_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mcts-gen ${VERSION}">
<title>${escapeXml(doc.title)} · mcts-gen search tree</title>
<link rel="icon" href="data:,">
<style>${VIEWER_STYLE}</style>
</head>
<body data-color-by="${colorBy}">
<header id="top"><span class="brand">mcts-gen</span><span id="doc-title"></span><span id="doc-source"></span></header>
<div id="layout">
<nav id="problems" hidden><div class="pane-title">Problems <span id="problem-count"></span></div><ol id="problem-list"></ol></nav>
<main id="main">
<section id="problem-head">
<div id="problem-title"><span id="problem-id"></span><span id="problem-outcome" class="outcome"></span></div>
<div id="prompt"></div>
<div id="facts"></div>
</section>
<div id="toolbar">
<input id="search" type="search" placeholder="Find nodes by step text" autocomplete="off" spellcheck="false" aria-label="Find nodes by step text">
<button id="search-prev" type="button" title="Previous match (Shift+Enter)">&uarr;</button>
<button id="search-next" type="button" title="Next match (Enter)">&darr;</button>
<span id="search-count" aria-live="polite"></span>
<label>Colour by <select id="color-by"><option value="q">Q (value)</option><option value="reward">reward model</option></select></label>
<button id="expand-all" type="button" title="Open nodes breadth-first up to a cap">Expand all</button>
<button id="reset-view" type="button" title="Back to the first levels and the committed path">Reset</button>
<span id="rendered"></span>
</div>
<div id="legend">
<span class="key"><span id="color-name"></span> 0 <span class="sw scale"></span> 1</span>
<span class="key"><span class="sw none"></span>no score</span>
<span class="key"><span class="sw path"></span>committed path</span>
<span class="key"><span class="sw verified"></span>verified leaf</span>
<span class="key"><span class="sw match"></span>search match</span>
<span class="key" title="On each card: N visits, Q value, P prior, R reward-model score, tok tokens. Below it: children and all nodes under it.">N visits &middot; Q value &middot; P prior &middot; R reward &middot; &#9662; children &middot; nodes below</span>
</div>
<div id="status" aria-live="polite"></div>
<div id="crumbs"></div>
<div id="tree-pane"><div id="tree"></div></div>
</main>
<aside id="details"></aside>
</div>
<script type="application/json" id="viewer-meta">${scriptJson(meta)}</script>
${blocks.join('\n')}
<script>${VIEWER_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * An `<iframe srcdoc>` holding a viewer page, for notebooks and other HTML hosts. The page runs
 * sandboxed (`allow-scripts` only: no same-origin access, no forms, no navigation of the host).
 * `height` is in CSS pixels (default 640).
 */
export function viewerIframe(html: string, height = 640): string {
  if (!Number.isFinite(height) || height <= 0) {
    throw new McgError('CONFIG_INVALID', `height must be a positive number of pixels, got ${String(height)}`);
  }
  // A double-quoted attribute needs & " < > escaped; quotes inside the page's script stay readable.
  const srcdoc = html.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<iframe srcdoc="${srcdoc}" sandbox="allow-scripts" title="mcts-gen search tree" style="width: 100%; height: ${Math.round(height)}px; border: 1px solid #dde2e8; border-radius: 6px;"></iframe>`;
}
