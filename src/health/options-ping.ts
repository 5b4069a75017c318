/**
 * @module health/options-ping
 * The SIP OPTIONS request siplb sends as a health probe (RFC 3261 §11: OPTIONS asks a server for
 * its capabilities; any final answer proves the SIP stack is alive). Each probe is its own
 * transaction: a fresh branch and Call-ID, so the reply is matched unambiguously (§17.1.3).
 * The branch carries `slp` after the magic cookie, which no forwarded request's branch has, so a
 * reply addressed to siplb itself is recognisably a probe reply.
 */
import { hostportText, type HostPort } from '../transport/address.js';
import { viaToken, type SendTarget } from '../transport/contract.js';

/** Branch prefix of probe transactions: magic cookie + 'slp' (forwarded branches are 'sl' + hex). */
export const PROBE_BRANCH_PREFIX = 'z9hG4bKslp';

export interface OptionsPingSpec {
  /** Target of the probe: Request-URI `sip:host:port` (`;transport=` for streams, `sips:` for TLS) and the Via's transport. */
  readonly target: SendTarget;
  /** sent-by of our Via: where the reply must come back (the socket the probe leaves from). */
  readonly via: HostPort;
  /** From URI, e.g. `sip:siplb@lb.example.net`. */
  readonly fromUri: string;
  readonly userAgent: string;
  /** Unique per probe: becomes part of the branch, Call-ID and From tag. */
  readonly id: string;
}

export function probeBranch(id: string): string {
  return `${PROBE_BRANCH_PREFIX}${id}`;
}

export function probeCallId(id: string, via: HostPort): string {
  return `slp-${id}@${via.host}`;
}

/** The OPTIONS datagram. Max-Forwards 70 (§8.1.1.6); `rport` so NATed replies still reach us. */
export function buildOptionsPing(spec: OptionsPingSpec): Buffer {
  const t = spec.target.transport;
  const target =
    t === 'tls' ? `sips:${hostportText(spec.target)}` : t === 'udp' ? `sip:${hostportText(spec.target)}` : `sip:${hostportText(spec.target)};transport=${t}`;
  const text =
    `OPTIONS ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/${viaToken(t)} ${hostportText(spec.via)};branch=${probeBranch(spec.id)};rport\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <${spec.fromUri}>;tag=slp${spec.id}\r\n` +
    `To: <${target}>\r\n` +
    `Call-ID: ${probeCallId(spec.id, spec.via)}\r\n` +
    `CSeq: 1 OPTIONS\r\n` +
    `User-Agent: ${spec.userAgent}\r\n` +
    `Accept: application/sdp\r\n` +
    `Content-Length: 0\r\n\r\n`;
  return Buffer.from(text, 'latin1');
}
