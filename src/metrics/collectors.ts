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
import type { AdminControl } from '../admin/dto.js';
import {
  channels,
  type AdminChangeEvent,
  type DropEvent,
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
import { createGauges } from './gauges.js';
import { methodLabel, statusClass, statusLabel } from './labels.js';
import { Tally2 } from './tally.js';

/**
 * Probe RTT buckets in seconds: 0.1 ms (same host) to 2 s (beyond any sane probe timeout), about
 * 2.5x apart, so p50/p95 of a LAN backend (sub-ms) and of a distant one (tens of ms) both resolve.
 */
export const PROBE_RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

/** Every drop reason, as a record so the compiler flags a reason added to the channel type. */
const DROP_REASONS: Record<DropReason, true> = {
  'parse-error': true, size: true, keepalive: true, 'not-our-via': true, 'bad-via': true, 'no-via': true,
  'no-route': true, 'send-error': true, overload: true,
};
const PROBE_FAILURES: readonly ProbeEvent['result'][] = ['timeout', 'bad-code', 'slow'];
const FAILOVER_KINDS: readonly FailoverEvent['kind'][] = ['serial', 'ring'];

export interface Collectors {
  close(): void;
}

export function createCollectors(registry: Registry, control: AdminControl): Collectors {
  const registers = [registry];
  const backendIds = (): string[] => control.backends().map((b) => b.id);

  // Per-message counters are tallied in plain Maps on the hot path and flushed at scrape time.
  const requestTally = new Tally2();
  const responseTally = new Tally2();
  const newCallTally = new Tally2();
  const requests = new Counter({
    name: 'siplb_requests_forwarded_total',
    help: 'SIP requests forwarded, by method and next-hop backend (external: not a configured backend).',
    labelNames: ['method', 'backend'] as const,
    registers,
    collect: () => requestTally.flush((method, backend, n) => requests.inc({ method, backend }, n)),
  });
  const responses = new Counter({
    name: 'siplb_responses_forwarded_total',
    help: 'SIP responses forwarded upstream, by status class and the backend they came from.',
    labelNames: ['class', 'backend'] as const,
    registers,
    collect: () => responseTally.flush((cls, backend, n) => responses.inc({ class: cls, backend }, n)),
  });
  // The zero series below are created at every scrape for the backends configured then, so a
  // rate() over a fresh or reloaded backend reads 0 instead of "no data" (Prometheus practice:
  // initialise known label values).
  const newCalls = new Counter({
    name: 'siplb_new_calls_total',
    help: 'New calls (initial INVITEs) dispatched by the balancer, per backend.',
    labelNames: ['backend'] as const,
    registers,
    collect: () => {
      for (const id of backendIds()) newCalls.inc({ backend: id }, 0);
      newCallTally.flush((backend, _unused, n) => newCalls.inc({ backend }, n));
    },
  });
  const drops = new Counter({
    name: 'siplb_datagrams_dropped_total',
    help: 'Datagrams dropped without an answer, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of Object.keys(DROP_REASONS)) drops.inc({ reason }, 0);
  const rejects = new Counter({
    name: 'siplb_requests_rejected_total',
    help: 'Requests answered with a stateless error response instead of being forwarded, by reason and status.',
    labelNames: ['reason', 'status'] as const,
    registers,
  });
  const localReplies = new Counter({
    name: 'siplb_local_replies_total',
    help: 'Requests siplb answered itself (e.g. OPTIONS keepalives addressed to it), by method and status.',
    labelNames: ['method', 'status'] as const,
    registers,
  });
  const probeRtt = new Histogram({
    name: 'siplb_probe_rtt_seconds',
    help: 'Round-trip time of answered OPTIONS health probes, per backend.',
    labelNames: ['backend'] as const,
    buckets: PROBE_RTT_BUCKETS,
    registers,
    collect: () => {
      // zero() would wipe observed buckets, so only backends without a series yet get one.
      for (const id of backendIds()) {
        if (rttSeries.has(id)) continue;
        rttSeries.add(id);
        probeRtt.zero({ backend: id });
      }
    },
  });
  const rttSeries = new Set<string>();
  const probeFailures = new Counter({
    name: 'siplb_probe_failures_total',
    help: 'OPTIONS probes that counted as failed, per backend and result (timeout, bad-code, slow).',
    labelNames: ['backend', 'result'] as const,
    registers,
    collect: () => {
      for (const id of backendIds()) for (const result of PROBE_FAILURES) probeFailures.inc({ backend: id, result }, 0);
    },
  });
  const transitions = new Counter({
    name: 'siplb_health_transitions_total',
    help: 'Backend health state changes, per backend, from state, to state and reason.',
    labelNames: ['backend', 'from', 'to', 'reason'] as const,
    registers,
  });
  const adminChanges = new Counter({
    name: 'siplb_admin_state_changes_total',
    help: 'Operator changes of a backend admin state (enabled, disabled, draining), per backend, from and to.',
    labelNames: ['backend', 'from', 'to'] as const,
    registers,
  });
  const failovers = new Counter({
    name: 'siplb_failovers_total',
    help: 'New calls moved off a backend: serial (INVITE retried elsewhere) or ring (backend left the ring), per backend moved off.',
    labelNames: ['kind', 'backend'] as const,
    registers,
    collect: () => {
      for (const id of backendIds()) for (const kind of FAILOVER_KINDS) failovers.inc({ kind, backend: id }, 0);
    },
  });
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
        rttSeries.add(e.backend);
        probeRtt.observe({ backend: e.backend }, e.rttMs / 1000);
      }
      if (e.result !== 'ok') probeFailures.inc({ backend: e.backend, result: e.result });
    }],
    [channels.healthTransition, (m) => {
      const e = m as HealthTransitionEvent;
      transitions.inc({ backend: e.backend, from: e.from, to: e.to, reason: e.reason });
    }],
    [channels.adminChange, (m) => {
      const e = m as AdminChangeEvent;
      adminChanges.inc({ backend: e.backend, from: e.from, to: e.to });
    }],
    [channels.failover, (m) => {
      const e = m as FailoverEvent;
      failovers.inc({ kind: e.kind, backend: e.backend });
    }],
    [channels.leader, () => leaderChanges.inc()],
    [channels.reload, (m) => reloads.inc({ result: (m as ReloadEvent).ok ? 'ok' : 'failed' })],
  ];
  for (const [ch, fn] of subscriptions) diagnosticsChannel.subscribe(ch.name, fn);

  return {
    close() {
      for (const [ch, fn] of subscriptions) diagnosticsChannel.unsubscribe(ch.name, fn);
    },
  };
}
