/**
 * The admin API refuses what another web page can make a browser send (admin/csrf.ts): a state
 * change needs the JSON content type, a same-origin Origin when one is sent, a same-origin
 * Sec-Fetch-Site when one is sent; without a token only loopback Host names are served (DNS
 * rebinding). Every refusal is 403 SIPLB_ERR_ADMIN_FORBIDDEN and changes nothing; the CLI's own
 * requests pass.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { createAdminHandler, type AdminRequest } from '../../../src/admin/index.js';
import { checkHost, checkStateChange } from '../../../src/admin/csrf.js';
import type { AdminErrorBody } from '../../../src/api/control.js';
import { createAdminClient } from '../../../src/cli/admin-client.js';
import { mockAdmin } from '../cli/harness.js';
import { fakeControl } from './fake-control.js';

const TOKEN = 'c2f1e0b7a9d84e6f8c1b2a3d4e5f6a7b';
const HOST = '127.0.0.1:8060';
const JSON_TYPE = { 'content-type': 'application/json' };

function setup(token?: string) {
  const control = fakeControl();
  const handle = createAdminHandler({ control, metrics: new Registry(), token });
  const req = (method: string, url: string, headers: AdminRequest['headers'], body = '{"state":"disabled"}') => handle({ method, url, headers, body });
  return { control, req };
}

const code = (body: string): string => (JSON.parse(body) as AdminErrorBody).error.code;

describe('checkStateChange', () => {
  it.each([
    ['the CLI (JSON, no Origin)', { host: HOST, ...JSON_TYPE }],
    ['JSON with a charset parameter', { host: HOST, 'content-type': 'Application/JSON; charset=utf-8' }],
    ['the status page (same Origin, Sec-Fetch-Site same-origin)', { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin', ...JSON_TYPE }],
    ['localhost page on the same port', { host: 'localhost:8060', origin: 'http://localhost:8060', ...JSON_TYPE }],
    ['IPv6 loopback', { host: '[::1]:8060', origin: 'http://[::1]:8060', ...JSON_TYPE }],
  ])('allows %s', (_, headers) => {
    expect(checkStateChange(headers)).toEqual({ ok: true });
  });

  it.each([
    ['no content type', { host: HOST }],
    ['a urlencoded HTML form', { host: HOST, 'content-type': 'application/x-www-form-urlencoded' }],
    ['a text/plain form carrying JSON text', { host: HOST, 'content-type': 'text/plain' }],
    ['a multipart form', { host: HOST, 'content-type': 'multipart/form-data; boundary=x' }],
    ['a JSON-ish type', { host: HOST, 'content-type': 'application/json-patch+json' }],
    ['another origin', { host: HOST, origin: 'http://evil.example', ...JSON_TYPE }],
    ['another port on loopback', { host: HOST, origin: 'http://127.0.0.1:9999', ...JSON_TYPE }],
    ['Origin null (sandboxed frame, file://)', { host: HOST, origin: 'null', ...JSON_TYPE }],
    ['an Origin but no Host', { origin: `http://${HOST}`, ...JSON_TYPE }],
    ['Sec-Fetch-Site cross-site', { host: HOST, 'sec-fetch-site': 'cross-site', ...JSON_TYPE }],
    ['Sec-Fetch-Site same-site', { host: HOST, 'sec-fetch-site': 'same-site', ...JSON_TYPE }],
  ])('refuses %s', (_, headers) => {
    expect(checkStateChange(headers).ok).toBe(false);
  });
});

describe('checkHost', () => {
  it('without a token serves loopback Host names only; with a token any Host', () => {
    for (const host of [HOST, 'localhost:8060', 'LOCALHOST', '[::1]:8060', '127.0.0.2']) expect(checkHost({ host }, false).ok, host).toBe(true);
    expect(checkHost({}, false).ok).toBe(true);
    for (const host of ['evil.example:8060', 'evil.example', '192.0.2.1:8060', '127.0.0.1.evil.example']) expect(checkHost({ host }, false).ok, host).toBe(false);
    expect(checkHost({ host: 'lb-a.example:8060' }, true).ok).toBe(true);
  });
});

describe('admin handler: cross-site requests change nothing', () => {
  it('a cross-site form POST and a cross-origin fetch get 403 SIPLB_ERR_ADMIN_FORBIDDEN and never reach the control', async () => {
    const { control, req } = setup();
    const attempts: AdminRequest['headers'][] = [
      { host: HOST, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      { host: HOST, origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-site': 'cross-site' },
      { host: HOST, origin: 'http://127.0.0.1:9999', ...JSON_TYPE },
    ];
    for (const headers of attempts) {
      for (const url of ['/backends/gw1/state', '/reload']) {
        const r = await req('POST', url, headers);
        expect(r.status, `${url} ${JSON.stringify(headers)}`).toBe(403);
        expect(code(r.body)).toBe('SIPLB_ERR_ADMIN_FORBIDDEN');
      }
    }
    expect(control.calls).toEqual([]);
    expect(control.list.map((b) => b.admin)).toEqual(['enabled', 'enabled']);
  });

  it('is refused even with the right token, and before the token is checked', async () => {
    const { control, req } = setup(TOKEN);
    const r = await req('POST', '/backends/gw1/state', { host: HOST, origin: 'http://evil.example', authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' });
    expect(r.status).toBe(403);
    const noToken = await req('POST', '/backends/gw1/state', { host: HOST, origin: 'http://evil.example', ...JSON_TYPE });
    expect(noToken.status).toBe(403);
    expect(control.calls).toEqual([]);
  });

  it('a DNS-rebound name gets 403 on every route without a token', async () => {
    const { control, req } = setup();
    const host = 'rebind.evil.example:8060';
    expect((await req('GET', '/backends', { host })).status).toBe(403);
    expect((await req('POST', '/backends/gw1/state', { host, origin: `http://${host}`, ...JSON_TYPE })).status).toBe(403);
    expect(control.calls).toEqual([]);
  });

  it('the same-origin page and GETs from anywhere (no CORS headers: the browser hides the answer) are served', async () => {
    // The page sends the token it was given (state changes over TCP need one: admin/authorize.ts).
    const { control, req } = setup(TOKEN);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ok = await req('POST', '/backends/gw1/state', { host: HOST, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin', ...JSON_TYPE, ...auth }, '{"state":"draining"}');
    expect(ok.status).toBe(200);
    expect(control.list[0]!.admin).toBe('draining');
    const get = await req('GET', '/backends', { host: HOST, origin: 'http://evil.example', ...auth });
    expect(get.status).toBe(200);
    expect(Object.keys(get.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });
});

describe('the CLI client passes the rule', () => {
  let agent: MockAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  it('sends Content-Type: application/json and a JSON body on every POST (reload included), and no Origin', async () => {
    const m = mockAdmin();
    agent = m.agent;
    const seen: Record<string, string>[] = [];
    const record = (opts: { headers?: unknown }): Record<string, string> => {
      const h = opts.headers as Record<string, string>;
      seen.push(Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)])));
      return h;
    };
    m.pool.intercept({ path: '/reload', method: 'POST', body: '{}' }).reply(200, (opts) => (record(opts), { ok: true, changes: [] }));
    m.pool.intercept({ path: '/backends/gw1/state', method: 'POST', body: '{"state":"draining"}' }).reply(200, (opts) => (record(opts), fakeControl().list[0]));
    const client = createAdminClient({ address: { host: '127.0.0.1', port: 8060 }, dispatcher: agent });
    await client.reload();
    await client.setAdminState('gw1', 'draining');
    agent.assertNoPendingInterceptors();
    expect(seen).toHaveLength(2);
    for (const h of seen) {
      expect(checkStateChange({ ...h, host: HOST })).toEqual({ ok: true });
      expect(h.origin).toBeUndefined();
    }
  });
});
