/**
 * @module sip/registration-expiry
 * How long a registrar's 2xx to a REGISTER says the address-of-record stays bound (RFC 3261
 * §10.3 step 8: the 2xx lists every current binding of the AOR, each Contact with an `expires`
 * parameter; §10.2.1.1: a Contact without it falls back to the Expires header). The AOR is bound
 * as long as its longest binding; a 2xx without any Contact (after `Expires: 0` removed the last
 * binding, §10.2.2) means it is bound nowhere: 0. Pure.
 */
import { eqLower, parseUint } from './bytes.js';
import { HeaderId, type NameAddr, type SipResponse } from './message.js';
import { parseNameAddrList } from './parse-name-addr.js';

/** RFC 3261 §10.2.1.1 suggests 3600 s when neither Contact `expires` nor Expires says. */
export const DEFAULT_REGISTRATION_S = 3600;

const COLON = 0x3a;

function expiresHeader(res: SipResponse): number | undefined {
  const { buf } = res;
  for (const f of res.headers) {
    if (f.id !== HeaderId.OTHER) continue;
    let e = f.lineStart;
    while (e < f.valueStart && buf[e] !== COLON && buf[e] !== 0x20 && buf[e] !== 0x09) e++;
    if (!eqLower(buf, f.lineStart, e, 'expires')) continue;
    const v = parseUint(buf, f.valueStart, f.valueEnd, 10);
    return v < 0 ? undefined : v;
  }
  return undefined;
}

/** Seconds the AOR of this REGISTER 2xx stays bound (the longest binding); 0 = bound nowhere. */
export function registrationSeconds(res: SipResponse): number {
  const contacts: NameAddr[] = [];
  for (const f of res.headers) {
    if (f.id === HeaderId.CONTACT) parseNameAddrList(res.buf, f.valueStart, f.valueEnd, 0, contacts);
  }
  if (contacts.length === 0) return 0;
  let header: number | undefined | null = null;
  let longest = 0;
  for (const c of contacts) {
    const p = c.params.get('expires');
    let s = p === undefined ? Number.NaN : Number(p);
    if (!Number.isInteger(s) || s < 0) {
      if (header === null) header = expiresHeader(res);
      s = header ?? DEFAULT_REGISTRATION_S;
    }
    if (s > longest) longest = s;
  }
  return longest;
}
