/**
 * @module cli/program
 * The `siplb` command line (commander). `buildProgram()` returns the Command with exitOverride so
 * tests can run it and read its output; `runCli()` runs it and turns every outcome into an exit
 * code; cli/index.ts is the bin entry that exits with it.
 *
 * Commands: start, demo, check-config, status, backends [list], backends enable|disable|drain <id>,
 * reload, leader, probe <sip:host:port>. Admin commands take --socket (SIPLB_SOCKET, default
 * /run/siplb/admin.sock when it exists), --admin (SIPLB_ADMIN, default 127.0.0.1:8060),
 * --token (SIPLB_TOKEN) and --json.
 *
 * Exit codes (./exit-codes.ts): 0 ok; 1 runtime failure (probe: non-2xx final reply);
 * 2 invalid configuration (check-config, start, reload refused); 3 admin API unreachable;
 * 4 the admin API refused the request (4xx/5xx); 5 probe timeout; 64 usage error.
 */
import { existsSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Dispatcher } from 'undici';
import type { AdminStateName } from '../api/control.js';
import { parseDuration } from '../config/duration.js';
import { isSiplbError } from '../errors.js';
import { parseSipTarget } from './address.js';
import { AdminRefusedError, createAdminClient } from './admin-client.js';
import { addAdminOptions, resolveAdminSettings } from './admin-options.js';
import { runBackendsList, runSetState } from './commands/backends.js';
import { runCheckConfig } from './commands/check-config.js';
import type { AdminCommandContext } from './commands/context.js';
import { runLeader } from './commands/leader.js';
import { runProbe } from './commands/probe.js';
import { runReload } from './commands/reload.js';
import { runStatus } from './commands/status.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';

export type { CliIo };

export const processIo: CliIo = {
  tty: process.stdout.isTTY === true,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  setExitCode: (c) => {
    process.exitCode = c;
  },
};

export interface CliDeps {
  /** undici Dispatcher for admin API calls (a MockAgent in tests). @default undici's global dispatcher */
  readonly dispatcher?: Dispatcher;
  /** Where SIPLB_ADMIN, SIPLB_SOCKET and SIPLB_TOKEN are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether the default admin socket exists. @default fs.existsSync (false when a dispatcher is injected) */
  readonly socketExists?: (path: string) => boolean;
}

/** An admin client failure as an exit code, with its message on stderr; undefined for anything else. */
function adminFailureCode(err: unknown, io: CliIo): number | undefined {
  if (err instanceof AdminRefusedError) {
    io.err(`siplb: admin API refused (HTTP ${err.status} ${err.code}): ${err.message}\n`);
    return EXIT.REFUSED;
  }
  if (isSiplbError(err) && err.code === 'SIPLB_ERR_ADMIN_UNREACHABLE') {
    io.err(`siplb: ${err.message}\n`);
    return EXIT.UNREACHABLE;
  }
  return undefined;
}

/** `demo` times: "40s", "1m", "500ms", or a bare number of seconds. */
function parseDemoTime(v: string): number {
  const ms = /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : parseDuration(v);
  if (ms === undefined || ms < 0 || ms > 3_600_000) throw new InvalidArgumentError('use a time such as 40s, 1m or 500ms (a bare number is seconds), at most 1h');
  return ms;
}

function parseRate(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('use whole calls per second between 1 and 100');
  return n;
}

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 60_000) throw new InvalidArgumentError('use milliseconds between 1 and 60000');
  return n;
}

