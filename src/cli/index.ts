#!/usr/bin/env node
/**
 * @module cli/index
 * The `siplb` bin entry: refuses a Node.js older than siplb needs with one clear line (exit 1),
 * then runs the CLI and exits with its code (see ./exit-codes.ts). Commander's own usage errors
 * exit 64 (EX_USAGE); --help and --version exit 0.
 *
 * The CLI is imported only after the check: a static import would load every module (and its
 * dependencies, some of which need Node 22+) before the check could speak.
 */
import { nodeVersionProblem } from '../runtime/node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const { runCli } = await import('./program.js');
process.exit(await runCli(process.argv.slice(2)));
