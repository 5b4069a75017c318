/**
 * @module proxy/request-path
 * A request through the stateless proxy (RFC 3261 §16.3–§16.6, §16.11): validate Max-Forwards,
 * detect loops, decide the next hop, then forward a copy with our edits spliced in — our Via on
 * top, `received`/`rport` on the previous top Via (§18.2.1, RFC 3581 §4), Max-Forwards
 * decremented or added, our Route removed, Record-Route added on dialog-creating requests.
 * Everything else in the datagram passes through byte for byte.
 */
import type { MessageSource, SendTarget } from '../transport/contract.js';
import type { Backend } from '../backends/registry.js';
import { applyEdits, removeListValues, trailingBytesEdit } from '../sip/index.js';
import { HeaderId, type Edit, type NameAddr, type SipRequest, type Via } from '../sip/message.js';
import { channels } from '../observe/channels.js';
import { computeBranch } from './branch.js';
import type { ProxyContext } from './context.js';
import { chooseLeg } from './leg-transport.js';
import { FLOW_PARAM } from './self.js';
import { followsPin } from './pin-rule.js';
import { decideRoute, hasToTag, type FlowForward } from './route-decision.js';
import { reject, sendStatelessReply } from './stateless-reply.js';
import { decideFlowRoute, refuseFlow } from './flow-route.js';
import { clientFlowToken, DIALOG_CREATING, pathLines, publishPathAdded } from './flow-headers.js';
import { flowChannels } from '../observe/flow-channels.js';

const OPTIONS_EXTRA = [
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, REFER, MESSAGE, INFO, UPDATE, PRACK',
  'Accept: application/sdp',
  'Server: siplb',
];

export function handleRequest(ctx: ProxyContext, req: SipRequest, from: MessageSource): void {
  // §16.3 step 3: Max-Forwards.
  const mf = req.maxForwards();
  if (mf !== undefined && Number.isNaN(mf)) return reject(ctx.sender, req, from, 400, 'bad-request');
  // The decision is side-effect free; it is taken first because an OPTIONS for siplb itself is
  // answered even with Max-Forwards 0 (§16.3 step 3 lets a proxy respond to OPTIONS as a UAS).
  const fromBackend =
    from.connectionId === undefined ? ctx.backends.byAddress(from.address, from.port) : ctx.backends.byStreamSource(from.address, from.port, from.transport);
  // A backend's (or peer node's) request for a client's flow is routed by its token (./flow-route.ts).
  const decision =
    (ctx.flow === undefined ? undefined : decideFlowRoute(ctx.flow, ctx.self, req, from, fromBackend)) ??
    decideRoute(req, fromBackend, ctx.self, ctx.backends, ctx.options.answerOptions);
  if (mf === 0 && decision.kind !== 'local-options') return reject(ctx.sender, req, from, 483, 'max-forwards');

  const vias = req.vias();
  if (vias === undefined) return reject(ctx.sender, req, from, 400, 'bad-request');
  if (isLoop(ctx, req, vias)) return reject(ctx.sender, req, from, 482, 'loop');

  switch (decision.kind) {
    case 'local-options': {
      // A carrier probing the VIP with OPTIONS must learn when siplb cannot place a call: 503 with
      // Retry-After (RFC 3261 §21.5.4, §11.2: the answer is what an INVITE would have got).
      const unavailable = ctx.options.optionsReflectBackends && ctx.backends.candidates().length === 0;
      const status = unavailable ? 503 : 200;
      if (channels.localReply.hasSubscribers) channels.localReply.publish({ method: req.method, status });
      return sendStatelessReply(ctx.sender, req, from, status, unavailable ? [...OPTIONS_EXTRA, `Retry-After: ${ctx.options.noBackendRetryAfter}`] : OPTIONS_EXTRA);
    }
    case 'reject':
      return reject(ctx.sender, req, from, decision.status, decision.reason);
    case 'flow-refuse':
      return refuseFlow(ctx.sender, req, from, decision);
    case 'forward':
      if (forward(ctx, req, from, vias, decision.target, decision.backend, decision.removeRoutes, mf, 0, decision.flow) === undefined) return;
      if (decision.flow !== undefined) publishFlow(req, decision.flow, decision.target);
      publishForwarded(req, decision.backend, 'routed');
      ctx.observer.requestForwarded?.(req, decision.backend, false);
      return;
    case 'dispatch':
      return dispatch(ctx, req, from, vias, decision.removeRoutes, mf);
  }
}

