/**
 * @module metrics/transport
 * Series of the stream transports (TCP, TLS, WebSocket: metrics/ws.ts adds its own) and of the size switch: open connections now, and
 * totals of accepted, refused and closed connections by reason (read at scrape time from GET
 * /status's `connections`, like the other gauges), TLS handshake failures, framing errors and
 * transport switches (from observe/channels.ts). Every known label set is exported at 0 from the
 * first scrape, so `rate()` and the dashboard see the first event.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AdminControl } from '../api/control.js';
import { channels, type FramingErrorEvent, type TlsHandshakeFailureEvent, type TransportSwitchEvent } from '../observe/channels.js';
import { perScrape, ReportedTotals } from './reported-totals.js';
import { createWsSeries } from './ws.js';

const OPEN_KEYS = ['tcp/in', 'tcp/out', 'tls/in', 'tls/out', 'ws/in', 'wss/in'] as const;
const CLOSE_REASONS = [
  'peer', 'idle', 'first-byte-timeout', 'message-timeout', 'framing', 'missing-content-length', 'error', 'tls-handshake',
  'connect-failed', 'connect-timeout', 'write-backlog', 'shutdown', 'handshake-timeout', 'handshake-refused', 'ping-timeout', 'too-large',
] as const;
const REFUSE_REASONS = ['total-cap', 'per-ip-cap', 'tls-handshake-cap'] as const;
const FRAMING_REASONS = ['not-sip', 'headers-too-large', 'too-large', 'bad-content-length', 'conflicting-content-length', 'missing-content-length'] as const;

export interface TransportSeries {
  close(): void;
}

export function createTransportSeries(registry: Registry, control: AdminControl): TransportSeries {
  const registers = [registry];
  // One status read per scrape for the three collectors below.
  const conns = perScrape(() => control.status().connections);
  const open: Gauge<'transport' | 'direction'> = new Gauge({
    name: 'siplb_connections_open',
    help: 'Open TCP, TLS and WebSocket (ws, wss) connections, by transport and direction (in: from clients, out: to backends).',
    labelNames: ['transport', 'direction'] as const,
    registers,
    collect: () => {
      const now = conns().open;
      for (const k of OPEN_KEYS) {
        const [transport, direction] = k.split('/') as [string, string];
        open.set({ transport, direction }, now[k] ?? 0);
      }
    },
  });
  let acceptedSeen = 0;
  const accepted: Counter = new Counter({
    name: 'siplb_connections_accepted_total',
    help: 'Inbound TCP, TLS and WebSocket connections accepted.',
    registers,
    collect: () => {
      const v = conns().accepted;
      if (v > acceptedSeen) accepted.inc(v - acceptedSeen);
      acceptedSeen = v;
    },
  });
  accepted.inc(0);
  const refused: Counter<'reason'> = new Counter({ name: 'siplb_connections_refused_total', help: 'Inbound connections refused at accept, by cap (total-cap, per-ip-cap, tls-handshake-cap).', labelNames: ['reason'] as const, registers });
  const refusedTotals = new ReportedTotals(refused, 'reason', REFUSE_REASONS);
  const closed: Counter<'reason'> = new Counter({
    name: 'siplb_connections_closed_total',
    help: 'TCP, TLS and WebSocket connections closed, by reason (peer, idle, first-byte-timeout, message-timeout, framing, tls-handshake, connect-failed, …).',
    labelNames: ['reason'] as const,
    registers,
    // Both totals are brought up to date on this counter's scrape (collect runs per metric).
    collect: () => {
      refusedTotals.sync(Object.entries(conns().refused));
      closedTotals.sync(Object.entries(conns().closed));
    },
  });
  const closedTotals = new ReportedTotals(closed, 'reason', CLOSE_REASONS);

  const tlsFailures: Counter<'direction'> = new Counter({ name: 'siplb_tls_handshake_failures_total', help: 'TLS handshakes that failed: in (a client) or out (to a backend).', labelNames: ['direction'] as const, registers });
  const framing: Counter<'reason'> = new Counter({ name: 'siplb_stream_framing_errors_total', help: 'Stream messages that could not be framed (RFC 3261 §18.3), by reason; the connection is closed.', labelNames: ['reason'] as const, registers });
  const switches: Counter<'from' | 'to'> = new Counter({ name: 'siplb_transport_switches_total', help: 'Requests sent over TCP instead of UDP because of their size (RFC 3261 §18.1.1).', labelNames: ['from', 'to'] as const, registers });
  for (const d of ['in', 'out']) tlsFailures.inc({ direction: d }, 0);
  for (const r of FRAMING_REASONS) framing.inc({ reason: r }, 0);
  for (const from of ['udp', 'tcp', 'tls']) switches.inc({ from, to: 'tcp' }, 0);

  const onTls = (m: unknown): void => tlsFailures.inc({ direction: (m as TlsHandshakeFailureEvent).direction });
  const onFraming = (m: unknown): void => framing.inc({ reason: (m as FramingErrorEvent).reason });
  const onSwitch = (m: unknown): void => {
    const e = m as TransportSwitchEvent;
    switches.inc({ from: e.from, to: e.to });
  };
  const subs: Array<[string, (m: unknown) => void]> = [
    [channels.tlsHandshakeFailure.name as string, onTls],
    [channels.framingError.name as string, onFraming],
    [channels.transportSwitch.name as string, onSwitch],
  ];
  for (const [n, f] of subs) diagnosticsChannel.subscribe(n, f);
  const closeWs = createWsSeries(registry);
  return {
    close: () => {
      for (const [n, f] of subs) diagnosticsChannel.unsubscribe(n, f);
      closeWs();
    },
  };
}
