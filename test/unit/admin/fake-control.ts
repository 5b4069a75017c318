/**
 * A scripted AdminControl for admin, metrics and CLI tests: backends and role are plain data the
 * test changes; every call is recorded.
 */
import { SiplbError } from '../../../src/errors.js';
import type {
  ActivityView,
  AdminControl,
  AdminStateName,
  BackendView,
  LeaderView,
  OverloadView,
  ReloadView,
  Role,
  StatusView,
} from '../../../src/api/control.js';

export function backendView(id: string, over: Partial<BackendView> = {}): BackendView {
  return {
    id,
    address: `10.0.0.${id.replace(/\D/g, '') || '1'}:5060`,
    weight: 1,
    priority: 0,
    health: 'up',
    admin: 'enabled',
    eligible: true,
    lastRttMs: 0.42,
    consecutiveFailures: 0,
    consecutiveSuccesses: 5,
    activeCalls: 3,
    pendingInvites: 1,
    drained: false,
    since: '2025-01-01T00:00:00.000Z',
    reason: 'start',
    holdUntil: null,
    ...over,
  };
}

export interface FakeControl extends AdminControl {
  list: BackendView[];
  role: Role;
  /** What overload() and status().overload report. */
  overloadView: OverloadView;
  fencingToken: number | null;
  nextReload: ReloadView;
  /** What activity() answers. */
  activityView: ActivityView;
  calls: string[];
}

export function fakeControl(list: BackendView[] = [backendView('gw1'), backendView('gw2', { health: 'down', eligible: false, activeCalls: 0 })]): FakeControl {
  const c: FakeControl = {
    list,
    role: 'standalone',
    overloadView: { enabled: true, shedding: false, saturated: false, admitFraction: 1, queueDelayMs: 0, kernelDrops: 0, utilization: 0.12 },
    fencingToken: null,
    nextReload: { ok: true, changes: ['backends: + gw3'] },
    activityView: {
      transitions: [{ at: '2025-01-01T00:00:00.000Z', backend: 'gw2', kind: 'health', from: 'failing', to: 'down', reason: 'probe-timeout' }],
      backends: list.map((b) => ({ id: b.id, callsPerSecond: 1.5, rtt: [[1735689600000, 0.4], [1735689601000, null]] })),
    },
    calls: [],
    status(): StatusView {
      c.calls.push('status');
      return {
        nodeId: 'lb-a',
        version: '0.1.0',
        runtime: { node: 'v24.22.3', v8: '13.6.233.17-node.40', platform: 'linux', arch: 'x64', pid: 4242 },
        udpEngine: 'native',
        connections: { open: { 'tcp/in': 2 }, tlsHandshakesInFlight: 0, accepted: 5, refused: {}, closed: { peer: 3 } },
        role: c.role,
        uptimeSeconds: 3725,
        listen: '0.0.0.0:5060',
        advertise: '192.0.2.10:5060',
        mode: 'hash',
        balance: {
          mode: 'hash',
          hashKeys: { register: 'to-user', registered: 'request-uri-user', other: 'call-id' },
          failoverOn: ['timeout', 503],
          failoverMaxAttempts: 2,
          failoverRelayed: false,
          failoverMethods: ['REGISTER', 'MESSAGE', 'SUBSCRIBE'],
          failback: 'hold-registrations',
          blameOn: ['timeout', 503],
          blameRelayed: false,
        },
        configFile: '/etc/siplb/siplb.yaml',
        backends: {
          total: c.list.length,
          eligible: c.list.filter((b) => b.eligible).length,
          up: c.list.filter((b) => b.health === 'up').length,
          down: c.list.filter((b) => b.health === 'down').length,
        },
        calls: { active: c.list.reduce((n, b) => n + b.activeCalls, 0) },
        counters: { dropped: { 'parse-error': 2 }, rejected: {} },
        overload: c.overloadView,
      };
    },
    backends() {
      c.calls.push('backends');
      return c.list;
    },
    setAdminState(id: string, state: AdminStateName) {
      c.calls.push(`setAdminState ${id} ${state}`);
      const i = c.list.findIndex((b) => b.id === id);
      if (i === -1) throw new SiplbError('SIPLB_ERR_UNKNOWN_BACKEND', `no backend '${id}'`);
      const b = backendView(id, { ...c.list[i], admin: state, eligible: state === 'enabled' && c.list[i]!.health !== 'down' });
      c.list[i] = b;
      return b;
    },
    async reload() {
      c.calls.push('reload');
      return c.nextReload;
    },
    overload() {
      return c.overloadView;
    },
    activity() {
      c.calls.push('activity');
      return c.activityView;
    },
    leader(): LeaderView {
      c.calls.push('leader');
      return {
        role: c.role,
        nodeId: 'lb-a',
        isLeader: c.role === 'leader',
        fencingToken: c.fencingToken,
        leaderChanges: 1,
      };
    },
  };
  return c;
}
