#!/usr/bin/env node
/**
 * @module cli/index
 * The `siplb` bin entry: runs the CLI and exits with its code (see ./exit-codes.ts). Commander's
 * own usage errors exit 64 (EX_USAGE); --help and --version exit 0.
 */
import { runCli } from './program.js';

process.exit(await runCli(process.argv.slice(2)));
