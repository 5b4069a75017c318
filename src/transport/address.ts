/**
 * @module transport/address
 * A transport address value type and the `host:port` key used for fast set lookups.
 */
import net from 'node:net';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `1.2.3.4:5060` or `[2001:db8::1]:5060` — the key used in backend lookups. */
export function addressKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Text for a Via sent-by or a URI hostport: IPv6 literals get brackets (RFC 3261 §25.1). */
export function hostportText(a: HostPort): string {
  return addressKey(a.host, a.port);
}

export function isIpLiteral(host: string): boolean {
  return net.isIP(host) !== 0;
}

export function ipFamily(host: string): 4 | 6 | 0 {
  const v = net.isIP(host);
  return v === 4 ? 4 : v === 6 ? 6 : 0;
}
