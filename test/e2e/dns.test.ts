/**
 * DNS backends end to end (issue 19 item 2): a real DNS server (Debian's dnsmasq on loopback, a
 * high port) serves `_sip._udp.gw.test` with two SRV priorities pointing at real sipp UAS
 * gateways on 127.0.0.11 and 127.0.0.12. New calls go only to tier 1; with tier 1 killed they go
 * to tier 2 with none failed; a changed record set is followed within its TTL (the member that
 * stays keeps its id); with the DNS server gone, siplb keeps serving with the last good set and
 * says so in status and metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { startDnsmasq, dnsmasqMissing, type Dnsmasq } from '../helpers/dnsmasq.js';
import { freePorts } from '../helpers/ports.js';
import { missingPrerequisites } from '../helpers/prerequisites.js';
import { newInvitesTo, startInProcess, stopRig, type InProcessSiplb } from '../helpers/inproc.js';
import { runUac, sippAvailable, startUas, type UacResult, type Uas } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SUITE = 'DNS SRV backends against a real dnsmasq and sipp gateways';
const skip = missingPrerequisites(SUITE, dnsmasqMissing() ?? (sippAvailable() ? undefined : 'sipp not installed'));

const SRV = '_sip._udp.gw.test';
const TTL_S = 2;
const MAX_TTL_MS = 3000;

let rig: { lb: InProcessSiplb; uas: Uas[]; dns?: Dnsmasq; metrics?: Metrics } | undefined;
afterEach(async () => {
  rig?.metrics?.close();
  await stopRig(rig);
  await rig?.dns?.stop();
  rig = undefined;
});

/**
 * sipp exits 0 only when every call succeeded (1 when one failed); its stat file is read from
 * the last periodic dump, which a starved CPU can leave a second behind, so the exit code decides.
 */
function allCallsOk(r: UacResult, phase: string, lb: InProcessSiplb, since: number): void {
  // Where this phase's new INVITEs went, for the failure message.
  const where = lb.app.backends.all.map((b) => `${b.id}=${newInvitesTo(lb.forwarded, b.id, since)}${lb.app.health.view(b.id)?.eligible ? '' : '(ineligible)'}`).join(' ');
  expect(r.exitCode, `${phase}: new INVITEs ${where}; sipp: ${r.stderr}${r.errors}`).toBe(0);
  expect(r.failed, `${phase}: ${r.errors}`).toBe(0);
}

function records(gw: ReadonlyArray<{ name: string; ip: string; port: number; priority: number }>): string[] {
  return [
    `local-ttl=${TTL_S}`,
    'local=/test/', // authoritative for .test: unknown names get NXDOMAIN, nothing goes anywhere
    ...gw.map((g) => `srv-host=${SRV},${g.name},${g.port},${g.priority},50`),
    ...gw.map((g) => `host-record=${g.name},${g.ip}`),
  ];
}

