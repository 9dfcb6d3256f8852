// Search trees for other tools: Graphviz DOT and Mermaid flowcharts. Both draw the same picture:
// one box per node (step text, N, Q, reward, verdict), the committed path in bold blue, verified leaves
// green; deep or wide trees are cut to `maxNodes` (the committed path always kept) with a "+k more"
// box standing for what was left out under a node.

import type { NodeJSON } from '../core/tree.js';
import { committedPath, verifiedLeaves, type ViewTree } from './tree-data.js';

export interface TreeExportOptions {
  /** Most nodes drawn (breadth-first, committed path first). Default: all for DOT, 400 for Mermaid. */
  maxNodes?: number;
  /** Deepest level drawn (root = 0). Default: no limit. */
  maxDepth?: number;
  /** Characters of step text kept on a box. Default 60. */
  maxLabel?: number;
  /** Fill colour from Q (value) or from the reward-model score. Default 'q'. */
  colorBy?: 'q' | 'reward';
}

/** Mermaid refuses graphs with more than 500 edges by default; stay below it unless asked. */
const MERMAID_DEFAULT_NODES = 400;

interface Selection {
  kept: number[];
  keptSet: Set<number>;
  /** Per kept node: how many of its children (with their subtrees) were left out. */
  hidden: Map<number, number>;
  onPath: Set<number>;
  verified: Set<number>;
}

function select(tree: ViewTree, maxNodes: number, maxDepth: number): Selection {
  const path = committedPath(tree);
  const onPath = new Set(path);
  const keptSet = new Set<number>();
  const budget = Math.max(1, maxNodes);
  for (const id of path) if (tree.nodes[id].depth <= maxDepth && keptSet.size < budget) keptSet.add(id);
  // Breadth-first from the root: the upper levels are what a reader looks at first.
  const queue = [0];
  for (let q = 0; q < queue.length && keptSet.size < budget; q++) {
    const id = queue[q];
    keptSet.add(id);
    if (tree.nodes[id].depth >= maxDepth) continue;
    for (const c of tree.nodes[id].children) queue.push(c);
  }
  // A node is drawn only under a drawn parent (the path and breadth-first order guarantee it).
  const kept = [...keptSet].filter((id) => id === 0 || keptSet.has(tree.nodes[id].parent)).sort((a, b) => a - b);
  const finalSet = new Set(kept);
  const hidden = new Map<number, number>();
  for (const id of kept) {
    const missing = tree.nodes[id].children.filter((c) => !finalSet.has(c)).length;
    if (missing > 0) hidden.set(id, missing);
  }
  return { kept, keptSet: finalSet, hidden, onPath, verified: new Set(verifiedLeaves(tree)) };
}

function fmt(x: number | null): string {
  return x === null ? '-' : x.toFixed(2);
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1))}…`;
}

function verdictText(n: NodeJSON): string {
  if (n.verdict !== undefined) return `${n.verdict.kind}/${n.verdict.reason}`;
  if (n.stepVerdict !== undefined && n.stepVerdict.kind === 'fail') return `step ${n.stepVerdict.reason} fail`;
  return '';
}

function lines(n: NodeJSON, maxLabel: number): string[] {
  const head = n.id === 0 ? 'root' : clip(n.text, maxLabel) || '(empty step)';
  const stats = `N=${n.visits} Q=${fmt(n.value)} R=${fmt(n.reward)} tok=${n.tokens}`;
  const v = verdictText(n);
  return v === '' ? [head, stats] : [head, stats, v];
}

/** White → green by a score in [0, 1]; grey when unknown. */
function fill(score: number | null): string {
  if (score === null || !Number.isFinite(score)) return '#e5e7eb';
  const s = Math.min(1, Math.max(0, score));
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * s);
  const hex = (v: number): string => v.toString(16).padStart(2, '0');
  return `#${hex(mix(0xfe, 0x4a))}${hex(mix(0xf2, 0xde))}${hex(mix(0xf2, 0x80))}`;
}

