import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import {
  committedPath,
  generateArithProblems,
  parseTreeRecord,
  readForView,
  readRunForView,
  readTreeFile,
  runToDirectory,
  treeToDot,
  treeToMermaid,
  verifiedLeaves,
  type ViewTree,
} from '../../src/index.js';
import { captureIO } from '../helpers/streams.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-view-'));
}

let runDir: string;
let trees: ViewTree[];

beforeAll(async () => {
  runDir = join(tmp(), 'run');
  await runToDirectory({
    outDir: runDir,
    input: { problems: generateArithProblems({ count: 4, seed: 2 }) },
    config: { policy: { kind: 'scripted' }, reward: { kind: 'scripted' }, budget: { simulations: 24 }, outputs: { trees: true } },
    workers: 0,
  });
  trees = readRunForView(runDir).problems.map((p) => p.tree!);
}, 60_000);

/** Node statements and edges of a DOT text (one statement per line, as treeToDot writes them). */
function dotParts(dot: string): { nodes: string[]; edges: Array<[string, string, string]> } {
  const nodes = [...dot.matchAll(/^ {2}(n\d+) \[/gm)].map((m) => m[1]);
  const edges = [...dot.matchAll(/^ {2}(n\d+) -> (n\d+|more\d+)(.*);$/gm)].map((m) => [m[1], m[2], m[3]] as [string, string, string]);
  return { nodes, edges };
}

describe('reading trees for the explorer', () => {
  it('a run directory lists every committed problem with its outcome and saved tree; the gold answer travels with the tree', () => {
    const doc = readRunForView(runDir);
    const ledger = readFileSync(join(runDir, 'ledger.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(doc.problems.map((p) => p.problemId)).toEqual(ledger.map((e) => e.problemId));
    for (const [i, p] of doc.problems.entries()) {
      const e = ledger[i];
      expect(p.outcome).toBe(e.stats.success ? 'correct' : e.stats.solved ? 'solved' : 'unsolved');
      expect(p.tree!.nodes).toHaveLength(e.stats.nodes);
      expect(p.tree!.answer).toBe(generateArithProblems({ count: 4, seed: 2 })[i].reference!.answer);
      if (p.outcome !== 'unsolved') expect(verifiedLeaves(p.tree!).length).toBeGreaterThan(0);
    }
    expect(readRunForView(runDir, { problem: doc.problems[1].problemId }).problems).toHaveLength(1);
    expect(() => readRunForView(runDir, { problem: 'nope' })).toThrow(/no problem "nope"/);
    expect(() => readForView(join(runDir, 'missing'))).toThrow(/cannot read \(ENOENT\)/);
    expect(() => readRunForView(tmp())).toThrow(/not a run directory/);
  });

  it('the committed path runs from the root to the chosen node', () => {
    for (const t of trees) {
      const path = committedPath(t);
      if (t.chosen < 0) {
        expect(path).toEqual([]);
        continue;
      }
      expect(path[0]).toBe(0);
      expect(path[path.length - 1]).toBe(t.chosen);
      for (let i = 1; i < path.length; i++) expect(t.nodes[path[i]].parent).toBe(path[i - 1]);
    }
  });

  it('a broken tree file is refused with the file and the key', () => {
    const dir = tmp();
    const good = JSON.parse(readFileSync(join(runDir, 'trees', `${trees[0].problemId}.json`), 'utf8'));
    const write = (name: string, value: unknown): string => {
      const f = join(dir, name);
      writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
      return f;
    };
    expect(() => readTreeFile(write('a.json', '{"schema": '))).toThrow(/a\.json: invalid JSON/);
    expect(() => readTreeFile(write('b.json', { ...good, schema: 'mcts-gen.trace/1' }))).toThrow(/b\.json: not a search tree .*schema/);
    const badChild = structuredClone(good);
    badChild.nodes[0].children.push(9999);
    expect(() => readTreeFile(write('c.json', badChild))).toThrow(/c\.json: nodes\[0\]\.children lists 9999/);
    const badVisits = structuredClone(good);
    badVisits.nodes[1].visits = 'many';
    expect(() => readTreeFile(write('d.json', badVisits))).toThrow(/d\.json: nodes\[1\]\.visits/);
    const badId = structuredClone(good);
    badId.nodes[1].id = 5;
    expect(() => readTreeFile(write('e.json', badId))).toThrow(/nodes\[1\]\.id is 5/);
    expect(() => parseTreeRecord({ ...good, chosen: good.nodes.length }, 'x')).toThrow(/chosen/);
  });
});

describe('Graphviz DOT and Mermaid exports', () => {
  it('DOT: one node per tree node, one edge per child, the committed path bold, verified leaves doubled', () => {
    for (const t of trees) {
      const dot = treeToDot(t);
      const { nodes, edges } = dotParts(dot);
      expect(nodes).toHaveLength(t.nodes.length);
      expect(edges).toHaveLength(t.nodes.length - 1);
      for (const [from, to] of edges) expect(t.nodes[Number(to.slice(1))].parent).toBe(Number(from.slice(1)));
      const path = committedPath(t);
      expect(edges.filter(([, , attrs]) => attrs.includes('penwidth'))).toHaveLength(Math.max(0, path.length - 1));
      expect((dot.match(/peripheries=2/g) ?? []).length).toBe(verifiedLeaves(t).length);
      expect(dot.trim().startsWith('digraph')).toBe(true);
      expect(dot.trim().endsWith('}')).toBe(true);
    }
  });

  it('labels survive quotes, backslashes, newlines and markup', () => {
    const t = structuredClone(trees[0]);
    t.nodes[1].text = 'say "hi" \\ then\nnext <b>[x]</b> {y} (z) | `q` &amp;';
    const dot = treeToDot(t, { maxLabel: 200 });
    const line = dot.split('\n').find((l) => l.startsWith('  n1 ['))!;
    expect(line).toContain('say \\"hi\\" \\\\ then next <b>[x]</b>');
    // Every quote inside the label is escaped: the label string closes exactly once.
    const label = /label="((?:[^"\\]|\\.)*)"/.exec(line)!;
    expect(label[1]).toContain('next');
    const mer = treeToMermaid(t, { maxLabel: 200 });
    const mline = mer.split('\n').find((l) => l.startsWith('  n1['))!;
    expect(mline).toMatch(/^ {2}n1\["[^"]*"\]$/);
    const inner = mline.slice('  n1["'.length, -'"]'.length).replace(/<br\/>/g, '');
    expect(inner).not.toMatch(/[<>{}()|`[\]"]/);
    expect(mline).toContain('#quot;hi#quot;');
    expect(mline).toContain('#lt;b#gt;');
  });

  it('a cut keeps the committed path and says how much was left out', () => {
    const t = trees.reduce((a, b) => (b.nodes.length > a.nodes.length ? b : a));
    const path = committedPath(t);
    const max = Math.max(path.length, 5);
    const dot = treeToDot(t, { maxNodes: max });
    const { nodes, edges } = dotParts(dot);
    expect(nodes.length).toBeLessThanOrEqual(max);
    for (const id of path) expect(nodes).toContain(`n${id}`);
    const hidden = [...dot.matchAll(/label="\+(\d+) more"/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(hidden).toBeGreaterThan(0);
    // Every edge stays inside the drawn nodes (or goes to a "+k more" box).
    for (const [from, to] of edges) {
      expect(nodes).toContain(from);
      if (to.startsWith('n')) expect(nodes).toContain(to);
    }
    const shallow = dotParts(treeToDot(t, { maxDepth: 1 }));
    expect(shallow.nodes).toHaveLength(1 + t.nodes[0].children.length);
    const mer = treeToMermaid(t, { maxNodes: 3 });
    expect(mer.split('\n').filter((l) => /^ {2}n\d+\["/.test(l)).length).toBeLessThanOrEqual(Math.max(3, path.length));
  });

  it('Mermaid: a flowchart with one box per node and the committed path as thick links', () => {
    const t = trees[0];
    const mer = treeToMermaid(t);
    expect(mer.startsWith('flowchart TD\n')).toBe(true);
    expect(mer.split('\n').filter((l) => /^ {2}n\d+\["/.test(l))).toHaveLength(t.nodes.length);
    expect((mer.match(/==>/g) ?? []).length).toBe(Math.max(0, committedPath(t).length - 1));
  });
});

describe('mcts-gen view', () => {
  it('writes one HTML file for a run directory, and DOT or Mermaid for one problem', async () => {
    const io = captureIO();
    expect(await main(['view', runDir], io)).toBe(0);
    expect(io.err()).toMatch(/wrote .*view\.html: 4 problems, 4 trees/);
    const html = readFileSync(join(runDir, 'view.html'), 'utf8');
    for (const t of trees) expect(html).toContain(t.problemId);

    const io2 = captureIO();
    expect(await main(['view', runDir, '--format', 'dot'], io2)).toBe(2);
    expect(io2.err()).toMatch(/holds 4 trees.*--problem/);

    const io3 = captureIO();
    expect(await main(['view', runDir, '--format', 'dot', '--problem', trees[1].problemId], io3)).toBe(0);
    expect(dotParts(io3.out()).nodes).toHaveLength(trees[1].nodes.length);

    const treeFile = join(runDir, 'trees', `${trees[2].problemId}.json`);
    const io4 = captureIO();
    const mmd = join(tmp(), 't.mmd');
    expect(await main(['view', treeFile, '--format', 'mermaid', '--out', mmd], io4)).toBe(0);
    expect(readFileSync(mmd, 'utf8').startsWith('flowchart TD')).toBe(true);

    const io5 = captureIO();
    expect(await main(['view', treeFile], io5)).toBe(0);
    expect(io5.err()).toContain(join(runDir, 'trees', `${trees[2].problemId}.html`));

    const io6 = captureIO();
    expect(await main(['view', runDir, '--format', 'svg'], io6)).toBe(2);
    expect(io6.err()).toMatch(/--format must be html, dot or mermaid/);
  });
});
