/**
 * @module app/ws-listeners
 * The WebSocket transports (RFC 7118) of sip.listen's `ws:` and `wss:` entries, with sip.ws's
 * policy and sip.tls's files, on the connection table TCP and TLS use. Both share one registry of
 * open connections, so a response finds its connection by id whatever transport its Via names.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ConnectionTable } from '../transport/connections.js';
import type { StreamTlsOptions } from '../transport/tls-material.js';
import type { WsConnection } from '../transport/ws-connection.js';
import { handshakePolicy } from '../transport/ws-handshake.js';
import { WsTransport, type WsErrorReport } from '../transport/ws.js';

/** `tls`: sip.tls as the transports take it (app/listeners.ts streamTls). */
export function wsTransports(config: Config, connections: ConnectionTable, tls: StreamTlsOptions, log: Logger): WsTransport[] {
  const ws = config.sip.ws;
  const policy = handshakePolicy(ws.allowedOrigins, ws.allowedHosts);
  const registry = new Map<number, WsConnection>();
  const onError = (r: WsErrorReport): void => {
    log.debug({ transport: r.transport, reason: r.reason, peer: `${r.host}:${r.port}`, connectionId: r.connectionId, err: r.error }, 'websocket failure');
  };
  return config.sip.listen
    .filter((l) => l.transport === 'ws' || l.transport === 'wss')
    .map(
      (l) =>
        new WsTransport({
          transport: l.transport as 'ws' | 'wss',
          listen: { host: l.host, port: l.port },
          connections,
          registry,
          tls,
          policy,
          pingIntervalMs: ws.pingInterval,
          maxMessageBytes: ws.maxMessageBytes,
          handshakeTimeoutMs: ws.handshakeTimeout,
          onError,
        }),
    );
}
