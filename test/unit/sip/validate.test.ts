/**
 * sip/validate.ts, checkRequest: the proxy checks of RFC 3261 §16.3 on a request the scanner
 * accepted (Request-URI scheme and form, Max-Forwards, Proxy-Require, every Via and Route, the
 * To tag), and what it deliberately leaves alone (From, Require, tel: URIs, odd parameters).
 */
import { describe, expect, it } from 'vitest';
import { checkRequest, parseSip } from '../../../src/sip/index.js';
import { parseRequest, requestText, type RequestSpec } from '../../helpers/core/sip-text.js';

const check = (spec: RequestSpec) => checkRequest(parseRequest(requestText(spec)));

describe('checkRequest: faults', () => {
  it.each([
    ['nobodyknowsthisscheme:x', 416, 'unsupported-scheme'],
    ['http://example.com/', 416, 'unsupported-scheme'],
    ['sip:2001:db8::10', 400, 'bad-uri'],
    ['sip:bob@example.com?Subject=hi', 400, 'bad-uri'],
    ['sip:bob@example.com;method=REGISTER', 400, 'bad-uri'],
    ['sips:bob@[2001:db8::1', 400, 'bad-uri'],
  ] as const)('Request-URI %s → %i', (uri, status, kind) => {
    expect(check({ uri })).toMatchObject({ status, kind });
  });

  it('names the Request-URI fault', () => {
    expect(check({ uri: 'sip:bob@example.com?Route=%3Csip:x%3E' })?.detail).toBe('headers not allowed in Request-URI');
    expect(check({ uri: 'sip:bob@example.com;MeThOd=INVITE' })?.detail).toBe('method parameter not allowed in Request-URI');
  });

  it.each(['256', '-1', 'x', '1 2'])('Max-Forwards %s → 400', (mf) => {
    expect(check({ maxForwards: mf })).toMatchObject({ status: 400, detail: 'malformed Max-Forwards' });
  });

  it('answers Proxy-Require with 420 listing every option tag of every line (§16.3 step 4)', () => {
    const f = check({ headers: ['Proxy-Require: foo , bar', 'Proxy-Require: baz'] });
    expect(f).toMatchObject({ status: 420, kind: 'bad-extension', unsupported: 'foo, bar, baz' });
  });

  it('answers a Proxy-Require that is not a token list with 400, copying nothing of it', () => {
    expect(check({ headers: ['Proxy-Require: foo "bar"'] })).toMatchObject({ status: 400, detail: 'malformed Proxy-Require' });
    expect(check({ headers: ['Proxy-Require: foo,,'] })).toMatchObject({ status: 400 });
  });

  it('checks every Via and every Route, not just the top ones', () => {
    expect(check({ vias: ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1', 'SIP/2.0/UDP ;branch=x'] })?.detail).toBe('malformed Via');
    expect(check({ headers: ['Route: <sip:p1.example.com;lr>', 'Route: <sip:2001:db8::1;lr>'] })?.detail).toBe('malformed Route');
    expect(check({ headers: ['Route: <tel:+123>'] })?.detail).toBe('malformed Route');
    expect(check({ headers: ['Route: <sip:p1.example.com;lr'] })?.detail).toBe('malformed Route');
  });

  it('decodes To when a tag may be in it: a ; or a quote', () => {
    expect(check({ to: '<sip:bob@example.com;tag=1' })?.detail).toBe('malformed To');
    expect(check({ to: '"Bob <sip:bob@example.com>' })?.detail).toBe('malformed To');
    expect(check({ to: '"Bob" <sip:bob@example.com>;tag=1' })).toBeUndefined();
  });
});

describe('checkRequest: transparent where siplb does not interpret', () => {
  it.each<[string, RequestSpec]>([
    ['a plain INVITE', {}],
    ['a tel: Request-URI', { uri: 'tel:+1-201-555-0123' }],
    ['a SIPS URI with an IPv6 reference and port', { uri: 'sips:bob@[2001:db8::10]:5071;transport=tcp' }],
    ['no Max-Forwards (siplb adds one)', { maxForwards: null }],
    ['Max-Forwards with leading zeros', { maxForwards: '0068' }],
    ['Require (for the UAS, not the proxy)', { headers: ['Require: 100rel, timer'] }],
    ['a malformed From (not read by siplb)', { from: 'Bell, Alexander <sip:a@example.net>;tag=1' }],
    ['a To with a non-SIP URI', { to: 'isbn:2983792873' }],
    ['a Via branch with @ and /', { vias: ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-1@kamailio/x;rport'] }],
    ['a Contact with escaped headers', { headers: ['Contact: <sip:u@h.example?Route=%3Csip:x%3E>'] }],
    ['a user part holding ? and ;', { uri: "sip:a;b?c=d@example.com" }],
  ])('passes %s', (_n, spec) => {
    expect(check(spec)).toBeUndefined();
  });
});

describe('parseSip: the request faults it answers', () => {
  const reasonOf = (text: string) => {
    const r = parseSip(Buffer.from(text, 'latin1'));
    return r.ok ? 'ok' : `${r.error.reason}/${r.error.canReply}/${r.error.detail}`;
  };
  it('holds a request-line fault until the top Via is read, then makes it answerable', () => {
    expect(reasonOf(requestText().replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toBe('bad-version/true/SIP version not supported');
    expect(reasonOf(requestText().replace(' SIP/2.0\r\n', '  SIP/2.0\r\n'))).toBe('bad-start-line/true/malformed Request-Line');
    expect(reasonOf(requestText().replace(/^INVITE sip:bob@lb.test/, 'INVITE <sip:bob@lb.test>'))).toBe('bad-start-line/true/malformed Request-URI');
  });
  it('names the first single-valued header seen twice', () => {
    expect(reasonOf(requestText({ headers: ['CSeq: 1 INVITE'] }))).toBe('duplicate-header/true/more than one CSeq header');
    expect(reasonOf(requestText({ headers: ['f: <sip:x@y>;tag=2'] }))).toBe('duplicate-header/true/more than one From header');
  });
  it('answers a missing mandatory header once the top Via is readable, drops it otherwise', () => {
    expect(reasonOf(requestText().replace(/Call-ID: .*\r\n/, ''))).toBe('missing-header/true/missing Call-ID');
    expect(reasonOf(requestText().replace(/Call-ID: .*\r\n/, '').replace('Via: SIP/2.0/UDP 192.0.2.10:5060', 'Via: SIP/2.0/UDP'))).toMatch(/^bad-via\/false/);
  });
  it('flags ?headers on a parsed SIP URI', () => {
    const req = parseRequest(requestText({ uri: 'sip:bob@example.com?x=y' }));
    expect(req.requestUri()?.hasHeaders).toBe(true);
    expect(parseRequest(requestText()).requestUri()?.hasHeaders).toBeUndefined();
  });
});
