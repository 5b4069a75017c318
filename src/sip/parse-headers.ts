/**
 * @module sip/parse-headers
 * Typed parsers for the small hot header values: CSeq (§20.16), Max-Forwards (§20.22),
 * Content-Length (§20.14), Retry-After (§20.33) and Call-ID (§20.8). Each reads the value's byte
 * range [start, end) (already trimmed of surrounding whitespace) and never throws.
 */
import type { CSeq } from './message.js';
import { CALLID, TOKEN, isLws, methodString, parseUint, skipClass, skipLws } from './bytes.js';

/** CSeq sequence numbers MUST be expressible as a 32-bit unsigned integer below 2**31 (§8.1.1.5). */
const CSEQ_MAX = 2 ** 31 - 1;

/** `CSeq = 1*DIGIT LWS Method` (§20.16, §25.1), or `undefined` when malformed. */
export function parseCSeq(buf: Buffer, start: number, end: number): CSeq | undefined {
  let p = start;
  while (p < end && (buf[p] ?? 0) >= 0x30 && (buf[p] ?? 0) <= 0x39) p++;
  const seq = parseUint(buf, start, p, 10);
  if (seq < 0 || seq > CSEQ_MAX) return undefined;
  if (!isLws(buf[p])) return undefined;
  const m = skipLws(buf, p, end);
  const mEnd = skipClass(buf, m, end, TOKEN);
  if (mEnd === m || mEnd !== end) return undefined;
  return { seq, method: methodString(buf, m, mEnd) };
}

/** Max-Forwards (§20.22): an integer 0..255, else `NaN` (the proxy answers 400/483 on its own terms). */
export function parseMaxForwards(buf: Buffer, start: number, end: number): number {
  // 1*DIGIT: leading zeros are legal ("0068" is 68, RFC 4475 §3.1.1.1).
  const n = parseUint(buf, start, end, 10);
  return n < 0 || n > 255 ? NaN : n;
}

/** Largest Content-Length accepted: far above any datagram, small enough to stay a safe integer. */
const CONTENT_LENGTH_DIGITS = 9;

/** Content-Length (§20.14): `1*DIGIT`, or -1 when malformed (negative, empty, non-digits, absurd). */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  return parseUint(buf, start, end, CONTENT_LENGTH_DIGITS);
}

/**
 * Retry-After (§20.33): `delta-seconds [ comment ] *( SEMI retry-param )`. Only the leading
 * delta-seconds matters to a load balancer; the comment and params are ignored.
 */
export function parseRetryAfter(buf: Buffer, start: number, end: number): number | undefined {
  let p = start;
  while (p < end && (buf[p] ?? 0) >= 0x30 && (buf[p] ?? 0) <= 0x39) p++;
  const n = parseUint(buf, start, p, 10);
  if (n < 0) return undefined;
  // What follows the digits must be a separator, not more of a token ("120abc" is not a delta).
  const c = buf[p];
  if (p < end && !isLws(c) && c !== 0x28 /* ( */ && c !== 0x3b /* ; */) return undefined;
  return n;
}

/** Call-ID (§20.8): `word [ "@" word ]`, i.e. non-empty and made of `word` characters only. */
export function isValidCallId(buf: Buffer, start: number, end: number): boolean {
  return end > start && skipClass(buf, start, end, CALLID) === end;
}
