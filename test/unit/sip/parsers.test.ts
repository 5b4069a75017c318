import { describe, it, expect } from 'vitest';
import {
  COMPACT_FORMS,
  HEADER_NAMES,
  HeaderId,
  headerIdOf,
  longHeaderName,
  parseCSeq,
  parseContentLength,
  parseFirstVia,
  parseMaxForwards,
  parseNameAddr,
  parseNameAddrList,
  parseRetryAfter,
  parseSipUri,
  parseViaLine,
  isValidCallId,
  reasonPhrase,
} from '../../../src/sip/index.js';
import type { NameAddr, Via } from '../../../src/sip/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const uri = (s: string) => parseSipUri(b(s), 0, s.length);
const via = (s: string) => parseFirstVia(b(s), 0, s.length, 0);
const nameAddr = (s: string) => parseNameAddr(b(s), 0, s.length, 0);

describe('headerIdOf (compact forms, §7.3.3)', () => {
  it.each([
    ['Via', HeaderId.VIA], ['v', HeaderId.VIA], ['V', HeaderId.VIA], ['vIA', HeaderId.VIA],
    ['Call-ID', HeaderId.CALL_ID], ['i', HeaderId.CALL_ID], ['call-id', HeaderId.CALL_ID],
    ['CSeq', HeaderId.CSEQ], ['Max-Forwards', HeaderId.MAX_FORWARDS], ['Route', HeaderId.ROUTE],
    ['Record-Route', HeaderId.RECORD_ROUTE], ['Content-Length', HeaderId.CONTENT_LENGTH], ['l', HeaderId.CONTENT_LENGTH],
    ['To', HeaderId.TO], ['t', HeaderId.TO], ['From', HeaderId.FROM], ['f', HeaderId.FROM],
    ['Contact', HeaderId.CONTACT], ['m', HeaderId.CONTACT], ['Retry-After', HeaderId.RETRY_AFTER],
    ['Content-Type', HeaderId.CONTENT_TYPE], ['c', HeaderId.CONTENT_TYPE], ['User-Agent', HeaderId.USER_AGENT],
    ['k', HeaderId.OTHER], ['Subject', HeaderId.OTHER], ['Vias', HeaderId.OTHER], ['Tx', HeaderId.OTHER],
    ['Call_ID', HeaderId.OTHER], ['Content-Lengths', HeaderId.OTHER], ['', HeaderId.OTHER],
  ] as const)('%s → %i', (name, id) => {
    expect(headerIdOf(b(name), 0, name.length)).toBe(id);
  });

  it('maps every compact form to its long name and round-trips the hot ones', () => {
    expect(Object.keys(COMPACT_FORMS).sort().join('')).toBe('abcdefijklmnorstuvxy');
    for (const [short, long] of Object.entries(COMPACT_FORMS)) {
      expect(longHeaderName(short.toUpperCase())).toBe(long);
      const id = headerIdOf(b(short), 0, 1);
      expect(id).toBe(headerIdOf(b(long), 0, long.length));
      if (id !== HeaderId.OTHER) expect(HEADER_NAMES[id]).toBe(long);
    }
    expect(longHeaderName('X-Custom')).toBe('X-Custom');
  });
});

describe('parseSipUri (§19.1.1)', () => {
  it('parses user, password, host, port, params and flags ?headers', () => {
    expect(uri('sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr;Maddr=239.255.255.1?subject=x')).toEqual({
      scheme: 'sip', user: 'alice', host: 'atlanta.example.com', port: 5070, hasHeaders: true,
      params: new Map([['transport', 'TCP'], ['lr', undefined], ['maddr', '239.255.255.1']]),
    });
  });
  it('parses IPv6 references and host-only URIs', () => {
    expect(uri('sips:[2001:db8::1]')).toMatchObject({ scheme: 'sips', user: undefined, host: '2001:db8::1', port: undefined });
    expect(uri('SIP:[::ffff:192.0.2.1]:5060;lr')).toMatchObject({ scheme: 'sip', host: '::ffff:192.0.2.1', port: 5060 });
    expect(uri('sip:192.0.2.1')?.host).toBe('192.0.2.1');
  });
  it.each(['tel:+15551234', 'http://example.com', 'sip:', 'sip:@host', 'sip:alice@', 'sip:host:99999', 'sip:host:', 'sip:[2001:db8::1', 'sip:a@b c', 'sip:host;', 'sip:ho<st', 'sip:[]'])(
    'rejects %j',
    (s) => expect(uri(s)).toBeUndefined(),
  );
});

