// Where a queued run lives: the Redis URL (checked before anything connects), the queue's name, the
// ioredis clients BullMQ is given, and the keys this package keeps beside BullMQ's own.

import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { McgError } from '../core/errors.js';
import type { QueueTarget } from './target.js';

export interface ClientOptions {
  /** Shown by CLIENT LIST (BullMQ counts workers by their connection names). */
  connectionName?: string;
}

/**
 * A client that waits through a Redis restart instead of failing: commands queue while it is away
 * (`maxRetriesPerRequest: null`, as BullMQ requires for workers) and it reconnects every 0.2-2 s.
 */
export function redisClient(target: QueueTarget, options: ClientOptions = {}): Redis {
  const client = new Redis(target.url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    connectionName: options.connectionName,
    lazyConnect: false,
  });
  // Connection errors are reported by the owners' watchdogs (see RedisWatch); without a listener
  // ioredis would print each reconnect attempt's error.
  client.on('error', () => undefined);
  return client;
}

/** Tracks whether a client is connected, and for how long it has not been. */
export class RedisWatch {
  private downSince: number | undefined;
  private lastError = '';

  constructor(client: Redis) {
    client.on('ready', () => {
      this.downSince = undefined;
    });
    client.on('close', () => {
      this.downSince ??= Date.now();
    });
    client.on('error', (err: Error) => {
      this.lastError = err.message;
      this.downSince ??= Date.now();
    });
    if (client.status !== 'ready') this.downSince = Date.now();
  }

  /** Milliseconds since the connection was lost (0 while connected). */
  downForMs(): number {
    return this.downSince === undefined ? 0 : Date.now() - this.downSince;
  }

  get error(): string {
    return this.lastError;
  }
}

/** This process as workers and coordinators name themselves: host:pid. */
export function processLabel(): string {
  return `${hostname()}:${process.pid}`;
}

/** Keys this package keeps beside BullMQ's (`bull:<queue>:...`). */
export function runKeys(queueName: string, runId: string): { lock: string; refusals: string } {
  const base = `mcts-gen:${queueName}:run:${runId}`;
  return { lock: `${base}:coordinator`, refusals: `${base}:refusals` };
}

/**
 * The eviction policy, when the server tells it. Anything but `noeviction` lets Redis drop queued
 * jobs under memory pressure. Managed services may forbid CONFIG: then `undefined`.
 */
export async function evictionPolicy(client: Redis): Promise<string | undefined> {
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    return reply[1];
  } catch {
    return undefined;
  }
}

/** Resolves once the client is connected, or rejects with QUEUE_FAILED naming the URL after `timeoutMs`. */
export async function waitForRedis(client: Redis, target: QueueTarget, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError = '';
    const onError = (err: Error): void => {
      lastError = err.message;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new McgError('QUEUE_FAILED', `cannot reach Redis at ${target.display} within ${Math.round(timeoutMs / 1000)} s${lastError === '' ? '' : ` (${lastError})`}`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
