/**
 * The admin API without sockets: every route, auth, and every error answer with its stable code
 * (fastify inject() style: request in, {status, headers, body} out).
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAdminHandler, MAX_BODY_BYTES, ROUTES, type AdminHandlerOptions, type AdminRequest } from '../../../src/admin/index.js';
import type { AdminErrorBody, BackendView, LeaderView, ReloadFailedBody } from '../../../src/api/control.js';
import type { AdminChannel } from '../../../src/admin/authorize.js';
import { fakeControl } from './fake-control.js';

const TOKEN = 'c2f1e0b7a9d84e6f8c1b2a3d4e5f6a7b';

/**
 * Route tests go through the unix socket (its file permissions authorise, no token needed); tests
 * with a token, through TCP. `via` overrides.
 */
function setup(over: Partial<AdminHandlerOptions> = {}, via: AdminChannel = over.token === undefined ? 'socket' : 'tcp') {
  const control = fakeControl();
  const metrics = new Registry();
  const handle = createAdminHandler({ control, metrics, ...over });
  // State changes carry the JSON type, as the CLI and the status page send them (admin/csrf.ts).
  const req = async (method: string, url: string, body?: string, headers: AdminRequest['headers'] = method === 'GET' ? {} : { 'content-type': 'application/json' }) => {
    const r = await handle({ method, url, headers, body, via });
    return { ...r, json: (): unknown => JSON.parse(r.body) };
  };
  return { control, metrics, req };
}

const code = (b: unknown): string => (b as AdminErrorBody).error.code;

