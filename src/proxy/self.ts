/**
 * @module proxy/self
 * Who "we" are on the wire: the advertised address that goes into our Via and Record-Route (the
 * VIP in production), the addresses that count as ours when a Route or Request-URI names them,
 * and the precomputed header bytes pushed onto every forwarded request.
 */
import type { SipUri, Via } from '../sip/message.js';
import { hostportText, type HostPort } from '../transport/address.js';

/** Prefix of every branch we generate: RFC 3261 §8.1.1.7 magic cookie + our own marker. */
export const BRANCH_PREFIX = 'z9hG4bKsl';

export class SelfAddress {
  readonly advertise: HostPort;
  /** `Via: SIP/2.0/UDP host:port;branch=` — the branch value and CRLF follow. */
  readonly viaLinePrefix: string;
  /** `Record-Route: <sip:host:port;lr>\r\n` (RFC 3261 §16.6 step 4, loose routing §16.12). */
  readonly recordRouteLine: string;
  readonly #hosts: ReadonlySet<string>;
  readonly #ports: ReadonlySet<number>;

  constructor(advertise: HostPort, listen: HostPort) {
    this.advertise = advertise;
    const hp = hostportText(advertise);
    this.viaLinePrefix = `Via: SIP/2.0/UDP ${hp};branch=`;
    this.recordRouteLine = `Record-Route: <sip:${hp};lr>\r\n`;
    this.#hosts = new Set([advertise.host.toLowerCase(), listen.host.toLowerCase()]);
    this.#ports = new Set([advertise.port, listen.port]);
  }

  /** True when host:port (port absent = 5060, RFC 3261 §19.1.2) is one of our addresses. */
  isSelf(host: string, port: number | undefined): boolean {
    return this.#ports.has(port ?? 5060) && this.#hosts.has(host.toLowerCase());
  }

  isSelfUri(uri: SipUri | undefined): boolean {
    return uri !== undefined && (uri.scheme === 'sip' || uri.scheme === 'sips') && this.isSelf(uri.host, uri.port);
  }

  /** A Via we pushed: our sent-by and our branch prefix (responses to anything else are not ours). */
  isOurVia(via: Via): boolean {
    return via.branch !== undefined && via.branch.startsWith(BRANCH_PREFIX) && this.isSelf(via.host, via.port);
  }
}
