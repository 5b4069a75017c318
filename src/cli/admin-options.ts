/**
 * @module cli/admin-options
 * The options every admin-API command shares: --admin, --token, --json. They may be given before
 * the command (`siplb --admin h:p status`) or after it (`siplb status --admin h:p`); the one
 * nearest the command wins, then the environment (SIPLB_ADMIN, SIPLB_TOKEN), then the default.
 * Positional options keep `start --admin` and `check-config --json` meaning what they always did.
 */
import type { Command } from 'commander';
import { parseHostPort, type HostPortArg } from './address.js';

export const DEFAULT_ADMIN = '127.0.0.1:8060';

export interface AdminSettings {
  readonly address: HostPortArg;
  readonly token: string | undefined;
  readonly json: boolean;
}

export function addAdminOptions(cmd: Command): Command {
  return cmd
    .option('--admin <host:port>', `admin API address (env SIPLB_ADMIN; default ${DEFAULT_ADMIN})`)
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
): { ok: true; settings: AdminSettings } | { ok: false; message: string } {
  const text = (nearest(cmd, 'admin') as string | undefined) ?? env.SIPLB_ADMIN ?? DEFAULT_ADMIN;
  const address = parseHostPort(text);
  if (address === undefined) return { ok: false, message: `invalid admin address '${text}': use host:port, e.g. ${DEFAULT_ADMIN} or [::1]:8060` };
  const token = (nearest(cmd, 'token') as string | undefined) ?? env.SIPLB_TOKEN;
  return { ok: true, settings: { address, token: token === '' ? undefined : token, json: nearest(cmd, 'json') === true } };
}
