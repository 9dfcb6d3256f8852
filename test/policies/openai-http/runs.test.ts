// Whole runs (runToDirectory) against the fake server: every problem is accounted for (records or an
// errors.jsonl line) with no duplicates and bounded retries, through random faults, with the PRM over
// HTTP, and against a server that always fails; the API key never reaches files, errors or stderr.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/cli.js';
import { runToDirectory, type Problem } from '../../../src/index.js';
import { captureIO } from '../../helpers/streams.js';
import { FakeOpenAIServer, type Fault, type FakeServerOptions } from './fake-server.js';
import { FAST, arithProblems, httpRegistry } from './helpers.js';

const servers: FakeOpenAIServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startServer(problems: Problem[], options: FakeServerOptions = {}): Promise<FakeOpenAIServer> {
  const s = await FakeOpenAIServer.start({ seed: 12, wrongStepRate: 0.25, ...options });
  s.registerProblems(problems);
  servers.push(s);
  return s;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mcg-http-run-'));
  dirs.push(d);
  return join(d, 'out');
}

function readJsonl(dir: string, file: string): any[] {
  const path = join(dir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Every problem committed exactly once; failures are exactly the errors.jsonl lines. */
function expectAllAccountedFor(outDir: string, problems: Problem[]): { ledger: any[]; errors: any[]; traces: any[] } {
  const ledger = readJsonl(outDir, 'ledger.jsonl');
  const ids = ledger.map((e) => e.problemId);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(problems.map((p) => p.id).sort());
  const errors = readJsonl(outDir, 'errors.jsonl');
  expect(errors.map((e) => e.problemId).sort()).toEqual(ledger.filter((e) => !e.ok).map((e) => e.problemId).sort());
  const traces = readJsonl(outDir, 'traces.jsonl');
  const known = new Set(problems.map((p) => p.id));
  for (const t of traces) expect(known.has(t.problemId)).toBe(true);
  const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
  expect(summary.problems.committed).toBe(problems.length);
  return { ledger, errors, traces };
}

/** Every file under `dir`, recursively, as text. */
function allFiles(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push({ path: p, text: readFileSync(p, 'utf8') });
  }
  return out;
}

/** Captures everything written to stderr / stdout and the console while `fn` runs. */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  let text = '';
  const origErr = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const origConsole = methods.map((m) => console[m]);
  const grab = (chunk: unknown): boolean => {
    text += String(chunk);
    return true;
  };
  process.stderr.write = grab as typeof process.stderr.write;
  process.stdout.write = grab as typeof process.stdout.write;
  for (const m of methods) console[m] = (...args: unknown[]) => void grab(`${args.map(String).join(' ')}\n`);
  try {
    const result = await fn();
    return { result, text };
  } finally {
    process.stderr.write = origErr;
    process.stdout.write = origOut;
    methods.forEach((m, i) => (console[m] = origConsole[i]));
  }
}

const FAULTS: Fault[] = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfter: '0' },
  { kind: 'truncated' },
  { kind: 'bad-json' },
  { kind: 'non-json' },
  { kind: 'wrong-shape' },
  { kind: 'wrong-n' },
  { kind: 'reset' },
  { kind: 'hang' },
];

/** Policy options for a fake server; the timeout only has to end injected hangs, not normal answers on a busy machine. */
function policyOptions(server: FakeOpenAIServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { baseUrl: server.baseUrl, model: 'fake-7b', ...FAST, timeoutMs: 1000, maxRetries: 6, ...extra };
}

afterEach(() => {
  delete process.env.MCG_RUN_TEST_KEY;
});

