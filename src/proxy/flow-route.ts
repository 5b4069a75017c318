/**
 * @module proxy/flow-route
 * Routing a request back to a client by the flow token in its top Route (RFC 5626 §5.2, §5.3;
 * RFC 3327): the Route came from the Path siplb added to the client's REGISTER, or from the
 * Record-Route it added to one of the client's dialogs (./flow-headers.ts).
 *
 * Only a request from a backend or from a peer node is routed by its token. From a client our
 * Route entries are popped as always (route-decision.ts): a client must never reach another
 * client's connection through siplb (no open relay, RFC 5923 §11 reasons the same way about
 * connection reuse). A Route names us when it names one of our addresses or any cluster node's
 * (a node relaying a token leaves the Route in place, so the owner sees the relaying node's
 * address there).
 * - the token fails the check → 403 with a Warning naming why, nothing forwarded;
 * - another node's token → relayed to that node once (flow.nodes); a peer relaying us a token
 *   that is not ours, or a token of a node we do not know → 430;
 * - ours, connection open → our Route entries popped, sent on that connection (a UDP token:
 *   to the address it names);
 * - ours, connection gone → 430 Flow Failed (§5.3): the registrar may try the client's other flow.
 * An ACK is never answered (RFC 3261 §17.1.1.3): a failing ACK is dropped and counted.
 */
import type { Backend } from '../backends/registry.js';
import { checkToken } from '../flow/token.js';
import { flowChannels, type FlowFailReason } from '../observe/flow-channels.js';
import type { NameAddr, SipRequest, SipUri } from '../sip/message.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import type { FlowRouting } from './context.js';
import type { RouteDecision } from './route-decision.js';
import type { SelfAddress } from './self.js';
import { sendStatelessReply } from './stateless-reply.js';
import type { MessageSender } from '../transport/contract.js';

export type FlowRefusal = Extract<RouteDecision, { kind: 'flow-refuse' }>;

function namesUs(flow: FlowRouting, self: SelfAddress, uri: SipUri | undefined): boolean {
  if (uri === undefined || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return false;
  return self.isSelfUri(uri) || flow.settings.isNodeAddress(uri.host, uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060));
}

const gone = (reason: FlowFailReason): FlowRefusal => ({ kind: 'flow-refuse', status: 430, reason });

/**
 * The decision for a request whose top Route names us with a user part, from a backend or a
 * peer node; undefined for every other request (route-decision.ts decides those).
 */
export function decideFlowRoute(
  flow: FlowRouting,
  self: SelfAddress,
  req: SipRequest,
  from: MessageSource,
  fromBackend: Backend | undefined,
): RouteDecision | undefined {
  const routes = req.routes();
  const top = routes?.[0]?.uri;
  if (routes === undefined || top?.user === undefined || !namesUs(flow, self, top)) return undefined;
  const peer = fromBackend === undefined && flow.settings.isPeer(from);
  if (fromBackend === undefined && !peer) return undefined;

  const check = checkToken(flow.settings.ring(), top.user);
  if (!check.ok) return { kind: 'flow-refuse', status: 403, reason: check.reason };
  const token = check.token;
  if (token.nodeId !== flow.settings.nodeId()) {
    if (peer) return gone('relayed-foreign');
    const node = flow.settings.nodeTarget(token.nodeId);
    if (node === undefined) return gone('unknown-node');
    // The Route stays: the owner reads the same token from it.
    return { kind: 'forward', target: node, backend: undefined, removeRoutes: [], flow: { kind: 'relay', node: token.nodeId } };
  }

  // Ours: pop our entries (the two of an RFC 5658 pair), as loose routing does (RFC 3261 §16.4).
  let ours = 1;
  if (routes.length > 1 && namesUs(flow, self, routes[1]!.uri)) ours = 2;
  const removeRoutes: readonly NameAddr[] = routes.slice(0, ours);
  const f = token.flow;
  let target: SendTarget;
  if (f.transport === 'udp') target = { transport: 'udp', host: f.address, port: f.port };
  else {
    if (!flow.directory.isOpen(f.transport, f.connectionId)) return gone('connection-gone');
    // The connection is what counts; host and port are only a label (a WebSocket client, whose
    // Request-URI host is a made-up *.invalid, is never connected to anyway), and no transport
    // opens another connection in its place (connectionOnly).
    const ruri = req.requestUri();
    target = { transport: f.transport, host: ruri?.host ?? from.address, port: ruri?.port ?? 0, connectionId: f.connectionId, connectionOnly: true };
  }
  return { kind: 'forward', target, backend: undefined, removeRoutes, flow: { kind: 'deliver', token: top.user } };
}

/** Answer (or, for an ACK, drop) a request whose token failed, and count it. */
export function refuseFlow(sender: MessageSender, req: SipRequest, from: MessageSource, r: FlowRefusal): void {
  if (r.status === 403) {
    if (flowChannels.tokenRejected.hasSubscribers) flowChannels.tokenRejected.publish({ reason: r.reason, method: req.method });
  } else if (flowChannels.failed.hasSubscribers) flowChannels.failed.publish({ reason: r.reason, method: req.method });
  if (req.method === 'ACK') return;
  // RFC 3261 §20.43: a Warning says why, in words of ours (never bytes of the message).
  const warning = r.status === 403 ? `Warning: 399 siplb "flow token rejected: ${r.reason}"` : `Warning: 399 siplb "flow failed: ${r.reason}"`;
  sendStatelessReply(sender, req, from, r.status, [warning]);
}
