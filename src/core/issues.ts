// Turns zod issues into one-line messages that name the key path, the allowed values and what was
// given: "search.width must be an integer in [1, 64], got 0".

import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** Formats `issues` as `path message` lines joined by "; ". `prefix` is prepended to each path. */
export function formatIssues(issues: readonly Issue[], prefix = '', schema?: z.ZodType): string {
  return issues.map((issue) => formatIssue(issue, prefix, schema)).join('; ');
}

function formatIssue(issue: Issue, prefix: string, schema: z.ZodType | undefined): string {
  const path = joinPath(prefix, issue.path);
  const where = path === '' ? 'value' : path;
  const got = 'input' in issue ? `, got ${describe(issue.input)}` : '';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = schema === undefined ? [] : knownKeysAt(schema, issue.path);
      return issue.keys
        .map((key) => {
          const full = path === '' ? key : `${path}.${key}`;
          const near = nearest(key, known);
          const hint = near === undefined ? '' : `; did you mean "${near}"?`;
          const list = known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
          return `${full} is not a known key${hint}${list}`;
        })
        .join('; ');
    }
    case 'invalid_value':
      if (issue.message.startsWith('must ')) return `${where} ${issue.message}${got}`;
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'invalid_type':
      if (issue.message.startsWith('must ')) return `${where} ${issue.message}${got}`;
      if (issue.input === undefined) return `${where} is required (${article(issue.expected)})`;
      return `${where} must be ${article(issue.expected)}${got}`;
    case 'invalid_union': {
      if (issue.message.startsWith('must ')) return `${where} ${issue.message}${got}`;
      const first = issue.errors.find((e) => e.length > 0);
      if (first !== undefined) return formatIssues(first, prefix, schema);
      return `${where} is not valid${got}`;
    }
    default:
      if (issue.message.startsWith('must ')) return `${where} ${issue.message}${got}`;
      return `${where}: ${issue.message}${got}`;
  }
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** Short description of a bad value for error messages (never huge). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Keys of the object schema found at `path` inside `schema` (empty when there is none). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  let i = 0;
  while (node !== undefined) {
    const def = defOf(node);
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        node = def.innerType;
        continue;
      case 'pipe':
        node = def.in;
        continue;
      case 'object': {
        const shape = (node as unknown as { shape: Record<string, z.ZodType> }).shape;
        if (i === path.length) return Object.keys(shape);
        node = shape[String(path[i++])];
        continue;
      }
      case 'array':
        if (i === path.length) return [];
        i++;
        node = def.element;
        continue;
      case 'record':
        if (i === path.length) return [];
        i++;
        node = def.valueType;
        continue;
      case 'union': {
        // Objects in a union: offer the keys of all of them.
        const keys = new Set<string>();
        for (const option of def.options ?? []) for (const k of knownKeysAt(option, path.slice(i))) keys.add(k);
        return [...keys];
      }
      default:
        return [];
    }
  }
  return [];
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions), O(len(a) * len(b)). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}
