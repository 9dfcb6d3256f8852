// The `--queue` target, checked before anything connects (no Redis client is loaded here).

import { McgError } from '../core/errors.js';

/** A checked `--queue` target. */
export interface QueueTarget {
  /** The URL as given (passed to ioredis). */
  url: string;
  /** The URL without its password, for messages and logs. */
  display: string;
  /** BullMQ queue name; every worker of a run must use the same (default `mcts-gen`). */
  name: string;
}

export const DEFAULT_QUEUE_NAME = 'mcts-gen';

/** Parses `redis://[user:password@]HOST:PORT[/DB]` (or `rediss://` for TLS) and a queue name. */
export function parseQueueTarget(url: string, name: string = DEFAULT_QUEUE_NAME): QueueTarget {
  const bad = (why: string): McgError => new McgError('CONFIG_INVALID', `--queue must be redis://HOST:PORT[/DB] (or rediss:// for TLS): ${why}, got ${JSON.stringify(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`the scheme must be redis: or rediss:, not ${u.protocol}`);
  if (u.hostname === '') throw bad('the host is missing');
  if (u.port !== '' && !(Number(u.port) >= 1 && Number(u.port) <= 65535)) throw bad('the port must be in [1, 65535]');
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw bad('the database must be a number (redis://host:6379/2)');
  if (u.search !== '' || u.hash !== '') throw bad('query strings and fragments are not supported');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new McgError('CONFIG_INVALID', `--queue-name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`);
  }
  const shown = new URL(url);
  if (shown.password !== '') shown.password = '***';
  return { url, display: shown.toString(), name };
}
