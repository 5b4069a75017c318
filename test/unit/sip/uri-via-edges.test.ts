/**
 * Edges of the SIP URI and Via scanners (sip/parse-uri.ts, sip/parse-via.ts): bytes a user part
 * may not hold unescaped (RFC 3261 §25.1 `user`), IPv6 references (§25.1 IPv6reference), port
 * bounds, and that a value is read only up to the end it is given — a URI inside a header line
 * stops at the caller's `end` even when the buffer goes on (no ':' port, '=' value or '@' user
 * read past it).
 */
import { describe, expect, it } from 'vitest';
import { parseSipUri } from '../../../src/sip/index.js';
import { parseFirstVia } from '../../../src/sip/parse-via.js';

const whole = (t: string) => parseSipUri(Buffer.from(t, 'latin1'), 0, Buffer.byteLength(t, 'latin1'));
/** The URI in the first `n` bytes of `t`, the rest of the buffer being beyond `end`. */
const prefix = (t: string, n: number) => parseSipUri(Buffer.from(t, 'latin1'), 0, n);
const via = (t: string, n = Buffer.byteLength(t, 'latin1')) => parseFirstVia(Buffer.from(t, 'latin1'), 0, n, 0);

describe('parseSipUri: the user part', () => {
  it.each(['sip:a b@h.test', 'sip:a\tb@h.test', 'sip:a<b@h.test', 'sip:a>b@h.test', 'sip:a"b@h.test', 'sip:a\x7fb@h.test', 'sip:a\xe9b@h.test', 'sip:a\x01b@h.test'])('refuses %j', (t) => {
    expect(whole(t)).toBeUndefined();
  });

  it.each(['sip:a!b@h.test', 'sip:a%20b@h.test', 'sip:+1-555@h.test', 'sip:a~b@h.test', 'sip:alice:secret@h.test'])('accepts %j', (t) => {
    expect(whole(t)?.host).toBe('h.test');
  });
});

describe('parseSipUri: host, port, IPv6', () => {
  it('reads IPv6 references with upper- and lower-case hex and an IPv4 tail', () => {
    expect(whole('sip:[2001:DB8::aF]:5070')).toMatchObject({ host: '2001:DB8::aF', port: 5070 });
    expect(whole('sip:[::ffff:192.0.2.1]')).toMatchObject({ host: '::ffff:192.0.2.1' });
    expect(whole('sip:[::A]')).toMatchObject({ host: '::A' });
    expect(whole('sip:[::F]')).toMatchObject({ host: '::F' });
    expect(whole('sip:[::a]')).toMatchObject({ host: '::a' });
    expect(whole('sip:[::f]')).toMatchObject({ host: '::f' });
    expect(whole('sip:[::g]')).toBeUndefined();
    expect(whole('sip:[::@]')).toBeUndefined();
    expect(whole('sip:[::`]')).toBeUndefined();
    expect(whole('sip:[:]')).toBeUndefined();
    expect(whole('sip:[::]')).toMatchObject({ host: '::' });
  });

  it('takes ports 0 to 65535 and refuses 65536', () => {
    expect(whole('sip:h.test:0')?.port).toBe(0);
    expect(whole('sip:h.test:65535')?.port).toBe(65535);
    expect(whole('sip:h.test:65536')).toBeUndefined();
  });
});

describe('parseSipUri reads only up to end', () => {
  it('a port, parameter value or user past end is not read', () => {
    expect(prefix('sip:h.test:5070', 10)).toMatchObject({ host: 'h.test', port: undefined });
    expect(prefix('sip:h.test:5070', 12)).toMatchObject({ host: 'h.test', port: 5 });
    expect(prefix('sip:h.test;lr=on', 13)).toMatchObject({ host: 'h.test' });
    expect(prefix('sip:h.test;lr=on', 13)?.params.get('lr')).toBeUndefined();
    expect(prefix('sip:h.test;lr=on', 13)?.params.has('lr')).toBe(true);
    expect([...(prefix('sip:h.test;maddr=x', 13)?.params.keys() ?? [])]).toEqual(['ma']);
    expect(prefix('sip:h.test@x.test', 10)).toMatchObject({ user: undefined, host: 'h.test' });
  });

  it('keeps the first of a repeated parameter (§19.1.1)', () => {
    expect(whole('sip:h.test;transport=tcp;transport=udp')?.params.get('transport')).toBe('tcp');
  });
});

describe('parseFirstVia', () => {
  it('reads the sent-by port within 0..65535 and only up to end', () => {
    expect(via('SIP/2.0/UDP h.test:65535')?.port).toBe(65535);
    expect(via('SIP/2.0/UDP h.test:0')?.port).toBe(0);
    expect(via('SIP/2.0/UDP h.test:65536')).toBeUndefined();
    expect(via('SIP/2.0/UDP h.test:5070', 18)).toMatchObject({ host: 'h.test', port: undefined });
    expect(via('SIP/2.0/UDP h.test:5070', 20)).toMatchObject({ host: 'h.test', port: 5 });
  });

  it('refuses a sent-protocol that stops early or lacks a part', () => {
    for (const t of ['SIP', 'SIP/', 'SIP/2.0', 'SIP/2.0/', 'SIP/2.0/UDP', 'SIP/2.0/UDP ', 'SIP/2.0 UDP h.test', 'SIP/2.0/UDP [::g]', 'SIP/2.0/UDP :5060']) {
      expect(via(t), t).toBeUndefined();
    }
  });
});
