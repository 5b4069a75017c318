/**
 * The dashboard against reality: a real Prometheus scrapes a real siplb process (its admin API's
 * /metrics) while sipp drives calls through it, one backend stops answering (health
 * transitions, probe failures, failovers), a request is rejected and the config is reloaded.
 * Then every panel expression of grafana/dashboard.ts must return data. Waits by query, never
 * by sleeping: the first scrapes take a few seconds.
 */
import dgram from 'node:dgram';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../helpers/ports.js';
import { CLI, startSiplb, type SiplbProcess } from '../../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type UacResult, type Uas } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait.js';
import { dashboardExprs, substitute } from '../../unit/grafana/exprs.js';
import { prometheusAvailable, startPrometheus, type Prometheus } from './prometheus.js';

const READY = prometheusAvailable() && sippAvailable() && existsSync(CLI);
if (!READY) console.warn('skipping prometheus-dashboard: needs prometheus, sipp and a build (npx tsc -p tsconfig.build.json)');

const NODE = 'lb-metrics';

function sendRaw(port: number, text: string): Promise<void> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => s.send(Buffer.from(text, 'latin1'), port, '127.0.0.1', () => {
      s.close();
      resolve();
    }));
  });
}

describe.skipIf(!READY)('grafana dashboard on a real Prometheus scraping a real siplb', () => {
  let lb: SiplbProcess | undefined;
  let prom: Prometheus | undefined;
  let backends: Uas[] = [];
  let adminPort = 0;
  const adminSocket = path.join(mkdtempSync(path.join(tmpdir(), 'siplb-prom-')), 'admin.sock');
  let uac: Promise<UacResult> | undefined;

  beforeAll(async () => {
    const ports = await freePorts(7);
    const [lbPort, admin, uacPort, promPort] = [ports[0]!, ports[1]!, ports[2]!, ports[3]!];
    adminPort = admin;
    backends = await Promise.all(ports.slice(4).map((port) => startUas({ port })));
    lb = await startSiplb({
      node: { id: NODE },
      sip: { listen: `127.0.0.1:${lbPort}` },
      admin: { listen: `127.0.0.1:${adminPort}`, socket: adminSocket },
      backends: backends.map((b, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${b.port}` })),
      health: { interval: '500ms', timeout: '300ms', fall: 2, rise: 2 },
      log: { level: 'warn' },
    });
    await waitFor(`siplb to serve /metrics on admin.listen 127.0.0.1:${adminPort} (app wiring of createMetrics + startAdminServer)`, async () => {
      try {
        return (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).ok;
      } catch {
        return false;
      }
    }, 5000, 100);
    prom = await startPrometheus({ port: promPort, targets: [`127.0.0.1:${adminPort}`] });

    // Load: calls of 1 s, so active calls and pending INVITEs are non-zero while it runs.
    uac = runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 600, rate: 40, callLengthMs: 1000 });
    // A backend stops answering: probes time out, it goes down, calls fail over to the others.
    await waitFor('calls to flow', async () => (await prom!.query(`sum(siplb_new_calls_total{node="${NODE}"}) > 20`)).result.length > 0, 20_000, 250);
    backends[2]!.kill('SIGSTOP');
    // One request rejected (Max-Forwards 0 → 483, RFC 3261 §16.3 step 2) and one datagram dropped.
    await sendRaw(lbPort,
      `OPTIONS sip:someone@127.0.0.1:${lbPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKmf0\r\nMax-Forwards: 0\r\n` +
      `From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:someone@127.0.0.1>\r\nCall-ID: mf0@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
    await sendRaw(lbPort, 'not sip at all\r\n\r\n');
    // A reload of the unchanged file.
    // A state change: through the admin socket (over TCP without a token it is refused).
    const viaSocket = new Agent({ connect: { socketPath: adminSocket } });
    const reloaded = await request('http://localhost/reload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', dispatcher: viaSocket });
    const reload = { status: reloaded.statusCode };
    await reloaded.body.dump();
    await viaSocket.close();
    expect(reload.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    backends[2]?.kill('SIGCONT');
    await uac?.catch(() => undefined);
    await prom?.stop();
    await lb?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  }, 30_000);

  it('sees the backend go down and be counted as a health transition', async () => {
    await waitFor('gw3 down in Prometheus', async () =>
      (await prom!.query(`siplb_backend_health_state{node="${NODE}", backend="gw3", state="down"} == 1`)).result.length > 0, 20_000, 250);
    const t = await prom!.query(`sum(siplb_health_transitions_total{node="${NODE}", backend="gw3"})`);
    expect(Number(t.result[0]?.value[1])).toBeGreaterThan(0);
  }, 30_000);

  it('every panel expression returns data', async () => {
    const exprs = dashboardExprs().filter((e) => !e.where.startsWith('annotation')); // annotations are events, empty when none happened
    const missing = new Map(exprs.map((e) => [e.where, substitute(e.expr, { node: NODE, rateInterval: '10s', range: '5m' })]));
    const report: string[] = [];
    await waitFor('every dashboard query to return data', async () => {
      for (const [where, q] of [...missing]) {
        const r = await prom!.query(q);
        if (r.result.length > 0) {
          missing.delete(where);
          const first = r.result[0]!;
          const labels = Object.entries(first.metric).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${v}`).join(',');
          report.push(`${where}: ${r.result.length} series, e.g. {${labels}} = ${first.value[1]}`);
        }
      }
      return missing.size === 0;
    }, 30_000, 500).catch(() => undefined);
    // The query results, for the record (the closing note of the operations issue quotes them).
    console.log(`Prometheus query results of every dashboard panel:\n${report.join('\n')}`);
    expect([...missing.entries()].map(([w, q]) => `${w}: ${q}`)).toEqual([]);
  }, 45_000);
});
