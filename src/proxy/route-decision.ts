/**
 * @module proxy/route-decision
 * Where a request goes, decided without side effects (RFC 3261 §16.4 route preprocessing and
 * §16.5 target determination for a stateless proxy):
 * - a first Route naming us is removed (loose routing, §16.4); then the next Route, else the
 *   Request-URI, is the next hop;
 * - OPTIONS for siplb itself (Request-URI is our address with no user part, no Route) is answered
 *   locally so upstream carriers can probe the VIP;
 * - an in-dialog request without our Route whose Request-URI is a backend goes there;
 * - a request from a backend may go wherever its Request-URI says (outbound calls);
 * - anything else is a new call (or a request of a call before its dialog exists) and is
 *   dispatched by the balancer.
 * No open relay: a request from outside the backend set may only reach a configured backend.
 * Strict routing (a Route without `;lr`, §16.4 last paragraphs) is not supported: our
 * Record-Route always carries `;lr`, so RFC 3261 peers route loosely through us.
 */
import type { Backend, BackendRegistry } from '../backends/registry.js';
import { HeaderId, type NameAddr, type SipRequest, type SipUri } from '../sip/message.js';
import { SEMI } from '../sip/bytes.js';
import { isNumericDomain } from '../sip/host.js';
import { hasHeaderParam } from '../sip/index.js';
import type { SendTarget, Transport } from '../transport/contract.js';
import type { SelfAddress } from './self.js';
import type { TokenRejection } from '../flow/token.js';
import type { FlowFailReason } from '../observe/flow-channels.js';

export type RouteDecision =
  | { readonly kind: 'local-options' }
  | { readonly kind: 'dispatch'; readonly removeRoutes: readonly NameAddr[] }
  | {
      readonly kind: 'forward';
      /** The next hop: the backend itself when it is one (its configured transport), else the URI's. */
      readonly target: SendTarget;
      /** The configured backend at that address, if any. */
      readonly backend: Backend | undefined;
      /** Our own Route entries on top (one, or the two of an RFC 5658 pair), to remove. */
      readonly removeRoutes: readonly NameAddr[];
      /** Routed by a flow token (./flow-route.ts): to the client's flow, or relayed to the node that holds it. */
      readonly flow?: FlowForward | undefined;
    }
  | { readonly kind: 'reject'; readonly status: number; readonly reason: 'relay' | 'bad-request' | 'unresolvable' }
  /** A flow token in our Route failed the check (403) or names a flow that is gone (430), ./flow-route.ts. */
  | { readonly kind: 'flow-refuse'; readonly status: 403; readonly reason: TokenRejection }
  | { readonly kind: 'flow-refuse'; readonly status: 430; readonly reason: FlowFailReason };

/** `deliver`: to the client on its flow (`token` goes into a Record-Route we add); `relay`: to node `node`. */
export type FlowForward = { readonly kind: 'deliver'; readonly token: string } | { readonly kind: 'relay'; readonly node: number };

const NO_ROUTES: readonly NameAddr[] = Object.freeze([]);
const BAD_REQUEST = { kind: 'reject', status: 400, reason: 'bad-request' } as const;
const RELAY = { kind: 'reject', status: 403, reason: 'relay' } as const;
const LOCAL_OPTIONS = { kind: 'local-options' } as const;
/**
 * A next hop named by a numeric domain (GB/T 28181 `3402000000`, sip/host.ts): a name with no DNS
 * record that the system resolver would misread as an IPv4 number. Answered 404 (RFC 3261 §16.5:
 * the target set is empty; §21.4.5) instead of sent to an unrelated address or silently lost.
 */
const UNRESOLVABLE = { kind: 'reject', status: 404, reason: 'unresolvable' } as const;

/**
 * A host under `.invalid` (RFC 6761 §6.4: never resolves), which browsers make up for their Via
 * and Contact (RFC 7118 §5.2; JsSIP, SIP.js): such a client is reachable only over its own
 * connection, i.e. through a flow token. Without one the target set is empty: 404 like a numeric
 * domain (RFC 3261 §16.5), not 480, which would promise the user may be reachable at that
 * address later; and never a DNS query that can only fail.
 */
