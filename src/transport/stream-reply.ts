/**
 * @module transport/stream-reply
 * The 400 a stream transport answers to a message without Content-Length before it closes the
 * connection (RFC 3261 §18.3: the length is mandatory on a stream; §8.2.6 stateless response).
 */
import { buildResponse, parseSip, type SipRequest } from '../sip/index.js';

const WARNING = 'Warning: 399 siplb "missing Content-Length"';

/**
 * A 400 for the request whose header bytes are `headers`, or undefined when none can be sent: a
 * response (never answered), an ACK (§17.1.1.3: no response to an ACK), or headers too broken to
 * name the transaction.
 */
export function missingContentLengthReply(headers: Buffer, source: { readonly address: string; readonly port: number }): Buffer | undefined {
  const r = parseSip(headers);
  let req: SipRequest | undefined;
  if (r.ok) req = r.msg.kind === 'request' ? r.msg : undefined;
  else if (r.error.canReply) req = r.error.partial;
  if (req === undefined || req.method === 'ACK') return undefined;
  return buildResponse(req, 400, { extraHeaders: [WARNING], source });
}
