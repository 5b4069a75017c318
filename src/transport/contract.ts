/**
 * @module transport/contract
 * The one transport contract everything above src/transport reads. A listener (UDP socket, TCP or
 * TLS server, later WebSocket) hands each SIP message up with its {@link MessageSource}; whatever
 * sends takes a {@link SendTarget} naming the transport, so proxy/, health/ and backends/ never
 * see node:dgram, node:net or node:tls.
 *
 * RFC 3261 §18.2.2: a response goes back over the connection its request came in on; only when
 * that connection is gone is a new one opened to the Via's sent-by. A target therefore may carry
 * the id of the connection to use first.
 */
import type { HostPort } from './address.js';

/**
 * The SIP transports siplb knows, as written in a Via (upper-cased there, RFC 3261 §20.42) and in
 * a URI's `transport=` parameter (lower-cased, §19.1.1). `ws`/`wss` are RFC 7118.
 */
export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Stream transports: framed by Content-Length, answered on the connection (RFC 3261 §18.3). */
export function isStream(t: Transport): boolean {
  return t !== 'udp';
}

/** Transports that are secure end to end for a `sips:` URI (RFC 3261 §26.2.2). */
export function isSecure(t: Transport): boolean {
  return t === 'tls' || t === 'wss';
}

/** The token in a Via's sent-protocol: `SIP/2.0/UDP`, `SIP/2.0/TLS`, … */
export function viaToken(t: Transport): string {
  return t.toUpperCase();
}

/** Where a message came from, as a listener hands it up. */
export interface MessageSource {
  readonly transport: Transport;
  /** The peer's IP address, as the socket reported it. */
  readonly address: string;
  readonly port: number;
  /** Stream transports: the connection it arrived on (unique per node); undefined for UDP. */
  readonly connectionId?: number | undefined;
}

/** Where to send a message: a transport and an address, and for streams the connection to try first. */
export interface SendTarget extends HostPort {
  readonly transport: Transport;
  /** Reuse this connection if it is still open (RFC 3261 §18.2.2); else connect to host:port. */
  readonly connectionId?: number | undefined;
  /**
   * Only that connection: when it is gone the send is a counted drop, never a new connection (a
   * request routed by a flow token, RFC 5626 §5.3: the client's flow is the only way to it).
   */
  readonly connectionOnly?: boolean | undefined;
}

/** Sends SIP messages. Fire and forget: failures are reported by the adapter, never thrown. */
export interface MessageSender {
  send(buf: Buffer, target: SendTarget): void;
}

/**
 * Which connections are still open, for the flow-token routing of RFC 5626 §5.3: a request for a
 * client whose connection is gone is answered 430 Flow Failed instead of being sent to a new one
 * (a WebSocket client accepts no inbound connection; a TCP client behind NAT neither).
 */
export interface FlowDirectory {
  isOpen(transport: Transport, connectionId: number): boolean;
}

/** A sender that owns connections and can say whether one is still open (stream and WS transports). */
export interface ConnectionOwningSender extends MessageSender {
  isOpen(connectionId: number): boolean;
}

/**
 * The single upward callback a listener is given (wired in app.ts). `buf` is valid only until the
 * handler returns: the native UDP engine copies the next batch of datagrams into the same memory
 * (native/udp/src/udp.c), so a handler that keeps a message, or anything parsed from it that
 * still reads its bytes, keeps a copy (`Buffer.allocUnsafeSlow` + `copy`: a pooled Buffer would
 * keep Node's 8 KiB pool alive with it).
 */
export type MessageHandler = (buf: Buffer, source: MessageSource) => void;

/** The UDP target back to a message's source (the common reply case), without a stream id. */
export function replyTarget(source: MessageSource): SendTarget {
  return { transport: source.transport, host: source.address, port: source.port, connectionId: source.connectionId };
}

/** One listener: `udp:host:port`, `tcp:…`, `tls:…` (Kamailio's `listen=` form). */
export interface ListenAddress extends HostPort {
  readonly transport: Transport;
}
