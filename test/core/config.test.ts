import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { McgError, applyOverrides, createDefaultRegistry, loadConfig, parseConfig } from '../../src/index.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(McgError);
    expect((err as McgError).code).toBe('CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('config', () => {
  it('defaults fill every field', () => {
    const c = parseConfig({});
    expect(c.algorithm).toBe('mcts');
    expect(c.search.cInit).toBe(1.25);
    expect(c.search.cBase).toBe(19652);
    expect(c.search.uctC).toBeCloseTo(Math.SQRT2, 12);
    expect(c.budget.simulations).toBe(10_000);
    expect(c.budget.generatedTokens).toBe(600);
    expect(c.search.width).toBe(2);
    expect(c.search.widening).toEqual({ k: 1, alpha: 0.5, width: 1, closeAfter: 2, minNewMass: 0.01, maxChildren: 64 });
    expect(c.search.pruneFalseSteps).toBe(true);
    expect(c.filters.verifiedSteps).toBe(true);
    expect(c.policy.kind).toBe('embedded');
    expect(c.reward?.kind).toBe('embedded-prm');
  });

  it('an out-of-range value names its path and range', () => {
    expect(message(() => parseConfig({ search: { width: 0 } }))).toBe('search.width must be an integer in [1, 64], got 0');
    expect(message(() => parseConfig({ search: { lambda: 1.5 } }))).toBe('search.lambda must be a number in [0, 1], got 1.5');
    expect(message(() => parseConfig({ search: { width: 2.5 } }))).toBe('search.width must be an integer in [1, 64], got 2.5');
    expect(message(() => parseConfig({ search: { width: '8' } }))).toBe('search.width must be an integer in [1, 64], got "8"');
    expect(message(() => parseConfig({ algorithm: 'mtcs' }))).toBe(
      'algorithm must be one of "mcts", "best-of-n", "self-consistency", "beam", "greedy", got "mtcs"',
    );
    expect(message(() => parseConfig({ budget: { generatedTokens: -1 } }))).toBe('budget.generatedTokens must be an integer in [0, 2^53] or null, got -1');
  });

  it('a typo fails with a suggestion and the known keys', () => {
    const m = message(() => parseConfig({ search: { widht: 8 } }));
    expect(m).toContain('search.widht is not a known key; did you mean "width"?');
    expect(m).toContain('known keys: width,');
    expect(message(() => parseConfig({ serach: {} }))).toContain('serach is not a known key; did you mean "search"?');
  });

  it('several problems are reported together', () => {
    const m = message(() => parseConfig({ search: { width: 0, backup: 'median' } }));
    expect(m).toContain('search.width must be');
    expect(m).toContain('search.backup must be one of "mean", "max", got "median"');
  });

  it('--set overrides parse JSON values and create objects', () => {
    const raw = applyOverrides({ search: { width: 2 } }, ['search.width=8', 'algorithm=beam', 'policy.options.errorRate=0.1', 'reward=null']);
    expect(raw).toEqual({ search: { width: 8 }, algorithm: 'beam', policy: { options: { errorRate: 0.1 } }, reward: null });
    const c = parseConfig(applyOverrides({}, ['search.dirichlet.fraction=0.25']));
    expect(c.search.dirichlet).toEqual({ alpha: 0.3, fraction: 0.25 });
    expect(message(() => applyOverrides({}, ['width']))).toContain('must have the form path=value');
    expect(message(() => applyOverrides({}, ['__proto__.x=1']))).toContain('not a valid key path');
    expect(message(() => applyOverrides({ search: 3 }, ['search.width=1']))).toContain('search is not an object');
  });

  it('a config file: syntax errors name file:line:column, value errors the file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcg-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "search": {\n    "width": 4,\n  }\n}\n');
    expect(message(() => loadConfig(bad))).toMatch(/bad\.json:4:3: invalid JSON/);
    const wrong = join(dir, 'run.json');
    writeFileSync(wrong, JSON.stringify({ budget: { simulations: 0 } }));
    expect(message(() => loadConfig(wrong))).toBe(`${wrong}: budget.simulations must be an integer in [1, 10000000], got 0`);
    expect(message(() => loadConfig(join(dir, 'missing.json')))).toContain('cannot read config (ENOENT)');
    writeFileSync(wrong, '[1, 2]');
    expect(message(() => loadConfig(wrong))).toContain('a config must be a JSON object');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ search: { width: 3 } }));
    expect(loadConfig(good, ['search.width=5']).config.search.width).toBe(5);
  });

  it('plugin option errors name the option path; unknown kinds list the known ones', async () => {
    const registry = createDefaultRegistry();
    const env = { baseDir: '.' };
    await expect(registry.create('policy', { kind: 'scripted', options: { errorRate: 2 } }, env)).rejects.toThrow(
      'policy.options.errorRate must be a number in [0, 1], got 2',
    );
    await expect(registry.create('policy', { kind: 'scripted', options: { errRate: 0.1 } }, env)).rejects.toThrow(
      'policy.options.errRate is not a known key; did you mean "errorRate"?',
    );
    await expect(registry.create('policy', { kind: 'gpt' }, env)).rejects.toMatchObject({
      code: 'PLUGIN_UNAVAILABLE',
      message: 'policy.kind "gpt" is not a known policy kind (known: embedded, onnx, openai, scripted)',
    });
  });
});