function isInvalidHost(host: string): boolean {
  const h = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  return h === 'invalid' || h.endsWith('.invalid');
}

/**
 * Whether To carries a tag (§12.1: the request is inside a dialog). An initial request's To value
 * usually has no ';' at all, and then cannot have a tag: that is read from the bytes without
 * decoding the name-addr; anything else is decoded.
 */
export function hasToTag(req: SipRequest): boolean {
  const f = req.firstIndex(HeaderId.TO);
  if (f < 0) return false;
  const { buf } = req;
  for (let i = req.valueStartAt(f), e = req.valueEndAt(f); i < e; i++) if (buf[i] === SEMI) return hasHeaderParam(req.to(), 'tag');
  return false;
}

function defaultPort(uri: SipUri): number {
  return uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060);
}

/**
 * The transport a URI asks for (RFC 3263 §4.1 without NAPTR/SRV): its `transport=` parameter,
 * TLS for a `sips:` URI (§26.2.2, never downgraded), else UDP.
 */
export function uriTransport(uri: SipUri): Transport {
  if (uri.scheme === 'sips') return uri.params.get('transport') === 'ws' || uri.params.get('transport') === 'wss' ? 'wss' : 'tls';
  switch (uri.params.get('transport')) {
    case 'tcp':
      return 'tcp';
    case 'tls':
      return 'tls';
    case 'ws':
      return 'ws';
    case 'wss':
      return 'wss';
    default:
      return 'udp';
  }
}

export function decideRoute(
  req: SipRequest,
  fromBackend: Backend | undefined,
  self: SelfAddress,
  backends: BackendRegistry,
  answerOptions: boolean,
): RouteDecision {
  const routes = req.routes();
  if (routes === undefined) return BAD_REQUEST;

  // §16.4: a first Route naming us is ours to remove; with double Record-Route (RFC 5658) the
  // entry below it names us too (the other leg's transport), and goes with it.
  let nextIndex = 0;
  while (nextIndex < 2 && nextIndex < routes.length && self.isSelfUri(routes[nextIndex]?.uri)) nextIndex++;
  const removeRoutes: readonly NameAddr[] = nextIndex === 0 ? NO_ROUTES : routes.slice(0, nextIndex);

  const ruri = req.requestUri();
  let target: SipUri | undefined;
  if (routes.length > nextIndex) {
    target = routes[nextIndex]?.uri;
    if (target === undefined) return BAD_REQUEST;
  } else if (nextIndex > 0) {
    // Our Route was the last one: the Request-URI is the next hop (§16.12 loose routing).
    target = ruri;
    if (target === undefined) return BAD_REQUEST;
    if (self.isSelfUri(target)) return { kind: 'dispatch', removeRoutes };
  } else {
    if (ruri !== undefined && self.isSelfUri(ruri)) {
      if (answerOptions && req.method === 'OPTIONS' && ruri.user === undefined) return LOCAL_OPTIONS;
      return { kind: 'dispatch', removeRoutes: NO_ROUTES };
    }
    if (ruri === undefined) return { kind: 'dispatch', removeRoutes: NO_ROUTES };
    const ruriBackend = backends.byAddress(ruri.host, defaultPort(ruri));
    if (ruriBackend !== undefined && (hasToTag(req) || fromBackend !== undefined)) {
      return { kind: 'forward', target: ruriBackend, backend: ruriBackend, removeRoutes };
    }
    if (fromBackend !== undefined) target = ruri;
    else return { kind: 'dispatch', removeRoutes: NO_ROUTES };
  }

  const port = defaultPort(target);
  const backend = backends.byAddress(target.host, port);
  if (backend === undefined && fromBackend === undefined) return RELAY;
  if (backend === undefined && (isNumericDomain(target.host) || isInvalidHost(target.host))) return UNRESOLVABLE;
  return { kind: 'forward', target: backend ?? { transport: uriTransport(target), host: target.host, port }, backend, removeRoutes };
}
