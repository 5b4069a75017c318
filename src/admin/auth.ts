/**
 * @module admin/auth
 * Address and token primitives of the admin API. Any bind address but loopback needs a bearer
 * token (RFC 6750), checked in constant time so the answer's timing does not reveal how much of a
 * guess was right. Who may do what (reads open on loopback, state changes only with the token or
 * through the unix socket) is decided in ./authorize.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and the name localhost. Anything else is treated as reachable from outside. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Whether an `Authorization` header carries exactly `token`. Both sides are hashed first so
 * timingSafeEqual compares equal lengths and the token's length does not leak either.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}