describe('runs against the fake server', () => {
  it('a run through a 20% fault rate accounts for every problem once and loses none', async () => {
    const problems = arithProblems(10, 51);
    const server = await startServer(problems, { faultRate: 0.2, faultKinds: FAULTS });
    const outDir = tempDir();
    const { summary } = await runToDirectory({
      outDir,
      input: { problems },
      config: {
        search: { width: 3 },
        budget: { simulations: 10 },
        policy: { kind: 'openai', options: policyOptions(server) },
        reward: null,
        verifiers: { math: { kind: 'exact-answer' } },
      },
      registry: httpRegistry(),
    });
    const { ledger, errors, traces } = expectAllAccountedFor(outDir, problems);
    expect(errors).toEqual([]);
    expect(ledger.every((e) => e.ok && e.attempts === 1)).toBe(true);
    expect(traces.length).toBeGreaterThan(0);
    // Bounded retries: every request is either a policy call the search counted or a fault retried once.
    const faulted = server.requests.filter((r) => r.fault !== undefined).length;
    expect(faulted).toBeGreaterThan(0);
    expect(server.requests.length).toBe(summary.usage.policyCalls + faulted);
    expect(summary.usage.generatedTokens).toBeGreaterThan(0);
    expect(summary.usage.modelMs).toBeGreaterThan(0);
  });

  it('records do not depend on faults: the same run with and without faults writes the same traces', async () => {
    const problems = arithProblems(4, 52);
    const clean = await startServer(problems);
    const faulty = await startServer(problems, { faultRate: 0.3, faultKinds: FAULTS.filter((f) => f.kind !== 'hang') });
    const strip = (rows: any[]) => rows.map(({ provenance: _p, ...rest }) => rest);
    const run = async (server: FakeOpenAIServer) => {
      const outDir = tempDir();
      await runToDirectory({
        outDir,
        input: { problems },
        config: { search: { width: 3 }, budget: { simulations: 8 }, policy: { kind: 'openai', options: policyOptions(server) }, reward: null, verifiers: { math: { kind: 'exact-answer' } } },
        registry: httpRegistry(),
      });
      return { traces: strip(readJsonl(outDir, 'traces.jsonl')), pairs: strip(readJsonl(outDir, 'pairs.jsonl')) };
    };
    const a = await run(clean);
    const b = await run(faulty);
    expect(faulty.requests.some((r) => r.fault !== undefined)).toBe(true);
    expect(b).toEqual(a);
  });

  it('the chat endpoint with the PRM over /pooling: every problem accounted for, reward calls counted', async () => {
    const problems = arithProblems(6, 53);
    const server = await startServer(problems, { faultRate: 0.1, faultKinds: FAULTS.filter((f) => f.kind !== 'hang') });
    const outDir = tempDir();
    const { summary } = await runToDirectory({
      outDir,
      input: { problems },
      config: {
        search: { width: 2 },
        budget: { simulations: 8 },
        policy: { kind: 'openai', options: policyOptions(server, { endpoint: 'chat' }) },
        reward: { kind: 'openai-reward', options: { baseUrl: server.url, model: 'fake-prm', ...FAST, maxRetries: 6 } },
        verifiers: { math: { kind: 'exact-answer' } },
      },
      registry: httpRegistry(),
    });
    const { errors, traces } = expectAllAccountedFor(outDir, problems);
    expect(errors).toEqual([]);
    expect(traces.length).toBeGreaterThan(0);
    expect(summary.usage.rewardCalls).toBeGreaterThan(0);
    expect(server.requestsTo('/pooling').length).toBeGreaterThan(0);
    expect(server.requestsTo('/v1/chat/completions').length).toBeGreaterThan(0);
    expect(readJsonl(outDir, 'traces.jsonl')[0].provenance).toMatchObject({ policy: 'openai:chat(fake-7b)', reward: 'openai-reward:pooling(fake-prm)' });
  });

  it('a server that always fails: one errors.jsonl line with BACKEND_HTTP per problem, after a bounded number of requests', async () => {
    const problems = arithProblems(5, 54);
    const server = await startServer(problems, { faultRate: 1, faultKinds: [{ kind: 'status', status: 503, body: 'overloaded' }] });
    const outDir = tempDir();
    const maxRetries = 2;
    const maxAttempts = 2;
    await runToDirectory({
      outDir,
      input: { problems },
      config: { search: { width: 2 }, budget: { simulations: 4 }, policy: { kind: 'openai', options: policyOptions(server, { maxRetries }) }, reward: null, verifiers: { math: { kind: 'exact-answer' } } },
      registry: httpRegistry(),
      maxAttempts,
    });
    const { ledger, errors } = expectAllAccountedFor(outDir, problems);
    expect(ledger.every((e) => !e.ok)).toBe(true);
    expect(errors).toHaveLength(problems.length);
    for (const e of errors) {
      expect(e.code).toBe('BACKEND_HTTP');
      expect(e.message).toContain('HTTP 503');
      expect(e.message).toContain('overloaded');
      expect(e.attempts).toBe(maxAttempts);
    }
    expect(server.requests.length).toBe(problems.length * maxAttempts * (maxRetries + 1));
  });
});

