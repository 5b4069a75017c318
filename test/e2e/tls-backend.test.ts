/**
 * siplb as a TLS client towards a real TLS backend (issue 16): Kamailio 5.6 with its tls module
 * listening on TLS 1.3 (Debian kamailio-tls-modules) relays calls to a sipp gateway. sipp over
 * UDP → siplb → Kamailio over TLS (certificate checked against sip.tls.ca) → sipp: calls succeed,
 * and OPTIONS probes over TLS keep the backend up. A node that does not trust Kamailio's
 * certificate fails its probes at once as `unreachable` (a failed handshake, not a timeout).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioAvailable, KAMAILIO_MODULES, startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { makePki, opensslMissing, type TestPki } from '../helpers/tls-certs.js';
import { existsSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';
import { metricValue } from '../helpers/metric-value.js';

const SKIP = !sippAvailable() || !kamailioAvailable() || opensslMissing() !== undefined || !existsSync(path.join(KAMAILIO_MODULES, 'tls.so'));

describe.skipIf(SKIP)('siplb → Kamailio over TLS 1.3', () => {
  let pki: TestPki;
  let kam: Kamailio;
  let gw: Uas;
  const nodes: SiplbProcess[] = [];
  let kamTls = 0;

  beforeAll(async () => {
    pki = makePki();
    const cert = pki.issue('kamailio', 'c001');
    const [kUdp, kTls, gwPort] = await freePorts(3);
    kamTls = kTls!;
    gw = await startUas({ port: gwPort! });
    kam = await startKamailio({ port: kUdp!, gateways: { '1000': gwPort! }, tls: { port: kamTls, cert: cert.cert, key: cert.key } });
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await kam?.stop();
    await gw?.stop();
    pki?.cleanup();
  });

  it('carries calls over TLS to Kamailio, and its OPTIONS probes over TLS keep the backend up', async () => {
    const [lbPort, adminPort, uacPort] = await freePorts(3);
    const lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}`, tls: { ca: pki.caFile } },
      backends: [{ id: 'kam', address: `127.0.0.1:${kamTls}`, transport: 'tls' }],
      health: { interval: '1s', timeout: '800ms', fall: 2, rise: 1 },
      admin: { listen: `127.0.0.1:${adminPort}` },
      log: { level: 'warn' },
    });
    nodes.push(lb);
    await waitFor('a probe over TLS answered', async () => (await metricValue(adminPort!, 'siplb_probe_rtt_seconds_count', { backend: 'kam' })) >= 1, 10_000, 200);
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-tlsb-'));
    const users = path.join(dir, 'users.csv');
    writeFileSync(users, `SEQUENTIAL\n${Array.from({ length: 20 }, () => '1000').join('\n')}\n`);
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 20, rate: 10, scenario: 'uac-user.xml', extraArgs: ['-inf', users] });
    expect([r.successful, r.failed]).toEqual([20, 0]);
    expect(await metricValue(adminPort!, 'siplb_backends_up')).toBe(1);
    expect(await metricValue(adminPort!, 'siplb_connections_open', { transport: 'tls', direction: 'out' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(adminPort!, 'siplb_probe_failures_total', { backend: 'kam', result: 'unreachable' })).toBe(0);
  }, 90_000);

  it('fails probes at once as unreachable when the backend certificate is not trusted', async () => {
    const other = makePki(); // a CA that did not sign Kamailio's certificate
    try {
      const [lbPort, adminPort] = await freePorts(2);
      const lb = await startSiplb({
        sip: { listen: `127.0.0.1:${lbPort}`, tls: { ca: other.caFile } },
        backends: [{ id: 'kam', address: `127.0.0.1:${kamTls}`, transport: 'tls' }],
        health: { interval: '1s', timeout: '800ms', fall: 2, rise: 1 },
        admin: { listen: `127.0.0.1:${adminPort}` },
        log: { level: 'warn' },
      });
      nodes.push(lb);
      await waitFor('probe failures counted as unreachable', async () => (await metricValue(adminPort!, 'siplb_probe_failures_total', { backend: 'kam', result: 'unreachable' })) >= 2, 15_000, 200);
      expect(await metricValue(adminPort!, 'siplb_probe_failures_total', { backend: 'kam', result: 'timeout' })).toBe(0);
      expect(await metricValue(adminPort!, 'siplb_tls_handshake_failures_total', { direction: 'out' })).toBeGreaterThanOrEqual(2);
      await waitFor('the backend down', async () => (await metricValue(adminPort!, 'siplb_backends_up')) === 0, 10_000, 200);
    } finally {
      other.cleanup();
    }
  }, 60_000);
});
