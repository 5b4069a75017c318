/**
 * The admin API over a real socket on port 0: routing through node:http, the 64 KiB body cap
 * while streaming, and the refusal to bind off loopback without a token.
 */
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startAdminServer, type AdminServer } from '../../../src/admin/index.js';
import { SiplbError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { fakeControl } from '../../unit/admin/fake-control.js';

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(token?: string): Promise<{ base: string; server: AdminServer }> {
  const server = await startAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    token,
    control: fakeControl(),
    metrics: new Registry(),
    logger: silentLogger(),
  });
  servers.push(server);
  return { base: `http://127.0.0.1:${server.address.port}`, server };
}

describe('startAdminServer', () => {
  it('serves /healthz, /backends and POST /backends/:id/state over HTTP', async () => {
    const token = 'c2f1e0b7a9d84e6f8c1b2a3d4e5f6a7b';
    const { base, server } = await start(token);
    const auth = { authorization: `Bearer ${token}` };
    expect(server.address.port).toBeGreaterThan(0);
    const h = await request(`${base}/healthz`);
    expect(h.statusCode).toBe(200);
    expect(await h.body.json()).toEqual({ ok: true });
    const b = await request(`${base}/backends`, { headers: auth });
    expect(((await b.body.json()) as { id: string }[]).length).toBe(2);
    const s = await request(`${base}/backends/gw2/state`, { method: 'POST', body: '{"state":"disabled"}', headers: { 'content-type': 'application/json', ...auth } });
    expect(s.statusCode).toBe(200);
    expect(await s.body.json()).toMatchObject({ id: 'gw2', admin: 'disabled' });
  });

  it('enforces the token over HTTP', async () => {
    const token = 'c2f1e0b7a9d84e6f8c1b2a3d4e5f6a7b';
    const { base } = await start(token);
    const no = await request(`${base}/metrics`);
    expect(no.statusCode).toBe(401);
    await no.body.dump();
    const yes = await request(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(yes.statusCode).toBe(200);
    expect(yes.headers['content-type']).toMatch(/^text\/plain/);
    await yes.body.dump();
  });

  it('answers 413 to a body over 64 KiB, declared or streamed', async () => {
    const { base } = await start();
    const big = 'x'.repeat(70 * 1024);
    const declared = await request(`${base}/backends/gw1/state`, { method: 'POST', body: big });
    expect(declared.statusCode).toBe(413);
    expect(await declared.body.json()).toMatchObject({ error: { code: 'SIPLB_ERR_ADMIN_BAD_REQUEST' } });
    async function* chunks() {
      for (let i = 0; i < 70; i++) yield Buffer.alloc(1024, 'x');
    }
    const streamed = await request(`${base}/backends/gw1/state`, { method: 'POST', body: Readable.from(chunks()) });
    expect(streamed.statusCode).toBe(413);
    await streamed.body.dump();
  });

  it('refuses to start on a non-loopback address without a token (SIPLB_ERR_ADMIN_AUTH)', async () => {
    const err = await startAdminServer({
      listen: { host: '0.0.0.0', port: 0 },
      control: fakeControl(),
      metrics: new Registry(),
      logger: silentLogger(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SiplbError);
    expect((err as SiplbError).code).toBe('SIPLB_ERR_ADMIN_AUTH');
    expect((err as SiplbError).message).toContain('admin.token');
  });

  it('reports a port in use as SIPLB_ERR_BIND naming admin.listen', async () => {
    const { server } = await start();
    const err = await startAdminServer({
      listen: { host: '127.0.0.1', port: server.address.port },
      control: fakeControl(),
      metrics: new Registry(),
      logger: silentLogger(),
    }).catch((e: unknown) => e);
    expect((err as SiplbError).code).toBe('SIPLB_ERR_BIND');
    expect((err as SiplbError).message).toContain('admin.listen');
  });

  it('close() is idempotent and frees the port', async () => {
    const { server } = await start();
    await server.close();
    await server.close();
    const again = await startAdminServer({
      listen: { host: '127.0.0.1', port: server.address.port },
      control: fakeControl(),
      metrics: new Registry(),
      logger: silentLogger(),
    });
    servers.push(again);
    expect(again.address.port).toBe(server.address.port);
  });
});
