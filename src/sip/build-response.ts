/**
 * @module sip/build-response
 * Stateless responses (400, 483, 503 …) built from a request per RFC 3261 §8.2.6.2: the Via
 * values are copied in order, and From, Call-ID, CSeq and To are copied, To gaining a tag when it
 * had none (except for 100, §8.2.6.1). Works on the `partial` request of a parse error too, since
 * only those headers are read. The To tag is derived from the request (§8.2.7: a stateless UAS
 * must produce the same tag for a retransmission of the same request), so no state is kept.
 */
import type { SipRequest } from './message.js';
import { HeaderId } from './message.js';
import { SiplbError } from '../errors.js';
import { latin1 } from './bytes.js';
import { reasonPhrase } from './status.js';

export interface BuildResponseOptions {
  /** Reason phrase. @default the RFC phrase of the status, see {@link reasonPhrase} */
  readonly reason?: string;
  /** To tag to add when the request's To has none. @default a hash of Call-ID, From tag, CSeq and top Via branch */
  readonly toTag?: string;
  /** Whole header lines without line end, e.g. `'Retry-After: 30'`, added after To. @default [] */
  readonly extraHeaders?: readonly string[];
  /**
   * Source address of the request, written into the top Via as `received` and, when the request
   * asked with a bare `;rport`, as the `rport` value (§18.2.1, RFC 3581 §4). @default untouched
   */
  readonly source?: { readonly address: string; readonly port: number };
}

/** A header or phrase we write must not smuggle a line end into the message (§7.3). */
function assertOneLine(s: string, what: string): void {
  if (s.includes('\r') || s.includes('\n')) throw new SiplbError('SIPLB_ERR_INTERNAL', `${what} must not contain CR or LF`);
}

/** FNV-1a 32-bit over the strings; a stable, cheap tag for a stateless reply. */
function statelessTag(parts: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x7c, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The top Via value with `received`/`rport` filled in from the request's source (§18.2.1, RFC 3581). */
function topViaText(req: SipRequest, src: { readonly address: string; readonly port: number }): string {
  const v = req.topVia();
  const f = req.headers[v.fieldIndex];
  if (f === undefined) return '';
  const { buf } = req;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const p of v.params) {
    if (p.name === 'rport' && p.value === undefined) edits.push({ start: p.span.start, end: p.span.end, text: `rport=${src.port}` });
    if (p.name === 'received') edits.push({ start: p.span.start, end: p.span.end, text: `received=${src.address}` });
  }
  if (v.received === undefined) edits.push({ start: v.span.end, end: v.span.end, text: `;received=${src.address}` });
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = f.valueStart;
  for (const e of edits) {
    out += latin1(buf, pos, e.start) + e.text;
    pos = e.end;
  }
  return out + latin1(buf, pos, f.valueEnd);
}

/** A stateless response to `req` (§8.2.6.2), ending with `Content-Length: 0` and no body. */
export function buildResponse(req: SipRequest, status: number, opts: BuildResponseOptions = {}): Buffer {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new SiplbError('SIPLB_ERR_INTERNAL', `status ${status} is not a SIP status code (100..699)`);
  }
  const reason = opts.reason ?? reasonPhrase(status);
  assertOneLine(reason, 'reason phrase');
  const lines: string[] = [`SIP/2.0 ${status} ${reason}`];

  const topViaIndex = req.topVia().fieldIndex;
  req.headers.forEach((f, i) => {
    if (f.id !== HeaderId.VIA) return;
    const value = i === topViaIndex && opts.source !== undefined ? topViaText(req, opts.source) : req.valueOf(f);
    lines.push(`Via: ${value}`);
  });
  const from = req.first(HeaderId.FROM);
  const callId = req.first(HeaderId.CALL_ID);
  const cseq = req.first(HeaderId.CSEQ);
  const to = req.first(HeaderId.TO);
  if (from !== undefined) lines.push(`From: ${req.valueOf(from)}`);
  if (to !== undefined) {
    let value = req.valueOf(to);
    if (status > 100 && !req.to().params.has('tag')) {
      const tag = opts.toTag ?? statelessTag([req.callId(), req.from().params.get('tag') ?? '', String(req.cseq().seq), req.topVia().branch ?? '']);
      assertOneLine(tag, 'To tag');
      value += `;tag=${tag}`;
    }
    lines.push(`To: ${value}`);
  }
  if (callId !== undefined) lines.push(`Call-ID: ${req.valueOf(callId)}`);
  if (cseq !== undefined) lines.push(`CSeq: ${req.valueOf(cseq)}`);
  for (const h of opts.extraHeaders ?? []) {
    assertOneLine(h, 'extra header');
    lines.push(h);
  }
  lines.push('Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}
