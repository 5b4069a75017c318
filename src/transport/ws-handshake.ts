/**
 * @module transport/ws-handshake
 * Whether a WebSocket upgrade request may become a SIP connection (RFC 7118 §4, RFC 6455 §4.2):
 * the `sip` subprotocol and nothing else, a Host and an Origin the operator allows. Pure: it reads
 * header values and says accept, or refuse with an HTTP status and a reason (a metric label).
 *
 * Kamailio leaves these checks to each script (`xhttp` event route, `ws_handle_handshake`);
 * here they are one policy, so every deployment gets them.
 */

/** Why a handshake was refused. Stable strings: metric label values. */
export type WsRefuseReason =
  /** An HTTP request that is not a WebSocket upgrade (answered 426). */
  | 'not-websocket'
  /** No `sip` in Sec-WebSocket-Protocol (RFC 7118 §4: `sip` is the only subprotocol; never `sips`). */
  | 'no-sip-subprotocol'
  | 'host-not-allowed'
  | 'origin-not-allowed'
  /** The ws library found the upgrade malformed (version, key, …; RFC 6455 §4.2.1). */
  | 'bad-handshake'
  /** The upgrade did not complete within sip.ws.handshakeTimeout. */
  | 'timeout'
  /** The connection caps of sip.tcp (total, per IP, TLS handshakes in flight). */
  | 'cap';

export const WS_REFUSE_REASONS: readonly WsRefuseReason[] = ['not-websocket', 'no-sip-subprotocol', 'host-not-allowed', 'origin-not-allowed', 'bad-handshake', 'timeout', 'cap'];

/** The one subprotocol of SIP over WebSocket (RFC 7118 §4.1). */
export const SIP_SUBPROTOCOL = 'sip';

export interface WsHandshakePolicy {
  /** Lower-cased `scheme://host[:port]` values; empty: any Origin. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Lower-cased `host` or `host:port` values; empty: any Host. */
  readonly allowedHosts: ReadonlySet<string>;
}

/** Build the policy from the config lists (sip.ws.allowedOrigins, sip.ws.allowedHosts). */
export function handshakePolicy(allowedOrigins: readonly string[], allowedHosts: readonly string[]): WsHandshakePolicy {
  return {
    allowedOrigins: new Set(allowedOrigins.map((o) => o.trim().toLowerCase().replace(/\/+$/, ''))),
    allowedHosts: new Set(allowedHosts.map((h) => h.trim().toLowerCase())),
  };
}

/** The request headers the policy reads (node's IncomingMessage headers fit). */
export interface UpgradeHeaders {
  readonly upgrade?: string | undefined;
  readonly host?: string | undefined;
  readonly origin?: string | undefined;
  readonly 'sec-websocket-protocol'?: string | undefined;
}

export type HandshakeVerdict = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 403 | 426; readonly reason: WsRefuseReason };

/** The subprotocols a client offers (RFC 6455 §4.1: a comma-separated list of tokens). */
export function offeredProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** `sip` when the client offers it (the token is case-sensitive, RFC 6455 §4.1), else undefined. */
export function chooseSubprotocol(offered: Iterable<string>): typeof SIP_SUBPROTOCOL | undefined {
  for (const p of offered) if (p === SIP_SUBPROTOCOL) return SIP_SUBPROTOCOL;
  return undefined;
}

/** Host without a default port, so `example.com` in the list also matches `example.com:443`. */
function hostMatches(allowed: ReadonlySet<string>, host: string | undefined): boolean {
  if (allowed.size === 0) return true;
  if (host === undefined) return false;
  const h = host.trim().toLowerCase();
  if (allowed.has(h)) return true;
  const bare = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
  return allowed.has(bare);
}

/**
 * Check one upgrade request. Order: not an upgrade at all (426), then Host and Origin (403: the
 * client is not welcome whatever it speaks), then the subprotocol (400, as Kamailio answers a
 * handshake without `sip`).
 */
export function checkHandshake(h: UpgradeHeaders, policy: WsHandshakePolicy): HandshakeVerdict {
  if (h.upgrade?.toLowerCase() !== 'websocket') return { ok: false, status: 426, reason: 'not-websocket' };
  if (!hostMatches(policy.allowedHosts, h.host)) return { ok: false, status: 403, reason: 'host-not-allowed' };
  // RFC 6455 §10.2: Origin guards against other sites' pages in a browser; a client that sends none
  // is not a browser and could send any value, so only a present Origin is checked.
  if (policy.allowedOrigins.size > 0 && h.origin !== undefined && !policy.allowedOrigins.has(h.origin.trim().toLowerCase())) {
    return { ok: false, status: 403, reason: 'origin-not-allowed' };
  }
  if (chooseSubprotocol(offeredProtocols(h['sec-websocket-protocol'])) === undefined) return { ok: false, status: 400, reason: 'no-sip-subprotocol' };
  return { ok: true };
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 426: 'Upgrade Required', 503: 'Service Unavailable' };

/** The HTTP response that refuses a handshake, then the connection closes. */
export function refusalResponse(status: number, reason: string): string {
  const upgrade = status === 426 ? 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' : '';
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${upgrade}Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`;
}
