/**
 * @module proxy/stateless-reply
 * Responses siplb generates itself without transaction state (RFC 3261 §16.3, §8.2.6): 400, 403,
 * 482, 483, 503 and the 200 to OPTIONS addressed to us. They go back to the request's source the
 * way §18.2.2 and RFC 3581 say: to the source IP, at the source port when the top Via asked for
 * `rport`, else at the Via's sent-by port.
 */
import type { MessageSource } from '../transport/contract.js';
import { buildResponse } from '../sip/index.js';
import type { SipRequest } from '../sip/message.js';
import { channels, type RejectReason } from '../observe/channels.js';
import type { MessageSender } from '../transport/contract.js';

export function sendStatelessReply(
  sender: MessageSender,
  req: SipRequest,
  from: MessageSource,
  status: number,
  extraHeaders?: string[],
): void {
  const top = req.topVia();
  // Over a stream the answer goes back on the connection (§18.2.2), i.e. to its source address.
  const port = top.rport !== undefined || from.transport !== 'udp' ? from.port : (top.port ?? 5060);
  // buildResponse derives the To tag from Call-ID, From tag, CSeq and branch: a retransmission of
  // the request gets the same tag (§8.2.6.2), with no state kept.
  // The top Via of every response we generate carries the request's source: `received` always,
  // the `rport` value when asked (§18.2.1, RFC 3581 §4), so a client behind NAT learns its mapping.
  const buf = buildResponse(req, status, { extraHeaders, source: from });
  sender.send(buf, { transport: from.transport, host: from.address, port, connectionId: from.connectionId });
}

export function reject(
  sender: MessageSender,
  req: SipRequest,
  from: MessageSource,
  status: number,
  reason: RejectReason,
  extraHeaders?: string[],
): void {
  if (channels.reject.hasSubscribers) channels.reject.publish({ reason, status, method: req.method });
  // RFC 3261 §17.2.1/§17.1.1.3: an ACK is never answered.
  if (req.method === 'ACK') return;
  sendStatelessReply(sender, req, from, status, extraHeaders);
}
