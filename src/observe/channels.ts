/**
 * @module observe/channels
 * Named `node:diagnostics_channel` channels on which the core publishes what happens. Metrics and
 * logs subscribe; publishers check `hasSubscribers` first, so the hot path does no bookkeeping when
 * nobody listens (undici's lib/core/diagnostics.js pattern).
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Why a datagram was dropped without an answer. Stable strings: they are metric label values. */
export type DropReason =
  | 'parse-error'
  | 'size'
  | 'keepalive'
  | 'not-our-via'
  | 'bad-via'
  /** A message without any Via header: nowhere to send it back (RFC 3261 §8.1.1.7, §18.2.2). */
  | 'no-via'
  | 'no-route'
  | 'send-error'
  /** For a client connection that has closed: a WebSocket client accepts no new one (RFC 7118). */
  | 'flow-gone'
  | 'overload';

/**
 * Why a request was rejected with a stateless error response. The request checks
 * (sip/validate.ts, proxy/request-checks.ts) name the header at fault in a `Warning` as well.
 */
export type RejectReason = 'parse-error' | 'max-forwards' | 'loop' | 'relay' | 'no-backend' | 'bad-request' | 'overload'
  /** 400: a mandatory header of RFC 3261 §8.1.1 is missing. */
  | 'missing-header'
  /** 400: a single-valued header (Call-ID, CSeq, Max-Forwards, To, From, Content-Length) twice (§7.3). */
  | 'duplicate-header'
  /** 400: the datagram is shorter than its Content-Length (§18.3). */
  | 'body-truncated'
  /** 400: a malformed SIP Request-URI, or one with escaped headers or a method parameter (§19.1.5). */
  | 'bad-uri'
  /** 505: a SIP version other than 2.0 (§8.2.6, §21.5.6). */
  | 'bad-version'
  /** 416: a Request-URI scheme other than sip, sips or tel (§16.3 step 1, §21.4.14). */
  | 'unsupported-scheme'
  /** 420 with Unsupported: a Proxy-Require option tag; siplb supports none (§16.3 step 4). */
  | 'bad-extension'
  /** 513 Message Too Large: a request over sip.maxDatagramBytes (RFC 3261 §21.5.14). */
  | 'too-large'
  /** 404: the next hop is a numeric domain (GB/T 28181), a name siplb cannot resolve (sip/host.ts). */
  | 'unresolvable'
  /** 403: a sips: Request-URI whose next hop has no TLS leg (RFC 3261 §26.2.2, proxy/leg-transport.ts). */
  | 'insecure-leg';

/**
 * The status code the proxy answers each reject reason with (proxy/request-path.ts,
 * proxy/dispatcher.ts), so metrics can export every (reason, status) pair at zero from the start.
 */
export const REJECT_STATUS: Readonly<Record<RejectReason, number>> = Object.freeze({
  'parse-error': 400,
  'bad-request': 400,
  'missing-header': 400,
  'duplicate-header': 400,
  'body-truncated': 400,
  'bad-uri': 400,
  relay: 403,
  'insecure-leg': 403,
  unresolvable: 404,
  'unsupported-scheme': 416,
  'bad-extension': 420,
  loop: 482,
  'max-forwards': 483,
  'no-backend': 503,
  overload: 503,
  'too-large': 513,
  'bad-version': 505,
});

export interface DropEvent { readonly reason: DropReason; readonly detail?: string }
export interface RejectEvent { readonly reason: RejectReason; readonly status: number; readonly method: string }
export interface RequestForwardedEvent {
  readonly method: string;
  /** Backend id when the next hop is a configured backend, else 'external'. */
  readonly backend: string;
  /** 'new' for a call dispatched by the balancer, 'affinity' for a pinned one, 'routed' for loose-routed. */
  readonly via: 'new' | 'affinity' | 'routed';
}
export interface ResponseForwardedEvent {
  readonly status: number;
  readonly method: string;
  /** Backend id when the response came from a configured backend, else 'external'. */
  readonly backend: string;
}
export interface LocalReplyEvent { readonly method: string; readonly status: number }

