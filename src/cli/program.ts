/**
 * @module cli/program
 * The `siplb` command line (commander). `buildProgram()` returns the Command with exitOverride so
 * tests can run it and read its output; cli/index.ts is the bin entry that exits.
 *
 * Exit codes: 0 ok; 1 runtime failure; 2 invalid configuration; 3 admin API unreachable;
 * 4 the admin API refused the request; 64 usage error.
 */
import { Command, Option } from 'commander';
import { runCheckConfig } from './commands/check-config.js';
import { runStart } from '../main.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Where a finished command leaves its exit code. */
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
};

export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('siplb')
    .description('High-availability SIP load balancer and health checker')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('start')
    .description('run a siplb node with a config file')
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--listen <host:port>', 'SIP listen address (overrides sip.listen)')
    .option('--admin <host:port>', 'admin API address (overrides admin.listen)')
    .option('--redis <url>', 'Redis URL for leader election (overrides ha.redis)')
    .option('--node-id <id>', 'node id (overrides node.id)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']))
    .action(async (o: { config: string; listen?: string; admin?: string; redis?: string; nodeId?: string; logLevel?: string }) => {
      const code = await runStart({
        config: o.config,
        listen: o.listen,
        adminListen: o.admin,
        redis: o.redis,
        nodeId: o.nodeId,
        logLevel: o.logLevel,
      });
      io.setExitCode(code);
    });

  program
    .command('check-config')
    .description('validate a config file: every problem with its key path, reason and fix')
    .argument('<file>', 'config file')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      io.setExitCode(await runCheckConfig(file, { json: o.json === true }, io));
    });

  return program;
}
