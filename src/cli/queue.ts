// `mcts-gen worker`: joins the queued runs on a Redis, searching their jobs on this box's cores until
// stopped. SIGINT/SIGTERM: take no new job and finish those in flight; a second: put them back.

import { parseArgs } from 'node:util';
import { defaultWorkerCount } from '../pool/pool.js';
import type { QueueWorkerEvent } from '../queue/worker.js';
import { EXIT, fail, nonNegativeInt, positiveInt, say, usageError, type CliIO } from './cli.js';
import { fmtDuration } from './progress.js';

export const WORKER_HELP = `Usage: mcts-gen worker --queue redis://HOST:PORT[/DB] [options]

Takes search jobs from the queue that 'mcts-gen run --queue' fills, runs each on this machine's worker
threads with the run's config (carried with the job and checked by its hash), and returns the problem's
records to the coordinator, which alone writes the run directory. Start as many as you like, on any
boxes that reach the Redis; they may join and leave at any time. A worker that dies loses nothing: its
jobs return to the queue once their lock expires (--lock-duration) and another worker takes them.

Options:
  --queue URL            Redis holding the queue (redis://host:6379, redis://:password@host:6379/2,
                         rediss:// for TLS)
  --queue-name NAME      queue to serve (default mcts-gen; the coordinator's --queue-name)
  --workers N            worker threads (default: available cores, here ${defaultWorkerCount()})
  --concurrency-per-worker K
                         searches at once per thread, for backends that wait on the network (default 1)
  --base-dir DIR         directory for the run's relative plugin paths (default: the coordinator's)
  --lock-duration MS     a job held by a silent worker returns to the queue after about twice this
                         (default 30000)
  --status-every S       print a status line every S seconds (default 30; 0: never)
  --log-json             one JSON line per event on stderr instead of text
  -h, --help             this help

Ctrl-C / SIGTERM: finish the jobs in flight, then exit (a second: put them back in the queue and exit).
`;

function describeEvent(e: QueueWorkerEvent): string | undefined {
  switch (e.event) {
    case 'ready':
      return `mcts-gen worker ${e.worker}: ${e.threads} search${e.threads === 1 ? '' : 'es'} at once, serving ${e.queue}`;
    case 'refused':
      return `mcts-gen worker: error: refusing the jobs of run ${e.runId}: ${e.reason}`;
    case 'returned':
      return `mcts-gen worker: put job ${e.jobId} back in the queue`;
    case 'error':
      return `mcts-gen worker: error${e.jobId === undefined ? '' : ` (job ${e.jobId})`}: ${e.message}`;
    case 'redis':
      return e.connected ? 'mcts-gen worker: Redis is back' : `mcts-gen worker: lost Redis${e.message ? ` (${e.message})` : ''}; reconnecting`;
    case 'done':
      return undefined;
  }
}

export async function workerCommand(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
        workers: { type: 'string' },
        'concurrency-per-worker': { type: 'string' },
        'base-dir': { type: 'string' },
        'lock-duration': { type: 'string' },
        'status-every': { type: 'string' },
        'log-json': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError(io, (err as Error).message, WORKER_HELP);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(WORKER_HELP);
    return EXIT.OK;
  }
  if (v.queue === undefined) return usageError(io, 'worker needs --queue redis://HOST:PORT', WORKER_HELP);
  const logJson = v['log-json'] === true;
  let handle: Awaited<ReturnType<typeof import('../queue/worker.js').startQueueWorker>> | undefined;
  let signals = 0;
  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) requestStop();
    if (handle === undefined) return;
    if (signals === 1) {
      say(io, logJson ? JSON.stringify({ event: 'stopping', signal: sig }) : `mcts-gen worker: ${sig}: finishing ${handle.counts.active} job${handle.counts.active === 1 ? '' : 's'} in flight, then exiting (again to put them back)`);
    } else {
      say(io, logJson ? JSON.stringify({ event: 'abandoning', signal: sig }) : `mcts-gen worker: ${sig} again: putting the jobs in flight back in the queue`);
      handle.abandon();
    }
  };
  if (io.handleSignals === true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const workers = positiveInt('--workers', v.workers, defaultWorkerCount());
    const lockDurationMs = positiveInt('--lock-duration', v['lock-duration'], 30_000);
    const statusEvery = v['status-every'] === undefined ? 30 : nonNegativeInt('--status-every', v['status-every']);
    const started = performance.now();
    let generatedTokens = 0;
    const { startQueueWorker } = await import('../queue/worker.js');
    handle = await startQueueWorker({
      url: v.queue,
      name: v['queue-name'],
      workers,
      concurrentPerWorker: positiveInt('--concurrency-per-worker', v['concurrency-per-worker'], 1),
      baseDir: v['base-dir'],
      lockDurationMs,
      onEvent: (e) => {
        if (e.event === 'done') generatedTokens += e.generatedTokens;
        if (logJson) say(io, JSON.stringify(e));
        else {
          const line = describeEvent(e);
          if (line !== undefined) say(io, line);
        }
      },
    });
    if (statusEvery > 0 && !logJson) {
      const h = handle;
      timer = setInterval(() => {
        const secs = (performance.now() - started) / 1000;
        say(io, `mcts-gen worker: ${h.counts.done} jobs done (${(h.counts.done / secs).toFixed(2)}/s, ${Math.round(generatedTokens / secs)} tok/s), ${h.counts.active} active, ${h.counts.failed} errors, ${h.counts.refused} refused, up ${fmtDuration(secs * 1000)}`);
      }, statusEvery * 1000);
      timer.unref();
    }
    // Runs until a signal asks it to stop; close() then lets the jobs in flight finish (or abandon() returns them).
    await stopRequested;
    await handle.close();
    const c = handle.counts;
    say(io, logJson ? JSON.stringify({ event: 'end', ...c }) : `mcts-gen worker: stopped after ${c.done} jobs (${c.failed} errors, ${c.refused} refused, ${c.returned} put back)`);
    return EXIT.OK;
  } catch (err) {
    return fail(io, err);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
