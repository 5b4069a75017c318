/**
 * @module metrics/ws
 * Series of the WebSocket listeners (RFC 7118), from observe/channels.ts: handshakes refused by
 * reason, and the round trip of the heartbeat Pings (how far away, and how loaded, the browsers
 * are). Open and closed WebSocket connections are in the connection series of metrics/transport.ts
 * under transport="ws"/"wss".
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';
import { channels, type WsHandshakeRefusedEvent, type WsPingEvent } from '../observe/channels.js';

/** transport/ws-handshake.ts WsRefuseReason, exported at 0 from the first scrape. */
const REFUSE_REASONS = ['not-websocket', 'no-sip-subprotocol', 'host-not-allowed', 'origin-not-allowed', 'bad-handshake', 'timeout', 'cap'] as const;
/** Loopback to intercontinental mobile: 1 ms .. 10 s. */
const RTT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createWsSeries(registry: Registry): () => void {
  const registers = [registry];
  const refused: Counter<'transport' | 'reason'> = new Counter({
    name: 'siplb_ws_handshakes_refused_total',
    help: 'WebSocket handshakes refused, by transport (ws, wss) and reason (no-sip-subprotocol, origin-not-allowed, host-not-allowed, not-websocket, bad-handshake, timeout, cap).',
    labelNames: ['transport', 'reason'] as const,
    registers,
  });
  const rtt: Histogram<'transport'> = new Histogram({
    name: 'siplb_ws_ping_rtt_seconds',
    help: 'Round trip of the WebSocket heartbeat Ping to its Pong, by transport (ws, wss).',
    labelNames: ['transport'] as const,
    buckets: RTT_BUCKETS,
    registers,
  });
  for (const transport of ['ws', 'wss']) {
    for (const reason of REFUSE_REASONS) refused.inc({ transport, reason }, 0);
    rtt.zero({ transport }); // the series exist before the first Pong (dashboards, rate())
  }
  const onRefused = (m: unknown): void => {
    const e = m as WsHandshakeRefusedEvent;
    refused.inc({ transport: e.transport, reason: e.reason });
  };
  const onPing = (m: unknown): void => {
    const e = m as WsPingEvent;
    rtt.observe({ transport: e.transport }, e.rttSeconds);
  };
  diagnosticsChannel.subscribe(channels.wsHandshakeRefused.name as string, onRefused);
  diagnosticsChannel.subscribe(channels.wsPing.name as string, onPing);
  return () => {
    diagnosticsChannel.unsubscribe(channels.wsHandshakeRefused.name as string, onRefused);
    diagnosticsChannel.unsubscribe(channels.wsPing.name as string, onPing);
  };
}
