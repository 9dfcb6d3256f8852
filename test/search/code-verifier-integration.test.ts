// A code problem searched end to end: the default `code` verifier runs the candidates' tests in the
// sandbox, and its partial credit is the terminal outcome.
import { describe, expect, it } from 'vitest';
import { problemFromRow, search, type Problem } from '../../src/index.js';
import { menuPolicy } from '../helpers/toy.js';

const row = {
  task_id: 'Toy/add',
  prompt: '/* add two numbers */\nconst add = (a, b) => {\n',
  test: 'const testAdd = () => {\n  console.assert(add(1, 2) === 3)\n  console.assert(add(0, 0) === 0)\n}\ntestAdd()\n',
};

describe('code problems in a search', () => {
  it('are verified in the sandbox; partial credit becomes the outcome', async () => {
    const parsed = problemFromRow(row);
    if (!parsed.ok) throw new Error(parsed.reason);
    const problem: Problem = parsed.problem;
    expect(problem.reference?.entryPoint).toBe('add');
    const right = '  return a + b\n}\n';
    const half = '  return a + b + (a === 0 ? 1 : 0)\n}\n';
    const wrong = '  return a - b\n}\n';
    const policy = menuPolicy({ '': [[right, 0.4, true], [half, 0.3, true], [wrong, 0.3, true]] });
    const r = await search(problem, { config: { search: { width: 3, lambda: 1 }, budget: { simulations: 6 } }, plugins: { policy, reward: null } });
    const byText = new Map(r.tree.children(0).map((c) => [r.tree.text[c], c]));
    expect(r.tree.verdicts.get(byText.get(right)!)).toMatchObject({ kind: 'pass', tests: { passed: 2, total: 2 } });
    expect(r.tree.verdicts.get(byText.get(half)!)).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 2 } });
    expect(r.tree.verdicts.get(byText.get(wrong)!)?.kind).toBe('fail');
    expect(r.tree.outcome[byText.get(right)!]).toBe(1);
    expect(r.tree.outcome[byText.get(half)!]).toBeCloseTo(0.5, 6);
    expect(r.solutions).toEqual([byText.get(right)]);
    expect(r.success).toBe(true);
  });

  it('a Python (MBPP-style) problem is verified in the Python sandbox, a fenced answer included', { timeout: 60_000 }, async () => {
    const parsed = problemFromRow({
      task_id: 'MBPP/toy',
      prompt: '\n\ndef add(a, b):\n    """Add two numbers."""\n',
      entry_point: 'add',
      test: '\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n\n',
      language: 'python',
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    const problem: Problem = parsed.problem;
    expect(problem.reference?.language).toBe('python');
    const right = '    return a + b\n';
    const fenced = 'Here it is:\n```python\ndef add(a, b):\n    return b + a\n```\n';
    const half = '    return a + b + (1 if a == 0 else 0)\n';
    const js = '  return a + b\n}\n';
    const policy = menuPolicy({ '': [[right, 0.3, true], [fenced, 0.3, true], [half, 0.2, true], [js, 0.2, true]] });
    const r = await search(problem, { config: { search: { width: 4, lambda: 1 }, budget: { simulations: 8 } }, plugins: { policy, reward: null } });
    const byText = new Map(r.tree.children(0).map((c) => [r.tree.text[c], c]));
    expect(r.tree.verdicts.get(byText.get(right)!)).toMatchObject({ kind: 'pass', tests: { passed: 2, total: 2 } });
    expect(r.tree.verdicts.get(byText.get(fenced)!)).toMatchObject({ kind: 'pass' });
    expect(r.tree.verdicts.get(byText.get(half)!)).toMatchObject({ kind: 'fail', reason: 'assertion', tests: { passed: 1, total: 2 } });
    // JavaScript is not Python: the brace-closed body does not even compile here.
    expect(r.tree.verdicts.get(byText.get(js)!)).toMatchObject({ kind: 'fail', reason: 'syntax_error' });
    expect(r.success).toBe(true);
  });
});
