import { describe, it, expect } from 'vitest';
import { checkRequest, isDottedQuad, isNumericDomain, parseSip } from '../../../src/sip/index.js';
import type { SipRequest } from '../../../src/sip/index.js';

function request(ruri: string, extra: string[] = [], to = '<sip:b@example.com>'): SipRequest {
  const text = [
    `OPTIONS ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-v1',
    'From: <sip:a@example.com>;tag=f',
    `To: ${to}`,
    'Call-ID: v-1@example.com',
    'CSeq: 1 OPTIONS',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseSip(Buffer.from(text, 'latin1'));
  if (!r.ok || r.msg.kind !== 'request') throw new Error(`fixture: ${r.ok ? 'response' : r.error.detail}`);
  return r.msg;
}

describe('checkRequest edges', () => {
  it('accepts a plain request without Max-Forwards, with a good Route, with a tel: URI', () => {
    expect(checkRequest(request('sip:b@example.com'))).toBeUndefined();
    expect(checkRequest(request('sip:b@example.com', ['Route: <sip:r.example.com;lr>']))).toBeUndefined();
    expect(checkRequest(request('tel:+15551234567'))).toBeUndefined();
    expect(checkRequest(request('TEL:+15551234567'))).toBeUndefined();
    expect(checkRequest(request('sips:b@example.com'))).toBeUndefined();
  });

  it('refuses other schemes with 416', () => {
    expect(checkRequest(request('mailto:b@example.com'))).toEqual({ kind: 'unsupported-scheme', status: 416, detail: 'Request-URI scheme not supported' });
    expect(checkRequest(request('te:x'))).toEqual({ kind: 'unsupported-scheme', status: 416, detail: 'Request-URI scheme not supported' });
  });

  it('lists the Proxy-Require option tags exactly, and refuses a malformed list', () => {
    expect(checkRequest(request('sip:b@example.com', ['Proxy-Require: foo , bar', 'Proxy-Require: baz']))).toEqual({
      kind: 'bad-extension',
      status: 420,
      detail: 'Proxy-Require option not supported',
      unsupported: 'foo, bar, baz',
    });
    expect(checkRequest(request('sip:b@example.com', ['Proxy-Require: foo bar']))).toEqual({ kind: 'bad-header', status: 400, detail: 'malformed Proxy-Require' });
    expect(checkRequest(request('sip:b@example.com', ['Proxy-Require: foo,']))).toEqual({ kind: 'bad-header', status: 400, detail: 'malformed Proxy-Require' });
  });

  it('decodes To only when it has ; or " in it', () => {
    expect(checkRequest(request('sip:b@example.com', [], 'garbage'))).toBeUndefined();
    expect(checkRequest(request('sip:b@example.com', [], 'garbage;tag=1'))).toEqual({ kind: 'bad-header', status: 400, detail: 'malformed To' });
    expect(checkRequest(request('sip:b@example.com', [], '"open <sip:b@example.com>'))).toEqual({ kind: 'bad-header', status: 400, detail: 'malformed To' });
    expect(checkRequest(request('sip:b@example.com', [], '<sip:b@example.com>;tag=1'))).toBeUndefined();
  });

  it('a Route whose URI is not SIP is malformed', () => {
    expect(checkRequest(request('sip:b@example.com', ['Route: <tel:+1555>']))).toEqual({ kind: 'bad-header', status: 400, detail: 'malformed Route' });
  });
});

describe('isDottedQuad', () => {
  it('accepts four 0..255 parts of 1-3 digits', () => {
    for (const h of ['1.2.3.4', '9.9.9.9', '0.0.0.0', '255.255.255.255', '010.001.1.99']) expect(isDottedQuad(h)).toBe(true);
  });
  it('refuses anything else', () => {
    for (const h of ['', '.1.2.3', '1..2.3', '1.2.3.', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1234.1.1.1', '1.2.3.a', '1.2.3.:', '1.2.3./', 'a.b.c.d']) expect(isDottedQuad(h)).toBe(false);
  });
});

describe('isNumericDomain', () => {
  it('all digits and dots, not a dotted quad', () => {
    expect(isNumericDomain('3402000000')).toBe(true);
    expect(isNumericDomain('127.1')).toBe(true);
    expect(isNumericDomain('9')).toBe(true);
    expect(isNumericDomain('1.2.3.4')).toBe(false);
    expect(isNumericDomain('')).toBe(false);
    expect(isNumericDomain('12a')).toBe(false);
    expect(isNumericDomain('a12')).toBe(false);
    expect(isNumericDomain('1/2')).toBe(false);
    expect(isNumericDomain('1:2')).toBe(false);
  });
});
