import { describe, expect, it } from 'vitest';
import { isMcgError } from '../../src/core/errors.js';
import type { NodeJSON } from '../../src/core/tree.js';
import type { ViewDocument, ViewTree } from '../../src/explore/tree-data.js';
import { VIEWER_SCRIPT, VIEWER_STYLE } from '../../src/explore/viewer-client.js';
import { renderViewerHtml, viewerIframe } from '../../src/explore/viewer.js';

const HOSTILE = '</script><img src=x onerror=alert(1)>';
const CSP_META = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`;

function node(id: number, parent: number, text: string, extra: Partial<NodeJSON> = {}): NodeJSON {
  return {
    id, parent, depth: parent < 0 ? 0 : 1, text, ending: parent < 0 ? 'root' : 'step', prior: parent < 0 ? 1 : 0.5, logprob: null,
    tokens: 3, visits: 2, value: 0.5, evalValue: null, reward: null, outcome: null, terminal: false, children: [], ...extra,
  };
}

/** Root with two steps; `text` is the first step's text. */
function tinyTree(problemId: string, text = '3 * 4 = 12'): ViewTree {
  const nodes = [
    node(0, -1, '', { children: [1, 2] }),
    node(1, 0, text, { terminal: true, ending: 'final', verdict: { kind: 'pass', reason: 'exact', answer: '12' } }),
    node(2, 0, '3 + 4 = 7', { terminal: true, ending: 'final', verdict: { kind: 'fail', reason: 'mismatch', detail: 'expected 12' } }),
  ];
  return { problemId, prompt: `What is 3 * 4? (${problemId})`, answer: '12', chosen: 1, nodes };
}

function doc(problems: ViewDocument['problems'], initial?: string): ViewDocument {
  return { title: 'run-1', source: '/tmp/run-1', problems, ...(initial === undefined ? {} : { initial }) };
}

/** The page's JSON blocks by element id, parsed. */
function jsonBlocks(html: string): Map<string, unknown> {
  const blocks = new Map<string, unknown>();
  for (const m of html.matchAll(/<script type="application\/json" id="([^"]+)">([\s\S]*?)<\/script>/g)) blocks.set(m[1], JSON.parse(m[2]));
  return blocks;
}

interface MetaShape {
  colorBy: string;
  initial: number;
  problems: { problemId: string; outcome: string; nodes: number | null; error: string | null; tree: string | null }[];
}

function metaOf(html: string): MetaShape {
  return jsonBlocks(html).get('viewer-meta') as MetaShape;
}

describe('renderViewerHtml', () => {
  const sample = doc([{ problemId: 'p-1', outcome: 'correct', nodes: 3, tree: tinyTree('p-1') }]);

  it('renders one complete document with the CSP meta in its head', () => {
    const html = renderViewerHtml(sample);
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    for (const tag of ['<html', '<head>', '</head>', '<body', '</body>']) expect(html.split(tag).length - 1).toBe(1);
    expect(html).toContain(CSP_META);
    expect(html.indexOf(CSP_META)).toBeLessThan(html.indexOf('</head>'));
    expect(html.indexOf(CSP_META)).toBeLessThan(html.indexOf('<style>'));
  });

  it('references no resource but the page itself: every src/href is # or data:, no http(s), no protocol-relative URL', () => {
    const html = renderViewerHtml(sample);
    const refs = [...html.matchAll(/\b(src|href|action|poster|srcset|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)].map((m) => m[2].replace(/^["']|["']$/g, ''));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^(#|data:)/);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/["'(=]\s*\/\//);
    expect(html).not.toMatch(/@import/i);
    for (const m of html.matchAll(/url\(\s*['"]?([^'")]*)/gi)) expect(m[1]).toMatch(/^data:/);
    expect(html).not.toMatch(/<link(?![^>]*rel="icon" href="data:,")/);
    for (const api of ['fetch(', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'sendBeacon', 'import(', 'new Image', '.src', 'innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(VIEWER_SCRIPT).not.toContain(api);
    }
  });

  it('writes every < in the JSON blocks as \\u003c, so model text cannot end a block or add markup', () => {
    const tree = tinyTree('p-<x>', HOSTILE);
    tree.prompt = '<!-- <script>alert(2)</script>';
    tree.answer = '</SCRIPT><b>';
    tree.nodes[2].verdict = { kind: 'fail', reason: 'mismatch', detail: HOSTILE };
    const hostile = doc([
      { problemId: 'p-<x>', outcome: 'correct', tree },
      { problemId: 'p-err', outcome: 'error', error: HOSTILE },
    ]);
    const html = renderViewerHtml(hostile);
    const lower = html.toLowerCase();
    expect(lower).not.toContain('<img');
    expect(lower).not.toContain('<b>');
    expect(lower).not.toContain('<!-- <script');
    expect(lower.split('</script').length - 1).toBe(lower.split('<script').length - 1);
    const blocks = jsonBlocks(html);
    expect(blocks.get('tree-0')).toEqual(tree);
    expect(metaOf(html).problems[1].error).toBe(HOSTILE);
    expect(html).toContain(JSON.stringify(HOSTILE).replace(/</g, '\\u003c'));
  });

  it('embeds each problem tree as its own block, in problem order; problems without a tree get none', () => {
    const a = tinyTree('a');
    const c = tinyTree('c', '5 * 5 = 25');
    const html = renderViewerHtml(doc([
      { problemId: 'a', outcome: 'correct', nodes: 3, generatedTokens: 40, tree: a },
      { problemId: 'b', outcome: 'unsolved', nodes: 12 },
      { problemId: 'c', outcome: 'solved', tree: c },
      { problemId: 'd', outcome: 'error', error: 'policy timed out' },
    ]));
    const blocks = jsonBlocks(html);
    expect([...blocks.keys()]).toEqual(['viewer-meta', 'tree-0', 'tree-2']);
    expect(blocks.get('tree-0')).toEqual(a);
    expect(blocks.get('tree-2')).toEqual(c);
    expect(metaOf(html).problems).toEqual([
      { problemId: 'a', outcome: 'correct', nodes: 3, generatedTokens: 40, error: null, tree: 'tree-0' },
      { problemId: 'b', outcome: 'unsolved', nodes: 12, generatedTokens: null, error: null, tree: null },
      { problemId: 'c', outcome: 'solved', nodes: 3, generatedTokens: null, error: null, tree: 'tree-2' },
      { problemId: 'd', outcome: 'error', nodes: null, generatedTokens: null, error: 'policy timed out', tree: null },
    ]);
  });

  it('opens the requested problem first, else the first one with a tree', () => {
    const problems: ViewDocument['problems'] = [
      { problemId: 'x', outcome: 'error', error: 'boom' },
      { problemId: 'y', outcome: 'correct', tree: tinyTree('y') },
      { problemId: 'z', outcome: 'correct', tree: tinyTree('z') },
    ];
    expect(metaOf(renderViewerHtml(doc(problems))).initial).toBe(1);
    expect(metaOf(renderViewerHtml(doc(problems, 'z'))).initial).toBe(2);
    expect(metaOf(renderViewerHtml(doc(problems, 'missing'))).initial).toBe(1);
    expect(metaOf(renderViewerHtml(doc(problems.slice(0, 1)))).initial).toBe(0);
  });

  it('renders a document with no problems, and one whose only problem has no tree', () => {
    const empty = renderViewerHtml(doc([]));
    expect(metaOf(empty).problems).toEqual([]);
    expect([...jsonBlocks(empty).keys()]).toEqual(['viewer-meta']);
    const noTree = renderViewerHtml(doc([{ problemId: 'p', outcome: 'unsolved', nodes: 7 }]));
    expect(metaOf(noTree).problems[0].tree).toBeNull();
    expect([...jsonBlocks(noTree).keys()]).toEqual(['viewer-meta']);
  });

  it('colours by Q unless asked for the reward-model score; other values are refused', () => {
    expect(metaOf(renderViewerHtml(sample)).colorBy).toBe('q');
    const html = renderViewerHtml(sample, { colorBy: 'reward' });
    expect(metaOf(html).colorBy).toBe('reward');
    expect(html).toContain('<body data-color-by="reward">');
    let caught: unknown;
    try {
      renderViewerHtml(sample, { colorBy: 'value' as 'q' });
    } catch (err) {
      caught = err;
    }
    expect(isMcgError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toBe('colorBy must be "q" or "reward", got "value"');
  });

  it('escapes the title and gives the same bytes for the same document', () => {
    const html = renderViewerHtml({ ...sample, title: '<b>"runs" & more</b>' });
    expect(html).toContain('<title>&lt;b&gt;&quot;runs&quot; &amp; more&lt;/b&gt; · mcts-gen search tree</title>');
    expect(renderViewerHtml(sample)).toBe(renderViewerHtml(structuredClone(sample)));
  });

  it('inlines browser code that is a literal template: no backtick, no ${, nothing that ends a script or style', () => {
    for (const code of [VIEWER_SCRIPT, VIEWER_STYLE]) {
      expect(code).not.toContain('`');
      expect(code).not.toContain('${');
      expect(code.toLowerCase()).not.toContain('</script');
      expect(code.toLowerCase()).not.toContain('</style');
      expect(code).not.toContain('<!--');
    }
  });
});

describe('viewerIframe', () => {
  const html = renderViewerHtml(doc([{ problemId: 'p', outcome: 'correct', tree: tinyTree('p', HOSTILE) }]));

  it('holds the page in an attribute-escaped srcdoc, sandboxed to scripts only', () => {
    const frame = viewerIframe(html, 480);
    const m = /^<iframe srcdoc="([^"]*)" sandbox="allow-scripts" title="[^"]*" style="[^"]*height: 480px;[^"]*"><\/iframe>$/.exec(frame);
    expect(m).not.toBeNull();
    const decoded = m![1].replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(decoded).toBe(html);
    expect(frame).not.toContain('allow-same-origin');
    expect(viewerIframe(html)).toContain('height: 640px;');
  });

  it('refuses a height that is not a positive number', () => {
    expect(() => viewerIframe(html, 0)).toThrow('height must be a positive number of pixels, got 0');
    expect(() => viewerIframe(html, Number.NaN)).toThrow('height must be a positive number of pixels, got NaN');
  });
});
