import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LEDGER_FILE,
  RUN_FILES,
  generateArithProblems,
  pairRecordSchema,
  readLedger,
  runToDirectory,
  stepRecordSchema,
  traceRecordSchema,
  treeRecordSchema,
  type ConfigInput,
} from '../../src/index.js';

const config: ConfigInput = { seed: 1, budget: { simulations: 24 }, policy: { kind: 'scripted' }, reward: { kind: 'scripted' }, outputs: { trees: true }, verifiers: { math: { kind: 'exact-answer' } } };
const problems = generateArithProblems({ count: 12, seed: 2 });

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mcg-run-'));
}

function lines(dir: string, file: string): string[] {
  const p = join(dir, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : [];
}

function recordSet(dir: string): Record<string, string[]> {
  return Object.fromEntries(['traces.jsonl', 'pairs.jsonl', 'steps.jsonl', 'errors.jsonl'].map((f) => [f, lines(dir, f).sort()]));
}

describe('run directory', () => {
  it('writes every file; records round-trip through their schemas; summary counts match the files', async () => {
    const dir = tmp();
    const { summary } = await runToDirectory({ outDir: dir, input: { problems }, config });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'errors.jsonl', 'ledger.jsonl', 'pairs.jsonl', 'rejected.jsonl', 'steps.jsonl', 'summary.json', 'traces.jsonl', 'trees']);
    for (const [file, schema] of [
      ['traces.jsonl', traceRecordSchema],
      ['pairs.jsonl', pairRecordSchema],
      ['steps.jsonl', stepRecordSchema],
    ] as const) {
      const ls = lines(dir, file);
      expect(ls.length).toBeGreaterThan(0);
      for (const l of ls) expect(JSON.stringify(schema.parse(JSON.parse(l)))).toBe(l);
    }
    const trees = readdirSync(join(dir, 'trees'));
    expect(trees).toHaveLength(12);
    treeRecordSchema.parse(JSON.parse(readFileSync(join(dir, 'trees', trees[0]), 'utf8')));
    expect(summary.records).toEqual({ traces: lines(dir, 'traces.jsonl').length, pairs: lines(dir, 'pairs.jsonl').length, steps: lines(dir, 'steps.jsonl').length, trees: 12 });
    expect(summary.problems.committed).toBe(12);
    expect(summary.filters.traces.kept).toBe(summary.records.traces);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
    // TRL shapes: SFT prompt + completion, conversational messages, DPO and stepwise fields.
    const trace = JSON.parse(lines(dir, 'traces.jsonl')[0]);
    expect(trace.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    const step = JSON.parse(lines(dir, 'steps.jsonl')[0]);
    expect(step.completions.length).toBe(step.labels.length);
  });

  it('same seed twice: byte-identical files', async () => {
    const a = tmp();
    const b = tmp();
    await runToDirectory({ outDir: a, input: { problems }, config });
    await runToDirectory({ outDir: b, input: { problems }, config });
    for (const f of [...RUN_FILES, LEDGER_FILE, 'summary.json', 'config.json']) expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));
  });

  it('refuses to write over an earlier run unless told to resume or overwrite', async () => {
    const dir = tmp();
    await runToDirectory({ outDir: dir, input: { problems: problems.slice(0, 2) }, config });
    await expect(runToDirectory({ outDir: dir, input: { problems }, config })).rejects.toThrow(/already holds a run: pass --resume/);
    const { summary } = await runToDirectory({ outDir: dir, input: { problems: problems.slice(0, 3) }, config, overwrite: true });
    expect(summary.problems.committed).toBe(3);
  });

  it('resume after a crash (torn lines, an uncommitted problem) gives the records of an uninterrupted run', async () => {
    const whole = tmp();
    await runToDirectory({ outDir: whole, input: { problems }, config });

    const crashed = tmp();
    await runToDirectory({ outDir: crashed, input: { problems: problems.slice(0, 5) }, config });
    // Simulate dying mid-commit of a sixth problem: some of its records written, a torn line, a torn ledger line.
    appendFileSync(join(crashed, 'traces.jsonl'), '{"schema":"mcts-gen.trace/1","id":"x"}\n{"schema":"mcts-');
    appendFileSync(join(crashed, 'pairs.jsonl'), '{"partial":');
    appendFileSync(join(crashed, LEDGER_FILE), '{"problemId":"arith-2-5","ok":tr');
    const resumed = await runToDirectory({ outDir: crashed, input: { problems }, config, resume: true });
    expect(resumed.progress.skipped).toBe(5);
    expect(resumed.progress.done).toBe(7);
    expect(recordSet(crashed)).toEqual(recordSet(whole));
    expect(readLedger(join(crashed, LEDGER_FILE)).entries.map((e) => e.problemId)).toEqual(problems.map((p) => p.id));
    // The summary of the resumed run equals the uninterrupted one.
    expect(readFileSync(join(crashed, 'summary.json'), 'utf8')).toBe(readFileSync(join(whole, 'summary.json'), 'utf8'));
  });

  it('resume with different settings is refused', async () => {
    const dir = tmp();
    await runToDirectory({ outDir: dir, input: { problems: problems.slice(0, 2) }, config });
    await expect(runToDirectory({ outDir: dir, input: { problems }, config: { ...config, seed: 2 }, resume: true })).rejects.toThrow(/config hash/);
  });

  it('a problem whose search fails is retried, then written to errors.jsonl; the run goes on', async () => {
    const dir = tmp();
    const bad = { id: 'no-worked', prompt: 'What is 1+1?', domain: 'math', reference: { answer: '2' } };
    const { summary } = await runToDirectory({ outDir: dir, input: { problems: [problems[0], bad, problems[1]] }, config, maxAttempts: 3 });
    const errors = lines(dir, 'errors.jsonl').map((l) => JSON.parse(l));
    expect(errors).toEqual([{ schema: 'mcts-gen.error/1', problemId: 'no-worked', code: 'PLUGIN_FAILED', message: expect.stringContaining('worked solution'), attempts: 3 }]);
    expect(summary.problems).toMatchObject({ committed: 3, searched: 2, errors: 1 });
  });

  it('bad input lines are skipped into rejected.jsonl with --on-bad-input skip', async () => {
    const dir = tmp();
    const input = join(tmp(), 'in.jsonl');
    const good = problems.slice(0, 2).map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: p.reference?.answer, meta: p.meta }));
    writeFileSync(input, `${good[0]}\nnot json\n${good[1]}\n`);
    const { summary } = await runToDirectory({ outDir: dir, input: { file: input }, config: { ...config, onBadInput: 'skip' } });
    expect(summary.problems.committed).toBe(2);
    expect(summary.problems.rejectedInputs).toBe(1);
    expect(JSON.parse(lines(dir, 'rejected.jsonl')[0])).toMatchObject({ file: input, line: 2, text: 'not json' });
  });
});
