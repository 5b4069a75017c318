/**
 * @module health/response-origin
 * Did the backend generate a final response itself, or only relay it from further downstream?
 * A record-routing proxy behind siplb relays the 503 of a gateway it routed to; that 503 says
 * nothing about the proxy's health, and blaming the proxy for it takes healthy proxies out.
 *
 * The rule: RFC 3261 §20.35 makes `Server` name the software of the UAS that *generated* the
 * response, and a proxy relays a response without rewriting it (§16.7 only removes its own Via).
 * A backend shows its own signature in the replies to siplb's OPTIONS probes, which are addressed
 * to the backend itself and so always answered by it. A final response whose signature (Server,
 * else User-Agent) differs from that probe signature was generated elsewhere and merely relayed.
 * When the backend has not answered a probe yet, or health probing is off, the origin cannot be
 * told and the response counts as the backend's own (the behaviour for plain gateways).
 *
 * Why not the To-tag or Via: a relayed response and a locally generated one both arrive with
 * exactly our Vias (the backend removed its own, §16.7 step 3), and To-tags are opaque random
 * tokens (§19.3) with no mark of who chose them.
 *
 * Pure: no I/O.
 */
import { HeaderId, type SipResponse } from '../sip/message.js';

export type ResponseOrigin = 'backend' | 'downstream';

/** The `Server` value of a response, else its `User-Agent`, else '' (some UAS send neither). */
export function responseSignature(res: SipResponse): string {
  const f = res.first(HeaderId.SERVER) ?? res.first(HeaderId.USER_AGENT);
  return f === undefined ? '' : res.valueOf(f).trim();
}

/**
 * Where `res` came from, given the signature the backend showed in its own probe replies
 * (undefined: not known yet).
 */
export function responseOrigin(res: SipResponse, backendSignature: string | undefined): ResponseOrigin {
  if (backendSignature === undefined) return 'backend';
  return responseSignature(res) === backendSignature ? 'backend' : 'downstream';
}
