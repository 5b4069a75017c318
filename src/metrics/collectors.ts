/**
 * @module metrics/collectors
 * Every siplb metric, registered on one Registry. Event counters are fed only by the
 * diagnostics channels of observe/channels.ts (metrics/ never reaches into the core); state
 * gauges are computed at scrape time from the AdminControl (./gauges.ts). Label values come
 * from config (backend ids), from fixed code tables (reasons, kinds) or from ./labels.ts, never
 * from raw packet text, so cardinality stays bounded. The list lives in ./README.md.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AdminControl, AdminStateName } from '../api/control.js';
import { HEALTH_TRANSITIONS } from '../health/transitions.js';
import {
  channels,
  REJECT_STATUS,
  type AdminChangeEvent,
  type DropEvent,
  type SecurityEvent,
  type DropReason,
  type FailoverEvent,
  type HealthTransitionEvent,
  type LocalReplyEvent,
  type ProbeEvent,
  type RejectEvent,
  type ReloadEvent,
  type RequestForwardedEvent,
  type ResponseForwardedEvent,
} from '../observe/channels.js';
import { BackendSeries, type LabelSet } from './backend-series.js';
import { createDnsSeries } from './dns.js';
import { createTransportSeries } from './transport.js';
import { createFlowSeries } from './flow.js';
import { createGauges } from './gauges.js';
import { KNOWN_METHOD_LABELS, methodLabel, STATUS_CLASSES, statusClass, statusLabel } from './labels.js';
import { Tally2 } from './tally.js';

/**
 * Probe RTT buckets in seconds: 0.1 ms (same host) to 2 s (beyond any sane probe timeout), about
 * 2.5x apart, so p50/p95 of a LAN backend (sub-ms) and of a distant one (tens of ms) both resolve.
 */
export const PROBE_RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

/** Every drop reason, as a record so the compiler flags a reason added to the channel type. */
const DROP_REASONS: Record<DropReason, true> = {
  'parse-error': true, size: true, keepalive: true, 'not-our-via': true, 'bad-via': true, 'no-via': true, 'flow-gone': true,
  'no-route': true, 'send-error': true, overload: true,
};
/** Every (reason, action) pair abuse protection can publish (proxy/screen.ts), exported at 0 from the start. */
const SECURITY_SERIES: readonly (readonly [SecurityEvent['reason'], SecurityEvent['action']])[] = [
  ['untrusted', 'reject'], ['untrusted', 'drop'], ['rate-limited', 'reject'], ['flood', 'drop'], ['blocked', 'drop'], ['scanner', 'drop'],
];
const PROBE_FAILURES: readonly ProbeEvent['result'][] = ['timeout', 'bad-code', 'slow', 'unreachable'];
const FAILOVER_KINDS: readonly FailoverEvent['kind'][] = ['serial', 'ring'];
const ADMIN_STATES: Record<AdminStateName, true> = { enabled: true, disabled: true, draining: true };
/** The `backend` label of a next hop that is not a configured backend. */
const EXTERNAL = 'external';

export interface Collectors {
  close(): void;
}