function scoreOf(n: NodeJSON, colorBy: 'q' | 'reward'): number | null {
  return colorBy === 'q' ? n.value : n.reward;
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

/** The tree as a Graphviz DOT digraph (`dot -Tsvg tree.dot > tree.svg`). */
export function treeToDot(tree: ViewTree, options: TreeExportOptions = {}): string {
  const maxLabel = options.maxLabel ?? 60;
  const colorBy = options.colorBy ?? 'q';
  const sel = select(tree, options.maxNodes ?? Number.POSITIVE_INFINITY, options.maxDepth ?? Number.POSITIVE_INFINITY);
  const out = [
    `digraph ${dotString(`mcts-gen ${tree.problemId}`)} {`,
    `  label=${dotString(clip(tree.prompt, 200) + (tree.answer !== undefined ? `\ngold answer: ${tree.answer}` : ''))};`,
    '  labelloc=t;',
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [color="#9ca3af"];',
  ];
  for (const id of sel.kept) {
    const n = tree.nodes[id];
    const attrs = [`label=${dotString(lines(n, maxLabel).join('\n'))}`, `fillcolor="${fill(scoreOf(n, colorBy))}"`];
    if (sel.onPath.has(id)) attrs.push('color="#1d4ed8"', 'penwidth=2.5');
    if (sel.verified.has(id)) attrs.push('peripheries=2', 'color="#15803d"', 'penwidth=2');
    out.push(`  n${id} [${attrs.join(', ')}];`);
  }
  for (const id of sel.kept) {
    if (id === 0) continue;
    const parent = tree.nodes[id].parent;
    const bold = sel.onPath.has(id) && sel.onPath.has(parent);
    out.push(`  n${parent} -> n${id}${bold ? ' [color="#1d4ed8", penwidth=2.5]' : ''};`);
  }
  for (const [id, k] of sel.hidden) {
    out.push(`  more${id} [label="+${k} more", shape=plaintext, style="", fontcolor="#6b7280"];`);
    out.push(`  n${id} -> more${id} [style=dashed];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** Text inside a Mermaid `["..."]` label: quotes and markup as entity codes, lines as <br/>. */
function mermaidText(text: string): string {
  return text
    .replace(/&/g, '#amp;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/[[\]{}()|`]/g, (c) => `#${c.charCodeAt(0)};`);
}

/** The tree as a Mermaid flowchart (paste into Markdown as a ```mermaid block). */
export function treeToMermaid(tree: ViewTree, options: TreeExportOptions = {}): string {
  const maxLabel = options.maxLabel ?? 60;
  const colorBy = options.colorBy ?? 'q';
  const sel = select(tree, options.maxNodes ?? MERMAID_DEFAULT_NODES, options.maxDepth ?? Number.POSITIVE_INFINITY);
  const out = ['flowchart TD'];
  for (const id of sel.kept) {
    const n = tree.nodes[id];
    out.push(`  n${id}["${lines(n, maxLabel).map(mermaidText).join('<br/>')}"]`);
  }
  for (const id of sel.kept) {
    if (id === 0) continue;
    const parent = tree.nodes[id].parent;
    out.push(`  n${parent} ${sel.onPath.has(id) && sel.onPath.has(parent) ? '==>' : '-->'} n${id}`);
  }
  for (const [id, k] of sel.hidden) out.push(`  n${id} -.-> more${id}["+${k} more"]`);
  for (const id of sel.kept) out.push(`  style n${id} fill:${fill(scoreOf(tree.nodes[id], colorBy))}`);
  out.push('  classDef path stroke:#1d4ed8,stroke-width:3px');
  out.push('  classDef verified stroke:#15803d,stroke-width:3px');
  const path = sel.kept.filter((id) => sel.onPath.has(id) && !sel.verified.has(id));
  const verified = sel.kept.filter((id) => sel.verified.has(id));
  if (path.length > 0) out.push(`  class ${path.map((id) => `n${id}`).join(',')} path`);
  if (verified.length > 0) out.push(`  class ${verified.map((id) => `n${id}`).join(',')} verified`);
  return `${out.join('\n')}\n`;
}
