import { describe, it, expect } from 'vitest';
import { parseFirstVia, parseSipUri } from '../../../src/sip/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const via = (s: string, end = s.length) => parseFirstVia(b(s), 0, end, 2);
const uri = (s: string) => parseSipUri(b(s), 0, s.length);

describe('parseFirstVia sent-protocol and sent-by', () => {
  it('refuses a broken sent-protocol or a missing sent-by', () => {
    for (const s of ['SIP/2.0', 'SIP 2.0/UDP h', 'SIP/2.0 UDP h', 'SIP/2.0/;x', 'SIP/2.0/UDP', 'SIP/2.0/UDP ;branch=x', 'SIP/2.0/UDP[::1]:5060', 'SIP/2.0/UDPh', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP [::g]']) {
      expect(via(s)).toBeUndefined();
    }
  });

  it('reads transport, host and port, whitespace around the colon allowed', () => {
    const v = via('SIP / 2.0 / tcp  h.example.com : 5070 ;branch=z9hG4bK-1')!;
    expect([v.transport, v.host, v.port, v.branch, v.fieldIndex]).toEqual(['TCP', 'h.example.com', 5070, 'z9hG4bK-1', 2]);
    expect(via('SIP/2.0/UDP [2001:db8::1]:5060')?.host).toBe('2001:db8::1');
  });

  it('accepts port 65535, refuses 65536 and an empty port', () => {
    expect(via('SIP/2.0/UDP h:65535')?.port).toBe(65535);
    expect(via('SIP/2.0/UDP h:65536')).toBeUndefined();
    expect(via('SIP/2.0/UDP h:')).toBeUndefined();
  });
});

describe('parseFirstVia parameters', () => {
  it('stops at `end` even when the buffer goes on', () => {
    const s = 'SIP/2.0/UDP h;branch=z9hG4bK-1';
    const v = via(s, 13)!;
    expect(v.params).toEqual([]);
    expect(v.span).toEqual({ start: 0, end: 13 });
    const w = via('SIP/2.0/UDP h;rport=5', 19)!;
    expect(w.rport).toBeNull();
    expect(w.params).toEqual([{ name: 'rport', value: undefined, span: { start: 14, end: 19 } }]);
  });

  it('lists one, two, three and more parameters exactly, with spans', () => {
    expect(via('SIP/2.0/UDP h')!.params).toEqual([]);
    expect(Object.isFrozen(via('SIP/2.0/UDP h')!.params)).toBe(true);
    expect(via('SIP/2.0/UDP h;a=1')!.params).toEqual([{ name: 'a', value: '1', span: { start: 14, end: 17 } }]);
    expect(via('SIP/2.0/UDP h;a=1;b')!.params.map((p) => p.name)).toEqual(['a', 'b']);
    expect(via('SIP/2.0/UDP h;a=1;b;c="x y"')!.params).toEqual([
      { name: 'a', value: '1', span: { start: 14, end: 17 } },
      { name: 'b', value: undefined, span: { start: 18, end: 19 } },
      { name: 'c', value: '"x y"', span: { start: 20, end: 27 } },
    ]);
    expect(via('SIP/2.0/UDP h;a;b;c;d;e')!.params.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('flag parameters before others', () => {
    const v = via('SIP/2.0/UDP h;rport;branch=z9hG4bK-2')!;
    expect(v.rport).toBeNull();
    expect(v.branch).toBe('z9hG4bK-2');
  });

  it('rejects malformed parameter values', () => {
    for (const s of ['SIP/2.0/UDP h;branch="abc', 'SIP/2.0/UDP h;x=', 'SIP/2.0/UDP h;x=;y', 'SIP/2.0/UDP h;rport=65536', 'SIP/2.0/UDP h;rport=x1', 'SIP/2.0/UDP h;']) expect(via(s)).toBeUndefined();
  });

  it('rport: 0 and 65535 are ports; the first rport wins', () => {
    expect(via('SIP/2.0/UDP h;rport=0')?.rport).toBe(0);
    expect(via('SIP/2.0/UDP h;rport=65535')?.rport).toBe(65535);
    expect(via('SIP/2.0/UDP h;rport=1;rport=2')?.rport).toBe(1);
    expect(via('SIP/2.0/UDP h;rport;rport=2')?.rport).toBeNull();
    expect(via('SIP/2.0/UDP h;received=1.2.3.4;received=5.6.7.8')?.received).toBe('1.2.3.4');
    expect(via('SIP/2.0/UDP h;branch=a;branch=b')?.branch).toBe('a');
  });

  it('the first of several values on a line; a trailing comma spoils the line', () => {
    expect(via('SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2')?.host).toBe('a');
    expect(via('SIP/2.0/UDP a;branch=1 ,')).toBeUndefined();
    expect(via('SIP/2.0/UDP a;branch=1 , ')).toBeUndefined();
    expect(via('SIP/2.0/UDP a;branch=1 x')).toBeUndefined();
  });
});

describe('parseSipUri scheme, user and IPv6 edges', () => {
  it('only sip: and sips:, any case', () => {
    expect(uri('tel:+15551234')).toBeUndefined();
    expect(uri('sipx:b@h')).toBeUndefined();
    expect(uri('sip:')).toBeUndefined();
    expect(uri('sips:')).toBeUndefined();
    expect(uri('SIP:b@h')?.scheme).toBe('sip');
    expect(uri('sips:b@h')?.scheme).toBe('sips');
    expect(uri('sip:h')).toMatchObject({ scheme: 'sip', user: undefined, host: 'h', port: undefined });
  });

  it('refuses bytes that may not appear in the user part', () => {
    for (const c of ['<', '>', '"', ' ', '\x7f', '\x1f']) expect(uri(`sip:a${c}b@h`)).toBeUndefined();
    expect(uri('sip:a!~b@h')?.user).toBe('a!~b');
    expect(uri('sip:a:pw@h')?.user).toBe('a');
    expect(uri('sip::pw@h')).toBeUndefined();
  });

  it('IPv6 references: hex digits, colons and dots only, at least two bytes', () => {
    for (const h of ['::1', '::', 'FFFF::a', 'abcd:EF01::9', '::ffff:1.2.3.4']) expect(uri(`sip:[${h}]:5060`)?.host).toBe(h);
    for (const h of ['::g', '::G', ':', '', '::1 ', '::@']) expect(uri(`sip:[${h}]`)).toBeUndefined();
    expect(uri('sip:[::1')).toBeUndefined();
  });

  it('ports: 0..65535, digits only', () => {
    expect(uri('sip:h:0')?.port).toBe(0);
    expect(uri('sip:h:65535')?.port).toBe(65535);
    expect(uri('sip:h:65536')).toBeUndefined();
    expect(uri('sip:h:')).toBeUndefined();
    expect(uri('sip:;x')).toBeUndefined();
  });
});
