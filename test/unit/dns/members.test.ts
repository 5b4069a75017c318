/**
 * @module test/unit/dns/members
 * From DNS answers to backend definitions, and the backend list the node runs with: ids stable
 * and readable, SRV priority → tier, SRV weight → ring weight, same answer in any order → same
 * list (so a re-resolution with the same set changes nothing), numeric domains and "." ignored.
 */
import { describe, expect, it } from 'vitest';
import type { DnsBackendConfig, FixedBackendConfig } from '../../../src/config/schema.js';
import { HashBalancer } from '../../../src/balance/hash-ring.js';
import { backendList, membersOf, refreshDelayMs, ringWeight, sameBackends, type DnsAnswer, type SrvTarget } from '../../../src/dns/members.js';

const health = {};
const srvEntry: DnsBackendConfig = { kind: 'srv', id: 'gw', name: '_sip._udp.gw.example.com', transport: 'udp', health };
const hostEntry: DnsBackendConfig = { kind: 'host', id: 'solo', host: 'solo.example.com', port: 5080, acceptsTcp: true, transport: 'tcp', weight: 3, priority: 5, health };
const t = (target: string, port: number, priority: number, weight: number, ...addresses: string[]): SrvTarget => ({ target, port, priority, weight, addresses });
const srv = (...targets: SrvTarget[]): DnsAnswer => ({ kind: 'srv', targets, ttlSeconds: 30 });
const fixed = (id: string, host: string, port: number): FixedBackendConfig => ({ id, address: { host, port }, acceptsTcp: false, transport: 'udp', weight: 1, priority: 0, health });

describe('membersOf an SRV answer', () => {
  it('names members <id>/<target>:<port>, maps priority to the tier and keeps weights up to 100', () => {
    const m = membersOf(srvEntry, srv(t('gw2.example.com.', 5060, 20, 10, '10.0.0.12'), t('gw1.example.com', 5060, 10, 50, '10.0.0.11')));
    expect(m.map((b) => [b.id, b.address.host, b.address.port, b.priority, b.weight, b.transport])).toEqual([
      ['gw/gw1.example.com:5060', '10.0.0.11', 5060, 10, 50, 'udp'],
      ['gw/gw2.example.com:5060', '10.0.0.12', 5060, 20, 10, 'udp'],
    ]);
  });

  it('gives one member per address of a target, named with the address', () => {
    const m = membersOf(srvEntry, srv(t('gw1.example.com', 5060, 10, 1, '10.0.0.22', '10.0.0.21', '10.0.0.21')));
    expect(m.map((b) => b.id)).toEqual(['gw/gw1.example.com:5060/10.0.0.21', 'gw/gw1.example.com:5060/10.0.0.22']);
  });

  it('is the same list whatever order the DNS server returned the records in', () => {
    const a = [t('b.example.com', 5060, 10, 5, '10.0.0.2'), t('a.example.com', 5062, 10, 5, '10.0.0.1'), t('a.example.com', 5061, 10, 5, '10.0.0.1')];
    const one = membersOf(srvEntry, srv(...a));
    const two = membersOf(srvEntry, srv(...[...a].reverse()));
    expect(sameBackends(one, two)).toBe(true);
    expect(one.map((b) => b.id)).toEqual(['gw/a.example.com:5061', 'gw/a.example.com:5062', 'gw/b.example.com:5060']);
  });

  it('scales SRV weights above 100 to 1..100 and lifts weight 0 to 1 (RFC 2782: a very small chance)', () => {
    expect(ringWeight(0, 10)).toBe(1);
    expect(ringWeight(7, 10)).toBe(7);
    expect(ringWeight(1000, 1000)).toBe(100);
    expect(ringWeight(250, 1000)).toBe(25);
    expect(ringWeight(1, 65535)).toBe(1);
    const m = membersOf(srvEntry, srv(t('a.example.com', 5060, 0, 3000, '10.0.0.1'), t('b.example.com', 5060, 0, 1000, '10.0.0.2')));
    expect(m.map((b) => b.weight)).toEqual([100, 33]);
  });

  it('ignores the target "." (service not available, RFC 2782) and numeric GB/T 28181 domains', () => {
    expect(membersOf(srvEntry, srv(t('.', 0, 0, 0)))).toEqual([]);
    expect(membersOf(srvEntry, srv(t('3402000000', 5060, 0, 1, '10.0.0.1'), t('ok.example.com', 5060, 0, 1, '10.0.0.2'))).map((b) => b.id)).toEqual(['gw/ok.example.com:5060']);
  });
});

describe('membersOf a host answer', () => {
  it('is the configured id for one address and <id>/<ip> for several, with the entry\'s port, transport, weight and tier', () => {
    const one = membersOf(hostEntry, { kind: 'host', addresses: ['10.0.0.5'], ttlSeconds: 60 });
    expect(one).toEqual([{ id: 'solo', address: { host: '10.0.0.5', port: 5080 }, acceptsTcp: true, transport: 'tcp', weight: 3, priority: 5, health }]);
    const two = membersOf(hostEntry, { kind: 'host', addresses: ['2001:db8::5', '10.0.0.5'], ttlSeconds: 60 });
    expect(two.map((b) => b.id)).toEqual(['solo/10.0.0.5', 'solo/2001:db8::5']);
  });
});

