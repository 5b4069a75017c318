/**
 * The control surface (control.ts) over a built, unstarted app: no socket is bound; state is
 * driven through the app's own health monitor and passive checker as probes and traffic would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { build, type App } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import type { ConfigIssue } from '../../src/config/errors.js';
import { validateConfig } from '../../src/config/validate.js';
import { createControl, STANDALONE, VERSION, type LeaderSource } from '../../src/control.js';
import { SiplbError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { recordChannel } from '../helpers/core/channel-recorder.js';
import { request } from '../helpers/core/sip-text.js';

function config(extra: Record<string, unknown> = {}): Config {
  const v = validateConfig({
    node: { id: 'lb-a' },
    sip: { listen: '127.0.0.1:5060', advertise: '198.51.100.1:5060' },
    backends: [
      { id: 'gw1', address: '198.51.100.11:5060' },
      { id: 'gw2', address: '198.51.100.12:5060', weight: 2 },
    ],
    ...extra,
  });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.config;
}

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

function rig(opts: { leader?: LeaderSource; load?: () => Promise<{ ok: true; config: Config } | { ok: false; issues: ConfigIssue[] }> } = {}) {
  let t = 10_000;
  app = build(config(), { logger: silentLogger(), now: () => t });
  const control = createControl({
    app,
    configFile: '/etc/siplb/siplb.yaml',
    loadConfig: opts.load ?? (async () => ({ ok: true, config: config() })),
    leader: opts.leader ?? STANDALONE,
    now: () => t,
  });
  return { app, control, advance: (ms: number) => (t += ms) };
}

describe('control: status', () => {
  it('reports identity, addresses, mode and backend counts as health changes them', () => {
    const { app, control } = rig();
    let s = control.status();
    expect(s).toMatchObject({
      nodeId: 'lb-a',
      version: VERSION,
      role: 'standalone',
      listen: 'udp:127.0.0.1:5060',
      advertise: '198.51.100.1:5060',
      mode: 'hash',
      configFile: '/etc/siplb/siplb.yaml',
      backends: { total: 2, eligible: 2, up: 2, down: 0 },
      calls: { active: 0 },
    });
    expect(s.overload).toMatchObject({ enabled: expect.any(Boolean), shedding: false });
    app.health.probe('gw2', { kind: 'timeout' }); // failing: still up, still eligible
    expect(control.status().backends).toEqual({ total: 2, eligible: 2, up: 2, down: 0 });
    app.health.probe('gw2', { kind: 'timeout' });
    app.health.probe('gw2', { kind: 'timeout' });
    s = control.status();
    expect(s.backends).toEqual({ total: 2, eligible: 1, up: 1, down: 1 });
    app.health.setAdmin('gw1', 'disabled');
    expect(control.status().backends).toEqual({ total: 2, eligible: 0, up: 1, down: 1 });
  });
});

describe('control: backends', () => {
  it('shows each backend with health, admin state, rounded RTT and streaks', () => {
    const { app, control } = rig();
    app.health.probe('gw1', { kind: 'reply', code: 200, rttMs: 1.23456 });
    app.health.probe('gw2', { kind: 'timeout' });
    const [gw1, gw2] = control.backends();
    expect(gw1).toMatchObject({ id: 'gw1', address: '198.51.100.11:5060', weight: 1, health: 'up', admin: 'enabled', eligible: true, lastRttMs: 1.235, consecutiveSuccesses: 1 });
    expect(gw2).toMatchObject({ id: 'gw2', weight: 2, health: 'failing', lastRttMs: null, consecutiveFailures: 1, reason: 'probe-timeout', holdUntil: null });
    expect(new Date(gw2!.since).toString()).not.toBe('Invalid Date');
  });

  it('shows a Retry-After hold until it ends', () => {
    const { app, control, advance } = rig();
    app.health.retryAfter('gw1', 60);
    expect(control.backends()[0]!.holdUntil).not.toBeNull();
    advance(60_000);
    expect(control.backends()[0]!.holdUntil).toBeNull();
  });

  it('counts pending INVITEs and reports a draining backend drained only when none is left', () => {
    const { app, control } = rig();
    const gw1 = app.backends.byId('gw1')!;
    app.passive.inviteSent(gw1, request({ callId: 'c1' }));
    const view = control.setAdminState('gw1', 'draining');
    expect(view).toMatchObject({ admin: 'draining', eligible: false, pendingInvites: 1, drained: false });
    app.passive.forget('c1');
    expect(control.backends()[0]).toMatchObject({ pendingInvites: 0, activeCalls: 0, drained: true });
  });

  it('refuses an unknown backend', () => {
    const { control } = rig();
    expect(() => control.setAdminState('gw9', 'disabled')).toThrow(SiplbError);
  });
});

describe('control: reload', () => {
  it('applies a valid config and reports what changed; publishes the outcome', async () => {
    const reloads = recordChannel('reload');
    try {
      const next = config({ backends: [{ id: 'gw1', address: '198.51.100.11:5060' }, { id: 'gw3', address: '198.51.100.13:5060' }] });
      const { app, control } = rig({ load: async () => ({ ok: true, config: next }) });
      const r = await control.reload();
      expect(r.ok).toBe(true);
      expect(r.ok && r.changes).toEqual(['backend gw3 added', 'backend gw2 removed (its calls in progress go on by Record-Route)']);
      expect(app.backends.all.map((b) => b.id)).toEqual(['gw1', 'gw3']);
      expect(reloads.messages).toEqual([{ ok: true }]);
    } finally {
      reloads.stop();
    }
  });

  it('keeps the running config when the new one is invalid', async () => {
    const issues: ConfigIssue[] = [{ path: 'health.interval', reason: 'too small', fix: 'raise it' }];
    const { app, control } = rig({ load: async () => ({ ok: false, issues }) });
    expect(await control.reload()).toEqual({ ok: false, issues });
    expect(app.backends.all.map((b) => b.id)).toEqual(['gw1', 'gw2']);
  });

  it('runs two reloads one after the other, never both at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const { control } = rig({
      load: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setImmediate(r));
        running--;
        return { ok: true, config: config() };
      },
    });
    const results = await Promise.all([control.reload(), control.reload()]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(maxRunning).toBe(1);
  });
});

describe('control: leader', () => {
  it.each([
    ['standalone', true],
    ['leader', true],
    ['follower', false],
  ] as const)('role %s → isLeader %s, with the token and change count of the leader source', (role, isLeader) => {
    const { control } = rig({ leader: { role: () => role, fencingToken: () => (role === 'leader' ? 42 : null), leaderChanges: () => 3 } });
    expect(control.leader()).toEqual({ role, nodeId: 'lb-a', isLeader, fencingToken: role === 'leader' ? 42 : null, leaderChanges: 3 });
    expect(control.status().role).toBe(role);
  });
});
