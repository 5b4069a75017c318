/**
 * @module test/helpers/core/sip-text
 * SIP messages for unit tests, written as text with sensible defaults (RFC 3261 §8.1.1: the
 * mandatory headers) and parsed, so a test names only what it is about.
 */
import type { MessageSource } from '../../../src/transport/contract.js';
import { buildResponse, parseSip } from '../../../src/sip/index.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';

export interface RequestSpec {
  readonly method?: string;
  readonly uri?: string;
  /** Via values, top first. @default one Via of the caller at 192.0.2.10:5060 */
  readonly vias?: readonly string[];
  readonly callId?: string;
  readonly cseq?: number;
  readonly from?: string;
  readonly to?: string;
  /** Max-Forwards value; `null` leaves the header out. @default 70 */
  readonly maxForwards?: number | string | null;
  /** Extra header lines, without line ends. */
  readonly headers?: readonly string[];
  readonly body?: string;
}

export const CALLER: MessageSource = { transport: 'udp', address: '192.0.2.10', port: 5060 };

export function remote(address: string, port: number): MessageSource {
  return { transport: 'udp', address, port };
}

export function requestText(spec: RequestSpec = {}): string {
  const method = spec.method ?? 'INVITE';
  const body = spec.body ?? '';
  const lines = [
    `${method} ${spec.uri ?? 'sip:bob@lb.test'} SIP/2.0`,
    ...(spec.vias ?? ['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1']).map((v) => `Via: ${v}`),
    ...(spec.maxForwards === null ? [] : [`Max-Forwards: ${spec.maxForwards ?? 70}`]),
    `From: ${spec.from ?? '<sip:alice@caller.test>;tag=a1'}`,
    `To: ${spec.to ?? '<sip:bob@lb.test>'}`,
    `Call-ID: ${spec.callId ?? 'call-1@caller.test'}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
    ...(spec.headers ?? []),
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

export function parseRequest(text: string | Buffer): SipRequest {
  const r = parseSip(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  if (!r.ok || r.msg.kind !== 'request') throw new Error(`not a request: ${String(text)}`);
  return r.msg;
}

export function parseResponse(text: string | Buffer): SipResponse {
  const r = parseSip(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  if (!r.ok || r.msg.kind !== 'response') throw new Error(`not a response: ${String(text)}`);
  return r.msg;
}

export function request(spec: RequestSpec = {}): SipRequest {
  return parseRequest(requestText(spec));
}

/**
 * What a UAS answers to a request it received (RFC 3261 §8.2.6): Vias, From, Call-ID and CSeq
 * copied, To tagged. Use it on the bytes siplb forwarded to play the backend.
 */
export function answer(req: SipRequest | Buffer, status: number, opts: { toTag?: string; extraHeaders?: string[] } = {}): Buffer {
  const r = Buffer.isBuffer(req) ? parseRequest(req) : req;
  return buildResponse(r, status, { toTag: opts.toTag ?? 'uas-tag', extraHeaders: opts.extraHeaders });
}

/** A phone on a private address, sending from its own port (the caller of `inviteText`). */
export const PHONE: MessageSource = { transport: 'udp', address: '10.9.9.9', port: 5099 };

/** Text written with '\n' line ends, as bytes with CRLF (RFC 3261 §7: CRLF ends each line). */
export const crlf = (t: string): Buffer => Buffer.from(t.replace(/\r?\n/g, '\r\n'), 'latin1');

let inviteSeq = 0;
/** An initial INVITE from `PHONE`, '\n' line ends (deliver it through `crlf`). */
export function inviteText(callId: string, ruri = 'sip:bob@127.0.0.1:5060'): string {
  inviteSeq++;
  return `INVITE ${ruri} SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-c${inviteSeq};rport
Max-Forwards: 70
From: <sip:alice@10.9.9.9>;tag=a${inviteSeq}
To: <${ruri}>
Call-ID: ${callId}
CSeq: 1 INVITE
Contact: <sip:alice@10.9.9.9:5099>
Content-Length: 0

`;
}

/**
 * A scripted backend's response to what siplb sent it, '\n' line ends: Vias, Record-Route, From,
 * Call-ID and CSeq copied from the forwarded text (RFC 3261 §8.2.6, §12.1.1), To tagged above 100.
 * `cseq` replaces the CSeq line, `extra` adds one header line.
 */
export function replyText(fwd: { readonly text: string }, status: number, opts: { toTag?: string; extra?: string; cseq?: string } = {}): string {
  const lines = fwd.text.split('\r\n');
  const pick = (name: string): string[] => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const to = pick('To')[0] ?? 'To: <sip:x@y>';
  const tag = opts.toTag ?? (status > 100 ? 'b1' : undefined);
  return [
    `SIP/2.0 ${status} Reason`,
    ...pick('Via'),
    ...pick('Record-Route'),
    ...pick('From'),
    tag === undefined || tag === '' || to.includes(';tag=') ? to : `${to};tag=${tag}`,
    ...pick('Call-ID'),
    opts.cseq ?? pick('CSeq')[0]!,
    ...(opts.extra === undefined ? [] : [opts.extra]),
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}
