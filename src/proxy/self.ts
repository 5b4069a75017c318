/**
 * @module proxy/self
 * Who "we" are on the wire: the advertised address that goes into our Via and Record-Route (the
 * VIP in production), the addresses that count as ours when a Route or Request-URI names them,
 * and the precomputed header bytes pushed onto every forwarded request, one set per transport.
 *
 * The advertised port of a transport is sip.advertise's port when its listener shares the primary
 * listener's port (UDP and TCP on 5060, the usual case), else that listener's own port.
 */
import type { SipUri, Via } from '../sip/message.js';
import { hostportText, type HostPort } from '../transport/address.js';
import { viaToken, type ListenAddress, type Transport } from '../transport/contract.js';

/** Prefix of every branch we generate: RFC 3261 §8.1.1.7 magic cookie + our own marker. */
export const BRANCH_PREFIX = 'z9hG4bKsl';

/**
 * The Via parameter naming the stream connection a forwarded request came in on, so the stateless
 * response path can put the response back on that connection (RFC 3261 §18.2.2) without a table.
 */
export const FLOW_PARAM = 'lbflow';

const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** A transport's position in {@link TRANSPORTS}: per-transport texts are array slots, not `Map` entries hashed per message. */
function slotOf(t: Transport): number {
  switch (t) {
    case 'udp':
      return 0;
    case 'tcp':
      return 1;
    case 'tls':
      return 2;
    case 'ws':
      return 3;
    default:
      return 4;
  }
}

/** A loop, not `Array#includes` (a builtin call optimised code does not inline for these lists). */
function hasPort(ports: readonly number[], port: number): boolean {
  for (let i = 0; i < ports.length; i++) if (ports[i] === port) return true;
  return false;
}

function hasHost(hosts: readonly string[], host: string): boolean {
  for (let i = 0; i < hosts.length; i++) if (hosts[i] === host) return true;
  return false;
}

export class SelfAddress {
  readonly advertise: HostPort;
  /** By {@link slotOf}. */
  readonly #via: string[] = [];
  readonly #hostport: string[] = [];
  /** Record-Route lines by `(inbound · 5 + outbound) · 2 + secure`, made on first use. */
  readonly #recordRoutes: (string | undefined)[] = new Array<string | undefined>(TRANSPORTS.length * TRANSPORTS.length * 2).fill(undefined);
  /** Our hosts (lower case) and ports: one or two of each, compared in turn rather than hashed. */
  readonly #hosts: readonly string[];
  readonly #ports: readonly number[];

  /** `listen`: every listener (a single HostPort is one UDP listener); the first is the primary. */
  constructor(advertise: HostPort, listen: HostPort | readonly ListenAddress[]) {
    this.advertise = advertise;
    const listens: readonly ListenAddress[] = Array.isArray(listen) ? listen : [{ transport: 'udp', ...(listen as HostPort) }];
    const primaryPort = listens[0]?.port ?? advertise.port;
    for (const t of TRANSPORTS) {
      const l = listens.find((x) => x.transport === t);
      const port = l === undefined || l.port === primaryPort ? advertise.port : l.port;
      const hp = hostportText({ host: advertise.host, port });
      this.#hostport[slotOf(t)] = hp;
      this.#via[slotOf(t)] = `Via: SIP/2.0/${viaToken(t)} ${hp};branch=`;
    }
    this.#hosts = [...new Set([advertise.host.toLowerCase(), ...listens.map((l) => l.host.toLowerCase())])];
    this.#ports = [...new Set([advertise.port, ...listens.map((l) => l.port)])];
  }

  /** `Via: SIP/2.0/<T> host:port;branch=` for a request leaving over `t`; the branch and CRLF follow. */
  viaPrefix(t: Transport): string {
    return this.#via[slotOf(t)]!;
  }

  /**
   * The Record-Route line(s) for a dialog-creating request that came in over `inbound` and leaves
   * over `outbound` (RFC 3261 §16.6 step 4, loose routing §16.12). Over a stream the URI names
   * its transport, so in-dialog requests come back over it. When the legs differ (RFC 5658), two
   * entries, each with its `transport=` and `r2=on`; the one facing the outgoing leg on top, since
   * the callee routes from the top and the caller from the bottom of the list. `secure`: the
   * Request-URI is `sips:`, so a TLS-facing entry is `sips:` too (§26.2.2).
   */
  recordRoute(inbound: Transport, outbound: Transport, secure: boolean): string {
    const key = (slotOf(inbound) * TRANSPORTS.length + slotOf(outbound)) * 2 + (secure ? 1 : 0);
    return (this.#recordRoutes[key] ??= this.#recordRouteLines(inbound, outbound, secure, ''));
  }

  /**
   * {@link recordRoute} with a flow token in the user part of every entry (RFC 5626 §5.2, as
   * Kamailio's outbound module does): an in-dialog request from the far side comes back naming
   * the client's flow. Built per request (the token differs per flow), never cached.
   */
  recordRouteWithToken(inbound: Transport, outbound: Transport, secure: boolean, token: string): string {
    return this.#recordRouteLines(inbound, outbound, secure, `${token}@`);
  }

  /** host:port we advertise for transport `t` (Via sent-by, Record-Route). */
  hostport(t: Transport): string {
    return this.#hostport[slotOf(t)]!;
  }

  #recordRouteLines(inbound: Transport, outbound: Transport, secure: boolean, user: string): string {
    return inbound === outbound
      ? `Record-Route: <${this.#rrUri(outbound, secure, false, user)}>\r\n`
      : `Record-Route: <${this.#rrUri(outbound, secure, true, user)}>\r\nRecord-Route: <${this.#rrUri(inbound, secure, true, user)}>\r\n`;
  }

  #rrUri(t: Transport, secure: boolean, r2: boolean, user: string): string {
    const scheme = secure && (t === 'tls' || t === 'wss') ? 'sips' : 'sip';
    // RFC 7118 §5.3 (erratum 5937): the URI parameter is `ws` for WS and WSS alike.
    const param = t === 'udp' && !r2 ? '' : `;transport=${t === 'wss' ? 'ws' : t}`;
    return `${scheme}:${user}${this.hostport(t)}${param};lr${r2 ? ';r2=on' : ''}`;
  }

  /** True when host:port (port absent = 5060, RFC 3261 §19.1.2) is one of our addresses. */
  isSelf(host: string, port: number | undefined): boolean {
    return hasPort(this.#ports, port ?? 5060) && (hasHost(this.#hosts, host) || hasHost(this.#hosts, host.toLowerCase()));
  }

  isSelfUri(uri: SipUri | undefined): boolean {
    return uri !== undefined && (uri.scheme === 'sip' || uri.scheme === 'sips') && this.isSelf(uri.host, uri.port ?? (uri.scheme === 'sips' ? 5061 : undefined));
  }

  /** A Via we pushed: our sent-by and our branch prefix (responses to anything else are not ours). */
  isOurVia(via: Via): boolean {
    return via.branchStartsWith(BRANCH_PREFIX) && this.isSelf(via.host, via.port);
  }
}
