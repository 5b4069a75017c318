/**
 * @module flow/secret
 * Decoding a flow key's secret as an operator writes it: hex (`openssl rand -hex 32`) or base64
 * (`openssl rand -base64 32`, standard or URL-safe alphabet). At least 32 bytes after decoding
 * (./key-ring.ts MIN_SECRET_BYTES: an HMAC-SHA-256 key shorter than the hash weakens it, RFC 2104
 * §3). The text is never echoed in an error: the reasons below name the fault, not the value.
 * Pure.
 */
import { MIN_SECRET_BYTES } from './key-ring.js';

export type SecretDecode = { readonly ok: true; readonly secret: Buffer } | { readonly ok: false; readonly reason: string };

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decode `text` (surrounding whitespace ignored: a secretFile usually ends with a newline). */
export function decodeSecret(text: string): SecretDecode {
  const t = text.trim();
  let secret: Buffer;
  if (HEX.test(t)) secret = Buffer.from(t, 'hex');
  else if (BASE64.test(t)) secret = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  else return { ok: false, reason: 'the secret is neither hex nor base64' };
  if (secret.length < MIN_SECRET_BYTES) {
    return { ok: false, reason: `the secret decodes to ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed` };
  }
  return { ok: true, secret };
}