describe.skipIf(skip)(SUITE, () => {
  it('tier 1 only, tier 2 when tier 1 dies, follows a changed record within its TTL, keeps the last good set without DNS', async () => {
    const [lbPort, uacPort, p1, p2, p3] = await freePorts(5);
    const gws = [
      { name: 'gw1.gw.test', ip: '127.0.0.11', port: p1!, priority: 10 },
      { name: 'gw2.gw.test', ip: '127.0.0.12', port: p2!, priority: 20 },
      { name: 'gw3.gw.test', ip: '127.0.0.13', port: p3!, priority: 20 },
    ] as const;
    const uas = await Promise.all(gws.map((g) => startUas({ host: g.ip, port: g.port })));
    const dns = await startDnsmasq(records([gws[0], gws[1]]));
    const raw = {
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: [{ srv: SRV, id: 'gw' }],
      dns: { servers: [`127.0.0.1:${dns.port}`], minTtl: '1s', maxTtl: `${MAX_TTL_MS}ms` },
      // Probes lenient enough that a starved CPU on this shared machine does not take tier 2 down too.
      health: { interval: 500, timeout: 400, fall: 3, rise: 2 },
      // Not under test here, and this machine's CPU is shared: a busy moment must not shed calls.
      overload: { enabled: false },
      // sipp answers at once; only a starved CPU makes it miss 400 ms, and a failover to tier 2
      // would then blur what this test counts (serial failover has tests of its own).
      failover: { timeout: '2s' },
    };
    const lb = await startInProcess(raw);
    const metrics = createMetrics({ control: lb.control, nodeId: 'dns-e2e', defaultMetrics: false });
    rig = { lb, uas, dns, metrics };
    const m1 = `gw/gw1.gw.test:${p1}`;
    const m2 = `gw/gw2.gw.test:${p2}`;
    const m3 = `gw/gw3.gw.test:${p3}`;
    const ids = (): string[] => lb.app.backends.all.map((b) => b.id);
    const eligible = (id: string): boolean => lb.app.health.view(id)?.eligible === true;

    // Resolved before the first call: SRV priority became the tier, targets their A records.
    expect(lb.app.backends.all.map((b) => [b.id, b.key, b.priority, b.transport])).toEqual([
      [m1, `127.0.0.11:${p1}`, 10, 'udp'],
      [m2, `127.0.0.12:${p2}`, 20, 'udp'],
    ]);
    const scrape0 = await metrics.registry.metrics();
    expect(scrape0).toContain(`siplb_dns_lookup_failures_total{name="${SRV}",node="dns-e2e"} 0`);
    await waitFor('first probes answered', () => lb.app.backends.all.every((b) => lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
    expect(lb.app.backends.candidates().map((b) => b.id)).toEqual([m1]);

    const tier1At = performance.now();
    const tier1 = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 50, rate: 25, timeoutS: 45 });
    allCallsOk(tier1, 'tier 1', lb, tier1At);
    expect(newInvitesTo(lb.forwarded, m1)).toBe(50);
    expect(newInvitesTo(lb.forwarded, m2)).toBe(0);

    uas[0]!.kill('SIGKILL');
    const downAt = await waitFor('tier 1 out', () => (!eligible(m1) && eligible(m2) ? performance.now() : undefined), 8000, 10);
    const tier2 = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 50, rate: 25, timeoutS: 45 });
    allCallsOk(tier2, 'tier 2', lb, downAt);
    expect(newInvitesTo(lb.forwarded, m2, downAt)).toBe(50);

    // gw1 leaves the zone, gw3 joins tier 2: the member set follows within the TTL bound.
    const changedAt = performance.now();
    await dns.setRecords(records([gws[1], gws[2]]));
    await waitFor('member set follows DNS', () => (ids().join() === [m2, m3].join() ? true : undefined), MAX_TTL_MS + 3000, 50);
    const followedMs = performance.now() - changedAt;
    expect(followedMs).toBeLessThan(MAX_TTL_MS + 3000);
    const st = lb.control.status().dns?.[0];
    expect(st).toMatchObject({ id: 'gw', kind: 'srv', name: SRV, state: 'ok', members: [m2, m3], ttlSeconds: TTL_S, lastError: null });
    await waitFor('gw3 probed up', () => (eligible(m3) && eligible(m2) ? true : undefined), 5000, 20);
    const afterChangeAt = performance.now();
    const spread = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 40, rate: 20, timeoutS: 45 });
    allCallsOk(spread, 'after the record change', lb, afterChangeAt);
    expect(newInvitesTo(lb.forwarded, m2, afterChangeAt) + newInvitesTo(lb.forwarded, m3, afterChangeAt)).toBeGreaterThanOrEqual(40);
    expect(newInvitesTo(lb.forwarded, m1, afterChangeAt)).toBe(0);
    expect(newInvitesTo(lb.forwarded, m3, afterChangeAt)).toBeGreaterThan(0);

    // A reload of the (unchanged) file keeps the DNS members: they are not in the file.
    const reloaded = validateConfig(raw);
    if (!reloaded.ok) throw new Error('test config invalid');
    lb.app.applyConfig(reloaded.config);
    expect(ids()).toEqual([m2, m3]);

    // DNS server gone: lookups fail, the last good set stays and keeps serving.
    await dns.stop();
    await waitFor('a failed lookup', () => (lb.control.status().dns?.[0]?.state === 'failing' ? true : undefined), MAX_TTL_MS + 8000, 50);
    const failing = lb.control.status().dns?.[0];
    expect(failing?.members).toEqual([m2, m3]);
    expect(failing?.lastError).toMatch(/SRV/);
    expect(ids()).toEqual([m2, m3]);
    const scrape1 = await metrics.registry.metrics();
    expect(scrape1).toMatch(new RegExp(`siplb_dns_lookup_failures_total\\{name="${SRV.replaceAll('.', '\\.')}",node="dns-e2e"\\} [1-9]`));
    await sleep(500);
    const noDnsAt = performance.now();
    const noDns = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 30, rate: 15, timeoutS: 45 });
    allCallsOk(noDns, 'without DNS', lb, noDnsAt);
    console.log(`dns e2e: member set followed the record change in ${Math.round(followedMs)} ms (TTL ${TTL_S}s, maxTtl ${MAX_TTL_MS}ms)`);
  }, 90_000);
});
