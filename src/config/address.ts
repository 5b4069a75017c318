/**
 * @module config/address
 * `host:port` addresses as written in the config (IPv4, hostname, or `[IPv6]:port`) and their
 * normal form `{ host, port }` with the IPv6 brackets removed. Pure: no DNS, no sockets.
 */

/** A normalized address. `host` is an IPv4 literal, an IPv6 literal without brackets, or a hostname. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export type ParseAddressResult = { ok: true; address: Address } | { ok: false; reason: string };

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
// RFC 1123 §2.1 host names: labels of letters, digits and inner hyphens, at most 63 each.
// Underscores are admitted too: container runtimes resolve service names such as `gw_1`.
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function isIPv4(host: string): boolean {
  return IPV4.test(host);
}

/** RFC 4291 §2.2 text forms, including `::` compression and a trailing dotted IPv4 part. */
export function isIPv6(host: string): boolean {
  if (host.length === 0 || host.length > 45) return false;
  const halves = host.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const all = halves.flatMap(groups);
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false;
    all.pop();
    count += 1; // the dotted quad fills two groups
  }
  if (!all.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
  // An all-numeric name such as 10.0.0.300 is a mistyped IPv4 literal, not a host name.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => LABEL.test(l));
}

/** Parses `host:port`; `allowPortZero` admits port 0 (let the OS pick) for listen addresses. */
export function parseAddress(text: string, allowPortZero = false): ParseAddressResult {
  const s = text.trim();
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
    if (m === null) return { ok: false, reason: 'unbalanced brackets' };
    host = m[1] ?? '';
    if (m[2] === undefined) return { ok: false, reason: 'missing port' };
    portText = m[2];
    if (!isIPv6(host)) return { ok: false, reason: `'${host}' is not an IPv6 address` };
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) return { ok: false, reason: 'missing port' };
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) return { ok: false, reason: 'an IPv6 address needs brackets' };
    if (host === '') return { ok: false, reason: 'missing host' };
    if (/^[\d.]+$/.test(host)) {
      if (!isIPv4(host)) return { ok: false, reason: `'${host}' is not an IPv4 address` };
    } else if (!isHostname(host)) {
      return { ok: false, reason: `'${host}' is not a valid host name` };
    }
  }
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: `port '${portText}' is not a number` };
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) {
    return { ok: false, reason: `port ${port} is out of range ${allowPortZero ? '0' : '1'}..65535` };
  }
  return { ok: true, address: { host, port } };
}

/** The inverse of parseAddress: `[2001:db8::1]:5060`, `127.0.0.1:5060`. */
export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Same endpoint, ignoring host-name case (RFC 4343) and IPv6 hex-digit case. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

/** Loopback: 127.0.0.0/8, ::1 and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || (isIPv4(h) && h.startsWith('127.'));
}

/** The "any address" hosts, which cannot go into a Via or Record-Route header. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0';
}

/** Transports siplb listens on; ws/wss are SIP over WebSocket (RFC 7118). */
export const LISTEN_TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
export type ListenTransport = (typeof LISTEN_TRANSPORTS)[number];

/** A listener: transport plus address, e.g. `tcp:0.0.0.0:5060`. */
export interface ListenAddress extends Address {
  readonly transport: ListenTransport;
}

export type ParseListenResult = { ok: true; listen: ListenAddress } | { ok: false; reason: string };

/**
 * `proto:host:port` as Kamailio's `listen=` writes it (`udp:`, `tcp:`, `tls:`, `ws:`, `wss:`, any case); a bare
 * `host:port` is UDP. The prefix is unambiguous: an IPv6 host always comes in brackets here.
 */
export function parseListen(text: string): ParseListenResult {
  const s = text.trim();
  const m = /^([A-Za-z]+):(.*)$/.exec(s);
  let transport: ListenTransport = 'udp';
  let rest = s;
  if (m !== null && !/^\d+$/.test(m[2]!)) {
    const t = m[1]!.toLowerCase();
    if (!(LISTEN_TRANSPORTS as readonly string[]).includes(t)) {
      return { ok: false, reason: `unknown transport '${m[1]}' (udp, tcp, tls, ws or wss)` };
    }
    transport = t as ListenTransport;
    rest = m[2]!;
  }
  const r = parseAddress(rest, true);
  return r.ok ? { ok: true, listen: { transport, ...r.address } } : r;
}

/** The inverse of parseListen: `tcp:127.0.0.1:5060`. */
export function formatListen(l: ListenAddress): string {
  return `${l.transport}:${formatAddress(l)}`;
}