describe('backendList: the old set and a new resolution → the new backend list', () => {
  const before = membersOf(srvEntry, srv(t('gw1.example.com', 5060, 10, 1, '10.0.0.11'), t('gw2.example.com', 5060, 20, 1, '10.0.0.12')));

  it('puts the fixed backends first, then each entry\'s members in configuration order', () => {
    const members = new Map([['solo', membersOf(hostEntry, { kind: 'host', addresses: ['10.0.0.5'], ttlSeconds: 5 })], ['gw', before]]);
    const { backends } = backendList([fixed('edge', '10.0.0.1', 5060)], [srvEntry, hostEntry], members);
    expect(backends.map((b) => b.id)).toEqual(['edge', 'gw/gw1.example.com:5060', 'gw/gw2.example.com:5060', 'solo']);
  });

  it('keeps the id of a member that stays when another leaves and a third joins', () => {
    const after = membersOf(srvEntry, srv(t('gw3.example.com', 5060, 20, 1, '10.0.0.13'), t('gw2.example.com', 5060, 20, 1, '10.0.0.12')));
    const a = backendList([], [srvEntry], new Map([['gw', before]])).backends;
    const b = backendList([], [srvEntry], new Map([['gw', after]])).backends;
    expect(a.map((x) => x.id)).toEqual(['gw/gw1.example.com:5060', 'gw/gw2.example.com:5060']);
    expect(b.map((x) => x.id)).toEqual(['gw/gw2.example.com:5060', 'gw/gw3.example.com:5060']);
    expect(b.find((x) => x.id === 'gw/gw2.example.com:5060')).toEqual(a.find((x) => x.id === 'gw/gw2.example.com:5060'));
  });

  it('is unchanged (sameBackends) for the same answer resolved again', () => {
    const again = membersOf(srvEntry, srv(t('gw2.example.com', 5060, 20, 1, '10.0.0.12'), t('gw1.example.com', 5060, 10, 1, '10.0.0.11')));
    const a = backendList([], [srvEntry], new Map([['gw', before]])).backends;
    const b = backendList([], [srvEntry], new Map([['gw', again]])).backends;
    expect(sameBackends(a, b)).toBe(true);
  });

  it('leaves out a member at the address of an earlier backend, and says which', () => {
    const r = backendList([fixed('edge', '10.0.0.11', 5060)], [srvEntry], new Map([['gw', before]]));
    expect(r.backends.map((b) => b.id)).toEqual(['edge', 'gw/gw2.example.com:5060']);
    expect(r.shadowed).toEqual(['gw/gw1.example.com:5060']);
  });

  it('contributes nothing for an entry never resolved', () => {
    expect(backendList([fixed('edge', '10.0.0.1', 5060)], [srvEntry], new Map()).backends.map((b) => b.id)).toEqual(['edge']);
  });
});

describe('refreshDelayMs', () => {
  it('clamps the TTL to [minTtl, maxTtl]', () => {
    expect(refreshDelayMs(0, 5000, 300_000)).toBe(5000);
    expect(refreshDelayMs(60, 5000, 300_000)).toBe(60_000);
    expect(refreshDelayMs(86_400, 5000, 300_000)).toBe(300_000);
  });
});

describe('ring positions across a re-resolution', () => {
  const T1 = t('gw1.example.com', 5060, 0, 1, '10.0.0.11');
  const T2 = t('gw2.example.com', 5060, 0, 1, '10.0.0.12');
  const T3 = t('gw3.example.com', 5060, 0, 1, '10.0.0.13');
  /** Owner of each of 2000 call keys on a fresh hash balancer over the members of `targets`. */
  const owners = (...targets: SrvTarget[]): string[] => {
    const members = membersOf(srvEntry, srv(...targets)).map((d) => ({ id: d.id, weight: d.weight }));
    const ring = new HashBalancer({ vnodes: 200 });
    return Array.from({ length: 2000 }, (_, i) => ring.pick(`call-${i}@example.com`, members)?.id ?? '');
  };

  it('moves no call between members that stay when a member leaves (the records come back in another order)', () => {
    const a = owners(T1, T2, T3);
    const b = owners(T3, T2);
    a.forEach((o, i) => {
      if (o !== 'gw/gw1.example.com:5060') expect(b[i]).toBe(o);
    });
  });

  it('moves calls only to a member that joins', () => {
    const a = owners(T1, T2);
    const b = owners(T2, T3, T1);
    let moved = 0;
    a.forEach((o, i) => {
      if (b[i] !== o) {
        expect(b[i]).toBe('gw/gw3.example.com:5060');
        moved++;
      }
    });
    expect(moved).toBeGreaterThan(300);
  });
});
