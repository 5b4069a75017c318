/**
 * HealthMonitor (health/monitor.ts): probe, passive and operator input through the state machine,
 * each transition logged and published once, and eligibility for new calls pushed into the
 * backend registry (what the balancer picks from).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';
import { SiplbError } from '../../../src/errors.js';
import { HealthMonitor } from '../../../src/health/monitor.js';
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds, type StartMode } from '../../../src/health/state-machine.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { BACKENDS } from '../../helpers/core/proxy-rig.js';

const recorders: ChannelRecorder<Record<string, unknown>>[] = [];
afterEach(() => recorders.splice(0).forEach((r) => r.stop()));
function watch(name: Parameters<typeof recordChannel>[0]): Record<string, unknown>[] {
  const r = recordChannel(name);
  recorders.push(r);
  return r.messages;
}

function rig(opts: { startMode?: StartMode; thresholds?: Partial<HealthThresholds> } = {}) {
  let t = 1000;
  const registry = new BackendRegistry(BACKENDS);
  const logs: Record<string, unknown>[] = [];
  const adminChanges: string[] = [];
  const monitor = new HealthMonitor({
    registry,
    thresholdsFor: () => ({ ...DEFAULT_HEALTH_THRESHOLDS, maxRttMs: 500, ...opts.thresholds }),
    startMode: opts.startMode ?? 'up',
    now: () => t,
    logger: captureLogger(logs, 'info'),
    onAdminChange: (id, admin) => void adminChanges.push(`${id}=${admin}`),
  });
  const eligible = (): string[] => registry.candidates().map((b) => b.id);
  return { monitor, registry, logs, adminChanges, eligible, advance: (ms: number) => (t += ms) };
}

const TIMEOUT = { kind: 'timeout' } as const;
const ok = (rttMs = 10) => ({ kind: 'reply', code: 200, rttMs }) as const;

describe('HealthMonitor', () => {
  it("starts every backend eligible with startState 'up', none with 'probe-first' until rise successes", () => {
    expect(rig().eligible()).toEqual(['gw1', 'gw2', 'gw3']);
    const r = rig({ startMode: 'probe-first' });
    expect(r.eligible()).toEqual([]);
    r.monitor.probe('gw2', ok());
    expect(r.eligible()).toEqual([]);
    r.monitor.probe('gw2', ok());
    expect(r.eligible()).toEqual(['gw2']);
  });

  it('takes a backend out of new calls after fall failures, logs and publishes the transitions once', () => {
    const transitions = watch('healthTransition');
    const failovers = watch('failover');
    const r = rig();
    r.monitor.probe('gw1', TIMEOUT);
    expect(r.eligible()).toEqual(['gw1', 'gw2', 'gw3']); // failing still serves
    r.monitor.probe('gw1', TIMEOUT);
    r.monitor.probe('gw1', TIMEOUT);
    expect(r.eligible()).toEqual(['gw2', 'gw3']);
    r.monitor.probe('gw1', TIMEOUT); // already down: nothing more
    expect(transitions).toEqual([
      { backend: 'gw1', from: 'up', to: 'failing', reason: 'probe-timeout', eligible: true },
      { backend: 'gw1', from: 'failing', to: 'down', reason: 'probe-timeout', eligible: false },
    ]);
    expect(failovers).toEqual([{ kind: 'ring', backend: 'gw1', reason: 'probe-timeout' }]);
    expect(r.logs.filter((l) => l.msg === 'backend health changed')).toHaveLength(2);
    expect(r.monitor.view('gw1')).toMatchObject({ eligible: false, state: { health: 'down', failStreak: 3 } });
  });

  it('brings a down backend back after rise successes', () => {
    const r = rig();
    for (let i = 0; i < 3; i++) r.monitor.probe('gw3', TIMEOUT);
    r.monitor.probe('gw3', ok());
    expect(r.eligible()).toEqual(['gw1', 'gw2']);
    r.monitor.probe('gw3', ok());
    expect(r.eligible()).toEqual(['gw1', 'gw2', 'gw3']);
  });

  it('publishes each probe classified, with code and RTT for replies, and keeps the last RTT', () => {
    const probes = watch('probe');
    const r = rig();
    r.monitor.probe('gw1', ok(12));
    r.monitor.probe('gw1', { kind: 'reply', code: 503, rttMs: 3 });
    r.monitor.probe('gw1', ok(900));
    r.monitor.probe('gw1', TIMEOUT);
    expect(probes).toEqual([
      { backend: 'gw1', result: 'ok', code: 200, rttMs: 12 },
      { backend: 'gw1', result: 'bad-code', code: 503, rttMs: 3 },
      { backend: 'gw1', result: 'slow', code: 200, rttMs: 900 },
      { backend: 'gw1', result: 'timeout' },
    ]);
    expect(r.monitor.view('gw1')?.lastRttMs).toBe(900);
  });

  it('warns when no backend is left for new calls', () => {
    const r = rig({ thresholds: { fall: 1 } });
    r.monitor.probe('gw1', TIMEOUT);
    r.monitor.probe('gw2', TIMEOUT);
    expect(r.logs.some((l) => l.level === 40)).toBe(false);
    r.monitor.probe('gw3', TIMEOUT);
    expect(r.eligible()).toEqual([]);
    expect(r.logs.filter((l) => l.level === 40).map((l) => l.backend)).toEqual(['gw3']);
  });

  it('counts passive failures like failed probes', () => {
    const r = rig();
    r.monitor.passive('gw2', 'invite-timeout');
    r.monitor.passive('gw2', 'status-503');
    r.monitor.passive('gw2', 'failover');
    expect(r.eligible()).toEqual(['gw1', 'gw3']);
    expect(r.monitor.view('gw2')?.state.reason).toBe('failover');
  });

  it('holds a backend out for a Retry-After, ignoring good probes until the hold ends', () => {
    const r = rig();
    r.monitor.retryAfter('gw1', 30);
    expect(r.eligible()).toEqual(['gw2', 'gw3']);
    r.monitor.probe('gw1', ok());
    r.monitor.probe('gw1', ok());
    r.advance(29_999);
    r.monitor.tick();
    expect(r.eligible()).toEqual(['gw2', 'gw3']);
    r.advance(1);
    r.monitor.tick();
    r.monitor.probe('gw1', ok());
    r.monitor.probe('gw1', ok());
    expect(r.eligible()).toEqual(['gw1', 'gw2', 'gw3']);
  });

  it('applies admin state over health, tells HA about local changes only, and publishes them', () => {
    const admin = watch('adminChange');
    const r = rig();
    r.monitor.setAdmin('gw1', 'draining');
    expect(r.eligible()).toEqual(['gw2', 'gw3']);
    r.monitor.probe('gw1', ok());
    expect(r.eligible()).toEqual(['gw2', 'gw3']);
    r.monitor.setAdmin('gw1', 'draining'); // no change: nothing published
    r.monitor.setAdmin('gw2', 'disabled', 'remote');
    r.monitor.setAdmin('gw1', 'enabled');
    expect(r.eligible()).toEqual(['gw1', 'gw3']);
    expect(r.adminChanges).toEqual(['gw1=draining', 'gw1=enabled']);
    expect(admin).toEqual([
      { backend: 'gw1', from: 'enabled', to: 'draining' },
      { backend: 'gw2', from: 'enabled', to: 'disabled' },
      { backend: 'gw1', from: 'draining', to: 'enabled' },
    ]);
    expect(r.logs.filter((l) => l.msg === 'backend admin state changed').map((l) => l.origin)).toEqual(['local', 'remote', 'local']);
  });

  it('refuses an admin change for an unknown backend and ignores other input for one', () => {
    const r = rig();
    expect(() => r.monitor.setAdmin('nope', 'disabled')).toThrow(SiplbError);
    r.monitor.probe('nope', TIMEOUT);
    r.monitor.passive('nope', 'failover');
    r.monitor.retryAfter('nope', 5);
    expect(r.monitor.view('nope')).toBeUndefined();
  });

  it('follows a reload: new backends start fresh, removed ones are forgotten, kept ones keep their state', () => {
    const r = rig();
    for (let i = 0; i < 3; i++) r.monitor.probe('gw1', TIMEOUT);
    r.registry.replace([BACKENDS[0]!, { id: 'gw9', address: { host: '198.51.100.19', port: 5060 }, weight: 1 }]);
    r.monitor.sync();
    expect(r.monitor.view('gw2')).toBeUndefined();
    expect(r.monitor.view('gw1')?.state.health).toBe('down');
    expect(r.monitor.view('gw9')).toMatchObject({ eligible: true, lastRttMs: null, state: { health: 'up' } });
    expect(r.eligible()).toEqual(['gw9']);
  });
});
