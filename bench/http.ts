// bench:http — throughput of the `openai` policy's HTTP client against the loopback fake server
// answering every request after 50 ms: /v1/completions requests per second with 1, 8, 32 and 128
// requests in flight, against the ideal (in flight / 50 ms), and against a bare node:http loop on the
// same connections (no limiter, retries or validation) to show what the machine itself allows. The
// server runs in a child process so it does not share the client's event loop. About 5 s per row
// (each variant: the best of two alternating rounds of 1.25 s).
// Run: npm run bench:http   (tsx bench/http.ts)

import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openaiPolicy, openaiPolicyOptions } from '../policies/openai-http/index.js';
import { Rng, emptyUsage, generateArithProblems, type Policy } from '../src/index.js';

const LATENCY_MS = 50;
const IN_FLIGHT = [1, 8, 32, 128];
/** Each variant is measured ROUNDS times per row, alternating, for ROUND_MS each; the best round counts. */
const ROUND_MS = 1250;
const ROUNDS = 2;
const WARMUP_MS = 500;
const WIDTH = 4;

const here = dirname(fileURLToPath(import.meta.url));

/** Starts the fake server in a child process; resolves with its base URL. */
function startServer(): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'test', 'policies', 'openai-http', 'fake-server-main.ts'), '--latency', String(LATENCY_MS), '--problems', '1'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fake server did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening (http:\/\/\S+)/);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, baseUrl: `${m[1]}/v1` });
      }
    });
    child.once('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
}

/** Runs `inFlight` loops of propose() for `ms`; returns completed requests and elapsed ms. */
async function drive(policy: Policy, inFlight: number, ms: number, label: string): Promise<{ done: number; elapsedMs: number; cpuUs: number }> {
  const [problem] = generateArithProblems({ count: 1, seed: 0 });
  const signal = new AbortController().signal;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + ms;
  let done = 0;
  const loops = Array.from({ length: inFlight }, async (_, k) => {
    for (let i = 0; performance.now() < deadline; i++) {
      await policy.propose({ problem, steps: [] }, WIDTH, { signal, rng: Rng.fromSeed(`${label}/${k}/${i}`), usage: emptyUsage() });
      done++;
    }
  });
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpu0);
  return { done, elapsedMs: performance.now() - t0, cpuUs: cpu.user + cpu.system };
}

/** The same requests with a bare keep-alive node:http loop: JSON in, JSON.parse out, nothing else. */
async function driveRaw(baseUrl: string, inFlight: number, ms: number): Promise<{ done: number; elapsedMs: number; cpuUs: number }> {
  const [problem] = generateArithProblems({ count: 1, seed: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const url = new URL(`${baseUrl}/completions`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + ms;
  let done = 0;
  const once = (seed: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ model: 'bench', prompt: `${problem.prompt}\n\n`, n: WIDTH, max_tokens: 256, temperature: 0.7, top_p: 1, stop: ['\n\n'], seed, logprobs: 1 }));
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: inFlight }, async (_, k) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await once(k * 1_000_000 + i);
        done++;
      }
    }),
  );
  agent.destroy();
  const cpu = process.cpuUsage(cpu0);
  return { done, elapsedMs: performance.now() - t0, cpuUs: cpu.user + cpu.system };
}

async function main(): Promise<void> {
  const { child, baseUrl } = await startServer();
  try {
    // The limiter must not be the bottleneck: allow every row's requests in flight at once.
    const options = openaiPolicyOptions.parse({ baseUrl, model: 'bench', maxConcurrency: 256, timeoutMs: 30_000 });
    const policy = await openaiPolicy.create(options, { baseDir: '.' });
    await drive(policy, 8, WARMUP_MS, 'warmup');
    const rows: string[][] = [];
    for (const inFlight of IN_FLIGHT) {
      const ideal = inFlight / (LATENCY_MS / 1000);
      // Alternate the two and keep each one's best round: on a shared machine a load spike in one
      // round should not decide the comparison.
      type Round = { done: number; elapsedMs: number; cpuUs: number };
      const rate = (r: Round): number => (r.done / r.elapsedMs) * 1000;
      let client: Round | undefined;
      let raw: Round | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const c = await drive(policy, inFlight, ROUND_MS, `row${inFlight}/${round}`);
        if (client === undefined || rate(c) > rate(client)) client = c;
        const r = await driveRaw(baseUrl, inFlight, ROUND_MS);
        if (raw === undefined || rate(r) > rate(raw)) raw = r;
      }
      client = client!;
      raw = raw!;
      const perSec = rate(client);
      const rawPerSec = rate(raw);
      rows.push([
        String(inFlight),
        ideal.toFixed(1),
        perSec.toFixed(1),
        (perSec / ideal).toFixed(3),
        (client.cpuUs / client.done).toFixed(0),
        rawPerSec.toFixed(1),
        (rawPerSec / ideal).toFixed(3),
        (raw.cpuUs / raw.done).toFixed(0),
      ]);
    }
    const header = ['in flight', 'ideal/s', 'client/s', 'client/ideal', 'client cpu us/req', 'bare http/s', 'bare/ideal', 'bare cpu us/req'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
    console.log(`bench:http — /v1/completions (n=${WIDTH}) against a loopback server answering after ${LATENCY_MS} ms; best of ${ROUNDS} rounds of ${ROUND_MS / 1000} s each`);
    console.log('client = the openai policy (limiter, retries, zod validation, usage); bare http = node:http + JSON.parse on the same server; cpu = this process only');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
