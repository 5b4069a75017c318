/**
 * sip.warmUpCalls (app/warm-up.ts): a node compiles its hot path with synthetic calls through a
 * private core before it takes traffic. Against a real siplb process and real sipp backends: the
 * synthetic calls all complete (so they ran the forwarding path, not a 503), nothing of them
 * reaches a backend, a metric or the node's own tables, and real calls then go through as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum } from '../helpers/metric-value.js';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';

const HAVE_SIPP = sippAvailable();
const WARM_UP_CALLS = 300;

describe.skipIf(!HAVE_SIPP)('warm-up before traffic (sip.warmUpCalls)', () => {
  let lbPort: number;
  let uacPort: number;
  let adminPort: number;
  let backends: Uas[] = [];
  let lb: SiplbProcess;

  beforeAll(async () => {
    const ports = await freePorts(6);
    [lbPort, uacPort, adminPort] = [ports[0]!, ports[1]!, ports[2]!];
    backends = await Promise.all(ports.slice(3).map((port) => startUas({ port })));
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}`, warmUpCalls: WARM_UP_CALLS },
      backends: backends.map((b, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${b.port}` })),
      health: { enabled: false },
      admin: { listen: `127.0.0.1:${adminPort}` },
      log: { level: 'info' },
    });
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('runs every synthetic call through the forwarding path before the socket is bound, and says so once', () => {
    const lines = lb
      .logs()
      .split('\n')
      .filter((l) => l.includes('proxy hot path compiled'))
      .map((l) => JSON.parse(l) as { calls: number; completed: number; messages: number; ms: number });
    expect(lines).toHaveLength(1);
    // 7 datagrams a call, and every 8th call an OPTIONS ping that siplb answers itself (app/warm-up.ts).
    expect(lines[0]).toMatchObject({ calls: WARM_UP_CALLS, completed: WARM_UP_CALLS, messages: WARM_UP_CALLS * 7 + Math.floor(WARM_UP_CALLS / 8) });
    // The warm-up line comes before the node says it started (its sockets are bound after).
    const logs = lb.logs();
    expect(logs.indexOf('proxy hot path compiled')).toBeLessThan(logs.indexOf('siplb started'));
  });

  it('leaves nothing behind: no backend got a datagram, no metric counted one, and real calls go through', async () => {
    expect(await metricSum(adminPort, 'siplb_requests_forwarded_total')).toBe(0);
    expect(await metricSum(adminPort, 'siplb_responses_forwarded_total')).toBe(0);
    expect(backends.map((b) => b.invites())).toEqual([0, 0, 0]);
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 60, rate: 30 });
    expect(r.errors).toBe('');
    expect(r.failed).toBe(0);
    expect(r.successful).toBe(60);
    // Each call's INVITE, ACK and BYE forwarded: nothing of the warm-up in the counters.
    expect(await metricSum(adminPort, 'siplb_requests_forwarded_total')).toBe(180);
    await Promise.all(backends.map((b) => b.stop())); // final counts are written on SIGTERM
    expect(backends.map((b) => b.invites()).reduce((a, b) => a + b, 0)).toBe(60);
  }, 60_000);
});
