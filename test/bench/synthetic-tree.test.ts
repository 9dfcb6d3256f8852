import { describe, expect, it } from 'vitest';
import { syntheticTree } from '../../bench/synthetic-tree.js';
import { SCHEMA } from '../../src/data/records.js';
import { committedPath, parseTreeRecord, verifiedLeaves } from '../../src/explore/tree-data.js';

describe('syntheticTree', () => {
  it('has exactly the requested node count and passes the tree-file checks', () => {
    for (const [count, seed] of [[2, 0], [3, 7], [50, 3], [1000, 4]] as const) {
      const tree = syntheticTree(count, seed);
      expect(tree.nodes.length).toBe(count);
      expect(() => parseTreeRecord({ schema: SCHEMA.tree, ...tree }, `synthetic ${count}/${seed}`)).not.toThrow();
    }
  });

  it('is shaped like a search: branching 1–30, depth at most 25, pass and fail terminals, a committed terminal', () => {
    const tree = syntheticTree(10_000, 1);
    const branching = tree.nodes.filter((n) => n.children.length > 0).map((n) => n.children.length);
    expect(Math.max(...branching)).toBeLessThanOrEqual(30);
    expect(Math.max(...branching)).toBeGreaterThan(15);
    const depth = Math.max(...tree.nodes.map((n) => n.depth));
    expect(depth).toBeLessThanOrEqual(25);
    expect(depth).toBeGreaterThan(15);
    const verdicts = new Set(tree.nodes.filter((n) => n.terminal).map((n) => n.verdict?.kind));
    expect(verdicts).toEqual(new Set(['pass', 'fail']));
    expect(verifiedLeaves(tree).length).toBeGreaterThan(0);
    const path = committedPath(tree);
    expect(path[0]).toBe(0);
    expect(tree.nodes[tree.chosen].terminal).toBe(true);
    for (const n of tree.nodes.slice(1, 200)) expect(n.text).toMatch(/^-?\d+ [-+*] \d+ = -?\d+(\nThe answer is -?\d+)?$/);
  });

  it('gives the same tree for the same seed and another for another seed', () => {
    expect(syntheticTree(500, 9)).toEqual(syntheticTree(500, 9));
    expect(syntheticTree(500, 9)).not.toEqual(syntheticTree(500, 10));
  });

  it('refuses fewer than two nodes', () => {
    expect(() => syntheticTree(1, 0)).toThrow('nodeCount must be an integer >= 2, got 1');
  });
});
