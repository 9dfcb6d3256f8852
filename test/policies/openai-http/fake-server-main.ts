// Runs the fake OpenAI server as its own process (for bench/http.ts): prints "listening <url>" on
// stdout, serves the first `--problems N` built-in arithmetic problems with `--latency MS`, and exits
// on SIGTERM/SIGINT, when its parent's stdin pipe closes, or after `--max-seconds` (default 600).

import { parseArgs } from 'node:util';
import { generateArithProblems } from '../../../src/index.js';
import { FakeOpenAIServer } from './fake-server.js';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '0' },
    problems: { type: 'string', default: '1' },
    'max-seconds': { type: 'string', default: '600' },
  },
});

const server = await FakeOpenAIServer.start({ latencyMs: Number(values.latency) });
server.registerProblems(generateArithProblems({ count: Number(values.problems), seed: 0 }));
// The bench sends thousands of requests: keep the log from growing without bound.
setInterval(() => server.requests.splice(0, server.requests.length), 1000).unref();

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
setTimeout(() => void stop(), Number(values['max-seconds']) * 1000).unref();
// The parent holds our stdin open; when it exits (even killed), the pipe ends and so do we.
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();
process.stdout.write(`listening ${server.url}\n`);