describe('admin routes', () => {
  it('documents every route with a one-line description', () => {
    for (const r of ROUTES) expect(r.description.length, `${r.method} ${r.path}`).toBeGreaterThan(20);
    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /', 'GET /ui/status.css', 'GET /ui/status.js',
      'GET /healthz', 'GET /status', 'GET /backends', 'POST /backends/:id/state', 'POST /reload', 'GET /ha/leader', 'GET /activity', 'GET /metrics',
    ]);
  });

  it('GET /healthz answers {"ok":true}', async () => {
    const r = await setup().req('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ ok: true });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('GET /status and GET /backends serve the control views', async () => {
    const { req } = setup();
    const s = await req('GET', '/status?verbose=1');
    expect(s.status).toBe(200);
    expect(s.json()).toMatchObject({ nodeId: 'lb-a', backends: { total: 2, up: 1 } });
    const b = await req('GET', '/backends');
    expect((b.json() as BackendView[]).map((x) => x.id)).toEqual(['gw1', 'gw2']);
  });

  it('POST /backends/:id/state sets the admin state and answers the updated backend', async () => {
    const { req, control } = setup();
    const r = await req('POST', '/backends/gw1/state', '{"state":"draining"}');
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ id: 'gw1', admin: 'draining' });
    expect(control.calls).toContain('setAdminState gw1 draining');
  });

  it.each([
    ['not JSON', '{state:'],
    ['unknown state', '{"state":"off"}'],
    ['missing state', '{}'],
    ['extra key', '{"state":"enabled","force":true}'],
    ['empty body', ''],
  ])('POST /backends/:id/state with %s → 400 SIPLB_ERR_ADMIN_BAD_REQUEST', async (_, body) => {
    const r = await setup().req('POST', '/backends/gw1/state', body);
    expect(r.status).toBe(400);
    expect(code(r.json())).toBe('SIPLB_ERR_ADMIN_BAD_REQUEST');
  });

  it('POST /backends/:id/state for an unknown backend → 404 SIPLB_ERR_UNKNOWN_BACKEND', async () => {
    const r = await setup().req('POST', '/backends/nope/state', '{"state":"disabled"}');
    expect(r.status).toBe(404);
    expect(code(r.json())).toBe('SIPLB_ERR_UNKNOWN_BACKEND');
  });

  it('decodes percent-encoded ids and rejects malformed encoding with 400', async () => {
    const { req, control } = setup();
    await req('POST', '/backends/gw%31/state', '{"state":"enabled"}');
    expect(control.calls).toContain('setAdminState gw1 enabled');
    const bad = await req('POST', '/backends/%E0%A4%A/state', '{"state":"enabled"}');
    expect(bad.status).toBe(400);
  });

  it('POST /reload answers 200 with the changes, or 422 with the issues and SIPLB_ERR_CONFIG_INVALID', async () => {
    const { req, control } = setup();
    const ok = await req('POST', '/reload');
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ ok: true, changes: ['backends: + gw3'] });
    control.nextReload = { ok: false, issues: [{ path: 'health.interval', reason: 'bad duration', fix: 'use 2s' }] };
    const bad = await req('POST', '/reload');
    expect(bad.status).toBe(422);
    const body = bad.json() as ReloadFailedBody;
    expect(body.ok).toBe(false);
    expect(body.issues).toHaveLength(1);
    expect(body.error.code).toBe('SIPLB_ERR_CONFIG_INVALID');
  });

  it('GET /ha/leader: 200 for standalone and leader, 503 for a follower, LeaderView either way', async () => {
    const { req, control } = setup();
    expect((await req('GET', '/ha/leader')).status).toBe(200);
    control.role = 'leader';
    expect((await req('GET', '/ha/leader')).status).toBe(200);
    control.role = 'follower';
    const f = await req('GET', '/ha/leader');
    expect(f.status).toBe(503);
    expect((f.json() as LeaderView).role).toBe('follower');
  });

  it('GET /metrics serves the registry in the Prometheus text format', async () => {
    const { req, metrics } = setup();
    metrics.setDefaultLabels({ node: 'lb-a' });
    const { Counter } = await import('prom-client');
    new Counter({ name: 'x_total', help: 'x', registers: [metrics] }).inc();
    const r = await req('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(metrics.contentType);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('x_total{node="lb-a"} 1');
  });

  it('unknown path → 404 SIPLB_ERR_ADMIN_NOT_FOUND; wrong method → 405 with Allow', async () => {
    const { req } = setup();
    const nf = await req('GET', '/nope');
    expect(nf.status).toBe(404);
    expect(code(nf.json())).toBe('SIPLB_ERR_ADMIN_NOT_FOUND');
    const na = await req('DELETE', '/backends');
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe('GET');
    const post = await req('GET', '/reload');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('POST');
  });

  it('bodies over 64 KiB → 413', async () => {
    const r = await setup().req('POST', '/backends/gw1/state', 'x'.repeat(MAX_BODY_BYTES + 1));
    expect(r.status).toBe(413);
    expect(code(r.json())).toBe('SIPLB_ERR_ADMIN_BAD_REQUEST');
  });

  it('a control that throws unexpectedly → 500 SIPLB_ERR_INTERNAL without the internal message', async () => {
    const { req, control } = setup();
    control.status = () => {
      throw new Error('secret detail');
    };
    const r = await req('GET', '/status');
    expect(r.status).toBe(500);
    expect(code(r.json())).toBe('SIPLB_ERR_INTERNAL');
    expect(r.body).not.toContain('secret detail');
  });
});

