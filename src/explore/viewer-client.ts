// What runs inside the HTML search-tree viewer: its stylesheet and its script, as literal text that
// `viewer.ts` inlines. Plain ES2020 browser code with no imports; it reads only the page's own JSON
// blocks and writes model text through textContent, never as markup.
// Both constants are String.raw templates: they hold no backtick and no dollar-brace (a test checks).

/** The viewer's stylesheet (system fonts only, nothing fetched). */
export const VIEWER_STYLE = String.raw`
:root {
  --ink: #1f2933; --muted: #66727f; --line: #a3adb8; --rule: #dde2e8; --bg: #f7f8fa; --panel: #ffffff;
  --path: #2856d8; --verified: #13884a; --match: #f0b400; --current: #e8590c; --none: #e6e8eb;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  display: flex; flex-direction: column; background: var(--bg); color: var(--ink);
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
button, select, input { font: inherit; color: inherit; }
button {
  border: 1px solid #c5ccd4; background: #fff; border-radius: 5px; padding: 2px 9px; cursor: pointer;
}
button:hover { background: #eef1f5; }
button:disabled { opacity: .45; cursor: default; }
.muted { color: var(--muted); }

/* Header: document title and where it was read from. */
#top {
  display: flex; align-items: baseline; gap: 10px; padding: 7px 14px; background: #1f2933; color: #f3f5f7;
  white-space: nowrap; overflow: hidden;
}
#top .brand { font-weight: 600; letter-spacing: .02em; }
#doc-title { font-weight: 500; overflow: hidden; text-overflow: ellipsis; }
#doc-source { color: #aab4bf; font-size: 12px; overflow: hidden; text-overflow: ellipsis; }

#layout { flex: 1; min-height: 0; display: flex; }

/* Problem list (documents with several problems). */
#problems {
  width: 210px; flex: none; display: flex; flex-direction: column; border-right: 1px solid var(--rule);
  background: var(--panel);
}
#problems[hidden] { display: none; }
.pane-title {
  padding: 8px 12px; font-weight: 600; border-bottom: 1px solid var(--rule); font-size: 12px;
  text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
}
#problem-list { list-style: none; margin: 0; padding: 4px; overflow: auto; flex: 1; }
#problem-list button {
  display: block; width: 100%; text-align: left; border: 0; border-radius: 5px; padding: 5px 8px; background: transparent;
}
#problem-list button:hover { background: #eef1f5; }
#problem-list button.active { background: #e3eafc; }
.pid { display: block; font-family: var(--mono); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pline { display: flex; align-items: center; gap: 6px; margin-top: 1px; }
.pcount { color: var(--muted); font-size: 11px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.outcome {
  font-size: 10.5px; font-weight: 600; border-radius: 9px; padding: 0 7px; flex: none;
  text-transform: uppercase; letter-spacing: .03em;
}
.o-correct { background: #d3f2df; color: #0e6b39; }
.o-solved { background: #dbe7fb; color: #24479f; }
.o-unsolved { background: #eceef1; color: #55606c; }
.o-error { background: #fbdcdc; color: #9b1c1c; }

#main { flex: 1; min-width: 0; display: flex; flex-direction: column; }

/* The problem: id, prompt, gold answer, one line about the tree. */
#problem-head { padding: 9px 14px 7px; background: var(--panel); border-bottom: 1px solid var(--rule); }
#problem-title { display: flex; align-items: center; gap: 8px; margin-bottom: 4px; }
#problem-id { font-family: var(--mono); font-weight: 600; }
#prompt { white-space: pre-wrap; max-height: 5.6em; overflow: auto; font-size: 13.5px; }
#prompt:empty { display: none; }
#facts { display: flex; flex-wrap: wrap; gap: 2px 16px; margin-top: 4px; color: var(--muted); font-size: 12px; }
#facts b { color: var(--ink); font-weight: 600; font-family: var(--mono); }

/* Toolbar and legend. */
#toolbar {
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 6px 14px;
  border-bottom: 1px solid var(--rule); background: #fbfcfd;
}
#search {
  width: 210px; padding: 3px 8px; border: 1px solid #c5ccd4; border-radius: 5px; background: #fff;
}
#search-count { min-width: 56px; color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
#toolbar label { display: flex; align-items: center; gap: 4px; color: var(--muted); margin-left: 6px; }
#color-by { padding: 2px 4px; border: 1px solid #c5ccd4; border-radius: 5px; background: #fff; }
#status { padding: 4px 14px; font-size: 12px; background: #fff8e1; border-bottom: 1px solid #f1e2b0; color: #5c4a12; }
#status:empty { display: none; }
#crumbs { display: flex; align-items: center; gap: 8px; padding: 4px 14px; font-size: 12px; background: #eef3fd; border-bottom: 1px solid #d3def6; }
#crumbs:empty { display: none; }
#legend {
  display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; padding: 4px 14px; font-size: 11.5px;
  color: var(--muted); border-bottom: 1px solid var(--rule); background: #fbfcfd;
}
#legend .key { display: inline-flex; align-items: center; gap: 5px; }
#legend .sw { display: inline-block; width: 22px; height: 12px; border-radius: 3px; border: 1px solid #c5ccd4; background: #fff; }
#legend .scale { width: 70px; background: linear-gradient(90deg, hsl(0, 68%, 84%), hsl(58, 70%, 82%), hsl(125, 52%, 80%)); }
#legend .sw.none { background: var(--none); }
#legend .sw.path { border: 2px solid var(--path); }
#legend .sw.verified { outline: 2px solid var(--verified); outline-offset: 1px; }
#legend .sw.match { box-shadow: 0 0 0 3px var(--match); }
#rendered { margin-left: auto; color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }

/* The tree: nested lists drawn top-down, each parent above its first child, so the committed path
   (always a parent's first child) runs straight down the left edge; wide levels scroll sideways. */
#tree-pane { flex: 1; min-height: 0; overflow: auto; position: relative; }
#tree { --card-w: 176px; --card-h: 88px; --gap: 3px; --cx: calc(var(--gap) + var(--card-w) / 2); display: inline-block; min-width: 100%; padding: 14px 24px 60px 18px; }
#tree ul { display: flex; align-items: flex-start; margin: 0; padding: 16px 0 0; list-style: none; position: relative; }
#tree ul ul { margin-left: calc(-1 * var(--gap)); }
#tree > ul { padding-top: 0; }
#tree li { display: flex; flex-direction: column; align-items: flex-start; position: relative; padding: 16px var(--gap) 0; }
#tree > ul > li { padding-top: 0; }
/* Each child draws the bar above it (to its left and right) and the drop to its card. */
#tree li::before, #tree li::after { content: ""; position: absolute; top: 0; height: 16px; border-top: 1px solid var(--line); }
#tree li::before { left: 0; width: var(--cx); }
#tree li::after { left: var(--cx); right: 0; border-left: 1px solid var(--line); }
#tree li:first-child::before { display: none; }
#tree li:first-child::after { border-radius: 6px 0 0 0; }
#tree li:last-child::before { border-right: 1px solid var(--line); border-radius: 0 6px 0 0; }
#tree li:last-child::after { border: 0; }
#tree li:only-child::after { border-top: 0; border-left: 1px solid var(--line); border-radius: 0; }
#tree > ul > li::before, #tree > ul > li::after { display: none; }
/* The drop from a parent's toggle to the bar over its children. */
#tree ul ul::before { content: ""; position: absolute; top: 0; left: var(--cx); height: 16px; border-left: 1px solid var(--line); }

/* Cards have one fixed size, so off-screen ones can skip style and layout (content-visibility)
   without anything moving when they scroll into view. */
.card {
  width: var(--card-w); height: var(--card-h); padding: 4px 7px 5px; border: 1px solid #b9c1ca; border-radius: 7px;
  background: var(--none); cursor: pointer; font-size: 11.5px; line-height: 15px; position: relative; text-align: left;
  overflow: hidden; content-visibility: auto; contain-intrinsic-size: var(--card-w) var(--card-h);
}
.card:hover { border-color: #6b7785; }
.card:focus-visible { outline: 2px solid #111; outline-offset: 2px; }
.card .h { display: flex; align-items: center; gap: 4px; min-height: 15px; }
.card .id { color: var(--muted); font-size: 10px; font-family: var(--mono); margin-right: auto; }
.card .t {
  font-family: var(--mono); font-size: 11.5px; white-space: pre-wrap; word-break: break-word; overflow: hidden;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; height: 30px; margin: 1px 0 2px;
}
.card .t.root { font-family: inherit; font-style: italic; color: var(--muted); }
.card .s { white-space: pre; font-size: 10.5px; line-height: 14px; color: #3a4550; font-variant-numeric: tabular-nums; overflow: hidden; }
.badge { font-size: 10px; font-weight: 600; border-radius: 8px; padding: 0 5px; line-height: 15px; white-space: nowrap; }
.b-pass { background: #13884a; color: #fff; }
.b-fail { background: #c53030; color: #fff; }
.b-abstain, .b-error { background: #7b8794; color: #fff; }
.b-step { background: #fff; color: #c53030; border: 1px solid #e4a3a3; }
.b-chosen { background: var(--path); color: #fff; }
.card.path { border: 2px solid var(--path); padding: 3px 6px 4px; }
.card.verified { outline: 2px solid var(--verified); outline-offset: 2px; }
.card.match { box-shadow: 0 0 0 3px var(--match); }
.card.selected { box-shadow: 0 0 0 3px #1f2933; }
.card.match-current { box-shadow: 0 0 0 4px var(--current); }
.toggle {
  margin: -1px 0 0 calc(var(--card-w) / 2); transform: translateX(-50%); padding: 0 7px; font-size: 10.5px; line-height: 16px; border-radius: 0 0 8px 8px;
  color: #3a4550; background: #fff; font-variant-numeric: tabular-nums; position: relative; z-index: 1;
}
.more .more-btn { margin-top: 0; font-size: 11px; white-space: nowrap; background: #fff; }

#empty { padding: 40px 24px; color: var(--muted); font-size: 14px; text-align: center; white-space: pre-wrap; }

/* Details of the selected node. */
#details {
  width: 310px; flex: none; overflow: auto; border-left: 1px solid var(--rule); background: var(--panel);
  padding: 10px 14px 24px;
}
#details h2 { font-size: 14px; margin: 0 0 6px; display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
#details h3 {
  font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 14px 0 4px;
}
#details pre {
  font-family: var(--mono); font-size: 12px; white-space: pre-wrap; word-break: break-word; margin: 0;
  background: #f3f5f8; border: 1px solid var(--rule); border-radius: 5px; padding: 6px 8px; max-height: 16em; overflow: auto;
}
#details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 12px; }
#details dt { color: var(--muted); }
#details dd { margin: 0; font-family: var(--mono); word-break: break-word; white-space: pre-wrap; }
#details .actions { display: flex; gap: 6px; margin-top: 10px; }
#details .note { margin: 0 0 4px; font-size: 12px; }
#details ol { margin: 0; font-family: var(--mono); font-size: 11.5px; }
#details ol li { cursor: pointer; padding: 1px 0; }
#details ol li:hover { color: var(--path); }
#details ol li.here { font-weight: 700; }

/* Narrow hosts (a notebook cell): thinner side panels, a shorter prompt. */
@media (max-width: 1100px) {
  #problems { width: 160px; }
  #details { width: 260px; padding: 8px 10px 20px; }
  #prompt { max-height: 2.8em; }
  #search { width: 170px; }
}
`;

