/**
 * @module security/signatures
 * Scanner signatures: substrings of the User-Agent header that SIP scanners send (sipvicious'
 * svmap/svwar send `friendly-scanner` or `sipvicious`; sipcli, VaxSIPUserAgent, pplsip and
 * sundayddr are other war-dialers and toll-fraud tools). Scanners map networks by what answers, so
 * a match is dropped silently: no response tells them a SIP server is there. (Legitimate test
 * tools such as sipsak and sipp are deliberately not on the list.) Matching is an ASCII
 * case-insensitive substring search over the header's bytes in the datagram, so a message costs no
 * string allocation. Pure.
 */

/** On by default (security.scanners.userAgents). */
export const DEFAULT_SCANNER_USER_AGENTS: readonly string[] = Object.freeze([
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'VaxSIPUserAgent',
  'pplsip',
  'sundayddr',
  'iWar',
  'SIVuS',
  'sip-scan',
]);

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

export class SignatureMatcher {
  readonly #patterns: readonly Uint8Array[];

  constructor(signatures: readonly string[]) {
    this.#patterns = signatures.filter((s) => s !== '').map((s) => Uint8Array.from(Buffer.from(s.toLowerCase(), 'latin1')));
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** Whether buf[start, end) contains any signature, ignoring ASCII case. */
  matches(buf: Uint8Array, start: number, end: number): boolean {
    for (const p of this.#patterns) {
      const first = p[0]!;
      const last = end - p.length;
      outer: for (let i = start; i <= last; i++) {
        if (lower(buf[i]!) !== first) continue;
        for (let k = 1; k < p.length; k++) if (lower(buf[i + k]!) !== p[k]) continue outer;
        return true;
      }
    }
    return false;
  }
}
