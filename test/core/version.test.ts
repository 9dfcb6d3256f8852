import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/index.js';
import { repoRoot } from '../helpers/shared-data.js';

describe('version', () => {
  it('records carry the version in package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });
});
