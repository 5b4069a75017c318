/**
 * @module proxy/dispatcher
 * Entry point of the stateless proxy for one datagram: parse, then the request or response path.
 * A malformed request that can still be answered gets a 400 (RFC 3261 §16.3 step 1); anything else
 * unparsable is dropped and counted; a datagram over the size cap goes to ./oversize.ts. Requests
 * from non-backend sources meet abuse protection (./screen.ts) first. Never throws for any input.
 */
import type { MessageSource } from '../transport/contract.js';
import { parseSip } from '../sip/index.js';
import { channels } from '../observe/channels.js';
import type { ProxyContext } from './context.js';
import { handleOversize } from './oversize.js';
import { handleRequest } from './request-path.js';
import { handleResponse } from './response-path.js';
import { screenRequest } from './screen.js';
import { reject } from './stateless-reply.js';

export function handleDatagram(ctx: ProxyContext, buf: Buffer, from: MessageSource): void {
  if (buf.length > ctx.options.maxDatagramBytes) {
    handleOversize(ctx, buf, from);
    return;
  }
  const parsed = parseSip(buf);
  if (!parsed.ok) {
    const { error } = parsed;
    if (error.canReply && error.partial !== undefined) {
      reject(ctx.sender, error.partial, from, 400, 'parse-error', [`Warning: 399 siplb "${error.reason}"`]);
    } else if (channels.drop.hasSubscribers) {
      // A response without Via is a peer's bug worth its own count and a log line (app.ts logs
      // the 'no-via' drops); it is not line noise like a malformed datagram.
      channels.drop.publish(error.reason === 'missing-via' ? { reason: 'no-via', detail: from.address } : { reason: 'parse-error', detail: error.reason });
    }
    return;
  }
  const msg = parsed.msg;
  if (msg.kind === 'request') {
    // Abuse protection first: a scanner must not even get our answer to OPTIONS (./screen.ts).
    if (ctx.security !== undefined && !screenRequest(ctx, ctx.security, msg, from)) return;
    handleRequest(ctx, msg, from);
  } else handleResponse(ctx, msg, from);
}
