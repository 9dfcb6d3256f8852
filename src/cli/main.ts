#!/usr/bin/env node
// The mcts-gen binary: runs the CLI with this process's arguments and streams, then sets the exit code.
import { main } from './cli.js';

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  handleSignals: true,
});
process.exitCode = code;
