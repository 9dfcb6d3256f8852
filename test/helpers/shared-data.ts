// Locates the public evaluation data in ../shared/data (beside the repository). Tests that need it
// skip with a printed reason when it is absent; nothing is ever copied into the repository.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDataDir = resolve(repoRoot, '..', 'shared', 'data');

/** Absolute path of a file in ../shared/data. */
export function sharedDataPath(file: string): string {
  return join(sharedDataDir, file);
}

/** True when the file exists; otherwise prints why the caller will skip. */
export function hasSharedData(file: string): boolean {
  const ok = existsSync(sharedDataPath(file));
  if (!ok) console.warn(`skipping: ${sharedDataPath(file)} is absent (public data is read from ../shared/data)`);
  return ok;
}

/** Parsed JSONL rows of a shared data file. */
export function readSharedJsonl<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(sharedDataPath(file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
