/**
 * The admin commands against a mocked admin API (undici MockAgent): output, JSON mode, the
 * shared options and their environment variables, and the documented exit codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MockAgent } from 'undici';
import { cli, mockAdmin } from './harness.js';
import { backendView, fakeControl } from '../admin/fake-control.js';
import { formatOverload, formatStatus } from '../../../src/cli/commands/status.js';

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };
let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

function admin(origin?: string) {
  const m = mockAdmin(origin);
  agent = m.agent;
  return m.pool;
}

describe('siplb status', () => {
  it('prints a summary and exits 0', async () => {
    admin().intercept({ path: '/status', method: 'GET' }).reply(200, fakeControl().status(), JSON_HEADERS);
    const r = await cli(['status'], { agent });
    expect(r.code).toBe(0);
    expect(r.out).toContain('node      lb-a (standalone)');
    expect(r.out).toContain('uptime    1h 2m 5s');
    expect(r.out).toContain('runtime   Node.js v24.22.3 (V8 13.6.233.17-node.40, linux/x64), pid 4242');
    expect(r.out).toContain('udp       native accelerator (recvmmsg/sendmmsg)');
    expect(r.out).toContain('listen    0.0.0.0:5060 (advertise 192.0.2.10:5060)');
    expect(r.out).toContain('backends  2 total, 1 eligible, 1 up, 1 down');
    expect(r.out).toContain('dropped   parse-error=2');
    expect(r.out).toContain('rejected  none');
    expect(r.out).toContain('overload  admitting all (loop 12 %), kernel drops 0');
    expect(r.out).toContain('mode      hash');
    expect(r.out).toContain('hash key  register=to-user registered=request-uri-user other=call-id');
    expect(r.out).toContain('failover  on timeout, 503, only responses the backend generated (up to 2 backends); INVITE, REGISTER, MESSAGE, SUBSCRIBE');
    expect(r.out).toContain('failback  hold registrations (devices stay on the backend holding their registration)');
    expect(r.out).toContain('blame     timeout, 503, only responses the backend generated');
  });

  it('says when the node sheds load, and with which readings', () => {
    const o = { enabled: true, shedding: true, saturated: true, admitFraction: 0.49, queueDelayMs: 1250, kernelDrops: 328, utilization: 1 };
    expect(formatOverload(o)).toBe('SHEDDING: admitting 49 % of new calls, queue delay 1250 ms, loop 100 %, kernel drops 328');
    expect(formatOverload({ ...o, shedding: false, admitFraction: 1 })).toBe('admitting all, saturated (loop 100 %), kernel drops 328');
    expect(formatOverload({ ...o, enabled: false })).toBe('off');
  });

  it('--json prints the StatusView', async () => {
    const view = fakeControl().status();
    admin().intercept({ path: '/status', method: 'GET' }).reply(200, view, JSON_HEADERS);
    const r = await cli(['status', '--json'], { agent });
    expect(JSON.parse(r.out)).toEqual(view);
  });

  it('takes --admin and --token before or after the command, and SIPLB_ADMIN / SIPLB_TOKEN from the env', async () => {
    const pool = admin('http://10.0.0.5:9060');
    const view = fakeControl().status();
    pool.intercept({ path: '/status', method: 'GET', headers: { authorization: 'Bearer t0k3n-from-flag' } }).reply(200, view, JSON_HEADERS);
    pool.intercept({ path: '/status', method: 'GET', headers: { authorization: 'Bearer t0k3n-global' } }).reply(200, view, JSON_HEADERS);
    pool.intercept({ path: '/status', method: 'GET', headers: { authorization: 'Bearer t0k3n-env' } }).reply(200, view, JSON_HEADERS);
    expect((await cli(['status', '--admin', '10.0.0.5:9060', '--token', 't0k3n-from-flag'], { agent })).code).toBe(0);
    expect((await cli(['--admin', '10.0.0.5:9060', '--token', 't0k3n-global', 'status'], { agent })).code).toBe(0);
    expect((await cli(['status'], { agent, env: { SIPLB_ADMIN: '10.0.0.5:9060', SIPLB_TOKEN: 't0k3n-env' } })).code).toBe(0);
    agent!.assertNoPendingInterceptors();
  });

  it('exits 3 when the admin API is unreachable', async () => {
    admin().intercept({ path: '/status', method: 'GET' }).replyWithError(new Error('connect ECONNREFUSED 127.0.0.1:8060'));
    const r = await cli(['status'], { agent });
    expect(r.code).toBe(3);
    expect(r.err).toContain('cannot reach the admin API at http://127.0.0.1:8060');
    expect(r.err).toContain('ECONNREFUSED');
  });

  it('exits 4 with the server code when the admin API refuses (401)', async () => {
    admin().intercept({ path: '/status', method: 'GET' })
      .reply(401, { error: { code: 'SIPLB_ERR_ADMIN_AUTH', message: 'missing or wrong bearer token' } }, JSON_HEADERS);
    const r = await cli(['status'], { agent });
    expect(r.code).toBe(4);
    expect(r.err).toContain('HTTP 401 SIPLB_ERR_ADMIN_AUTH');
  });

  it('exits 4 on a 500 without a JSON body', async () => {
    admin().intercept({ path: '/status', method: 'GET' }).reply(500, 'oops');
    const r = await cli(['status'], { agent });
    expect(r.code).toBe(4);
    expect(r.err).toContain('HTTP 500 SIPLB_ERR_INTERNAL');
  });

  it('exits 64 on a malformed --admin', async () => {
    const r = await cli(['status', '--admin', 'not a host'], {});
    expect(r.code).toBe(64);
    expect(r.err).toContain("invalid admin address 'not a host'");
  });
});

describe('siplb backends', () => {
  const list = [backendView('gw1'), backendView('gw2', { health: 'down', eligible: false, lastRttMs: null, activeCalls: 0, reason: 'probe-timeout' })];

  it('lists backends as an aligned table (also as the default of `backends`)', async () => {
    const pool = admin();
    pool.intercept({ path: '/backends', method: 'GET' }).reply(200, list, JSON_HEADERS).times(2);
    const r = await cli(['backends', 'list'], { agent });
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID\s+ADDRESS\s+WEIGHT\s+TIER\s+HEALTH\s+ADMIN\s+ELIGIBLE\s+RTT\s+CALLS\s+PENDING\s+SINCE\s+REASON$/);
    expect(lines[1]).toMatch(/^gw1\s+10\.0\.0\.1:5060\s+1\s+0\s+up\s+enabled\s+yes\s+0\.42ms\s+3\s+1\s+2025-01-01T00:00:00\.000Z\s+start$/);
    expect(lines[2]).toMatch(/^gw2\s+10\.0\.0\.2:5060\s+1\s+0\s+down\s+enabled\s+no\s+-\s+0\s+1\s+\S+\s+probe-timeout$/);
    // Columns line up: HEALTH starts at the same offset on every line.
    const col = lines[0]!.indexOf('HEALTH');
    expect(lines[1]!.slice(col, col + 2)).toBe('up');
    expect(lines[2]!.slice(col, col + 4)).toBe('down');
    const d = await cli(['backends'], { agent });
    expect(d.out).toBe(r.out);
  });

  it('--json prints the BackendView list', async () => {
    admin().intercept({ path: '/backends', method: 'GET' }).reply(200, list, JSON_HEADERS);
    const r = await cli(['backends', 'list', '--json'], { agent });
    expect(JSON.parse(r.out)).toEqual(list);
  });

  it.each([
    ['enable', 'enabled'],
    ['disable', 'disabled'],
    ['drain', 'draining'],
  ])('backends %s <id> POSTs {"state":"%s"}', async (cmd, state) => {
    admin()
      .intercept({ path: '/backends/gw1/state', method: 'POST', body: JSON.stringify({ state }) })
      .reply(200, backendView('gw1', { admin: state as 'enabled', eligible: state === 'enabled' }), JSON_HEADERS);
    const r = await cli(['backends', cmd, 'gw1'], { agent });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`gw1: admin ${state}`);
    agent!.assertNoPendingInterceptors();
  });

  it('drain says when the backend is drained', async () => {
    admin().intercept({ path: '/backends/gw1/state', method: 'POST' })
      .reply(200, backendView('gw1', { admin: 'draining', eligible: false, drained: true, activeCalls: 0, pendingInvites: 0 }), JSON_HEADERS);
    const r = await cli(['backends', 'drain', 'gw1'], { agent });
    expect(r.out).toContain('drained: safe to stop');
  });

  it('exits 4 for an unknown backend (404 SIPLB_ERR_UNKNOWN_BACKEND)', async () => {
    admin().intercept({ path: '/backends/nope/state', method: 'POST' })
      .reply(404, { error: { code: 'SIPLB_ERR_UNKNOWN_BACKEND', message: "no backend 'nope'" } }, JSON_HEADERS);
    const r = await cli(['backends', 'disable', 'nope'], { agent });
    expect(r.code).toBe(4);
    expect(r.err).toContain("SIPLB_ERR_UNKNOWN_BACKEND): no backend 'nope'");
  });

  it('exits 64 when the id is missing or the subcommand is unknown', async () => {
    expect((await cli(['backends', 'enable'])).code).toBe(64);
    expect((await cli(['backends', 'explode', 'gw1'])).code).toBe(64);
  });
});

describe('siplb reload', () => {
  it('prints the changes and exits 0', async () => {
    admin().intercept({ path: '/reload', method: 'POST' }).reply(200, { ok: true, changes: ['backends: + gw3', 'health.interval: 2000 → 1000'] }, JSON_HEADERS);
    const r = await cli(['reload'], { agent });
    expect(r.code).toBe(0);
    expect(r.out).toBe('reload ok: 2 change(s)\n  backends: + gw3\n  health.interval: 2000 → 1000\n');
  });

  it('prints every problem and exits 2 when the node refuses the new config (422)', async () => {
    const body = {
      ok: false,
      issues: [{ path: 'health.interval', reason: "invalid duration 'soon'", fix: 'use e.g. "2s"', line: 12 }],
      error: { code: 'SIPLB_ERR_CONFIG_INVALID', message: 'reload refused' },
    };
    admin().intercept({ path: '/reload', method: 'POST' }).reply(422, body, JSON_HEADERS).times(2);
    const r = await cli(['reload'], { agent });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`line 12: health.interval: invalid duration 'soon' (fix: use e.g. "2s")`);
    expect(r.err).toContain('reload refused: 1 problem(s)');
    const j = await cli(['reload', '--json'], { agent });
    expect(j.code).toBe(2);
    expect(JSON.parse(j.out)).toMatchObject({ ok: false });
  });
});

describe('siplb leader', () => {
  it('prints the role, also for a follower (503 is an answer, exit 0)', async () => {
    const pool = admin();
    pool.intercept({ path: '/ha/leader', method: 'GET' }).reply(200, { role: 'leader', nodeId: 'lb-a', isLeader: true, fencingToken: 42, leaderChanges: 3 }, JSON_HEADERS);
    pool.intercept({ path: '/ha/leader', method: 'GET' }).reply(503, { role: 'follower', nodeId: 'lb-b', isLeader: false, fencingToken: null, leaderChanges: 1 }, JSON_HEADERS);
    const a = await cli(['leader'], { agent });
    expect(a.code).toBe(0);
    expect(a.out).toBe('lb-a: leader (serving); fencing token 42; 3 role change(s)\n');
    const b = await cli(['leader'], { agent });
    expect(b.code).toBe(0);
    expect(b.out).toBe('lb-b: follower; no fencing token; 1 role change(s)\n');
  });
});

describe('usage', () => {
  it('--help exits 0 and lists the commands; unknown commands and options exit 64', async () => {
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['start', 'check-config', 'status', 'backends', 'reload', 'leader', 'probe']) expect(h.out).toContain(c);
    expect((await cli(['frobnicate'])).code).toBe(64);
    expect((await cli(['status', '--bogus'])).code).toBe(64);
    expect((await cli([])).code).toBe(64);
  });
});

describe('siplb status: abuse protection', () => {
  it('prints the security settings, refusals by reason and one line per top offender, aligned with the other keys', () => {
    const base = fakeControl().status();
    const out = formatStatus({
      ...base,
      security: {
        trustedSources: 2,
        untrusted: 'reject',
        rateLimit: { enabled: true, perSecond: 20, burst: 40, blockForSeconds: 60 },
        scannerSignatures: 9,
        trackedSources: 3,
        refused: { untrusted: 40, 'rate-limited': 40, flood: 1, blocked: 19919, scanner: 0 },
        topOffenders: [
          { address: '127.0.0.2', refused: 20000, lastReason: 'blocked', blockedSeconds: 50, lastSeenSecondsAgo: 6 },
          { address: '203.0.113.7', refused: 3, lastReason: 'scanner', blockedSeconds: 0, lastSeenSecondsAgo: 120 },
        ],
      },
    });
    expect(out).toContain('node      lb-a (standalone)');
    expect(out).toContain('security  2 trusted block(s), others 403; limit 20/s burst 40, block 60s; 9 scanner signatures; refused: untrusted=40 rate-limited=40 flood=1 blocked=19919');
    expect(out).toContain('offender  127.0.0.2 20000 refused (last: blocked, 6s ago), blocked 50s more\n          203.0.113.7 3 refused (last: scanner, 120s ago)\n');
    expect(formatStatus({ ...base, security: { trustedSources: 0, untrusted: 'reject', rateLimit: { enabled: false, perSecond: 20, burst: 40, blockForSeconds: 60 }, scannerSignatures: 0, trackedSources: 0, refused: {}, topOffenders: [] } })).toContain(
      'security  every source; no rate limit; scanner signatures off; refused: none\noffender  none',
    );
  });
});

describe('siplb status: DNS backends', () => {
  it('prints one line per DNS name: kind, name, state, members, TTL, last refresh and error', () => {
    const base = fakeControl().status();
    const out = formatStatus({
      ...base,
      dns: [
        { id: 'gw', kind: 'srv', name: '_sip._udp.gw.example.com', state: 'failing', members: ['gw/a.example.com:5060', 'gw/b.example.com:5060'], ttlSeconds: 30, refreshSeconds: 5, lastRefresh: '2026-12-05T07:00:05.000Z', lastGood: '2026-12-05T07:00:00.000Z', lastError: '_sip._udp.gw.example.com: no SRV record (ECONNREFUSED)', failures: 1 },
        { id: 'solo', kind: 'host', name: 'solo.example.com', state: 'pending', members: [], ttlSeconds: null, refreshSeconds: null, lastRefresh: null, lastGood: null, lastError: null, failures: 0 },
      ],
    });
    expect(out).toContain('dns       srv _sip._udp.gw.example.com: failing, 2 members, ttl 30s (next in 5s), refreshed 2026-12-05T07:00:05.000Z, error: _sip._udp.gw.example.com: no SRV record (ECONNREFUSED)\n');
    expect(out).toContain('          host solo.example.com: pending, 0 members, refreshed never\n');
    expect(formatStatus(base)).not.toContain('dns ');
  });
});
