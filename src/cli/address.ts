/**
 * @module cli/address
 * Parsing the `host:port` and `sip:host:port` arguments of the CLI. IPv6 literals are bracketed
 * (`[::1]:8060`, RFC 3986 §3.2.2 and RFC 3261 §25.1), so the last colon is not ambiguous.
 */

export interface HostPortArg {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;

/** `host:port` or `[v6]:port`; `defaultPort` when the port is omitted (undefined: port required). */
export function parseHostPort(text: string, defaultPort?: number): HostPortArg | undefined {
  const m = HOST_PORT.exec(text.trim());
  if (m === null) return undefined;
  const host = m[1] ?? m[2]!;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** `sip:host[:port]`, `sip:user@host[:port]` (the user is ignored) or a bare `host[:port]`; port 5060 by default (RFC 3261 §19.1.2). */
export function parseSipTarget(text: string): HostPortArg | undefined {
  let t = text.trim();
  if (/^sips:/i.test(t)) return undefined; // SIPS needs TLS; the probe speaks UDP only.
  t = t.replace(/^sip:/i, '');
  t = t.slice(t.lastIndexOf('@') + 1).split(';', 1)[0]!;
  return parseHostPort(t, 5060);
}

/** `host:port` text for URLs and messages, brackets around IPv6. */
export function hostPortText(a: HostPortArg): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
