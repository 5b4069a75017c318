/**
 * @module proxy/branch
 * The Via branch of a forwarded request, computed statelessly (RFC 3261 §16.11): the same input
 * request always yields the same branch, so a retransmission is forwarded with the branch of the
 * original and the next hop recognises it as a retransmission. CANCEL and the ACK of a non-2xx
 * carry the INVITE's branch from the client and the same Request-URI, Call-ID and CSeq number
 * (§9.1, §17.1.1.3), so they too get the INVITE's outgoing branch and match its server
 * transaction at the backend (§17.2.3).
 *
 * Two 32-bit components: one from the previous hop's Via (its branch when RFC 3261 compliant,
 * plus its sent-by), one from Request-URI, Route set, Call-ID and CSeq number. The second makes
 * loop detection (§16.3 step 4) work: a request that comes back with the same Request-URI and
 * Route set is a loop; one that comes back with a different one is a spiral. The Route set
 * counts because an in-dialog request may pass siplb twice with an unchanged Request-URI (a
 * browser's ACK through siplb → registrar → siplb → the other browser, each pass on its own
 * Record-Route entries); CANCEL and a non-2xx ACK carry the INVITE's Route set (§9.1,
 * §17.1.1.3), so they still get the INVITE's branch.
 *
 * Hot path: hashes are chained through the seed (no string concatenation: hashing a V8 rope is
 * ~3x slower) and the Request-URI is hashed from the datagram's bytes without decoding it.
 */
import { hashBytes, hashString } from '../balance/hash.js';
import { HeaderId, type SipRequest, type Via } from '../sip/message.js';
import { BRANCH_PREFIX } from './self.js';

/** Character codes of the branch prefix and of the hex digits. */
const P = Array.from(BRANCH_PREFIX, (c) => c.charCodeAt(0));
if (P.length !== 9) throw new Error('computeBranch writes a 9-character BRANCH_PREFIX');
const [P0, P1, P2, P3, P4, P5, P6, P7, P8] = P as [number, number, number, number, number, number, number, number, number];
const HEXC = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** The n-th hex digit (from the top) of a 32-bit value, as a char code. */
function hx(v: number, n: number): number {
  return HEXC[(v >>> (28 - 4 * n)) & 15]!;
}

/**
 * `BRANCH_PREFIX` + 8 hex digits of `a` + 8 of `b`, made as one flat string: concatenating
 * per-byte hex pieces made eight strings (the last two ropes) for every forwarded request.
 */
function branchText(a: number, b: number): string {
  return String.fromCharCode(
    P0, P1, P2, P3, P4, P5, P6, P7, P8,
    hx(a, 0), hx(a, 1), hx(a, 2), hx(a, 3), hx(a, 4), hx(a, 5), hx(a, 6), hx(a, 7),
    hx(b, 0), hx(b, 1), hx(b, 2), hx(b, 3), hx(b, 4), hx(b, 5), hx(b, 6), hx(b, 7),
  );
}

/** Whether buf[start, end) is all ASCII: then its bytes are its UTF-8 encoding, what hashString hashes. */
function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return false;
  return true;
}

/** Mix a small integer into a 32-bit hash (one multiply-xorshift round). */
function mixInt(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The branch (with our prefix) for `req` forwarded by us when `prevTop` was its top Via.
 * `attempt` > 0 for the n-th serial-failover target of an INVITE: a new target is a new client
 * transaction and needs its own branch (§16.6 step 8); its CANCEL and ACK use the same attempt.
 */
export function computeBranch(req: SipRequest, prevTop: Via, attempt = 0): string {
  // RFC 2543 peers (no magic cookie) get the same treatment; their branch may be absent.
  let hop = hashString(prevTop.host, 0x5eed);
  // The branch is hashed from the datagram's bytes (the same hash as of its string when ASCII).
  const { buf, branchStart: bs, branchEnd: be } = prevTop;
  if (bs >= 0) hop = isAscii(buf, bs, be) ? hashBytes(buf, bs, be, hop) : hashString(prevTop.branch ?? '', hop);
  hop = mixInt(hop, prevTop.port ?? 0);
  let tx = hashBytes(req.buf, req.uriSpan.start, req.uriSpan.end, 0x51b1);
  const route = req.firstIndex(HeaderId.ROUTE);
  if (route >= 0) {
    for (let i = route; i < req.headerCount; i++) if (req.idAt(i) === HeaderId.ROUTE) tx = hashBytes(req.buf, req.valueStartAt(i), req.valueEndAt(i), tx);
  }
  tx = hashString(req.callId(), tx);
  tx = mixInt(tx, req.cseq().seq);
  if (attempt > 0) tx = mixInt(tx, attempt);
  return branchText(hop, tx);
}
