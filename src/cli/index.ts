#!/usr/bin/env node
/**
 * @module cli/index
 * The `siplb` bin entry: runs the program and exits with the code the command left. Commander's
 * own usage errors exit 64 (EX_USAGE); --help and --version exit 0.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
  process.exit(process.exitCode ?? 0);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 64);
  }
  process.stderr.write(`siplb: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
