/**
 * @module proxy/screen
 * Abuse protection at the proxy's door: every request from a source that is not a backend meets
 * security/policy.ts before anything else (before siplb answers an OPTIONS for itself, which is
 * how scanners find it). This module only acts on the verdict: a 403 or a 503 with Retry-After
 * sent statelessly, or silence, and one event on the `security` channel. Backends are always
 * trusted (by IP, any port), and so are peer nodes relaying a flow token (flow.nodes). The common case, a passing request from a known source, allocates
 * nothing: the User-Agent is matched in the datagram's bytes.
 */
import type { MessageSource } from '../transport/contract.js';
import { channels, type SecurityEvent } from '../observe/channels.js';
import type { SecurityPolicy, Verdict } from '../security/policy.js';
import { HeaderId, type SipRequest } from '../sip/message.js';
import type { ProxyContext } from './context.js';
import { hasToTag } from './route-decision.js';
import { sendStatelessReply } from './stateless-reply.js';

/** One frozen event per verdict, so publishing allocates nothing. */
const EVENTS: Readonly<Record<Exclude<Verdict, 'pass'>, SecurityEvent>> = {
  'reject-untrusted': Object.freeze({ reason: 'untrusted', action: 'reject' }),
  'drop-untrusted': Object.freeze({ reason: 'untrusted', action: 'drop' }),
  'reject-rate-limited': Object.freeze({ reason: 'rate-limited', action: 'reject' }),
  'drop-flood': Object.freeze({ reason: 'flood', action: 'drop' }),
  'drop-blocked': Object.freeze({ reason: 'blocked', action: 'drop' }),
  'drop-scanner': Object.freeze({ reason: 'scanner', action: 'drop' }),
};

/** True when the request may go on to the proxy; otherwise it has been answered or dropped. */
export function screenRequest(ctx: ProxyContext, policy: SecurityPolicy, req: SipRequest, from: MessageSource): boolean {
  if (ctx.backends.isBackendHost(from.address)) return true;
  // A peer node relaying a request for a client's flow (flow.nodes) is as trusted as a backend.
  if (ctx.flow?.settings.isPeer(from) === true) return true;
  const ua = req.firstIndex(HeaderId.USER_AGENT);
  // An ACK completes an INVITE transaction (RFC 3261 §17.1.1.3) and an in-dialog request belongs
  // to a call already admitted: neither is a new request for the rate limit. The To tag is read
  // with the real parser (a byte search could be fooled by ";tag=" in a quoted display name), and
  // only when the rate limit needs it: parsing To costs an in-dialog request ~1 µs.
  const isNew = policy.limitsNewRequests && req.method !== 'ACK' && !hasToTag(req);
  const verdict = policy.check(from.address, ua < 0 ? undefined : req.buf, ua < 0 ? -1 : req.valueStartAt(ua), ua < 0 ? -1 : req.valueEndAt(ua), isNew, ctx.now());
  if (verdict === 'pass') return true;
  const ev = EVENTS[verdict];
  if (channels.security.hasSubscribers) channels.security.publish(ev);
  // An ACK is never answered (§17.1.1.3); everything else per the verdict.
  if (ev.action === 'reject' && req.method !== 'ACK') {
    if (verdict === 'reject-rate-limited') sendStatelessReply(ctx.sender, req, from, 503, [`Retry-After: ${policy.retryAfterSeconds}`]);
    else sendStatelessReply(ctx.sender, req, from, 403);
  }
  return false;
}