describe('parseNameAddr (§20.10)', () => {
  const na = (s: string): NameAddr => {
    const v = nameAddr(s);
    if (!v) throw new Error(`no parse: ${s}`);
    return v;
  };
  it('reads quoted and token display names, <uri> and header params', () => {
    expect(na('"A \\"q\\" B" <sip:a@x.example;lr>;tag=1;foo').displayName).toBe('A "q" B');
    expect(na('Alice <sip:a@x.example>').displayName).toBe('Alice');
    expect(na('<sip:a@x.example>').displayName).toBeUndefined();
    const text = '  Bob  <sip:b@y.example;transport=tcp> ; tag = xyz ;Expires=60  ';
    const v = na(text);
    expect([v.uriText, v.uri?.params.get('transport'), v.params.get('tag'), v.params.get('expires')]).toEqual(['sip:b@y.example;transport=tcp', 'tcp', 'xyz', '60']);
    expect(v.span).toEqual({ start: 2, end: text.trimEnd().length });
  });
  it('treats ;params after a bare addr-spec as header params', () => {
    const v = na('sip:carol@chicago.example.com;tag=887s');
    expect(v.uriText).toBe('sip:carol@chicago.example.com');
    expect(v.uri?.params.size).toBe(0);
    expect(v.params.get('tag')).toBe('887s');
  });
  it('keeps non-SIP URIs as text', () => {
    expect(na('<tel:+15551234>;tag=1')).toMatchObject({ uriText: 'tel:+15551234', uri: undefined });
    expect(na('urn:service:sos').uri).toBeUndefined();
  });
  it.each(['', '<sip:a@b', '"unterminated <sip:a@b>', 'no-uri-here', '<sip:a@b> junk', '<sip:a@b>;', '<sip:a@b>;tag=', '<sip:a@b>, <sip:c@d>', '<>'])('rejects %j', (s) => {
    expect(nameAddr(s)).toBeUndefined();
  });
  it('splits lists only outside quotes and brackets', () => {
    const s = '"Last, First" <sip:a@x;lr>, <sip:b@y;lr>,sip:c@z;p="a,b" ,<sip:d@w>';
    const out: NameAddr[] = [];
    expect(parseNameAddrList(b(s), 0, s.length, 3, out)).toBe(true);
    expect(out.map((v) => v.uriText)).toEqual(['sip:a@x;lr', 'sip:b@y;lr', 'sip:c@z', 'sip:d@w']);
    expect(out[2]?.params.get('p')).toBe('"a,b"');
    expect(out.every((v) => v.fieldIndex === 3)).toBe(true);
    expect(out.map((v) => s.slice(v.span.start, v.span.end))).toEqual(['"Last, First" <sip:a@x;lr>', '<sip:b@y;lr>', 'sip:c@z;p="a,b"', '<sip:d@w>']);
    expect(parseNameAddrList(b('<sip:a@x>,'), 0, 10, 0, [])).toBe(false);
    expect(parseNameAddrList(b('<sip:a@x>,,<sip:b@y>'), 0, 20, 0, [])).toBe(false);
  });
});

