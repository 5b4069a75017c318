/**
 * The resolver adapter against a real DNS server (dnsmasq on loopback): A and AAAA with their
 * TTL, SRV with its targets resolved, a server with a port (dns.servers), a numeric GB/T 28181
 * domain never sent to the server, and the errors of a missing name and of a server that is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../../src/dns/resolver.js';
import { dnsmasqMissing, startDnsmasq, type Dnsmasq } from '../../helpers/dnsmasq.js';
import { missingPrerequisites } from '../../helpers/prerequisites.js';

const SUITE = 'DNS resolver adapter against a real dnsmasq';
const skip = missingPrerequisites(SUITE, dnsmasqMissing());

describe.skipIf(skip)(SUITE, () => {
  let dns: Dnsmasq;
  beforeAll(async () => {
    dns = await startDnsmasq([
      'local-ttl=7',
      'local=/test/',
      'host-record=one.gw.test,127.0.0.21',
      'host-record=dual.gw.test,127.0.0.22,::1',
      'srv-host=_sip._udp.gw.test,one.gw.test,5070,10,30',
      'srv-host=_sip._udp.gw.test,dual.gw.test,5071,20,70',
      'srv-host=_sip._udp.broken.test,missing.gw.test,5060,10,1',
    ]);
  });
  afterAll(async () => dns?.stop());
  const lookup = () => createResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 300, tries: 1 });

  it('resolves A and AAAA of a host with the TTL', async () => {
    expect(await lookup().host('one.gw.test')).toEqual({ kind: 'host', addresses: ['127.0.0.21'], ttlSeconds: 7 });
    const dual = await lookup().host('dual.gw.test');
    expect([...(dual.kind === 'host' ? dual.addresses : [])].sort()).toEqual(['127.0.0.22', '::1']);
  });

  it('resolves SRV records and their targets; the TTL is the targets\' (resolveSrv gives none)', async () => {
    const a = await lookup().srv('_sip._udp.gw.test');
    expect(a.kind).toBe('srv');
    if (a.kind !== 'srv') return;
    expect(a.ttlSeconds).toBe(7);
    expect([...a.targets].sort((x, y) => x.priority - y.priority).map((t) => [t.target, t.port, t.priority, t.weight, [...t.addresses].sort()])).toEqual([
      ['one.gw.test', 5070, 10, 30, ['127.0.0.21']],
      ['dual.gw.test', 5071, 20, 70, ['127.0.0.22', '::1']],
    ]);
  });

  it('fails with SIPLB_ERR_DNS_LOOKUP for a missing name and for SRV targets that do not resolve', async () => {
    await expect(lookup().host('nope.gw.test')).rejects.toMatchObject({ code: 'SIPLB_ERR_DNS_LOOKUP', message: expect.stringMatching(/nope\.gw\.test: no A\/AAAA record \(ENOTFOUND\)/) });
    await expect(lookup().srv('_sip._udp.nope.test')).rejects.toMatchObject({ message: expect.stringMatching(/no SRV record/) });
    await expect(lookup().srv('_sip._udp.broken.test')).rejects.toMatchObject({ message: expect.stringMatching(/no target resolved \(missing\.gw\.test/) });
  });

  it('never sends a numeric GB/T 28181 domain to the server', async () => {
    const before = dns.logs().length;
    await expect(lookup().host('3402000000')).rejects.toMatchObject({ message: expect.stringMatching(/numeric domain/) });
    await new Promise((r) => setTimeout(r, 100));
    expect(dns.logs().slice(before)).not.toContain('3402000000');
  });

  it('fails (it does not hang) when the server is gone', async () => {
    const gone = createResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 200, tries: 1 });
    await dns.stop();
    const t0 = performance.now();
    await expect(gone.srv('_sip._udp.gw.test')).rejects.toMatchObject({ code: 'SIPLB_ERR_DNS_LOOKUP' });
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
