/**
 * @module proxy/branch
 * The Via branch of a forwarded request, computed statelessly (RFC 3261 §16.11): the same input
 * request always yields the same branch, so a retransmission is forwarded with the branch of the
 * original and the next hop recognises it as a retransmission. CANCEL and the ACK of a non-2xx
 * carry the INVITE's branch from the client and the same Request-URI, Call-ID and CSeq number
 * (§9.1, §17.1.1.3), so they too get the INVITE's outgoing branch and match its server
 * transaction at the backend (§17.2.3).
 *
 * Two components: one from the previous hop's Via (its branch when RFC 3261 compliant, else its
 * whole sent-by), one from Request-URI, Call-ID and CSeq number. The second makes loop detection
 * (§16.3 step 4) work: a request that comes back with the same Request-URI is a loop, one that
 * comes back with a different one is a spiral.
 */
import { hashString } from '../balance/hash.js';
import type { SipRequest, Via } from '../sip/message.js';
import { BRANCH_PREFIX } from './self.js';

const MAGIC_COOKIE = 'z9hG4bK';

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * The branch (with our prefix) for `req` forwarded by us when `prevTop` was its top Via.
 * `attempt` > 0 for the n-th serial-failover target of an INVITE: a new target is a new client
 * transaction and needs its own branch (§16.6 step 8); its CANCEL and ACK use the same attempt.
 */
export function computeBranch(req: SipRequest, prevTop: Via, attempt = 0): string {
  const hopId =
    prevTop.branch !== undefined && prevTop.branch.startsWith(MAGIC_COOKIE)
      ? `${prevTop.branch}|${prevTop.host}|${prevTop.port ?? ''}`
      : `${prevTop.host}|${prevTop.port ?? ''}|${prevTop.branch ?? ''}`;
  const txId = `${req.uriText}|${req.callId()}|${req.cseq().seq}${attempt > 0 ? `|${attempt}` : ''}`;
  return `${BRANCH_PREFIX}${hex8(hashString(hopId, 0x5eed))}${hex8(hashString(hopId, 0x1234))}${hex8(hashString(txId, 0x51b1))}`;
}