describe('Via (§20.42)', () => {
  const v = (s: string): Via => {
    const r = via(s);
    if (!r) throw new Error(`no parse: ${s}`);
    return r;
  };
  it('parses sent-protocol, sent-by and params with spans', () => {
    const s = 'SIP/2.0/udp host.example.com:5060;branch=z9hG4bK1;received=2001:db8::2;rport=5061;maddr=[::1];ttl=1;foo';
    const r = v(s);
    expect(r).toMatchObject({ transport: 'UDP', host: 'host.example.com', port: 5060, branch: 'z9hG4bK1', received: '2001:db8::2', rport: 5061 });
    expect(r.params.map((p) => [p.name, p.value, s.slice(p.span.start, p.span.end)])).toEqual([
      ['branch', 'z9hG4bK1', 'branch=z9hG4bK1'],
      ['received', '2001:db8::2', 'received=2001:db8::2'],
      ['rport', '5061', 'rport=5061'],
      ['maddr', '[::1]', 'maddr=[::1]'],
      ['ttl', '1', 'ttl=1'],
      ['foo', undefined, 'foo'],
    ]);
    expect(r.span).toEqual({ start: 0, end: s.length });
  });
  it('distinguishes bare rport (null) from absent (undefined)', () => {
    expect(v('SIP/2.0/UDP h;rport').rport).toBeNull();
    expect(v('SIP/2.0/UDP h').rport).toBeUndefined();
  });
  it('accepts whitespace around / : ; = and known transports', () => {
    expect(v('SIP / 2.0 / WSS  [2001:db8::9] : 443 ; branch = z9 ')).toMatchObject({ transport: 'WSS', host: '2001:db8::9', port: 443, branch: 'z9' });
    expect(v('sip/2.0/sctp h').transport).toBe('SCTP');
    expect(v('SIP/2.0/X-NEW h').transport).toBe('X-NEW');
  });
  it('splits values on commas outside quoted strings', () => {
    const s = 'SIP/2.0/UDP a;x="1,2" , SIP/2.0/TCP b:1';
    const out: Via[] = [];
    expect(parseViaLine(b(s), 0, s.length, 7, out)).toBe(true);
    expect(out.map((x) => [x.host, x.port, x.fieldIndex, s.slice(x.span.start, x.span.end)])).toEqual([
      ['a', undefined, 7, 'SIP/2.0/UDP a;x="1,2"'],
      ['b', 1, 7, 'SIP/2.0/TCP b:1'],
    ]);
  });
  it.each(['', 'SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP/1.0/UDP h', 'HTTP/2.0/UDP h', 'SIP/2.0/UDP h:70000', 'SIP/2.0/UDP h;rport=x', 'SIP/2.0/UDP h;=1', 'SIP/2.0/UDP h;x="open', 'SIP/2.0/UDP h junk', 'SIP/2.0/UDP h,', 'SIP/2.0/UDPh'])(
    'rejects %j',
    (s) => expect(via(s)).toBeUndefined(),
  );
});

describe('small header values', () => {
  const r = (f: (buf: Buffer, s: number, e: number) => unknown, s: string) => f(b(s), 0, s.length);
  it('CSeq (§20.16)', () => {
    expect(r(parseCSeq, '4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(r(parseCSeq, '0\t\r\n foo')).toEqual({ seq: 0, method: 'foo' });
    for (const bad of ['INVITE', '1', '1INVITE', '-1 INVITE', '1 INVITE x', '2147483648 ACK', '1 INV@TE']) expect(r(parseCSeq, bad)).toBeUndefined();
    expect(r(parseCSeq, '2147483647 ACK')).toEqual({ seq: 2147483647, method: 'ACK' });
  });
  it('Max-Forwards (§20.22)', () => {
    expect([r(parseMaxForwards, '0'), r(parseMaxForwards, '70'), r(parseMaxForwards, '255'), r(parseMaxForwards, '007')]).toEqual([0, 70, 255, 7]);
    for (const bad of ['', '256', '-1', '7 0', 'abc', '1e2']) expect(r(parseMaxForwards, bad)).toBeNaN();
  });
  it('Content-Length (§20.14)', () => {
    expect([r(parseContentLength, '0'), r(parseContentLength, '1234')]).toEqual([0, 1234]);
    for (const bad of ['', '-1', '1.5', 'x', '9999999999']) expect(r(parseContentLength, bad)).toBe(-1);
  });
  it('Retry-After (§20.33)', () => {
    expect([r(parseRetryAfter, '120'), r(parseRetryAfter, '120 (I am in a meeting)'), r(parseRetryAfter, '18000;duration=3600'), r(parseRetryAfter, '5(x)')]).toEqual([120, 120, 18000, 5]);
    for (const bad of ['', 'soon', '12x', '-5']) expect(r(parseRetryAfter, bad)).toBeUndefined();
  });
  it('Call-ID (§20.8)', () => {
    for (const ok of ['f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com', 'a', '[::1]:x{}~']) expect(r(isValidCallId, ok)).toBe(true);
    for (const bad of ['', 'a b', 'a\tb', 'caf\u00e9', 'a\x00b']) expect(r(isValidCallId, bad)).toBe(false);
  });
});

describe('reasonPhrase (§21)', () => {
  it.each([
    [100, 'Trying'], [200, 'OK'], [400, 'Bad Request'], [403, 'Forbidden'], [404, 'Not Found'], [408, 'Request Timeout'],
    [482, 'Loop Detected'], [483, 'Too Many Hops'], [500, 'Server Internal Error'], [503, 'Service Unavailable'], [603, 'Decline'],
    [499, 'Client Error'], [599, 'Server Error'], [150, 'Provisional'],
  ])('%i → %s', (code, phrase) => expect(reasonPhrase(code)).toBe(phrase));
});
