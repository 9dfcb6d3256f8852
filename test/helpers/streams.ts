// In-memory streams for running the CLI in-process.
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/cli.js';

export interface CapturedIO extends CliIO {
  out(): string;
  err(): string;
}

export function captureIO(cwd = process.cwd()): CapturedIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdin: new PassThrough(), stdout, stderr, cwd, out: () => out, err: () => err };
}
