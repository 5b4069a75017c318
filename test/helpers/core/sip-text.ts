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
