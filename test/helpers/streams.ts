// In-memory streams for running the CLI in-process.
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/cli.js';

export interface CapturedIO extends CliIO {
  out(): string;
  err(): string;
}

/** Captured stdout/stderr; `stdinText`, when given, is what the command reads from stdin. */
export function captureIO(cwd = process.cwd(), stdinText?: string): CapturedIO {
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdin, stdout, stderr, cwd, out: () => out, err: () => err };
}