/** The viewer's script: reads `#viewer-meta` and the `tree-<i>` blocks, renders on demand. */
export const VIEWER_SCRIPT = String.raw`
(function () {
  'use strict';
  // Milliseconds since navigation start, read by bench/viewer.ts.
  var timings = window.__viewerTimings = { scriptStartMs: performance.now(), treeParsedMs: null, renderedMs: null, firstPaintMs: null };

  // Limits that keep a 10,000-node tree responsive (bench/viewer.ts measures them).
  var CHILD_PAGE = 50;        // children shown under a node before a "show more" control
  var INITIAL_DEPTH = 2;      // levels open on first view (root = 0) ...
  var INITIAL_CARDS = 400;    // ... while they fit in this many cards; the committed path always opens
  var EXPAND_ALL_CAP = 2000;  // "Expand all" opens breadth-first until this many cards
  var MAX_LEVELS = 48;        // levels nested below the top node (layout slows sharply past a few hundred)
  var REVEAL_CONTEXT = 8;     // levels kept above a node shown by moving the top down
  var CARD_CHARS = 90;        // step text kept on a card; the details panel shows all of it
  var TITLE_CHARS = 600;      // step text kept in a card's tooltip
  var PATH_STEPS = 40;        // steps listed under "Path from the root" in the details panel
  var SEARCH_DELAY_MS = 120;  // typing pause before the match count updates

  var body = document.body;
  function byId(id) { return document.getElementById(id); }
  var ui = {
    title: byId('doc-title'), source: byId('doc-source'), problems: byId('problems'), list: byId('problem-list'),
    problemCount: byId('problem-count'), problemId: byId('problem-id'), outcome: byId('problem-outcome'),
    prompt: byId('prompt'), facts: byId('facts'), search: byId('search'), prev: byId('search-prev'),
    next: byId('search-next'), count: byId('search-count'), colorBy: byId('color-by'), colorName: byId('color-name'),
    expandAll: byId('expand-all'), reset: byId('reset-view'), status: byId('status'), rendered: byId('rendered'),
    crumbs: byId('crumbs'), pane: byId('tree-pane'), tree: byId('tree'), details: byId('details')
  };
  var meta = JSON.parse(byId('viewer-meta').textContent);
  var colorBy = meta.colorBy === 'reward' ? 'reward' : 'q';
  var parsedTrees = new Map();  // problem index -> tree, parsed the first time it is opened
  var view = null;              // the open tree and what of it is on screen
  var searchTimer = 0;
  var searchedFor = null;       // query the current matches belong to

  // ---- small helpers ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fmt(v, digits) { return isNum(v) ? v.toFixed(digits) : '–'; }
  // Thousands separators by hand: toLocaleString costs more than the rest of a card.
  function count(v) {
    if (!isNum(v)) return '–';
    return Number.isInteger(v) ? String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(v);
  }
  function clip(text, max) { return text.length > max ? text.slice(0, max - 1) + '…' : text; }
  function plural(k, one, many) { return count(k) + ' ' + (k === 1 ? one : many); }

  // Fill colour from Q or the reward-model score in [0, 1]: red (0) through amber to green (1); grey when absent.
  function colorOf(node) {
    var v = colorBy === 'reward' ? node.reward : node.value;
    if (!isNum(v)) return 'var(--none)';
    var x = Math.max(0, Math.min(1, v));
    return 'hsl(' + Math.round(x * 125) + ', ' + Math.round(68 - 16 * x) + '%, ' + Math.round(84 - 4 * x) + '%)';
  }

  // ---- the open tree ----
  function createView(problem, tree) {
    var nodes = tree.nodes, n = nodes.length;
    var v = {
      problem: problem, tree: tree, nodes: nodes, n: n,
      expanded: new Uint8Array(n), // node shows its children
      pinned: new Uint8Array(n),   // node shows even past its parent's page of children
      shown: new Int32Array(n),    // children shown per node before "show more" (0 = one page)
      onPath: new Uint8Array(n), verified: new Uint8Array(n), size: new Int32Array(n),
      path: [], verifiedCount: 0, maxDepth: 0, ordered: new Array(n),
      top: 0,                      // node drawn at the top of the pane (the root unless the tree is deep)
      cards: new Map(), selected: -1, matches: [], matchSet: new Set(), matchAt: -1, lower: null
    };
    for (var id = tree.chosen; id >= 0; id = nodes[id].parent) v.path.push(id);
    v.path.reverse();
    for (var i = 0; i < v.path.length; i++) v.onPath[v.path[i]] = 1;
    // Parents come before their children, so one backward pass sums subtree sizes.
    for (var j = n - 1; j >= 0; j--) {
      var node = nodes[j];
      v.size[j] += 1;
      if (node.parent >= 0) v.size[node.parent] += v.size[j];
      if (node.terminal && node.verdict && node.verdict.kind === 'pass') { v.verified[j] = 1; v.verifiedCount++; }
      if (node.depth > v.maxDepth) v.maxDepth = node.depth;
    }
    return v;
  }

  // First view: levels up to INITIAL_DEPTH breadth-first within INITIAL_CARDS, plus the committed path.
  function initialExpansion(v) {
    var open = new Uint8Array(v.n), cards = 1, queue = [0];
    for (var qi = 0; qi < queue.length; qi++) {
      var id = queue[qi], kids = childrenOf(v, id);
      if (kids.length === 0 || v.nodes[id].depth >= INITIAL_DEPTH) continue;
      var k = Math.min(kids.length, CHILD_PAGE);
      if (id !== 0 && cards + k > INITIAL_CARDS) continue;
      open[id] = 1;
      cards += k;
      for (var i = 0; i < k; i++) queue.push(kids[i]);
    }
    openPath(v, open);
    v.expanded = open;
  }

  function openPath(v, open) {
    for (var i = 0; i < v.path.length; i++) {
      v.pinned[v.path[i]] = 1;
      if (i < v.path.length - 1) open[v.path[i]] = 1;
    }
  }

  // Children in display order: the committed path's child first, then most visited first (ties by id).
  function childrenOf(v, id) {
    var kids = v.ordered[id];
    if (kids) return kids;
    kids = v.nodes[id].children.slice();
    kids.sort(function (a, b) {
      return (v.onPath[b] - v.onPath[a]) || (v.nodes[b].visits - v.nodes[a].visits) || (a - b);
    });
    v.ordered[id] = kids;
    return kids;
  }

  // Children on screen: the first page, any pinned ones past it, and how many stay hidden.
  function visibleChildren(id) {
    var kids = childrenOf(view, id), limit = view.shown[id] || CHILD_PAGE;
    if (kids.length <= limit) return { ids: kids, hidden: 0 };
    var ids = kids.slice(0, limit);
    for (var i = limit; i < kids.length; i++) if (view.pinned[kids[i]]) ids.push(kids[i]);
    return { ids: ids, hidden: kids.length - ids.length };
  }

  // ---- rendering: only expanded nodes have DOM ----
  function makeCard(id) {
    var node = view.nodes[id];
    var card = el('div', 'card');
    card.setAttribute('data-node-id', String(id));
    card.tabIndex = 0;
    if (view.onPath[id]) card.classList.add('path');
    if (view.verified[id]) card.classList.add('verified');
    if (view.matchSet.has(id)) card.classList.add('match');
    if (view.matchAt >= 0 && view.matches[view.matchAt] === id) card.classList.add('match-current');
    if (view.selected === id) card.classList.add('selected');
    card.style.backgroundColor = colorOf(node);

    var head = el('div', 'h');
    head.appendChild(el('span', 'id', '#' + id));
    if (id === view.tree.chosen) head.appendChild(el('span', 'badge b-chosen', 'chosen'));
    if (node.stepVerdict && node.stepVerdict.kind === 'fail') head.appendChild(el('span', 'badge b-step', 'false step'));
    if (node.verdict) {
      var k = node.verdict.kind;
      head.appendChild(el('span', 'badge b-' + k, (k === 'pass' ? '✓ ' : k === 'fail' ? '✗ ' : '') + k));
    }
    card.appendChild(head);

    if (id === 0) {
      card.appendChild(el('div', 't root', 'root'));
    } else {
      card.appendChild(el('div', 't', clip(node.text, CARD_CHARS)));
      card.title = clip(node.text, TITLE_CHARS);
    }
    // One text node for all the numbers: every separate text run costs a shaping pass in layout.
    var line2 = 'R ' + fmt(node.reward, 3) + '  tok ' + count(node.tokens);
    if (node.ending === 'length') line2 += '  cut off';
    else if (node.terminal && !node.verdict) line2 += '  terminal';
    card.appendChild(el('div', 's', 'N ' + count(node.visits) + '  Q ' + fmt(node.value, 3) + '  P ' + fmt(node.prior, 3) + '\n' + line2));
    view.cards.set(id, card);
    return card;
  }

  function setToggle(button, id) {
    var kids = view.nodes[id].children.length, below = view.size[id] - 1;
    button.textContent = (view.expanded[id] ? '▾ ' : '▸ ') + count(kids) + (below > kids ? ' · ' + count(below) : '');
    button.title = plural(kids, 'child', 'children') + ', ' + plural(below, 'node', 'nodes') + ' below';
    button.setAttribute('aria-expanded', view.expanded[id] ? 'true' : 'false');
  }

  // Nodes on the last level the view nests: their children are shown by moving the top down instead.
  function atBottom(id) {
    return view.nodes[id].depth - view.nodes[view.top].depth >= MAX_LEVELS - 1;
  }

  function buildNode(id) {
    var li = el('li');
    li.appendChild(makeCard(id));
    if (view.nodes[id].children.length > 0 && atBottom(id)) {
      var down = el('button', 'toggle', '↓ ' + count(view.size[id] - 1) + ' below');
      down.type = 'button';
      down.title = 'Show the tree from a few levels above this node';
      down.setAttribute('data-descend-for', String(id));
      li.appendChild(down);
    } else if (view.nodes[id].children.length > 0) {
      var b = el('button', 'toggle');
      b.type = 'button';
      b.setAttribute('data-toggle-for', String(id));
      setToggle(b, id);
      li.appendChild(b);
      if (view.expanded[id]) li.appendChild(buildChildren(id));
    }
    return li;
  }

  function buildChildren(id) {
    var ul = el('ul'), vis = visibleChildren(id);
    for (var i = 0; i < vis.ids.length; i++) ul.appendChild(buildNode(vis.ids[i]));
    if (vis.hidden > 0) {
      var li = el('li', 'more');
      var b = el('button', 'more-btn', 'show ' + count(Math.min(CHILD_PAGE, vis.hidden)) + ' more of ' + count(vis.hidden));
      b.type = 'button';
      b.setAttribute('data-more-for', String(id));
      li.appendChild(b);
      ul.appendChild(li);
    }
    return ul;
  }

  // Rebuilds what hangs below one rendered node (after it opened, closed or showed more).
  function rerender(id) {
    var card = view.cards.get(id);
    if (!card) return;
    var li = card.parentNode;
    var old = li.querySelector(':scope > ul');
    if (old) {
      var gone = old.querySelectorAll('.card');
      for (var i = 0; i < gone.length; i++) view.cards.delete(Number(gone[i].getAttribute('data-node-id')));
      li.removeChild(old);
    }
    var toggle = li.querySelector(':scope > [data-toggle-for]');
    if (toggle) setToggle(toggle, id);
    if (toggle && view.expanded[id]) li.appendChild(buildChildren(id));
    updateCounts();
  }

  function renderTree() {
    view.cards.clear();
    ui.tree.textContent = '';
    var ul = el('ul');
    ul.appendChild(buildNode(view.top));
    ui.tree.appendChild(ul);
    showCrumbs();
    updateCounts();
  }

  // Above a view whose top is not the root: where it is, and the way back up.
  function showCrumbs() {
    var box = ui.crumbs, top = view.top;
    box.textContent = '';
    if (top === 0) return;
    var depth = view.nodes[top].depth;
    box.appendChild(el('span', null, 'Showing the tree below #' + top + ' at depth ' + count(depth) + ' of ' + count(view.maxDepth) + '. '));
    var up = el('button', null, 'Up ' + Math.min(depth, MAX_LEVELS / 2) + ' levels');
    up.type = 'button';
    up.setAttribute('data-top', String(ancestorAt(top, depth - MAX_LEVELS / 2)));
    box.appendChild(up);
    var home = el('button', null, 'From the root');
    home.type = 'button';
    home.setAttribute('data-top', '0');
    box.appendChild(home);
  }

  // The ancestor of a node at a given depth (the node itself when it is not deeper).
  function ancestorAt(id, depth) {
    while (id > 0 && view.nodes[id].depth > depth) id = view.nodes[id].parent;
    return id;
  }

  function isUnderTop(id) {
    return ancestorAt(id, view.nodes[view.top].depth) === view.top;
  }

  function setTop(id) {
    view.top = id;
    view.expanded[id] = 1;
    renderTree();
    ui.pane.scrollLeft = 0;
    ui.pane.scrollTop = 0;
  }

  function updateCounts() {
    body.dataset.rendered = String(view ? view.cards.size : 0);
    ui.rendered.textContent = view ? count(view.cards.size) + ' of ' + plural(view.n, 'node', 'nodes') + ' on screen' : '';
  }

  // Opens every ancestor of a node (pinning each step past page limits) and renders what changed.
  function reveal(id) {
    if (view.cards.has(id)) return;
    for (var c = id, p = view.nodes[id].parent; p >= 0; c = p, p = view.nodes[p].parent) {
      view.pinned[c] = 1;
      view.expanded[p] = 1;
    }
    var depth = view.nodes[id].depth;
    if (!isUnderTop(id) || depth - view.nodes[view.top].depth >= MAX_LEVELS) {
      view.top = ancestorAt(id, Math.max(0, depth - REVEAL_CONTEXT));
      renderTree();
      return;
    }
    var a = view.nodes[id].parent;
    while (a !== view.top && !view.cards.has(a)) a = view.nodes[a].parent;
    rerender(a);
  }

  // Centres a card in the tree pane.
  function scrollToCard(card, vertical) {
    var pane = ui.pane, pr = pane.getBoundingClientRect(), cr = card.getBoundingClientRect();
    pane.scrollLeft += cr.left + cr.width / 2 - (pr.left + pane.clientWidth / 2);
    if (vertical) pane.scrollTop += cr.top + cr.height / 2 - (pr.top + pane.clientHeight / 2);
  }

  function focusNode(id) {
    reveal(id);
    select(id);
    var card = view.cards.get(id);
    if (card) scrollToCard(card, true);
  }

  // ---- actions ----
  function toggleNode(id) {
    view.expanded[id] = view.expanded[id] ? 0 : 1;
    rerender(id);
  }

  function descend(id) {
    view.expanded[id] = 1;
    setTop(ancestorAt(id, Math.max(0, view.nodes[id].depth - REVEAL_CONTEXT)));
  }

  function showMore(id) {
    view.shown[id] = (view.shown[id] || CHILD_PAGE) + CHILD_PAGE;
    rerender(id);
  }

  // Breadth-first from the top node, opening whole nodes until EXPAND_ALL_CAP cards would be passed.
  function expandAll() {
    var open = new Uint8Array(view.n), cards = 1, queue = [view.top], capped = false, paged = false, deeper = false;
    for (var qi = 0; qi < queue.length; qi++) {
      var id = queue[qi];
      if (view.nodes[id].children.length === 0) continue;
      if (atBottom(id)) { deeper = true; continue; }
      var vis = visibleChildren(id);
      if (cards + vis.ids.length > EXPAND_ALL_CAP) { capped = true; break; }
      if (vis.hidden > 0) paged = true;
      open[id] = 1;
      cards += vis.ids.length;
      for (var i = 0; i < vis.ids.length; i++) queue.push(vis.ids[i]);
    }
    openPath(view, open);
    view.expanded = open;
    renderTree();
    if (capped) {
      setStatus('Expanded breadth-first to ' + count(view.cards.size) + ' of ' + count(view.n) +
        ' nodes (cap ' + count(EXPAND_ALL_CAP) + '); open deeper nodes with their ▸ toggles.');
    } else {
      setStatus('Expanded every node' + (deeper ? ' down to the deepest level shown at once (go on with ↓)' : '') +
        (paged ? '; long child lists still end in "show more".' : '.'));
    }
  }

  function resetView() {
    view.top = 0;
    view.pinned = new Uint8Array(view.n);
    view.shown = new Int32Array(view.n);
    initialExpansion(view);
    renderTree();
    setStatus('');
    ui.pane.scrollLeft = 0;
    ui.pane.scrollTop = 0;
  }

  function setStatus(text) { ui.status.textContent = text; }

  function select(id) {
    if (view.selected >= 0) {
      var old = view.cards.get(view.selected);
      if (old) old.classList.remove('selected');
    }
    view.selected = id;
    var card = view.cards.get(id);
    if (card) card.classList.add('selected');
    showDetails(id);
  }

  function recolor() {
    ui.colorName.textContent = colorBy === 'reward' ? 'reward-model score' : 'Q (value)';
    body.setAttribute('data-color-by', colorBy);
    if (!view) return;
    view.cards.forEach(function (card, id) { card.style.backgroundColor = colorOf(view.nodes[id]); });
  }

  // ---- search over every node's text, rendered or not ----
  function runSearch(query) {
    clearTimeout(searchTimer);
    if (!view) return;
    searchedFor = query;
    view.matchSet.forEach(function (id) {
      var card = view.cards.get(id);
      if (card) card.classList.remove('match', 'match-current');
    });
    var q = query.trim().toLowerCase();
    view.matches = [];
    view.matchAt = -1;
    if (q !== '') {
      if (!view.lower) view.lower = view.nodes.map(function (node) { return node.text.toLowerCase(); });
      for (var i = 1; i < view.n; i++) if (view.lower[i].indexOf(q) >= 0) view.matches.push(i);
    }
    view.matchSet = new Set(view.matches);
    view.matchSet.forEach(function (id) {
      var card = view.cards.get(id);
      if (card) card.classList.add('match');
    });
    body.dataset.matches = String(view.matches.length);
    ui.count.textContent = q === '' ? '' : view.matches.length === 0 ? 'no match' : plural(view.matches.length, 'match', 'matches');
  }

  function gotoMatch(step) {
    if (!view) return;
    if (ui.search.value !== searchedFor) runSearch(ui.search.value);
    var k = view.matches.length;
    if (k === 0) return;
    var prev = view.matchAt >= 0 ? view.cards.get(view.matches[view.matchAt]) : null;
    if (prev) prev.classList.remove('match-current');
    view.matchAt = view.matchAt < 0 ? (step > 0 ? 0 : k - 1) : (view.matchAt + step + k) % k;
    var id = view.matches[view.matchAt];
    focusNode(id);
    var card = view.cards.get(id);
    if (card) card.classList.add('match-current');
    ui.count.textContent = count(view.matchAt + 1) + ' / ' + count(k);
  }

  // ---- details panel ----
  function addRow(dl, label, value) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', null, label));
    dl.appendChild(el('dd', null, typeof value === 'object' ? JSON.stringify(value) : String(value)));
  }

  function addSection(box, title) {
    box.appendChild(el('h3', null, title));
  }

  function showDetails(id) {
    var node = view.nodes[id], d = ui.details;
    d.textContent = '';
    var h = el('h2', null, id === 0 ? 'Root' : 'Node #' + id);
    if (id === view.tree.chosen) h.appendChild(el('span', 'badge b-chosen', 'chosen'));
    if (view.verified[id]) h.appendChild(el('span', 'badge b-pass', 'verified'));
    else if (view.onPath[id]) h.appendChild(el('span', 'badge b-chosen', 'committed path'));
    d.appendChild(h);

    addSection(d, id === 0 ? 'Prompt' : 'Step text');
    d.appendChild(el('pre', null, id === 0 ? view.tree.prompt : node.text === '' ? '(empty step)' : node.text));

    addSection(d, 'Search');
    var dl = el('dl');
    addRow(dl, 'visits N', count(node.visits));
    addRow(dl, 'value Q', fmt(node.value, 4));
    addRow(dl, 'evaluation', fmt(node.evalValue, 4));
    addRow(dl, 'prior', fmt(node.prior, 4));
    addRow(dl, 'logprob', fmt(node.logprob, 4));
    addRow(dl, 'reward model', fmt(node.reward, 4));
    addRow(dl, 'outcome', fmt(node.outcome, 3));
    addRow(dl, 'tokens', count(node.tokens));
    addRow(dl, 'depth', node.depth);
    addRow(dl, 'ending', node.ending);
    addRow(dl, 'terminal', node.terminal ? 'yes' : 'no');
    if (node.closed) addRow(dl, 'closed', 'yes (no new steps to add)');
    addRow(dl, 'children', node.children.length + (view.size[id] - 1 > node.children.length ? ' (' + count(view.size[id] - 1) + ' nodes below)' : ''));
    d.appendChild(dl);

    if (node.verdict) {
      addSection(d, 'Verifier verdict');
      d.appendChild(fieldList(node.verdict, ['kind', 'reason', 'answer', 'score', 'tests', 'detail', 'output']));
    }
    if (node.stepVerdict) {
      addSection(d, 'Step verdict');
      d.appendChild(fieldList(node.stepVerdict, ['kind', 'reason', 'step', 'claims', 'failedClaims']));
    }

    if (id > 0) {
      addSection(d, 'Path from the root');
      var ol = el('ol'), chain = [];
      for (var a = id; a > 0; a = view.nodes[a].parent) chain.push(a);
      chain.reverse();
      // A deep node lists its last PATH_STEPS steps, numbered as in the whole path.
      var from = Math.max(0, chain.length - PATH_STEPS);
      if (from > 0) {
        d.appendChild(el('p', 'muted note', count(from) + ' earlier steps not listed'));
        ol.start = from + 1;
      }
      ol.style.paddingLeft = (String(chain.length).length + 2) + 'ch';
      for (var i = from; i < chain.length; i++) {
        var li = el('li', chain[i] === id ? 'here' : null, clip(view.nodes[chain[i]].text || '(empty)', 120));
        li.setAttribute('data-goto', String(chain[i]));
        ol.appendChild(li);
      }
      d.appendChild(ol);
    }

    var actions = el('div', 'actions');
    var show = el('button', null, 'Show in tree');
    show.type = 'button';
    show.setAttribute('data-goto', String(id));
    actions.appendChild(show);
    if (node.parent >= 0) {
      var up = el('button', null, 'Parent #' + node.parent);
      up.type = 'button';
      up.setAttribute('data-goto', String(node.parent));
      actions.appendChild(up);
    }
    d.appendChild(actions);
  }

  // Known keys first in the given order, then whatever else the record carries.
  function fieldList(obj, order) {
    var dl = el('dl'), seen = {};
    for (var i = 0; i < order.length; i++) {
      seen[order[i]] = true;
      if (order[i] === 'tests' && obj.tests) addRow(dl, 'tests', obj.tests.passed + ' / ' + obj.tests.total + ' passed');
      else addRow(dl, order[i], obj[order[i]]);
    }
    Object.keys(obj).forEach(function (key) { if (!seen[key]) addRow(dl, key, obj[key]); });
    return dl;
  }

  function showEmptyDetails() {
    ui.details.textContent = '';
    ui.details.appendChild(el('p', 'muted', 'Click a node to see all its fields.'));
  }

  // ---- problems ----
  function buildProblemList() {
    var problems = meta.problems;
    ui.problems.hidden = problems.length <= 1;
    ui.problemCount.textContent = '(' + count(problems.length) + ')';
    for (var i = 0; i < problems.length; i++) {
      var p = problems[i];
      var b = el('button');
      b.type = 'button';
      b.setAttribute('data-problem-index', String(i));
      b.title = p.problemId;
      b.appendChild(el('span', 'pid', p.problemId));
      var line = el('span', 'pline');
      line.appendChild(el('span', 'outcome o-' + p.outcome, p.outcome));
      var nodes = isNum(p.nodes) ? plural(p.nodes, 'node', 'nodes') : '';
      line.appendChild(el('span', 'pcount', p.tree ? nodes : (nodes ? nodes + ' · ' : '') + 'no tree saved'));
      b.appendChild(line);
      var li = el('li');
      li.appendChild(b);
      ui.list.appendChild(li);
    }
  }

  function setControls(enabled) {
    [ui.search, ui.prev, ui.next, ui.expandAll, ui.reset].forEach(function (c) { c.disabled = !enabled; });
  }

  function addFact(label, value) {
    var s = el('span', null, label + ' ');
    s.appendChild(el('b', null, value));
    ui.facts.appendChild(s);
  }

  function showEmpty(message) {
    var box = el('div', null, message);
    box.id = 'empty';
    ui.tree.textContent = '';
    ui.tree.appendChild(box);
  }

  function openProblem(index) {
    var p = meta.problems[index];
    var buttons = ui.list.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) buttons[i].classList.toggle('active', i === index);
    ui.problemId.textContent = p.problemId;
    ui.outcome.textContent = p.outcome;
    ui.outcome.className = 'outcome o-' + p.outcome;
    ui.prompt.textContent = '';
    ui.facts.textContent = '';
    setStatus('');
    showEmptyDetails();
    body.dataset.problem = p.problemId;

    if (!p.tree) {
      view = null;
      setControls(false);
      ui.count.textContent = '';
      body.dataset.matches = '0';
      body.dataset.nodeCount = '0';
      updateCounts();
      if (isNum(p.nodes)) addFact('nodes', count(p.nodes));
      showEmpty(p.outcome === 'error'
        ? 'This problem was not searched: ' + (p.error || 'unknown error')
        : 'no tree saved — run with --save-trees');
      return;
    }
    var tree = parsedTrees.get(index);
    if (!tree) {
      tree = JSON.parse(byId(p.tree).textContent);
      parsedTrees.set(index, tree);
      if (timings.treeParsedMs === null) timings.treeParsedMs = performance.now();
    }
    view = createView(p, tree);
    setControls(true);
    body.dataset.nodeCount = String(view.n);
    ui.prompt.textContent = tree.prompt;
    if (tree.answer !== undefined) addFact('gold answer', tree.answer);
    if (tree.chosen >= 0) {
      var v = view.nodes[tree.chosen].verdict;
      addFact('committed', (v && v.answer !== undefined ? v.answer : '#' + tree.chosen) + (v ? ' (' + v.kind + ')' : ''));
    } else {
      addFact('committed', 'nothing');
    }
    addFact('verified leaves', count(view.verifiedCount));
    addFact('nodes', count(view.n));
    addFact('max depth', count(view.maxDepth));
    if (isNum(p.generatedTokens)) addFact('generated tokens', count(p.generatedTokens));

    initialExpansion(view);
    renderTree();
    if (ui.search.value.trim() !== '') runSearch(ui.search.value);
    else { searchedFor = null; ui.count.textContent = ''; body.dataset.matches = '0'; }
    ui.pane.scrollLeft = 0;
    ui.pane.scrollTop = 0;
  }

  // ---- events ----
  ui.tree.addEventListener('click', function (e) {
    var target = e.target;
    var button = target.closest('button');
    if (button) {
      if (button.hasAttribute('data-toggle-for')) toggleNode(Number(button.getAttribute('data-toggle-for')));
      else if (button.hasAttribute('data-more-for')) showMore(Number(button.getAttribute('data-more-for')));
      else if (button.hasAttribute('data-descend-for')) descend(Number(button.getAttribute('data-descend-for')));
      return;
    }
    var card = target.closest('.card');
    if (card) select(Number(card.getAttribute('data-node-id')));
  });
  ui.tree.addEventListener('keydown', function (e) {
    var card = e.target.closest && e.target.closest('.card');
    if (!card || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    select(Number(card.getAttribute('data-node-id')));
  });
  ui.crumbs.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-top]');
    if (b && view) setTop(Number(b.getAttribute('data-top')));
  });
  ui.details.addEventListener('click', function (e) {
    var t = e.target.closest('[data-goto]');
    if (t && view) focusNode(Number(t.getAttribute('data-goto')));
  });
  ui.list.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-problem-index]');
    if (b) openProblem(Number(b.getAttribute('data-problem-index')));
  });
  ui.search.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { runSearch(ui.search.value); }, SEARCH_DELAY_MS);
  });
  ui.search.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); gotoMatch(e.shiftKey ? -1 : 1); }
    else if (e.key === 'Escape') { ui.search.value = ''; runSearch(''); }
  });
  ui.next.addEventListener('click', function () { gotoMatch(1); });
  ui.prev.addEventListener('click', function () { gotoMatch(-1); });
  ui.colorBy.addEventListener('change', function () {
    colorBy = ui.colorBy.value === 'reward' ? 'reward' : 'q';
    recolor();
  });
  ui.expandAll.addEventListener('click', function () { if (view) expandAll(); });
  ui.reset.addEventListener('click', function () { if (view) resetView(); });

  // ---- start ----
  ui.title.textContent = meta.title;
  if (meta.source !== meta.title) ui.source.textContent = meta.source;
  ui.colorBy.value = colorBy;
  recolor();
  buildProblemList();
  if (meta.problems.length === 0) {
    setControls(false);
    body.dataset.nodeCount = '0';
    updateCounts();
    ui.problemId.textContent = 'no problems';
    ui.outcome.hidden = true;
    showEmpty('This document holds no problems.');
    showEmptyDetails();
  } else {
    openProblem(meta.initial);
  }
  timings.renderedMs = performance.now();
  // Two frames: the first render has been laid out and painted.
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      timings.firstPaintMs = window.__viewerFirstPaintMs = performance.now();
      body.setAttribute('data-ready', '1');
    });
  });
})();
`;
