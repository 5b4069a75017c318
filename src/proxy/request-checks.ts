/**
 * @module proxy/request-checks
 * Acts on the request rule of sip/validate.ts ("strict where siplb interprets, transparent
 * elsewhere"): a request the scanner could not accept, or one that fails a proxy check, is
 * answered statelessly (RFC 3261 §16.3, §8.2.6) with the status the fault calls for and a
 * `Warning: 399 siplb "..."` (§20.43) naming the header at fault, so the sender learns why instead
 * of retransmitting into silence for 32 s. Only what cannot be answered (no readable top Via, no
 * method) is dropped and counted; an ACK is never answered (§17.1.1.3), only counted. A sender
 * abuse protection would drop (a scanner, a blocked source) gets no answer here either.
 */
import type { MessageSource } from '../transport/contract.js';
import { checkRequest, type RequestFaultKind, type SipParseError, type SipParseErrorReason, type SipRequest } from '../sip/index.js';
import { channels, type RejectReason } from '../observe/channels.js';
import type { ProxyContext } from './context.js';
import { screenRequest } from './screen.js';
import { reject } from './stateless-reply.js';

/** The reject reason (hence the status, observe/channels.ts REJECT_STATUS) of each scanner fault. */
function parseRejectReason(reason: SipParseErrorReason): RejectReason {
  switch (reason) {
    case 'bad-version':
      return 'bad-version';
    case 'missing-header':
      return 'missing-header';
    case 'duplicate-header':
      return 'duplicate-header';
    case 'body-truncated':
      return 'body-truncated';
    default:
      return 'parse-error';
  }
}

const FAULT_REASON: Readonly<Record<RequestFaultKind, RejectReason>> = Object.freeze({
  'unsupported-scheme': 'unsupported-scheme',
  'bad-uri': 'bad-uri',
  'bad-header': 'bad-request',
  'bad-extension': 'bad-extension',
});

/** `detail` is one of the validators' constants (never bytes of the message): no quote or line end. */
function warning(detail: string): string {
  return `Warning: 399 siplb "${detail}"`;
}

/** A datagram the scanner refused: answered when it is a request with a readable top Via, else dropped and counted. */
export function answerParseError(ctx: ProxyContext, error: SipParseError, from: MessageSource): void {
  const partial = error.canReply ? error.partial : undefined;
  if (partial === undefined) {
    // A response without Via is a peer's bug worth its own count and a log line (app.ts logs
    // the 'no-via' drops); it is not line noise like a malformed datagram.
    if (channels.drop.hasSubscribers) {
      channels.drop.publish(error.reason === 'missing-via' ? { reason: 'no-via', detail: from.address } : { reason: 'parse-error', detail: error.reason });
    }
    return;
  }
  // Abuse protection sees a broken request as it sees a good one: a scanner gets no answer.
  if (ctx.security !== undefined && !screenRequest(ctx, ctx.security, partial, from)) return;
  const reason = parseRejectReason(error.reason);
  reject(ctx.sender, partial, from, reason === 'bad-version' ? 505 : 400, reason, [warning(error.detail)]);
}

/** The proxy checks of sip/validate.ts: true when the request may go on, else it has been answered. */
export function passesRequestChecks(ctx: ProxyContext, req: SipRequest, from: MessageSource): boolean {
  const f = checkRequest(req);
  if (f === undefined) return true;
  const extra = [warning(f.detail)];
  // §20.40, §21.4.15: a 420 lists the option tags it did not understand.
  if (f.unsupported !== undefined) extra.unshift(`Unsupported: ${f.unsupported}`);
  reject(ctx.sender, req, from, f.status, FAULT_REASON[f.kind], extra);
  return false;
}
