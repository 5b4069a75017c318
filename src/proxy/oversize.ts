/**
 * @module proxy/oversize
 * A datagram over `sip.maxDatagramBytes`. RFC 3261 §18.1.1 requires an element to be prepared to
 * receive up to 65535 bytes over UDP, so a lower cap is an operator's choice, and a request over
 * it is answered 513 Message Too Large (§21.5.14) when its top Via can be read, so the sender
 * learns why instead of retransmitting into silence. A response over the cap (or a request too
 * broken to answer) is dropped. Either way the observer hears of it, for a rate-limited log line.
 */
import type { MessageSource } from '../transport/contract.js';
import { parseSip } from '../sip/index.js';
import { channels } from '../observe/channels.js';
import type { OversizeOutcome, ProxyContext } from './context.js';
import { reject } from './stateless-reply.js';

export function handleOversize(ctx: ProxyContext, buf: Buffer, from: MessageSource): OversizeOutcome {
  const parsed = parseSip(buf);
  let outcome: OversizeOutcome;
  if (parsed.ok && parsed.msg.kind === 'request') {
    reject(ctx.sender, parsed.msg, from, 513, 'too-large');
    outcome = 'answered-513';
  } else if (!parsed.ok && parsed.error.canReply && parsed.error.partial !== undefined) {
    reject(ctx.sender, parsed.error.partial, from, 513, 'too-large');
    outcome = 'answered-513';
  } else {
    if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'size', detail: String(buf.length) });
    outcome = parsed.ok ? 'response-dropped' : 'unreadable-dropped';
  }
  ctx.observer.oversize?.(buf.length, from, outcome);
  return outcome;
}