/** A new call, or a request of a call before its dialog exists: affinity first, then the balancer. */
function dispatch(
  ctx: ProxyContext,
  req: SipRequest,
  from: MessageSource,
  vias: readonly Via[],
  removeRoutes: readonly NameAddr[],
  mf: number | undefined,
): void {
  const callId = req.callId();
  const now = ctx.now();
  const pinned = ctx.affinity.get(callId, now);
  let backend = pinned !== undefined ? ctx.backends.byId(pinned) : undefined;
  if (backend !== undefined && !followsPin(req.method, ctx.backends.isEligible(backend.id)) && !awaitsFailover(ctx, req.method, callId)) {
    ctx.affinity.forget(callId);
    backend = undefined;
  }
  const isNewCall = backend === undefined;
  if (backend === undefined) {
    // Overload: shed a new call with a stateless 503 (RFC 3261 §21.5.4) while running calls go on.
    if (req.method === 'INVITE' && ctx.admission !== undefined && !ctx.admission.admit()) {
      return reject(ctx.sender, req, from, 503, 'overload', [`Retry-After: ${ctx.admission.retryAfterSeconds}`]);
    }
    backend = registrationHolder(ctx, req, now);
    if (backend === undefined) {
      // CANCEL and ACK of a forgotten transaction still follow the balancer's stable choice.
      const picked = ctx.balancer().pick(ctx.routingKey(req), ctx.backends.candidates());
      backend = picked === undefined ? undefined : ctx.backends.byId(picked.id);
    }
    if (backend === undefined) {
      return reject(ctx.sender, req, from, 503, 'no-backend', [`Retry-After: ${ctx.options.noBackendRetryAfter}`]);
    }
    if (req.method !== 'ACK') ctx.affinity.pin(callId, backend.id, now, req.method === 'INVITE');
  }
  const failover = ctx.failover;
  // Retransmissions, CANCEL and the ACK of a non-2xx use the branch of the request's current attempt,
  // also when balanced anew (its pinned backend is out): an earlier attempt's branch is abandoned.
  const attempt = failover !== undefined && (!isNewCall || pinned !== undefined) ? failover.attemptOf(req) : 0;
  const branch = forward(ctx, req, from, vias, backend, backend, removeRoutes, mf, attempt);
  if (branch === undefined) return;
  publishForwarded(req, backend, isNewCall ? 'new' : 'affinity');
  const newInvite = isNewCall && req.method === 'INVITE';
  ctx.observer.requestForwarded?.(req, backend, newInvite);
  if (failover !== undefined) {
    // The branch just sent is the one failover times (attempt 0): not hashed a second time.
    const sent = attempt === 0 ? branch : undefined;
    if (newInvite) failover.begin(req, from, vias, backend, removeRoutes, mf, sent);
    else if (req.method === 'CANCEL') failover.cancelled(callId);
    // A non-INVITE that starts a transaction at the backend (out of dialog: no To tag, §12.1),
    // e.g. a REGISTER or a keep-alive MESSAGE; begin() ignores retransmissions.
    else if (failover.covers(req.method) && !hasToTag(req)) failover.begin(req, from, vias, backend, removeRoutes, mf, sent);
  }
}

/**
 * A retransmission of an INVITE whose current attempt serial failover is still timing follows
 * that attempt even once its backend is out: the timer moves the call on (a new branch, RFC 3261
 * §16.6 step 8). Balancing the copy anew would fork the call onto a second backend on the old
 * branch, which the timer then abandons (a dialog there nobody ends) or which answers first and
 * hides the dead backend's failure from passive health.
 */
