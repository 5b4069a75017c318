/**
 * Overload end to end, against a real siplb process and a real sipp backend: a flood of new
 * INVITEs far beyond what one node can forward makes siplb shed new calls with a stateless 503
 * and Retry-After (RFC 3261 §21.5.4) instead of losing them silently in a full socket queue, and
 * it recovers by itself: once the flood stops it admits every call again and real calls complete.
 *
 * The flood is bounded (FLOOD_DATAGRAMS datagrams, FLOOD_MS ms, loopback only). It saturates the
 * machine on purpose, so scripts/test.sh runs this file alone, after the rest of the suite.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const FLOOD_DATAGRAMS = 150_000;
const FLOOD_MS = 3_000;

interface FloodResult {
  readonly sent: number;
  /** Final and provisional responses received, by status code. */
  readonly byStatus: ReadonlyMap<number, number>;
  /** 503s that came without a Retry-After header. */
  readonly without503RetryAfter: number;
}

function invite(lbPort: number, localPort: number, n: number): Buffer {
  const id = `flood-${n}`;
  return Buffer.from(
    `INVITE sip:service@127.0.0.1:${lbPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${id}\r\n` +
      `From: <sip:flood@127.0.0.1:${localPort}>;tag=${id}\r\nTo: <sip:service@127.0.0.1:${lbPort}>\r\n` +
      `Call-ID: ${id}@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@127.0.0.1:${localPort}>\r\n` +
      `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

/** Sends new INVITEs as fast as the loop allows (in batches, so replies are read in between). */
async function floodInvites(lbPort: number): Promise<FloodResult> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const localPort = s.address().port;
  const byStatus = new Map<number, number>();
  let without503RetryAfter = 0;
  s.on('message', (m) => {
    const text = m.toString('latin1');
    const status = Number(text.slice(8, 11));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (status === 503 && !/\r\nRetry-After:\s*\d+/i.test(text)) without503RetryAfter++;
  });
  s.on('error', () => {}); // a full send buffer only slows the flood down
  const t0 = performance.now();
  let sent = 0;
  while (sent < FLOOD_DATAGRAMS && performance.now() - t0 < FLOOD_MS) {
    for (let i = 0; i < 200 && sent < FLOOD_DATAGRAMS; i++) s.send(invite(lbPort, localPort, sent++), lbPort, '127.0.0.1');
    await new Promise<void>((r) => setImmediate(r));
  }
  await sleep(1000); // replies still queued in siplb
  s.close();
  return { sent, byStatus, without503RetryAfter };
}

/** The value of the first sample whose text starts with `prefix` (name and opening labels). */
function metric(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe.skipIf(!sippAvailable())('overload: a flood of new calls beyond what one node can forward', () => {
  let lbPort: number;
  let uacPort: number;
  let uasPort: number;
  let adminPort: number;
  let uas: Uas;
  let lb: SiplbProcess;

  beforeAll(async () => {
    [lbPort, uacPort, uasPort, adminPort] = (await freePorts(4)) as [number, number, number, number];
    uas = await startUas({ port: uasPort });
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: [{ id: 'gw1', address: `127.0.0.1:${uasPort}` }],
      // This test is about the node's own saturation: a sipp backend flooded with the admitted
      // INVITEs would fail its own health checks, which is not what is measured here.
      health: { enabled: false },
      admin: { listen: `127.0.0.1:${adminPort}` },
      log: { level: 'info' },
    });
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await uas?.stop();
  });

  it('sheds new calls with 503 + Retry-After, then recovers by itself and completes real calls', async () => {
    const flood = await floodInvites(lbPort);
    const shed = flood.byStatus.get(503) ?? 0;
    expect(flood.sent).toBeGreaterThan(10_000);
    // Shed calls are answered, not dropped in silence.
    expect(shed).toBeGreaterThan(0);
    expect(flood.without503RetryAfter).toBe(0);
    expect(lb.logs()).toContain('overloaded: shedding new calls with 503');
    // Some calls were still admitted and forwarded while shedding (the backend answered them).
    expect((flood.byStatus.get(100) ?? 0) + (flood.byStatus.get(180) ?? 0) + (flood.byStatus.get(200) ?? 0)).toBeGreaterThan(0);

    // Nobody tells it the flood is over: it notices by itself.
    await waitFor(
      'siplb to admit every call again',
      () => {
        const logs = lb.logs();
        return logs.lastIndexOf('load back to normal: admitting every new call') > logs.lastIndexOf('overloaded: shedding new calls with 503');
      },
      20_000,
      100,
    );
    // What an operator watching the node sees: every shed call counted, the node back to admitting all.
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metric(metrics, 'siplb_requests_rejected_total{reason="overload",status="503"')).toBeGreaterThanOrEqual(shed);
    expect(metric(metrics, 'siplb_overload_admit_ratio{')).toBe(1);
    expect(metric(metrics, 'siplb_overload_shedding{')).toBe(0);
    const status = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { overload: { enabled: boolean; shedding: boolean } };
    expect(status.overload).toMatchObject({ enabled: true, shedding: false });

    // The sipp backend still retransmits 200 OKs of flood calls nobody ACKs (for 32 s): a fresh one.
    await uas.stop();
    uas = await startUas({ port: uasPort });
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 50, rate: 25 });
    expect(r.errors).toBe('');
    expect(r.failed).toBe(0);
    expect(r.successful).toBe(50);
  }, 60_000);
});
