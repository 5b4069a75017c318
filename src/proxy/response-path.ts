/**
 * @module proxy/response-path
 * A response through the stateless proxy (RFC 3261 §16.11, §16.7 step 3 and §18.2.2): the top Via
 * must be one we pushed (else the response is not ours to relay: dropped and counted); it is
 * removed and the response goes to the address the next Via names.
 */
import type { MessageSource } from '../transport/contract.js';
import { applyEdits, removeListValue, trailingBytesEdit } from '../sip/index.js';
import type { SipResponse, Via } from '../sip/message.js';
import { channels, type DropReason } from '../observe/channels.js';
import type { ProxyContext } from './context.js';
import { responseAddress } from './response-address.js';
import { FLOW_PARAM } from './self.js';

/** The connection id our Via carries (./self.ts FLOW_PARAM), if the request came over a stream. */
function flowOf(ours: Via): number | undefined {
  const p = ours.param(FLOW_PARAM);
  const id = p?.value === undefined ? Number.NaN : Number(p.value);
  return Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

function drop(reason: DropReason): void {
  if (channels.drop.hasSubscribers) channels.drop.publish({ reason });
}

export function handleResponse(ctx: ProxyContext, res: SipResponse, from: MessageSource): void {
  const vias = res.vias();
  if (vias === undefined || vias.length === 0) return drop('bad-via');
  const top = vias[0]!;
  if (!ctx.self.isOurVia(top)) return drop('not-our-via');
  const next = vias[1];
  if (next === undefined) {
    // Only our Via: a response to a request siplb itself sent (a CANCEL of serial failover).
    if (ctx.observer.localResponse?.(res) !== true) drop('no-route');
    return;
  }

  const backend = ctx.backends.byAddress(from.address, from.port);
  if (ctx.observer.response !== undefined && !ctx.observer.response(res, backend)) return;
  // After the observers (they count the failure as passive health input), before relaying.
  if (ctx.failover !== undefined && !ctx.failover.onResponse(res)) return;
  const method = res.cseq().method;
  if (res.status >= 200 && method === 'INVITE') ctx.affinity.settle(res.callId(), ctx.now());
  // Where the AOR is now bound (RFC 3261 §10.3 step 8), from the 2xx the caller is about to get.
  if (method === 'REGISTER' && res.status >= 200 && res.status < 300 && backend !== undefined) ctx.registrations?.learn(res, backend.id, ctx.now());

  ctx.observer.relayed?.(res, backend);
  const to = responseAddress(next, flowOf(top));
  const removal = removeListValue(res, top);
  const trailing = trailingBytesEdit(res); // §18.3: bytes past Content-Length are not forwarded
  // A literal per response, not a kept array: storing this message's edits into a long-lived
  // array was a write barrier (and a remembered-set entry) per edit.
  ctx.sender.send(applyEdits(res.buf, trailing === undefined ? [removal] : [removal, trailing]), to);
  if (channels.responseForwarded.hasSubscribers) {
    channels.responseForwarded.publish({ status: res.status, method, backend: backend?.id ?? 'external' });
  }
}