function awaitsFailover(ctx: ProxyContext, method: string, callId: string): boolean {
  return method === 'INVITE' && ctx.failover !== undefined && ctx.failover.awaiting(callId);
}

/** The eligible backend holding the registration this request belongs to (registration-affinity.ts). */
function registrationHolder(ctx: ProxyContext, req: SipRequest, now: number): Backend | undefined {
  if (ctx.registrations === undefined || req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  const id = ctx.registrations.holderFor(req, now);
  return id !== undefined && ctx.backends.isEligible(id) ? ctx.backends.byId(id) : undefined;
}

/** Serial failover re-sends the caller's request to another backend with a new branch. */
export function resendRequest(
  ctx: ProxyContext,
  req: SipRequest,
  from: MessageSource,
  vias: readonly Via[],
  backend: Backend,
  removeRoutes: readonly NameAddr[],
  mf: number | undefined,
  attempt: number,
): void {
  if (forward(ctx, req, from, vias, backend, backend, removeRoutes, mf, attempt) === undefined) return;
  publishForwarded(req, backend, 'new');
  ctx.observer.requestForwarded?.(req, backend, req.method === 'INVITE');
}

/**
 * Send `req` on to `to` with our edits; the leg's transport may change with its size (./leg-transport.ts).
 * Returns the branch of our Via, or undefined when it was refused instead (a sips: Request-URI
 * towards a leg that is not secure).
 */
function forward(
  ctx: ProxyContext,
  req: SipRequest,
  from: MessageSource,
  vias: readonly Via[],
  to: SendTarget,
  backend: Backend | undefined,
  removeRoutes: readonly NameAddr[],
  mf: number | undefined,
  attempt: number,
  flowFwd?: FlowForward,
): string | undefined {
  const sips = req.requestUri()?.scheme === 'sips';
  // The client's flow: the token the request was routed by, or one naming the client it came from.
  const token = flowFwd === undefined ? (ctx.flow === undefined ? undefined : clientFlowToken(ctx, ctx.flow, req, from)) : flowFwd.kind === 'deliver' ? flowFwd.token : undefined;
  const fx: FlowEdits = { token, relay: flowFwd?.kind === 'relay', path: flowFwd === undefined && token !== undefined && req.method === 'REGISTER' };
  const branch = computeBranch(req, vias[0]!, attempt);
  let buf = withEdits(ctx, req, from, vias, to, sips, removeRoutes, mf, branch, fx);
  const leg = chooseLeg(to, backend, buf.length, ctx.options.udpMtu, sips);
  if (leg !== undefined) {
    if (leg.kind === 'insecure') {
      reject(ctx.sender, req, from, 403, 'insecure-leg', ['Warning: 399 siplb "sips: Request-URI and no TLS leg to the next hop"']);
      return undefined;
    }
    if (channels.transportSwitch.hasSubscribers) channels.transportSwitch.publish({ from: from.transport, to: leg.to.transport, bytes: buf.length });
    to = leg.to;
    buf = withEdits(ctx, req, from, vias, to, sips, removeRoutes, mf, branch, fx);
  }
  ctx.sender.send(buf, to);
  if (fx.path) publishPathAdded(to);
  return branch;
}

/**
 * The edits of the request being forwarded, its first `n` slots filled by {@link withEdits} and
 * applied at once: one array for every request instead of a new one growing to 17 slots for each
 * (a forwarded request has 2-6 edits; the slots past `n` hold the previous request's, unread).
 */
const edits: Edit[] = [];

/** What the flow feature adds to a forwarded request (./flow-headers.ts). */
interface FlowEdits {
  /** The client's flow token: Path on its REGISTER, user part of our Record-Route. */
  readonly token: string | undefined;
  /** Relayed to the node holding the flow: that node records the route, not this one. */
  readonly relay: boolean;
  /** A client's REGISTER: Path with the token (RFC 3327). */
  readonly path: boolean;
}

function withEdits(
  ctx: ProxyContext,
  req: SipRequest,
  from: MessageSource,
  vias: readonly Via[],
  to: SendTarget,
  sips: boolean,
  removeRoutes: readonly NameAddr[],
  mf: number | undefined,
  branch: string,
  fx: FlowEdits,
): Buffer {
  const top = vias[0]!;
  let n = 0;
  let pushed = ctx.self.viaPrefix(to.transport) + branch;
  // A request from a stream names its connection in our Via: the response goes back on it (§18.2.2).
  if (from.connectionId !== undefined) pushed += `;${FLOW_PARAM}=${from.connectionId}`;
  pushed += '\r\n';
  if (ctx.options.recordRoute && !fx.relay && DIALOG_CREATING.has(req.method) && !hasToTag(req)) {
    pushed +=
      fx.token === undefined ? ctx.self.recordRoute(from.transport, to.transport, sips) : ctx.self.recordRouteWithToken(from.transport, to.transport, sips, fx.token);
  }
  if (fx.path && ctx.flow !== undefined) {
    const path = pathLines(ctx.flow, ctx.self, req, fx.token!, to);
    pushed += path.lines;
    if (path.edit !== undefined) edits[n++] = path.edit;
  }
  if (mf === undefined) pushed += `Max-Forwards: ${ctx.options.defaultMaxForwards}\r\n`;
  edits[n++] = { start: req.headersStart, end: req.headersStart, insert: pushed };
  n = addReceived(n, top, from);
  if (mf !== undefined) {
    const i = req.firstIndex(HeaderId.MAX_FORWARDS);
    edits[n++] = { start: req.valueStartAt(i), end: req.valueEndAt(i), insert: String(mf - 1) };
  }
  if (removeRoutes.length > 0) {
    const removals = removeListValues(req, removeRoutes);
    for (let i = 0; i < removals.length; i++) edits[n++] = removals[i]!;
  }
  const trailing = trailingBytesEdit(req); // §18.3: bytes past Content-Length are not forwarded
  if (trailing !== undefined) edits[n++] = trailing;
  return applyEdits(req.buf, edits, n);
}

/**
 * RFC 3261 §18.2.1: add `received` when the sent-by host is not the source IP; RFC 3581 §4: when
 * the client asked with a bare `rport`, fill in the source port and always add `received`.
 * Writes into `edits` from slot `n`; returns the next free slot.
 */
function addReceived(n: number, top: Via, from: MessageSource): number {
  if (top.rport === null) {
    const p = top.param('rport')!;
    edits[n++] = { start: p.span.start, end: p.span.end, insert: `rport=${from.port}` };
  } else if (top.host === from.address || top.received !== undefined) {
    return n;
  }
  const rec = top.param('received');
  if (rec) edits[n++] = { start: rec.span.start, end: rec.span.end, insert: `received=${from.address}` };
  else edits[n++] = { start: top.span.end, end: top.span.end, insert: `;received=${from.address}` };
  return n;
}

/**
 * §16.3 step 4: a Via of ours whose branch equals the one we would compute now (with the Via below
 * it as the previous top) means the request came back unchanged: a loop, not a spiral.
 */
function isLoop(ctx: ProxyContext, req: SipRequest, vias: readonly Via[]): boolean {
  for (let i = 0; i < vias.length - 1; i++) {
    const v = vias[i]!;
    if (ctx.self.isOurVia(v) && v.branch === computeBranch(req, vias[i + 1]!)) return true;
  }
  return false;
}

function publishFlow(req: SipRequest, f: FlowForward, to: SendTarget): void {
  if (f.kind === 'relay') {
    if (flowChannels.relayed.hasSubscribers) flowChannels.relayed.publish({ node: f.node, method: req.method });
  } else if (flowChannels.delivered.hasSubscribers) flowChannels.delivered.publish({ transport: to.transport, method: req.method });
}

function publishForwarded(req: SipRequest, backend: Backend | undefined, via: 'new' | 'affinity' | 'routed'): void {
  if (channels.requestForwarded.hasSubscribers) {
    channels.requestForwarded.publish({ method: req.method, backend: backend?.id ?? 'external', via });
  }
}