/** A backend's health or eligibility for new calls changed (published once per change). */
export interface HealthTransitionEvent {
  readonly backend: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly eligible: boolean;
}
export interface AdminChangeEvent { readonly backend: string; readonly from: string; readonly to: string }
/** One finished OPTIONS probe. `result` is 'ok' or why it counted as a failure. */
export interface ProbeEvent {
  readonly backend: string;
  readonly result: 'ok' | 'timeout' | 'bad-code' | 'slow' | 'unreachable';
  readonly code?: number;
  readonly rttMs?: number;
  /** 'unreachable': what failed (connect-failed, connect-timeout, tls-handshake). */
  readonly detail?: string;
}
/** A new call moved off a backend: 'serial' (INVITE retried elsewhere) or 'ring' (backend out). */
export interface FailoverEvent { readonly kind: 'serial' | 'ring'; readonly backend: string; readonly reason: string }
export interface LeaderEvent {
  readonly role: 'standalone' | 'leader' | 'follower';
  readonly nodeId: string;
  readonly fencingToken: number | null;
  readonly reason: string;
}
export interface ReloadEvent { readonly ok: boolean }
/** A request from a non-backend source refused by abuse protection (security/policy.ts). */
export interface SecurityEvent {
  readonly reason: 'untrusted' | 'rate-limited' | 'flood' | 'blocked' | 'scanner';
  /** 'reject': answered (403, 503); 'drop': no answer at all. */
  readonly action: 'reject' | 'drop';
}

/** A request left over another transport than its target named, by size (RFC 3261 §18.1.1). */
export interface TransportSwitchEvent {
  /** Where the request came in. */
  readonly from: string;
  /** The leg it went out on instead of UDP. */
  readonly to: string;
  readonly bytes: number;
}

/**
 * A stream connection (TCP, TLS) opened, closed or was refused at accept (transport/stream.ts).
 * `reason`: for 'closed' a transport/connections.ts CloseReason (idle, first-byte-timeout,
 * message-timeout, framing, peer …); for 'refused' a RefuseReason (total-cap, per-ip-cap,
 * tls-handshake-cap). Stable strings: metric label values.
 */
export interface ConnectionEvent {
  readonly transport: string;
  readonly direction: 'in' | 'out';
  readonly event: 'opened' | 'closed' | 'refused';
  readonly reason?: string;
  readonly connectionId?: number;
}
/** A TLS handshake failed (inbound client or outbound to a backend); `reason` is Node's/OpenSSL's error code. */
export interface TlsHandshakeFailureEvent {
  readonly direction: 'in' | 'out';
  readonly reason: string;
  readonly connectionId?: number;
}
/** A stream could not be framed (transport/stream-framer.ts FramingErrorReason, or 'missing-content-length'). */
export interface FramingErrorEvent {
  readonly transport: string;
  readonly reason: string;
  readonly connectionId?: number;
}

/** A WebSocket handshake refused (transport/ws-handshake.ts WsRefuseReason); a metric label value. */
export interface WsHandshakeRefusedEvent {
  readonly transport: string;
  readonly reason: string;
}
/** A WebSocket Pong came back (transport/ws-connection.ts): the round trip of its Ping. */
export interface WsPingEvent {
  readonly transport: string;
  readonly rttSeconds: number;
}

export const channels = {
  drop: diagnosticsChannel.channel('siplb:drop'),
  reject: diagnosticsChannel.channel('siplb:reject'),
  requestForwarded: diagnosticsChannel.channel('siplb:request:forwarded'),
  responseForwarded: diagnosticsChannel.channel('siplb:response:forwarded'),
  localReply: diagnosticsChannel.channel('siplb:local-reply'),
  healthTransition: diagnosticsChannel.channel('siplb:health:transition'),
  adminChange: diagnosticsChannel.channel('siplb:health:admin'),
  probe: diagnosticsChannel.channel('siplb:health:probe'),
  failover: diagnosticsChannel.channel('siplb:failover'),
  leader: diagnosticsChannel.channel('siplb:ha:leader'),
  reload: diagnosticsChannel.channel('siplb:config:reload'),
  security: diagnosticsChannel.channel('siplb:security'),
  transportSwitch: diagnosticsChannel.channel('siplb:transport:switch'),
  connection: diagnosticsChannel.channel('siplb:transport:connection'),
  tlsHandshakeFailure: diagnosticsChannel.channel('siplb:transport:tls-handshake-failure'),
  framingError: diagnosticsChannel.channel('siplb:transport:framing-error'),
  wsHandshakeRefused: diagnosticsChannel.channel('siplb:transport:ws-handshake-refused'),
  wsPing: diagnosticsChannel.channel('siplb:transport:ws-ping'),
} as const;
