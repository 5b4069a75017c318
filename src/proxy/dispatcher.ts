/**
 * @module proxy/dispatcher
 * Entry point of the stateless proxy for one datagram: parse, then the request or response path.
 * A request that breaks the request rule (sip/validate.ts) but can still be answered gets its
 * stateless error (./request-checks.ts, RFC 3261 §16.3); anything else unparsable is dropped and
 * counted; a datagram over the size cap goes to ./oversize.ts. Requests from non-backend sources
 * meet abuse protection (./screen.ts) first. Never throws for any input.
 */
import type { MessageSource } from '../transport/contract.js';
import { parseSip } from '../sip/index.js';
import type { ProxyContext } from './context.js';
import { handleOversize } from './oversize.js';
import { handleRequest } from './request-path.js';
import { handleResponse } from './response-path.js';
import { screenRequest } from './screen.js';
import { answerParseError, passesRequestChecks } from './request-checks.js';

export function handleDatagram(ctx: ProxyContext, buf: Buffer, from: MessageSource): void {
  if (buf.length > ctx.options.maxDatagramBytes) {
    handleOversize(ctx, buf, from);
    return;
  }
  const parsed = parseSip(buf);
  if (!parsed.ok) return answerParseError(ctx, parsed.error, from);
  const msg = parsed.msg;
  if (msg.kind === 'request') {
    // Abuse protection first: a scanner must not even get our answer to OPTIONS (./screen.ts).
    if (ctx.security !== undefined && !screenRequest(ctx, ctx.security, msg, from)) return;
    if (passesRequestChecks(ctx, msg, from)) handleRequest(ctx, msg, from);
  } else handleResponse(ctx, msg, from);
}
