/** CIDR sets and the allocation-free IP parsers behind them (security/cidr.ts, security/ip.ts). */
import { describe, expect, it } from 'vitest';
import { CidrSet, parseCidr } from '../../../src/security/cidr.js';
import { parseIpv4, parseIpv6 } from '../../../src/security/ip.js';

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['127.0.0.1', 0x7f000001],
    ['255.255.255.255', 0xffffffff],
    ['192.0.2.10', 0xc000020a],
  ])('%s', (s, n) => expect(parseIpv4(s)).toBe(n));
  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'a.b.c.d', '1.2.3.4 ', '::1'])('refuses %j', (s) => expect(parseIpv4(s)).toBe(-1));
});

describe('parseIpv6', () => {
  const g = new Uint16Array(8);
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8::7', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 7]],
    ['2001:db8:1:2:3:4:5:6', [0x2001, 0xdb8, 1, 2, 3, 4, 5, 6]],
    ['fe80::1%eth0', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ['::ffff:192.0.2.1', [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]],
    ['2001:DB8::', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]],
  ])('%s', (s, want) => {
    expect(parseIpv6(s, g)).toBe(true);
    expect([...g]).toEqual(want);
  });
  it.each(['', ':', ':1', '1:', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', '1.2.3.4', '1:2:3:4:5:6:7'])('refuses %j', (s) => expect(parseIpv6(s, g)).toBe(false));
});

describe('CidrSet', () => {
  it('matches IPv4 blocks, single addresses and /0', () => {
    const s = new CidrSet(['10.0.0.0/8', '192.0.2.7', '198.51.100.0/24']);
    for (const a of ['10.1.2.3', '10.255.255.255', '192.0.2.7', '198.51.100.200']) expect(s.has(a), a).toBe(true);
    for (const a of ['11.0.0.1', '192.0.2.8', '198.51.101.1', 'garbage', '']) expect(s.has(a), a).toBe(false);
    expect(new CidrSet(['0.0.0.0/0']).has('203.0.113.9')).toBe(true);
  });

  it('matches IPv6 blocks, and IPv4-mapped sources against IPv4 blocks', () => {
    const s = new CidrSet(['2001:db8:10::/48', '127.0.0.0/8']);
    expect(s.has('2001:db8:10:ffff::1')).toBe(true);
    expect(s.has('2001:db8:11::1')).toBe(false);
    expect(s.has('::ffff:127.0.0.2')).toBe(true);
    expect(s.has('::ffff:128.0.0.2')).toBe(false);
    expect(new CidrSet(['2001:db8::1']).has('2001:db8::1')).toBe(true);
    expect(new CidrSet(['2001:db8::/33']).has('2001:db8:7fff::1')).toBe(true);
    expect(new CidrSet(['2001:db8::/33']).has('2001:db8:8000::1')).toBe(false);
  });

  it('an empty set matches nothing; parseCidr refuses bad prefixes', () => {
    expect(new CidrSet([]).has('127.0.0.1')).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '::/129', 'example.com', '10.0.0.0/8/8']) expect(parseCidr(bad), bad).toBeUndefined();
    expect(() => new CidrSet(['nope'])).toThrow(TypeError);
  });
});