export function createCollectors(registry: Registry, control: AdminControl): Collectors {
  const registers = [registry];
  const backendIds = (): string[] => control.backends().map((b) => b.id);
  const withExternal = (): string[] => [...backendIds(), EXTERNAL];

  // Every per-backend metric exports its known label sets at zero for each configured backend
  // from the first scrape, and drops a backend's series once a reload removed it (Prometheus
  // practice: initialise known label values; ./backend-series.ts).
  const perBackend = (
    metric: { remove(labels: LabelSet): void },
    create: (labels: LabelSet) => void,
    zeros: (backend: string) => readonly LabelSet[],
  ): BackendSeries => new BackendSeries({ zeros, create, remove: (l) => metric.remove(l) });

  // Per-message counters are tallied in plain Maps on the hot path and flushed at scrape time.
  const requestTally = new Tally2();
  const responseTally = new Tally2();
  const newCallTally = new Tally2();
  const requests: Counter<'method' | 'backend'> = new Counter({
    name: 'siplb_requests_forwarded_total',
    help: 'SIP requests forwarded, by method and next-hop backend (external: not a configured backend).',
    labelNames: ['method', 'backend'] as const,
    registers,
    collect: () => {
      requestTally.flush((method, backend, n) => {
        requests.inc({ method, backend }, n);
        requestSeries.note(backend, { method, backend });
      });
      requestSeries.sync(withExternal());
    },
  });
  const requestSeries = perBackend(requests, (l) => requests.inc(l, 0), (backend) => KNOWN_METHOD_LABELS.map((method) => ({ method, backend })));
  const responses: Counter<'class' | 'backend'> = new Counter({
    name: 'siplb_responses_forwarded_total',
    help: 'SIP responses forwarded upstream, by status class and the backend they came from.',
    labelNames: ['class', 'backend'] as const,
    registers,
    collect: () => {
      responseTally.flush((cls, backend, n) => {
        responses.inc({ class: cls, backend }, n);
        responseSeries.note(backend, { class: cls, backend });
      });
      responseSeries.sync(withExternal());
    },
  });
  const responseSeries = perBackend(responses, (l) => responses.inc(l, 0), (backend) => STATUS_CLASSES.map((cls) => ({ class: cls, backend })));
  const newCalls: Counter<'backend'> = new Counter({
    name: 'siplb_new_calls_total',
    help: 'New calls (initial INVITEs) dispatched by the balancer, per backend.',
    labelNames: ['backend'] as const,
    registers,
    collect: () => {
      newCallTally.flush((backend, _unused, n) => {
        newCalls.inc({ backend }, n);
        newCallSeries.note(backend, { backend });
      });
      newCallSeries.sync(backendIds());
    },
  });
  const newCallSeries = perBackend(newCalls, (l) => newCalls.inc(l, 0), (backend) => [{ backend }]);
  const drops = new Counter({
    name: 'siplb_datagrams_dropped_total',
    help: 'Datagrams dropped without an answer, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of Object.keys(DROP_REASONS)) drops.inc({ reason }, 0);
  // Abuse protection (security/policy.ts): by reason and action, never by source address (an
  // attacker could mint series without end); the worst sources are in GET /status instead.
  const refused = new Counter({
    name: 'siplb_security_refused_total',
    help: 'Requests from non-backend sources refused by abuse protection, by reason (untrusted, rate-limited, flood, blocked, scanner) and action (reject: answered 403 or 503; drop: no answer).',
    labelNames: ['reason', 'action'] as const,
    registers,
  });
  for (const [reason, action] of SECURITY_SERIES) refused.inc({ reason, action }, 0);
  const rejects = new Counter({
    name: 'siplb_requests_rejected_total',
    help: 'Requests answered with a stateless error response instead of being forwarded, by reason and status.',
    labelNames: ['reason', 'status'] as const,
    registers,
  });
  for (const [reason, status] of Object.entries(REJECT_STATUS)) rejects.inc({ reason, status: statusLabel(status) }, 0);
  const localReplies = new Counter({
    name: 'siplb_local_replies_total',
    help: 'Requests siplb answered itself (e.g. OPTIONS keepalives addressed to it), by method and status.',
    labelNames: ['method', 'status'] as const,
    registers,
  });
  localReplies.inc({ method: 'OPTIONS', status: '200' }, 0);
  const probeRtt: Histogram<'backend'> = new Histogram({
    name: 'siplb_probe_rtt_seconds',
    help: 'Round-trip time of answered OPTIONS health probes, per backend.',
    labelNames: ['backend'] as const,
    buckets: PROBE_RTT_BUCKETS,
    registers,
    collect: () => rttSeries.sync(backendIds()),
  });
  const rttSeries = perBackend(probeRtt, (l) => probeRtt.zero(l), (backend) => [{ backend }]);
  const probeFailures: Counter<'backend' | 'result'> = new Counter({
    name: 'siplb_probe_failures_total',
    help: 'OPTIONS probes that counted as failed, per backend and result (timeout, bad-code, slow).',
    labelNames: ['backend', 'result'] as const,
    registers,
    collect: () => probeFailureSeries.sync(backendIds()),
  });
  const probeFailureSeries = perBackend(probeFailures, (l) => probeFailures.inc(l, 0), (backend) => PROBE_FAILURES.map((result) => ({ backend, result })));
  const transitions: Counter<'backend' | 'from' | 'to' | 'reason'> = new Counter({
    name: 'siplb_health_transitions_total',
    help: 'Backend health state changes, per backend, from state, to state and reason.',
    labelNames: ['backend', 'from', 'to', 'reason'] as const,
    registers,
    collect: () => transitionSeries.sync(backendIds()),
  });
  const transitionSeries = perBackend(transitions, (l) => transitions.inc(l, 0), (backend) =>
    HEALTH_TRANSITIONS.map((t) => ({ backend, from: t.from, to: t.to, reason: t.reason })));
  const adminChanges: Counter<'backend' | 'from' | 'to'> = new Counter({
    name: 'siplb_admin_state_changes_total',
    help: 'Operator changes of a backend admin state (enabled, disabled, draining), per backend, from and to.',
    labelNames: ['backend', 'from', 'to'] as const,
    registers,
    collect: () => adminSeries.sync(backendIds()),
  });
  const adminSeries = perBackend(adminChanges, (l) => adminChanges.inc(l, 0), (backend) => {
    const states = Object.keys(ADMIN_STATES);
    return states.flatMap((from) => states.filter((to) => to !== from).map((to) => ({ backend, from, to })));
  });
  const failovers: Counter<'kind' | 'backend'> = new Counter({
    name: 'siplb_failovers_total',
    help: 'New calls moved off a backend: serial (INVITE retried elsewhere) or ring (backend left the ring), per backend moved off.',
    labelNames: ['kind', 'backend'] as const,
    registers,
    collect: () => failoverSeries.sync(backendIds()),
  });
  const failoverSeries = perBackend(failovers, (l) => failovers.inc(l, 0), (backend) => FAILOVER_KINDS.map((kind) => ({ kind, backend })));
  const leaderChanges = new Counter({
    name: 'siplb_leader_changes_total',
    help: 'Changes of this node\'s HA role (standalone, leader, follower).',
    registers,
  });
  const reloads = new Counter({
    name: 'siplb_config_reloads_total',
    help: 'Configuration reloads, by result (ok, failed).',
    labelNames: ['result'] as const,
    registers,
  });
  reloads.inc({ result: 'ok' }, 0);
  reloads.inc({ result: 'failed' }, 0);

  createGauges(registry, control);
  createDnsSeries(registry, control);
  const transportSeries = createTransportSeries(registry, control);
  const flowSeries = createFlowSeries(registry);

  const subscriptions: [diagnosticsChannel.Channel, (m: unknown) => void][] = [
    [channels.requestForwarded, (m) => {
      const e = m as RequestForwardedEvent;
      requestTally.add(methodLabel(e.method), e.backend);
      if (e.via === 'new' && e.method === 'INVITE') newCallTally.add(e.backend, '');
    }],
    [channels.responseForwarded, (m) => {
      const e = m as ResponseForwardedEvent;
      responseTally.add(statusClass(e.status), e.backend);
    }],
    [channels.drop, (m) => drops.inc({ reason: (m as DropEvent).reason })],
    [channels.security, (m) => {
      const e = m as SecurityEvent;
      refused.inc({ reason: e.reason, action: e.action });
    }],
    [channels.reject, (m) => {
      const e = m as RejectEvent;
      rejects.inc({ reason: e.reason, status: statusLabel(e.status) });
    }],
    [channels.localReply, (m) => {
      const e = m as LocalReplyEvent;
      localReplies.inc({ method: methodLabel(e.method), status: statusLabel(e.status) });
    }],
    [channels.probe, (m) => {
      const e = m as ProbeEvent;
      if (e.rttMs !== undefined) {
        probeRtt.observe({ backend: e.backend }, e.rttMs / 1000);
        rttSeries.note(e.backend, { backend: e.backend });
      }
      if (e.result !== 'ok') {
        const labels = { backend: e.backend, result: e.result };
        probeFailures.inc(labels);
        probeFailureSeries.note(e.backend, labels);
      }
    }],
    [channels.healthTransition, (m) => {
      const e = m as HealthTransitionEvent;
      const labels = { backend: e.backend, from: e.from, to: e.to, reason: e.reason };
      transitions.inc(labels);
      transitionSeries.note(e.backend, labels);
    }],
    [channels.adminChange, (m) => {
      const e = m as AdminChangeEvent;
      const labels = { backend: e.backend, from: e.from, to: e.to };
      adminChanges.inc(labels);
      adminSeries.note(e.backend, labels);
    }],
    [channels.failover, (m) => {
      const e = m as FailoverEvent;
      const labels = { kind: e.kind, backend: e.backend };
      failovers.inc(labels);
      failoverSeries.note(e.backend, labels);
    }],
    [channels.leader, () => leaderChanges.inc()],
    [channels.reload, (m) => reloads.inc({ result: (m as ReloadEvent).ok ? 'ok' : 'failed' })],
  ];
  for (const [ch, fn] of subscriptions) diagnosticsChannel.subscribe(ch.name, fn);

  return {
    close() {
      for (const [ch, fn] of subscriptions) diagnosticsChannel.unsubscribe(ch.name, fn);
      transportSeries.close();
      flowSeries.close();
    },
  };
}
