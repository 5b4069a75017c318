/**
 * @module metrics/gauges
 * State gauges computed at scrape time from the AdminControl, so they can never drift from what
 * the admin API shows. Enumerated states follow kube-state-metrics: one series per possible
 * value, 1 for the current one and 0 for the others, so `== 1` selects and a state change is a
 * change of value, not a series appearing or vanishing. Every gauge is reset before it is
 * refilled, so a backend removed by a reload disappears at the next scrape.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AdminControl, AdminStateName, BackendView, HealthName, OverloadView, Role } from '../api/control.js';

/** Every value of the enumerations, as records so the compiler flags a value added to api/control.ts. */
const HEALTH: Record<HealthName, true> = { up: true, failing: true, down: true, recovering: true };
const ADMIN: Record<AdminStateName, true> = { enabled: true, disabled: true, draining: true };
const ROLES: Record<Role, true> = { standalone: true, leader: true, follower: true };

function perBackend(
  registry: Registry,
  control: AdminControl,
  name: string,
  help: string,
  value: (b: BackendView) => number,
): void {
  const g: Gauge<'backend'> = new Gauge({
    name,
    help,
    labelNames: ['backend'] as const,
    registers: [registry],
    collect: () => {
      g.reset();
      for (const b of control.backends()) g.set({ backend: b.id }, value(b));
    },
  });
}

function enumPerBackend(
  registry: Registry,
  control: AdminControl,
  name: string,
  help: string,
  values: readonly string[],
  current: (b: BackendView) => string,
): void {
  const g: Gauge<'backend' | 'state'> = new Gauge({
    name,
    help,
    labelNames: ['backend', 'state'] as const,
    registers: [registry],
    collect: () => {
      g.reset();
      for (const b of control.backends()) {
        const now = current(b);
        for (const state of values) g.set({ backend: b.id, state }, state === now ? 1 : 0);
      }
    },
  });
}

function scalar(registry: Registry, name: string, help: string, value: () => number): void {
  const g: Gauge = new Gauge({ name, help, registers: [registry], collect: () => g.set(value()) });
}

export function createGauges(registry: Registry, control: AdminControl): void {
  enumPerBackend(registry, control, 'siplb_backend_health_state',
    'Backend health state (up, failing, down, recovering): 1 for the current state, 0 for the others.',
    Object.keys(HEALTH), (b) => b.health);
  enumPerBackend(registry, control, 'siplb_backend_admin_state',
    'Backend admin state (enabled, disabled, draining): 1 for the current state, 0 for the others.',
    Object.keys(ADMIN), (b) => b.admin);
  perBackend(registry, control, 'siplb_backend_eligible',
    '1 when the backend may take new calls now (health serving, admin enabled, no Retry-After hold).',
    (b) => (b.eligible ? 1 : 0));
  perBackend(registry, control, 'siplb_backend_drained',
    '1 when the backend is draining and has no active calls or pending INVITEs left (safe to stop).',
    (b) => (b.drained ? 1 : 0));
  perBackend(registry, control, 'siplb_backend_priority',
    'Priority tier of the backend (backends[].priority; lower is preferred, new calls go to the best tier with an eligible backend).',
    (b) => b.priority);
  perBackend(registry, control, 'siplb_backend_active_calls',
    'Established dialogs on the backend (INVITE 2xx seen, BYE not yet).', (b) => b.activeCalls);
  perBackend(registry, control, 'siplb_backend_pending_invites',
    'INVITEs sent to the backend and not yet finally answered.', (b) => b.pendingInvites);

  scalar(registry, 'siplb_backends_configured', 'Backends in the running configuration.', () => control.backends().length);
  scalar(registry, 'siplb_backends_up', 'Backends whose health state is up.',
    () => control.backends().filter((b) => b.health === 'up').length);
  scalar(registry, 'siplb_backends_eligible', 'Backends that may take new calls now.',
    () => control.backends().filter((b) => b.eligible).length);

  const role: Gauge<'role'> = new Gauge({
    name: 'siplb_role',
    help: 'HA role of this node (standalone, leader, follower): 1 for the current role, 0 for the others.',
    labelNames: ['role'] as const,
    registers: [registry],
    collect: () => {
      const now = control.leader().role;
      for (const r of Object.keys(ROLES)) role.set({ role: r }, r === now ? 1 : 0);
    },
  });
  scalar(registry, 'siplb_fencing_token',
    'Fencing token of the leader lease this node last held; 0 when it holds none (standalone, or never leader).',
    () => control.leader().fencingToken ?? 0);

  // Overload control (observe/admission): read at scrape time like every gauge here.
  const overload = (): OverloadView => control.overload();
  scalar(registry, 'siplb_overload_admit_ratio',
    'Share of new INVITEs admitted by overload control (1 = all; the rest get 503 with Retry-After).',
    () => overload().admitFraction);
  scalar(registry, 'siplb_overload_shedding', '1 while overload control sheds new calls (the SIP receive queue stopped emptying).',
    () => (overload().shedding ? 1 : 0));
  scalar(registry, 'siplb_overload_saturated',
    '1 while the node is shedding or has been busy for a second: its own late answers are not held against backends.',
    () => (overload().saturated ? 1 : 0));
  scalar(registry, 'siplb_sip_queue_delay_seconds',
    'Longest time the SIP socket\'s receive queue stayed non-empty in the last 100 ms window (0 while the node keeps up).',
    () => overload().queueDelayMs / 1000);
  scalar(registry, 'siplb_event_loop_utilization', 'Event-loop utilization in the last 100 ms window (0..1).',
    () => overload().utilization);
  let dropsSeen = 0;
  const drops: Counter = new Counter({
    name: 'siplb_sip_kernel_drops_total',
    help: 'Datagrams the kernel dropped from the SIP socket\'s full receive queue (lost before siplb saw them).',
    registers: [registry],
    collect: () => {
      const now = overload().kernelDrops;
      if (now > dropsSeen) drops.inc(now - dropsSeen);
      dropsSeen = now;
    },
  });

  const info: Gauge<'version'> = new Gauge({
    name: 'siplb_build_info',
    help: 'Always 1; the label carries the siplb version (join on node for dashboards).',
    labelNames: ['version'] as const,
    registers: [registry],
    collect: () => {
      info.reset();
      info.set({ version: control.status().version }, 1);
    },
  });

  const balance: Gauge<'mode' | 'hash_register' | 'hash_registered' | 'hash_other'> = new Gauge({
    name: 'siplb_balance_info',
    help: 'Always 1; the labels carry the balancing mode and the hash key per request kind in force (they change on reload).',
    labelNames: ['mode', 'hash_register', 'hash_registered', 'hash_other'] as const,
    registers: [registry],
    collect: () => {
      const b = control.status().balance;
      balance.reset();
      balance.set({ mode: b.mode, hash_register: b.hashKeys.register, hash_registered: b.hashKeys.registered, hash_other: b.hashKeys.other }, 1);
    },
  });
}
