/**
 * @module cli/admin-options
 * The options every admin-API command shares: --admin, --socket, --token, --json. They may be
 * given before the command (`siplb --admin h:p status`) or after it (`siplb status --admin h:p`);
 * the one nearest the command wins, then the environment (SIPLB_ADMIN, SIPLB_SOCKET, SIPLB_TOKEN),
 * then the default. Positional options keep `start --admin` and `check-config --json` meaning what
 * they always did.
 *
 * Which way to the node: --socket/SIPLB_SOCKET when given; else TCP when --admin/SIPLB_ADMIN is
 * given; else the unix socket DEFAULT_SOCKET when it exists (state changes need no token there:
 * its file mode authorises, admin/authorize.ts); else TCP to DEFAULT_ADMIN with the token.
 */
import type { Command } from 'commander';
import { parseHostPort, type HostPortArg } from './address.js';

export const DEFAULT_ADMIN = '127.0.0.1:8060';
/** Where deploy/systemd/siplb.service and deploy/siplb.example.yaml put admin.socket. */
export const DEFAULT_SOCKET = '/run/siplb/admin.sock';

export interface AdminSettings {
  readonly address: HostPortArg;
  /** Unix socket to use instead of TCP. */
  readonly socket: string | undefined;
  readonly token: string | undefined;
  readonly json: boolean;
}

export function addAdminOptions(cmd: Command): Command {
  return cmd
    .option('--admin <host:port>', `admin API address over TCP (env SIPLB_ADMIN; default ${DEFAULT_ADMIN} when ${DEFAULT_SOCKET} does not exist)`)
    .option('--socket <path>', `admin API unix socket (env SIPLB_SOCKET; default ${DEFAULT_SOCKET} when it exists and --admin is not given)`)
    .option('--token <token>', 'admin API bearer token (env SIPLB_TOKEN)')
    .option('--json', 'print JSON for scripts instead of a table');
}

/** The first value of `key` found on cmd or its ancestors, nearest first. */
function nearest(cmd: Command, key: string): unknown {
  for (let c: Command | null = cmd; c !== null; c = c.parent) {
    const v = c.getOptionValue(key) as unknown;
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Resolves the settings, or a usage message when --admin / SIPLB_ADMIN is malformed. */
export function resolveAdminSettings(
  cmd: Command,
  env: Readonly<Record<string, string | undefined>>,
  socketExists: (path: string) => boolean = () => false,
): { ok: true; settings: AdminSettings } | { ok: false; message: string } {
  const given = (nearest(cmd, 'admin') as string | undefined) ?? (env.SIPLB_ADMIN === '' ? undefined : env.SIPLB_ADMIN);
  const text = given ?? DEFAULT_ADMIN;
  const address = parseHostPort(text);
  if (address === undefined) return { ok: false, message: `invalid admin address '${text}': use host:port, e.g. ${DEFAULT_ADMIN} or [::1]:8060` };
  const token = (nearest(cmd, 'token') as string | undefined) ?? env.SIPLB_TOKEN;
  const explicitSocket = (nearest(cmd, 'socket') as string | undefined) ?? (env.SIPLB_SOCKET === '' ? undefined : env.SIPLB_SOCKET);
  const socket = explicitSocket ?? (given === undefined && socketExists(DEFAULT_SOCKET) ? DEFAULT_SOCKET : undefined);
  return { ok: true, settings: { address, socket, token: token === '' ? undefined : token, json: nearest(cmd, 'json') === true } };
}
