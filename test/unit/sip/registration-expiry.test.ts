import { describe, it, expect } from 'vitest';
import { parseSip } from '../../../src/sip/index.js';
import type { SipResponse } from '../../../src/sip/index.js';
import { DEFAULT_REGISTRATION_S, registrationSeconds } from '../../../src/sip/registration-expiry.js';

/** A REGISTER 200 OK with the given extra header lines (CRLF added). */
function ok(...lines: string[]): SipResponse {
  const text = [
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-reg',
    'From: <sip:alice@example.com>;tag=f1',
    'To: <sip:alice@example.com>;tag=t1',
    'Call-ID: reg-1@example.com',
    'CSeq: 2 REGISTER',
    ...lines,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseSip(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(`parse failed: ${r.error.reason} ${r.error.detail}`);
  if (r.msg.kind !== 'response') throw new Error('expected a response');
  return r.msg;
}

describe('registrationSeconds', () => {
  it('is 3600 by default (RFC 3261 §10.2.1.1)', () => {
    expect(DEFAULT_REGISTRATION_S).toBe(3600);
  });

  it('is 0 when the 2xx lists no Contact at all, whatever Expires says', () => {
    expect(registrationSeconds(ok())).toBe(0);
    expect(registrationSeconds(ok('Expires: 600'))).toBe(0);
  });

  it('takes the Contact expires parameter', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=120'))).toBe(120);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=120', 'Expires: 999'))).toBe(120);
  });

  it('a Contact expires=0 counts as 0, not as missing', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=0', 'Expires: 77'))).toBe(0);
  });

  it('takes the longest of several bindings, on one line or several', () => {
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=30, <sip:b@10.0.0.2>;expires=90, <sip:c@10.0.0.3>;expires=60'))).toBe(90);
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=90', 'Contact: <sip:b@10.0.0.2>;expires=30'))).toBe(90);
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=30', 'm: <sip:b@10.0.0.2>;expires=45'))).toBe(45);
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=0', 'Contact: <sip:b@10.0.0.2>;expires=0'))).toBe(0);
  });

  it('falls back to the Expires header for a Contact without expires', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires: 300'))).toBe(300);
    expect(registrationSeconds(ok('Expires: 300', 'Contact: <sip:alice@10.0.0.1>'))).toBe(300);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires: 0'))).toBe(0);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'expires: 42'))).toBe(42);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'EXPIRES: 43'))).toBe(43);
  });

  it('finds the Expires header name when whitespace precedes the colon', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires : 51'))).toBe(51);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires\t: 52'))).toBe(52);
  });

  it('ignores headers whose name only resembles Expires', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Min-Expires: 60'))).toBe(3600);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expiresx: 61'))).toBe(3600);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expire: 62'))).toBe(3600);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'X-Foo: 1', 'Expires: 63'))).toBe(63);
  });

  it('uses the first Expires header only; a malformed one means the default', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires: 10', 'Expires: 20'))).toBe(10);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires: soon', 'Expires: 20'))).toBe(3600);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>', 'Expires: -5'))).toBe(3600);
  });

  it('is 3600 when neither Contact expires nor Expires says', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>'))).toBe(3600);
  });

  it('treats a malformed Contact expires as missing', () => {
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=abc', 'Expires: 70'))).toBe(70);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=1.5', 'Expires: 71'))).toBe(71);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=-1', 'Expires: 72'))).toBe(72);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires', 'Expires: 73'))).toBe(73);
    expect(registrationSeconds(ok('Contact: <sip:alice@10.0.0.1>;expires=abc'))).toBe(3600);
  });

  it('mixes per-Contact values with the header fallback, longest wins', () => {
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=500, <sip:b@10.0.0.2>', 'Expires: 100'))).toBe(500);
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>;expires=50, <sip:b@10.0.0.2>', 'Expires: 100'))).toBe(100);
    expect(registrationSeconds(ok('Contact: <sip:a@10.0.0.1>, <sip:b@10.0.0.2>;expires=5000', 'Expires: 100'))).toBe(5000);
  });
});
