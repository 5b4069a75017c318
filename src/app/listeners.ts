/**
 * @module app/listeners
 * Builds the SIP listeners of sip.listen and the one sender over all of them. Every listener
 * hands its messages to the same handler with their source (transport/contract.ts); the proxy
 * answers through the hub, which picks the transport of each target.
 *
 * UDP backends and clients need a UDP socket even when sip.listen names no udp: listener; then
 * an ephemeral one on the primary listener's host serves them (responses come back to it). TCP
 * and TLS always exist as senders (backends may use them on a node that listens on UDP only);
 * they listen only where sip.listen says. WebSocket (ws:, wss:) exists only where it listens: it
 * never connects out. TCP, TLS and WebSocket share one connection table, so the caps of sip.tcp
 * count them all and a connection id names one connection whatever its transport.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { channels } from '../observe/channels.js';
import type { HostPort } from '../transport/address.js';
import { ConnectionTable, type ConnectionLimits, type ConnectionStats } from '../transport/connections.js';
import type { MessageHandler } from '../transport/contract.js';
import { TransportHub } from '../transport/hub.js';
import { StreamTransport, type StreamErrorReport, type StreamTransportKind } from '../transport/stream.js';
import type { StreamTlsOptions } from '../transport/tls-material.js';
import type { UdpEndpoint, UdpEngine } from '../transport/udp-endpoint.js';
import { wsTransports } from './ws-listeners.js';
import type { EngineDecision } from '../transport/udp-factory.js';

export interface Listeners {
  /** The UDP socket: overload control watches its receive queue. */
  readonly udp: UdpEndpoint;
  /** What carries the UDP sockets (sip.udpEngine as resolved). */
  readonly udpEngine: UdpEngine;
  /** Sends over whichever transport a target names. */
  readonly sender: TransportHub;
  onMessage(handler: MessageHandler): void;
  /** Bind every listener; resolves with the primary listener's bound address. */
  start(): Promise<HostPort>;
  close(): Promise<void>;
  /** Re-read the TLS files (a reload): new handshakes get them, open connections stay up. */
  reloadCertificates(): Promise<void>;
  /** Stream connections: open by transport and direction, accepted, refused, closed by reason. */
  connectionStats(): ConnectionStats;
  /** Bound addresses of every listener, as `transport:host:port`. */
  bound(): string[];
}

/** sip.tls as the stream transport takes it. */
export function streamTls(c: Config): StreamTlsOptions {
  return {
    certFile: c.sip.tls.cert,
    keyFile: c.sip.tls.key,
    caFile: c.sip.tls.ca,
    minVersion: c.sip.tls.minVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3',
    verifyClient: c.sip.tls.verifyClients,
    verifyServer: c.sip.tls.verifyBackends,
  };
}

/** sip.tcp as the connection table takes it. */
export function streamLimits(c: Config): ConnectionLimits {
  const t = c.sip.tcp;
  return {
    maxConnections: t.maxConnections,
    maxPerIp: t.maxConnectionsPerIp,
    maxTlsHandshakes: t.maxHandshakes,
    firstByteMs: t.firstByteTimeout,
    messageMs: t.messageTimeout,
    idleMs: t.idleTimeout,
    connectMs: t.connectTimeout,
  };
}

export interface StreamSenderOptions {
  readonly config: Config;
  readonly kind: StreamTransportKind;
  readonly listen?: HostPort;
  readonly connections: ConnectionTable;
  readonly onError?: (r: StreamErrorReport) => void;
}

/** One TCP or TLS transport with the config's TLS files, size cap and limits. */
export function streamTransport(o: StreamSenderOptions): StreamTransport {
  return new StreamTransport({
    transport: o.kind,
    listen: o.listen,
    tls: streamTls(o.config),
    framing: { maxMessageBytes: o.config.sip.tcp.maxMessageBytes },
    connections: o.connections,
    onError: o.onError,
  });
}

export function buildListeners(config: Config, log: Logger, engine: EngineDecision): Listeners {
  const transportLog = log.child({ component: 'transport' });
  const primary = config.sip.listen[0]!;
  const udpListen = config.sip.listen.find((l) => l.transport === 'udp');
  const udp = engine.create({
    listen: udpListen ?? { host: primary.host, port: 0 },
    recvBufferBytes: config.sip.recvBufferBytes,
    sendBufferBytes: config.sip.sendBufferBytes,
    onSendError: (err) => {
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'send-error', detail: err.message });
      transportLog.debug({ err }, 'send failed');
    },
  });
  const connections = new ConnectionTable(streamLimits(config));
  const onError = (r: StreamErrorReport): void => {
    if (channels.drop.hasSubscribers && r.direction === 'out') channels.drop.publish({ reason: 'send-error', detail: `${r.transport} ${r.reason}` });
    transportLog.debug({ transport: r.transport, reason: r.reason, peer: `${r.host}:${r.port}`, err: r.error }, 'stream failure');
  };
  const streams = (['tcp', 'tls'] as const).map((kind) =>
    streamTransport({ config, kind, listen: config.sip.listen.find((l) => l.transport === kind), connections, onError }),
  );
  const websockets = wsTransports(config, connections, streamTls(config), transportLog);
  const sender = new TransportHub();
  sender.register('udp', udp);
  for (const s of [...streams, ...websockets]) sender.register(s.transport, s);
  // A browser's Via may say WSS over ws: (SIP.js always writes WSS): with one WebSocket listener
  // it answers for both names; it finds connections by id (their registry is shared anyway).
  if (websockets.length === 1) sender.register(websockets[0]!.transport === 'ws' ? 'wss' : 'ws', websockets[0]!);
  let udpBound: HostPort | undefined;
  const streamBound = new Map<string, HostPort>();
  return {
    udp,
    udpEngine: engine.engine,
    sender,
    onMessage: (handler) => {
      udp.onMessage(handler);
      for (const s of [...streams, ...websockets]) s.onMessage(handler);
    },
    async start() {
      udpBound = await udp.start();
      for (const s of streams) {
        const b = await s.start();
        if (b !== undefined) streamBound.set(s.transport, b);
      }
      for (const w of websockets) streamBound.set(w.transport, await w.start());
      return primary.transport === 'udp' ? udpBound : streamBound.get(primary.transport)!;
    },
    async close() {
      await udp.close();
      await Promise.all([...streams, ...websockets].map((s) => s.close()));
    },
    async reloadCertificates() {
      for (const s of [...streams, ...websockets]) await s.reloadCertificates();
    },
    connectionStats: () => connections.stats(),
    bound: () => [
      ...(udpListen !== undefined && udpBound !== undefined ? [`udp:${udpBound.host}:${udpBound.port}`] : []),
      ...[...streamBound].map(([t, b]) => `${t}:${b.host}:${b.port}`),
    ],
  };
}
