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

/** A probe target: where, and over which transport. */
export interface SipTargetArg extends HostPortArg {
  readonly transport: 'udp' | 'tcp' | 'tls';
}

/**
 * `sip:host[:port][;transport=udp|tcp|tls]`, `sips:host[:port]` (TLS, port 5061), `sip:user@…`
 * (the user is ignored) or a bare `host[:port]` (UDP); port 5060 by default (RFC 3261 §19.1.2).
 */
export function parseSipTarget(text: string): SipTargetArg | undefined {
  let t = text.trim();
  const sips = /^sips:/i.test(t);
  t = t.replace(/^sips?:/i, '');
  const [hostPart, ...params] = t.slice(t.lastIndexOf('@') + 1).split(';');
  const tp = params.map((p) => /^transport=(.*)$/i.exec(p)?.[1]?.toLowerCase()).find((v) => v !== undefined);
  if (tp !== undefined && tp !== 'udp' && tp !== 'tcp' && tp !== 'tls') return undefined;
  const transport = sips ? 'tls' : (tp ?? 'udp');
  if (sips && tp === 'udp') return undefined; // a sips: URI never goes over UDP
  const hp = parseHostPort(hostPart!, transport === 'tls' ? 5061 : 5060);
  return hp === undefined ? undefined : { ...hp, transport };
}

/** `host:port` text for URLs and messages, brackets around IPv6. */
export function hostPortText(a: HostPortArg): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
