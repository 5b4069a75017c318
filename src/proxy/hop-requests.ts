/**
 * @module proxy/hop-requests
 * CANCEL and ACK that siplb itself sends on a branch it abandoned during serial failover, built
 * from the INVITE it forwarded on that branch (RFC 3261 §9.1 CANCEL, §17.1.1.3 ACK for a non-2xx
 * final response): same Request-URI, Call-ID, From and CSeq number; one Via, ours, with that
 * branch's value so the backend matches them to its INVITE server transaction.
 */
import { HeaderId, type SipRequest, type SipResponse } from '../sip/message.js';

function build(method: 'CANCEL' | 'ACK', invite: SipRequest, viaLine: string, toValue: string): Buffer {
  const from = invite.first(HeaderId.FROM);
  const text =
    `${method} ${invite.uriText} SIP/2.0\r\n` +
    viaLine +
    `Max-Forwards: 70\r\n` +
    `From: ${from ? invite.valueOf(from) : ''}\r\n` +
    `To: ${toValue}\r\n` +
    `Call-ID: ${invite.callId()}\r\n` +
    `CSeq: ${invite.cseq().seq} ${method}\r\n` +
    `Content-Length: 0\r\n\r\n`;
  return Buffer.from(text, 'latin1');
}

/** CANCEL of the INVITE forwarded with `viaLine` (To as in the INVITE: no tag, §9.1). */
export function buildCancel(invite: SipRequest, viaLine: string): Buffer {
  const to = invite.first(HeaderId.TO);
  return build('CANCEL', invite, viaLine, to ? invite.valueOf(to) : '');
}

/** ACK of a non-2xx final response to the INVITE forwarded with `viaLine` (To from the response). */
export function buildAck(invite: SipRequest, viaLine: string, res: SipResponse): Buffer {
  const to = res.first(HeaderId.TO);
  return build('ACK', invite, viaLine, to ? res.valueOf(to) : '');
}
