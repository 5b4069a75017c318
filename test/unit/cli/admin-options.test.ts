/**
 * Which way the CLI reaches the node (cli/admin-options.ts): --socket / SIPLB_SOCKET, else TCP
 * when --admin / SIPLB_ADMIN is given, else the default unix socket when it exists, else TCP to
 * 127.0.0.1:8060. The socket needs no token (its file mode authorises state changes).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addAdminOptions, DEFAULT_SOCKET, resolveAdminSettings } from '../../../src/cli/admin-options.js';

function settings(args: string[], env: Record<string, string> = {}, exists = false) {
  const cmd = addAdminOptions(new Command('status').exitOverride()).action(() => undefined);
  cmd.parse(args, { from: 'user' });
  const r = resolveAdminSettings(cmd, env, (p) => exists && p === DEFAULT_SOCKET);
  if (!r.ok) throw new Error(r.message);
  return r.settings;
}

describe('admin settings: socket or TCP', () => {
  it('uses the default socket when it exists and no address is given', () => {
    expect(settings([], {}, true).socket).toBe('/run/siplb/admin.sock');
    expect(settings([], {}, false).socket).toBeUndefined();
  });

  it('an explicit --admin or SIPLB_ADMIN means TCP, even when the default socket exists', () => {
    expect(settings(['--admin', '127.0.0.1:9060'], {}, true)).toMatchObject({ socket: undefined, address: { host: '127.0.0.1', port: 9060 } });
    expect(settings([], { SIPLB_ADMIN: '127.0.0.1:9061' }, true).socket).toBeUndefined();
    // An empty variable counts as unset.
    expect(settings([], { SIPLB_ADMIN: '' }, true).socket).toBe(DEFAULT_SOCKET);
  });

  it('--socket and SIPLB_SOCKET name a socket whether or not the default exists; the option wins', () => {
    expect(settings(['--socket', '/tmp/x.sock']).socket).toBe('/tmp/x.sock');
    expect(settings([], { SIPLB_SOCKET: '/tmp/env.sock' }).socket).toBe('/tmp/env.sock');
    expect(settings(['--socket', '/tmp/opt.sock'], { SIPLB_SOCKET: '/tmp/env.sock' }).socket).toBe('/tmp/opt.sock');
  });
});
