/**
 * @module test/unit/dns/refresher
 * The refresh loop with a scripted lookup (the real resolver against a real dnsmasq is covered by
 * test/integration/dns-resolver.test.ts and test/e2e/dns.test.ts): re-resolution on the clamped
 * TTL, a failed lookup keeping the last good set, one log line per change of state, a count.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DnsBackendConfig } from '../../../src/config/schema.js';
import type { DnsAnswer } from '../../../src/dns/members.js';
import { DnsRefresher } from '../../../src/dns/refresher.js';
import type { DnsLookup } from '../../../src/dns/resolver.js';
import { SiplbError } from '../../../src/errors.js';
import { captureLogger } from '../../helpers/capture-logger.js';

const entry: DnsBackendConfig = { kind: 'srv', id: 'gw', name: '_sip._udp.gw.example.com', transport: 'udp', health: {} };
const answer = (ttlSeconds: number, ...ips: string[]): DnsAnswer => ({
  kind: 'srv',
  ttlSeconds,
  targets: ips.map((ip, i) => ({ target: `gw${i + 1}.example.com`, port: 5060, priority: 10 * (i + 1), weight: 1, addresses: [ip] })),
});

/** Answers from a script, one per lookup; an Error in it is thrown. */
function scripted(script: Array<DnsAnswer | Error>): DnsLookup & { calls: number } {
  const l = {
    calls: 0,
    srv: async (): Promise<DnsAnswer> => {
      const next = script[Math.min(l.calls++, script.length - 1)];
      if (next instanceof Error) throw next;
      if (next === undefined) throw new Error('empty script');
      return next;
    },
    host: async (): Promise<DnsAnswer> => Promise.reject(new Error('not used')),
  };
  return l;
}

const fail = (): SiplbError => new SiplbError('SIPLB_ERR_DNS_LOOKUP', '_sip._udp.gw.example.com: no SRV record (ECONNREFUSED)');

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('DnsRefresher', () => {
  it('resolves at start, again after the TTL clamped to [minTtl, maxTtl], and reports a change', async () => {
    const lookup = scripted([answer(1, '10.0.0.11'), answer(1, '10.0.0.11'), answer(600, '10.0.0.11', '10.0.0.12')]);
    const changes: number[] = [];
    const r = new DnsRefresher({ lookup, minTtlMs: 5000, maxTtlMs: 60_000, logger: captureLogger([]), onChange: () => changes.push(lookup.calls), now: () => 0 });
    r.setEntries([entry]);
    await r.start();
    expect(changes).toEqual([1]);
    expect([...r.members().get('gw')!].map((m) => m.id)).toEqual(['gw/gw1.example.com:5060']);
    expect(r.status()[0]).toMatchObject({ state: 'ok', ttlSeconds: 1, refreshSeconds: 5 }); // TTL 1s → minTtl 5s
    await vi.advanceTimersByTimeAsync(4999);
    expect(lookup.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lookup.calls).toBe(2);
    expect(changes).toEqual([1]); // same set: nothing to apply
    await vi.advanceTimersByTimeAsync(5000);
    expect(changes).toEqual([1, 3]);
    expect(r.status()[0]).toMatchObject({ members: ['gw/gw1.example.com:5060', 'gw/gw2.example.com:5060'], refreshSeconds: 60 }); // 600s → maxTtl
    r.stop();
  });

  it('keeps the last good set on failure, retries after minTtl, logs once per change of state, counts every failure', async () => {
    const lines: Record<string, unknown>[] = [];
    const lookup = scripted([answer(5, '10.0.0.11'), fail(), fail(), fail(), answer(5, '10.0.0.11')]);
    let changes = 0;
    const r = new DnsRefresher({ lookup, minTtlMs: 5000, maxTtlMs: 60_000, logger: captureLogger(lines), onChange: () => changes++ });
    r.setEntries([entry]);
    await r.start();
    await vi.advanceTimersByTimeAsync(5000 * 3);
    expect(lookup.calls).toBe(4);
    const st = r.status()[0];
    expect(st).toMatchObject({ state: 'failing', failures: 3, members: ['gw/gw1.example.com:5060'], refreshSeconds: 5 });
    expect(st?.lastError).toContain('ECONNREFUSED');
    expect([...r.members().get('gw')!].map((m) => m.id)).toEqual(['gw/gw1.example.com:5060']);
    expect(lines.filter((l) => l['msg'] === 'DNS lookup failed: the last good set of backends stays in use')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.status()[0]).toMatchObject({ state: 'ok', failures: 3, lastError: null });
    expect(lines.filter((l) => l['msg'] === 'DNS lookup answers again')).toHaveLength(1);
    expect(changes).toBe(1); // only the first answer changed the set
    r.stop();
  });

  it('keeps the answer of an entry a reload left alone, and resolves a changed one at once', async () => {
    const lookup = scripted([answer(30, '10.0.0.11')]);
    const r = new DnsRefresher({ lookup, minTtlMs: 5000, maxTtlMs: 60_000, logger: captureLogger([]), onChange: () => undefined });
    r.setEntries([entry]);
    await r.start();
    r.setEntries([{ ...entry }]);
    expect(lookup.calls).toBe(1);
    expect(r.status()[0]?.members).toHaveLength(1);
    r.setEntries([{ ...entry, name: '_sip._udp.other.example.com' }]);
    expect(r.status()[0]).toMatchObject({ state: 'pending', members: [] });
    await vi.advanceTimersByTimeAsync(0);
    expect(lookup.calls).toBe(2);
    r.setEntries([]);
    expect(r.status()).toEqual([]);
    r.stop();
  });
});