describe('the API key stays secret', () => {
  const KEY = 'sk-live-ZX81-very-secret-key-0123456789';

  it('never appears in the run directory, records, errors or anything printed', async () => {
    process.env.MCG_RUN_TEST_KEY = KEY;
    const problems = arithProblems(5, 55);
    // The server wants the key, and some of its 500s echo the Authorization header back.
    const server = await startServer(problems, { apiKey: KEY, faultRate: 0.2, faultKinds: [{ kind: 'status', status: 500, echoAuth: true }, { kind: 'truncated' }] });
    const outDir = tempDir();
    const { text } = await captureOutput(() =>
      runToDirectory({
        outDir,
        input: { problems },
        config: {
          budget: { simulations: 6 },
          policy: { kind: 'openai', options: policyOptions(server, { apiKeyEnv: 'MCG_RUN_TEST_KEY' }) },
          reward: { kind: 'openai-reward', options: { baseUrl: server.url, model: 'prm', apiKeyEnv: 'MCG_RUN_TEST_KEY', ...FAST } },
          verifiers: { math: { kind: 'exact-answer' } },
        },
        registry: httpRegistry(),
        onProgress: (p) => console.error(JSON.stringify(p)),
      }),
    );
    expectAllAccountedFor(outDir, problems);
    expect(server.requests.some((r) => r.fault === 'status')).toBe(true);
    // Every request carried the key, in the Authorization header only.
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.raw).not.toContain(KEY);
    }
    const files = allFiles(outDir);
    expect(files.map((f) => f.path).some((p) => p.endsWith('config.json'))).toBe(true);
    for (const f of files) expect(f.text, f.path).not.toContain(KEY);
    expect(files.find((f) => f.path.endsWith('config.json'))!.text).toContain('MCG_RUN_TEST_KEY');
    expect(text).not.toContain(KEY);
  });

  it('a server that echoes a rejected key (401) or the Authorization header (500): the errors are redacted', async () => {
    process.env.MCG_RUN_TEST_KEY = KEY;
    const problems = arithProblems(3, 56);
    const rejecting = await startServer(problems, { apiKey: 'sk-the-right-one' });
    const echoing = await startServer(problems, { faultRate: 1, faultKinds: [{ kind: 'status', status: 500, echoAuth: true }] });
    for (const server of [rejecting, echoing]) {
      const outDir = tempDir();
      const { text } = await captureOutput(() =>
        runToDirectory({
          outDir,
          input: { problems },
          config: { budget: { simulations: 4 }, policy: { kind: 'openai', options: policyOptions(server, { apiKeyEnv: 'MCG_RUN_TEST_KEY', maxRetries: 1 }) }, reward: null, verifiers: { math: { kind: 'exact-answer' } } },
          registry: httpRegistry(),
        }),
      );
      const { errors } = expectAllAccountedFor(outDir, problems);
      expect(errors).toHaveLength(problems.length);
      for (const e of errors) {
        expect(e.code).toBe('BACKEND_HTTP');
        expect(e.message).toContain('[redacted]');
        expect(e.message).not.toContain(KEY);
      }
      // The server did receive the key (so the echo really happened), yet nothing we wrote holds it.
      expect(server.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
      for (const f of allFiles(outDir)) expect(f.text, f.path).not.toContain(KEY);
      expect(text).not.toContain(KEY);
    }
    // 401 is not retried: one request per problem attempt.
    expect(rejecting.requests.length).toBe(problems.length * 2);
  });

  it('through the CLI (built-in kinds): nothing printed or written holds the key, also when the server rejects it', async () => {
    process.env.MCG_RUN_TEST_KEY = KEY;
    const problems = arithProblems(4, 58);
    const good = await startServer(problems, { apiKey: KEY, faultRate: 0.3, faultKinds: [{ kind: 'status', status: 500, echoAuth: true }] });
    const rejecting = await startServer(problems, { apiKey: 'sk-the-right-one' });
    const dir = mkdtempSync(join(tmpdir(), 'mcg-http-cli-'));
    dirs.push(dir);
    const problemsFile = join(dir, 'problems.jsonl');
    writeFileSync(problemsFile, problems.map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: p.reference!.answer })).join('\n') + '\n');
    for (const [name, server] of [['good', good], ['rejecting', rejecting]] as const) {
      const configFile = join(dir, `${name}.json`);
      writeFileSync(
        configFile,
        JSON.stringify({
          budget: { simulations: 4 },
          policy: { kind: 'openai', options: policyOptions(server, { apiKeyEnv: 'MCG_RUN_TEST_KEY' }) },
          reward: null,
          verifiers: { math: { kind: 'exact-answer' } },
        }),
      );
      const io = captureIO(dir);
      const outDir = join(dir, `out-${name}`);
      // JSON progress for one run, the human-readable summary for the other.
      const progress = name === 'good' ? ['--log-json'] : [];
      const code = await main(['run', '--config', configFile, '--problems', problemsFile, '--out', outDir, '--workers', '0', '--max-failures', '100%', ...progress], io);
      expect(code, io.err()).toBe(0);
      expect(io.err().length).toBeGreaterThan(0);
      expect(io.out() + io.err()).not.toContain(KEY);
      const { errors } = expectAllAccountedFor(outDir, problems);
      expect(errors.length).toBe(name === 'good' ? 0 : problems.length);
      for (const f of allFiles(outDir)) expect(f.text, f.path).not.toContain(KEY);
      expect(server.requests.length).toBeGreaterThan(0);
      for (const r of server.requests) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    }
  });

  it('an unset key variable is a config error naming the variable', async () => {
    const problems = arithProblems(1, 57);
    const server = await startServer(problems);
    const outDir = tempDir();
    await runToDirectory({
      outDir,
      input: { problems },
      config: { policy: { kind: 'openai', options: policyOptions(server, { apiKeyEnv: 'MCG_RUN_TEST_KEY_UNSET' }) }, reward: null, verifiers: { math: { kind: 'exact-answer' } } },
      registry: httpRegistry(),
    });
    const [error] = readJsonl(outDir, 'errors.jsonl');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('policy.options.apiKeyEnv names the environment variable MCG_RUN_TEST_KEY_UNSET, which is not set');
    expect(server.requests).toHaveLength(0);
  });
});