export function buildProgram(io: CliIo = processIo, deps: CliDeps = {}): Command {
  const env = deps.env ?? process.env;
  // Tests that inject a dispatcher talk to it, never to a socket that happens to exist on the host.
  const socketExists = deps.socketExists ?? (deps.dispatcher !== undefined ? () => false : existsSync);
  const program = new Command('siplb')
    .description('High-availability SIP load balancer and health checker')
    .version('0.1.0')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  addAdminOptions(program);

  /** Wraps an admin command: resolves the shared options, builds the client, maps failures to exit codes. */
  const adminAction =
    <A extends unknown[]>(run: (ctx: AdminCommandContext, ...args: A) => Promise<number>) =>
    async (...args: [...A, unknown, Command]): Promise<void> => {
      const cmd: Command = args[args.length - 1] as Command;
      const r = resolveAdminSettings(cmd, env, socketExists);
      if (!r.ok) cmd.error(`error: ${r.message}`, { exitCode: EXIT.USAGE, code: 'siplb.invalidAdmin' });
      const { address, socket, token, json } = r.settings;
      const client = createAdminClient({ address, socket, token, dispatcher: deps.dispatcher });
      try {
        io.setExitCode(await run({ client, io, json }, ...(args.slice(0, -2) as A)));
      } catch (err) {
        const code = adminFailureCode(err, io);
        if (code === undefined) throw err;
        io.setExitCode(code);
      }
    };

  program
    .command('start')
    .description('run a siplb node with a config file')
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--listen <[proto:]host:port>', 'SIP listener, e.g. tcp:0.0.0.0:5060 or wss:0.0.0.0:443; repeat for several (replaces sip.listen)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--tls-cert <file>', 'PEM certificate for tls: listeners (overrides sip.tls.cert)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (overrides sip.tls.key)')
    .option('--admin <host:port>', 'admin API address (overrides admin.listen)')
    .option('--redis <url>', 'Redis URL for leader election (overrides ha.redis)')
    .option('--node-id <id>', 'node id (overrides node.id)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']))
    .action(async (o: { config: string; listen?: string[]; tlsCert?: string; tlsKey?: string; admin?: string; redis?: string; nodeId?: string; logLevel?: string }) => {
      // Imported on use: the admin commands should not load (or depend on) the whole node.
      const { runStart } = await import('../main.js');
      const code = await runStart({
        config: o.config,
        listen: o.listen,
        tlsCert: o.tlsCert,
        tlsKey: o.tlsKey,
        adminListen: o.admin,
        redis: o.redis,
        nodeId: o.nodeId,
        logLevel: o.logLevel,
      });
      io.setExitCode(code);
    });

  program
    .command('demo')
    .description('try siplb on this machine, no sipp needed: three demo gateways, a light call load, one gateway down and back, a live table')
    .addOption(new Option('--duration <time>', 'how long the demo runs (e.g. 40s, 1m; a bare number is seconds)').argParser(parseDemoTime).default(40_000, '40s'))
    .addOption(new Option('--down-at <time>', 'when gateway gw2 is taken down').argParser(parseDemoTime).default(10_000, '10s'))
    .addOption(new Option('--up-at <time>', 'when gw2 comes back').argParser(parseDemoTime).default(20_000, '20s'))
    .addOption(new Option('--rate <calls/s>', 'new calls per second (1..100)').argParser(parseRate).default(10))
    .action(async (o: { duration: number; downAt: number; upAt: number; rate: number }, cmd: Command) => {
      if (!(o.downAt < o.upAt && o.upAt < o.duration)) {
        cmd.error('error: the demo needs --down-at < --up-at < --duration, e.g. --down-at 10s --up-at 20s --duration 40s', {
          exitCode: EXIT.USAGE,
          code: 'siplb.invalidDemoTimes',
        });
      }
      // Imported on use, like `start`: the demo runs a whole node.
      const { runDemoCommand } = await import('./commands/demo.js');
      io.setExitCode(await runDemoCommand({ durationMs: o.duration, downAtMs: o.downAt, upAtMs: o.upAt, rate: o.rate }, io));
    });

  program
    .command('check-config')
    .description('validate a config file: every problem with its key path, reason and fix')
    .argument('<file>', 'config file')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      io.setExitCode(await runCheckConfig(file, { json: o.json === true }, io));
    });

  addAdminOptions(program.command('status').description('show the node: role, uptime, backends, calls, drops'))
    .action(adminAction(runStatus));

  const backends = addAdminOptions(program.command('backends').description('list backends, or change their admin state'));
  addAdminOptions(backends.command('list', { isDefault: true }).description('list backends with health, admin state and calls'))
    .action(adminAction(runBackendsList));
  const states: readonly (readonly [string, AdminStateName, string])[] = [
    ['enable', 'enabled', 'let the backend take new calls again'],
    ['disable', 'disabled', 'take the backend out at once: no new calls, whatever its health'],
    ['drain', 'draining', 'no new calls; running calls continue until they end'],
  ];
  for (const [name, state, description] of states) {
    addAdminOptions(backends.command(name).description(description).argument('<id>', 'backend id'))
      .action(adminAction((ctx, id: string) => runSetState(ctx, id, state)));
  }

  addAdminOptions(program.command('reload').description('make the node re-read its config file (like SIGHUP)'))
    .action(adminAction(runReload));
  addAdminOptions(program.command('leader').description("show this node's HA role and fencing token"))
    .action(adminAction(runLeader));

  program
    .command('probe')
    .description('send one SIP OPTIONS over UDP, TCP or TLS and print code, reason and RTT (exit 0 on 2xx, 1 otherwise, 5 on timeout or unreachable)')
    .argument('<target>', 'sip:host:port[;transport=tcp|tls] or sips:host:port (port 5060, 5061 for TLS, when omitted)')
    .option('--timeout <ms>', 'how long to wait for a final reply', parseTimeout, 2000)
    .option('--ca <file>', 'TLS: PEM CA bundle to check the server certificate against (default: the system CAs)')
    .option('--json', 'print JSON for scripts')
    .action(async (target: string, o: { timeout: number; json?: boolean; ca?: string }, cmd: Command) => {
      const t = parseSipTarget(target);
      if (t === undefined) cmd.error(`error: invalid target '${target}': use sip:host:port[;transport=tcp|tls] or sips:host:port, e.g. sip:10.0.0.11:5060`, { exitCode: EXIT.USAGE, code: 'siplb.invalidTarget' });
      io.setExitCode(await runProbe(t, { timeoutMs: o.timeout, json: o.json === true, caFile: o.ca }, io));
    });

  return program;
}

/**
 * Runs the CLI on user arguments (no node/script prefix) and resolves with the exit code:
 * the command's own, 0 for --help/--version, 64 for usage errors, 1 for anything unexpected.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo, deps: CliDeps = {}): Promise<number> {
  let code: number = EXIT.OK;
  const tracked: CliIo = { out: io.out, err: io.err, setExitCode: (c) => (code = c), tty: io.tty };
  try {
    await buildProgram(tracked, deps).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    io.err(`siplb: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.RUNTIME;
  }
}
