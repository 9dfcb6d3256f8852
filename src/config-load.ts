// Reading a run configuration from a JSON file plus `--set path=value` overrides. Errors name the
// file, the line and column of a JSON syntax error, or the key path of a bad value.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { applyOverrides, parseConfig, type Config } from './core/config.js';
import { McgError } from './core/errors.js';

export interface LoadedConfig {
  config: Config;
  /** Directory that relative paths in plugin options resolve against. */
  baseDir: string;
  /** The file it came from, if any. */
  source: string | undefined;
}

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Parses JSON text; a syntax error becomes CONFIG_INVALID naming `source:line:column`. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const m = message.match(/position (\d+)/);
    let where = source;
    if (m !== null) {
      const { line, column } = lineColumn(text, Number(m[1]));
      where = `${source}:${line}:${column}`;
    } else if (text.trim() === '') {
      where = `${source}:1:1`;
    }
    throw new McgError('CONFIG_INVALID', `${where}: invalid JSON (${message})`, { cause: err });
  }
}

/**
 * Loads a config: the JSON file at `path` (optional), then `overrides` ("search.width=8"), then
 * validation against the schema. With no file, the defaults apply.
 */
export function loadConfig(path?: string, overrides: readonly string[] = []): LoadedConfig {
  let raw: unknown = {};
  let source: string | undefined;
  let baseDir = process.cwd();
  if (path !== undefined) {
    source = resolve(path);
    baseDir = dirname(source);
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new McgError('CONFIG_INVALID', `${path}: cannot read config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
    raw = parseJsonText(text, path);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new McgError('CONFIG_INVALID', `${path}: a config must be a JSON object`);
    }
  }
  const withOverrides = applyOverrides(raw as Record<string, unknown>, overrides);
  const label = path === undefined ? (overrides.length > 0 ? '--set' : undefined) : overrides.length > 0 ? `${path} (with --set)` : path;
  return { config: parseConfig(withOverrides, label), baseDir, source };
}
