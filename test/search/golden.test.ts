// A seeded scripted MCTS run compared with a stored tree. Regenerate after an intended change with
// UPDATE_GOLDEN=1 npx vitest run test/search/golden.test.ts, and review the diff of the JSON.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FLAG, generateArithProblems, search } from '../../src/index.js';

const fixture = new URL('../fixtures/golden-tree-mcts.json', import.meta.url);

describe('golden tree', () => {
  it('a seeded scripted MCTS run reproduces the stored tree exactly', async () => {
    const [problem] = generateArithProblems({ count: 1, seed: 3 });
    const config = { seed: 42, search: { width: 3 }, budget: { simulations: 24 }, policy: { kind: 'scripted' }, reward: { kind: 'scripted' }, verifiers: { math: { kind: 'exact-answer' } } };
    const r = await search(problem, { config });
    const actual = { problem: problem.prompt, answer: problem.reference?.answer, chosen: r.chosen, nodes: r.tree.toJSON() };
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(fixture)) writeFileSync(fixture, `${JSON.stringify(actual, null, 1)}\n`);
    const expected = JSON.parse(readFileSync(fixture, 'utf8'));
    expect(actual).toEqual(expected);

    // Checks on the stored tree that do not depend on the code that wrote it: the problem text as the
    // generator defines it, and arithmetic a person can redo.
    expect(expected.problem).toBe(problem.prompt);
    for (const node of expected.nodes as { text: string; verdict?: { kind: string }; terminal: boolean; children: number[] }[]) {
      // A finished solution passes exactly when it states the generator's answer.
      if (node.terminal) expect(node.verdict?.kind).toBe(node.text === `The answer is ${expected.answer}` ? 'pass' : 'fail');
      else expect(node.verdict).toBeUndefined();
      // Every arithmetic step of the scripted policy has the form "a op b = r".
      if (!node.terminal && node.text !== '') expect(node.text).toMatch(/^-?[\d.]+ [-+*/] -?[\d.]+ = -?[\d.]+$/);
    }
    expect(r.tree.has(r.chosen, FLAG.TERMINAL)).toBe(true);
  });
});
