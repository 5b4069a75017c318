/**
 * @module sip/host
 * What kind of name a URI or Via host is. GB/T 28181 gives every platform a 10-digit domain ID
 * and devices address it as `sip:34020000002000000001@3402000000` (Request-URI, From, To). An
 * all-digit host is not an RFC 3261 `toplabel` (§25.1: it must start with a letter), but every GB/T
 * 28181 platform and Kamailio accept it as a domain name, and so does siplb: the parser takes it
 * like any hostname. It must never reach the system resolver as an address, though: getaddrinfo
 * (inet_aton) reads "3402000000" as the IPv4 number 202.198.102.128 and "127.1" as 127.0.0.1, so a
 * request routed on such a host would silently go to some unrelated public address.
 * Pure.
 */

/** A dotted-quad IPv4 literal as RFC 3261 §25.1 `IPv4address` writes it (1*3DIGIT "." x4, each <= 255). */
export function isDottedQuad(host: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return parts === 3 && digits > 0;
}

/**
 * A host made only of digits and dots that is not a dotted-quad IPv4 literal: a numeric domain
 * name (GB/T 28181 `3402000000`), which siplb treats as a name, never as an address.
 */
export function isNumericDomain(host: string): boolean {
  if (host.length === 0) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return !isDottedQuad(host);
}
