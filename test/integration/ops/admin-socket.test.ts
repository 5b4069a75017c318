/**
 * Admin API hardening with a real running node (`node dist/cli/index.js start`): state changes
 * over loopback TCP need the bearer token; over the unix socket admin.socket they need none
 * (its file mode, admin.socketMode, decides who may connect); a node with neither refuses them;
 * and the CLI `siplb backends drain gw1` works through the socket.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminErrorBody, BackendView } from '../../../src/api/control.js';
import { freePorts } from '../../helpers/ports.js';
import { CLI, startSiplb, type SiplbProcess } from '../../helpers/siplb.js';
import { waitFor } from '../../helpers/wait.js';

const run = promisify(execFile);
const TOKEN = '5e0c2b9a7d3f41e68b2c9d0a1f3e5b7c';
const JSON_TYPE = { 'content-type': 'application/json' };

let lb: SiplbProcess | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await lb?.stop();
  lb = undefined;
});

async function node(admin: Record<string, unknown>): Promise<{ base: string; sock: string }> {
  const [sipPort, adminPort, deadPort] = await freePorts(3);
  const sock = path.join(mkdtempSync(path.join(tmpdir(), 'siplb-sock-')), 'admin.sock');
  lb = await startSiplb({
    sip: { listen: `127.0.0.1:${sipPort}` },
    backends: [{ id: 'gw1', address: `127.0.0.1:${deadPort}` }],
    health: { enabled: false },
    admin: { listen: `127.0.0.1:${adminPort}`, ...admin, ...(admin.socket === true ? { socket: sock } : {}) },
  });
  // startSiplb is ready when SIP answers; the admin listeners (TCP, then the socket) come up
  // just after it: wait for them rather than race them on a busy machine.
  const base = `http://127.0.0.1:${adminPort}`;
  await waitFor('the admin API to answer', async () => (await fetch(`${base}/healthz`).then((r) => r.ok).catch(() => false)), 10_000, 50);
  if (admin.socket === true) await waitFor('the admin socket', () => existsSync(sock), 10_000, 50);
  return { base, sock };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}, dispatcher?: Agent): Promise<{ status: number; body: unknown }> {
  const r = await request(url, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body), ...(dispatcher ? { dispatcher } : {}) });
  return { status: r.statusCode, body: await r.body.json() };
}

describe('admin API authorisation on a running node', () => {
  it('with a token and a socket: POST over TCP without the token → 401, with it → 200; over the socket → 200; the socket has the configured mode', async () => {
    const { base, sock } = await node({ token: TOKEN, socket: true, socketMode: '0640' });
    expect(statSync(sock).isSocket()).toBe(true);
    expect((statSync(sock).mode & 0o777).toString(8)).toBe('640');

    const no = await post(`${base}/backends/gw1/state`, { state: 'disabled' });
    expect(no.status).toBe(401);
    expect((no.body as AdminErrorBody).error.code).toBe('SIPLB_ERR_ADMIN_AUTH');
    const yes = await post(`${base}/backends/gw1/state`, { state: 'disabled' }, { authorization: `Bearer ${TOKEN}` });
    expect(yes.status).toBe(200);
    expect((yes.body as BackendView).admin).toBe('disabled');

    const viaSocket = new Agent({ connect: { socketPath: sock } });
    agents.push(viaSocket);
    const s = await post('http://localhost/backends/gw1/state', { state: 'enabled' }, {}, viaSocket);
    expect(s.status).toBe(200);
    expect((s.body as BackendView).admin).toBe('enabled');
    // The token never reaches the log.
    expect(lb!.logs()).not.toContain(TOKEN);
  });

  it('without token or socket: reads are open on loopback, every POST over TCP is refused (403) and start warns', async () => {
    const { base } = await node({});
    const r = await request(`${base}/backends`);
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    for (const [p, body] of [['/backends/gw1/state', { state: 'disabled' }], ['/reload', {}]] as const) {
      const res = await post(`${base}${p}`, body);
      expect(res.status, p).toBe(403);
      expect((res.body as AdminErrorBody).error.code).toBe('SIPLB_ERR_ADMIN_AUTH');
      expect((res.body as AdminErrorBody).error.message).toContain('admin.socket');
    }
    expect(lb!.logs()).toContain('neither admin.token nor admin.socket');
  });

  it('the CLI `siplb backends drain gw1` works through the socket (default mode 0660), and over TCP without a token it is refused with exit 4', async () => {
    const { base, sock } = await node({ socket: true });
    expect((statSync(sock).mode & 0o777).toString(8)).toBe('660');
    const env = { ...process.env, SIPLB_ADMIN: '', SIPLB_TOKEN: '' };
    const drained = await run(process.execPath, [CLI, 'backends', 'drain', 'gw1', '--socket', sock], { env });
    expect(drained.stdout).toContain('gw1');
    const list = await run(process.execPath, [CLI, 'backends', '--json', '--socket', sock], { env });
    expect((JSON.parse(list.stdout) as BackendView[])[0]!.admin).toBe('draining');

    const refused = await run(process.execPath, [CLI, 'backends', 'enable', 'gw1', '--admin', base.slice(7)], { env }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in refused ? refused.code : 0).toBe(4);
    expect('stderr' in refused ? refused.stderr : '').toContain('admin.socket');
    await lb!.stop();
    // The socket file goes with the node.
    expect(() => statSync(sock)).toThrow();
  });
});