describe('admin auth', () => {
  it('with a token, every route but /healthz and the static status page needs "Authorization: Bearer <token>"', async () => {
    const { req } = setup({ token: TOKEN });
    expect(ROUTES.filter((r) => r.public === true).map((r) => r.path)).toEqual(['/', '/ui/status.css', '/ui/status.js', '/healthz']);
    for (const route of ROUTES.filter((r) => r.public !== true)) {
      const url = route.path.replace(':id', 'gw1');
      const r = await req(route.method, url, '{"state":"enabled"}');
      expect(r.status, `${route.method} ${url}`).toBe(401);
      expect(code(r.json())).toBe('SIPLB_ERR_ADMIN_AUTH');
      expect(r.headers['www-authenticate']).toBe('Bearer realm="siplb"');
    }
    expect((await req('GET', '/healthz')).status).toBe(200);
  });

  it('accepts the right token (scheme case-insensitive) and refuses wrong, prefixed or empty ones', async () => {
    const { req } = setup({ token: TOKEN });
    expect((await req('GET', '/status', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await req('GET', '/metrics', undefined, { authorization: `bearer ${TOKEN}` })).status).toBe(200);
    for (const h of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, 'Bearer ', TOKEN, '']) {
      expect((await req('GET', '/status', undefined, { authorization: h })).status, h).toBe(401);
    }
  });

  it('without a token configured, reads over TCP need no header', async () => {
    for (const path of ['/status', '/backends', '/metrics', '/healthz', '/', '/activity']) {
      expect((await setup({}, 'tcp').req('GET', path)).status, path).toBe(200);
    }
  });

  it('without a token configured, every state change over TCP is refused with 403 SIPLB_ERR_ADMIN_AUTH naming admin.token and admin.socket', async () => {
    const { req, control } = setup({}, 'tcp');
    for (const route of ROUTES.filter((r) => r.method === 'POST')) {
      const r = await req('POST', route.path.replace(':id', 'gw1'), '{"state":"disabled"}', { 'content-type': 'application/json', authorization: 'Bearer whatever-you-like-here' });
      expect(r.status, route.path).toBe(403);
      expect(code(r.json())).toBe('SIPLB_ERR_ADMIN_AUTH');
      expect((r.json() as AdminErrorBody).error.message).toMatch(/admin\.token.*admin\.socket/);
    }
    expect(control.calls.filter((c) => !c.startsWith('status') && !c.startsWith('backends'))).toEqual([]);
  });

  it('with a token, a state change over TCP needs it: none or a wrong one → 401, the right one → 200', async () => {
    const { req, control } = setup({ token: TOKEN }, 'tcp');
    const json = { 'content-type': 'application/json' };
    expect((await req('POST', '/backends/gw1/state', '{"state":"draining"}', json)).status).toBe(401);
    expect((await req('POST', '/backends/gw1/state', '{"state":"draining"}', { ...json, authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect(control.calls).not.toContain('setAdminState gw1 draining');
    expect((await req('POST', '/backends/gw1/state', '{"state":"draining"}', { ...json, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(control.calls).toContain('setAdminState gw1 draining');
  });

  it('over the unix socket, state changes and reads need no token, with or without one configured', async () => {
    for (const token of [undefined, TOKEN]) {
      const { req, control } = setup({ token }, 'socket');
      expect((await req('POST', '/backends/gw1/state', '{"state":"disabled"}')).status).toBe(200);
      expect(control.calls).toContain('setAdminState gw1 disabled');
      expect((await req('GET', '/status')).status).toBe(200);
      // The socket is no browser's origin: no DNS-rebinding Host check there (curl --unix-socket sends any Host).
      expect((await req('GET', '/status', undefined, { host: 'siplb.example' })).status).toBe(200);
      // The cross-site rules still hold: a state change is JSON.
      expect((await req('POST', '/reload', '{}', { 'content-type': 'text/plain' })).status).toBe(403);
    }
  });
});

describe('status page and GET /activity', () => {
  it('GET / serves the page with a CSP that allows no inline script and no framing; its assets are served too', async () => {
    const { req } = setup({ token: TOKEN });
    const page = await req('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<script src="ui/status.js" defer></script>');
    expect(page.body).not.toMatch(/<script>(?!<)/);
    const js = await req('GET', '/ui/status.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('sessionStorage');
    // The page never puts the token in a URL or in markup.
    expect(js.body).not.toMatch(/innerHTML|[?&]token=/);
    expect((await req('GET', '/ui/status.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('GET /activity serves the control activity (and needs the token when one is set)', async () => {
    const { req } = setup({ token: TOKEN });
    expect((await req('GET', '/activity')).status).toBe(401);
    const r = await req('GET', '/activity', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ transitions: [{ backend: 'gw2', reason: 'probe-timeout' }], backends: [{ id: 'gw1', callsPerSecond: 1.5 }, { id: 'gw2' }] });
  });
});
