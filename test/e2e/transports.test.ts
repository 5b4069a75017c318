/**
 * SIP over TCP on both legs (issue 16), with real sipp peers (Debian's sipp speaks UDP and TCP,
 * not TLS): sipp over TCP (`-t t1`, one connection; `-t tn`, one per call) → siplb → sipp UDP
 * gateways, and sipp over UDP → siplb → sipp TCP gateways, 1000 calls at 100 calls/s each. Where
 * the transport changes, the gateway sees two Record-Routes (RFC 5658) and the BYE comes back
 * through siplb with both removed. And the size switch (RFC 3261 §18.1.1): a large INVITE over
 * UDP reaches a backend that accepts TCP over TCP, with a TCP Via; a small one stays on UDP.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable, startUas, traced, type SippTransport, type Uas } from '../helpers/sipp.js';
import { CLI, startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { waitFor } from '../helpers/wait.js';

const HAVE_SIPP = sippAvailable();

function count(uas: Uas, re: RegExp): number {
  const c = uas.counts();
  return Object.entries(c).find(([k]) => re.test(k))?.[1] ?? 0;
}

function unexpected(uas: Uas): number {
  return Object.entries(uas.counts())
    .filter(([k]) => k.endsWith('_Unexp') || k.endsWith('_Timeout'))
    .reduce((n, [, v]) => n + v, 0);
}

/** sipp's error file, without its own CPU watchdog warnings (a loaded test machine, not a SIP error). */
function sippErrors(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !/The following events occurred|Overload warning: the (minor|major) watchdog/.test(l))
    .join('\n');
}

async function stopAll(list: Uas[]): Promise<void> {
  await Promise.all(list.map((u) => u.stop()));
}

describe.skipIf(!HAVE_SIPP)('calls over TCP with real sipp peers', () => {
  let lb: SiplbProcess | undefined;
  let gateways: Uas[] = [];
  afterEach(async () => {
    await lb?.stop();
    lb = undefined;
    await stopAll(gateways);
    gateways = [];
  });

  for (const mode of ['t1', 'tn'] as const satisfies readonly SippTransport[]) {
    it(`sipp over TCP (-t ${mode}) → siplb → sipp UDP gateways: 1000 calls at 100/s, 0 failed; two Record-Routes; BYE through both`, async () => {
      const [lbPort, uacPort, g1, g2] = await freePorts(4);
      gateways = await Promise.all([g1!, g2!].map((port) => startUas({ port, traceMessages: true })));
      lb = await startSiplb({
        sip: { listen: [`udp:127.0.0.1:${lbPort}`, `tcp:127.0.0.1:${lbPort}`] },
        backends: gateways.map((g, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${g.port}` })),
        health: { enabled: false },
        log: { level: 'warn' },
      });
      // -t tn opens a socket per call: sipp refuses to start with its default socket cap above `ulimit -n`.
      const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 1000, rate: 100, transport: mode, extraArgs: ['-max_socket', '2000'] });
      expect(sippErrors(r.errors)).toBe('');
      expect([r.successful, r.failed, r.exitCode]).toEqual([1000, 0, 0]);
      await stopAll(gateways);
      const invites = gateways.reduce((n, g) => n + g.invites(), 0);
      expect(invites).toBe(1000);
      for (const g of gateways) {
        expect(unexpected(g)).toBe(0);
        expect(count(g, /_BYE_Recv$/)).toBe(g.invites());
        const log = g.messages();
        const invite = traced(log, /^INVITE /)[0]!;
        // The caller is a client on a stream: both entries carry its flow token (RFC 5626 §5.2) as the
        // user part, so the gateway's in-dialog requests reach it on its connection.
        expect(invite).toMatch(new RegExp(`Record-Route: <sip:[A-Za-z0-9_-]{44}@127\\.0\\.0\\.1:${lbPort};transport=udp;lr;r2=on>`));
        expect(invite).toMatch(new RegExp(`Record-Route: <sip:[A-Za-z0-9_-]{44}@127\\.0\\.0\\.1:${lbPort};transport=tcp;lr;r2=on>`));
        expect(invite).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bKsl[0-9a-f]{16};lbflow=\d+/m);
        // The BYE came through siplb (its Via on top) with both of siplb's Route entries removed.
        const bye = traced(log, /^BYE /)[0]!;
        expect(bye).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bKsl/m);
        expect(bye).not.toMatch(/^Route:/m);
      }
    }, 90_000);
  }

  it('sipp over UDP → siplb → sipp TCP gateways: 1000 calls at 100/s, 0 failed; TCP Via towards the gateways', async () => {
    const [lbPort, uacPort, g1, g2] = await freePorts(4);
    gateways = await Promise.all([g1!, g2!].map((port) => startUas({ port, transport: 't1', traceMessages: true })));
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: gateways.map((g, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${g.port}`, transport: 'tcp' })),
      health: { enabled: false },
      log: { level: 'warn' },
    });
    // `siplb probe` speaks TCP to the same real sipp gateway, as the prober does.
    const probe = spawnSync(process.execPath, [CLI, 'probe', `sip:127.0.0.1:${gateways[0]!.port};transport=tcp`, '--json'], { encoding: 'utf8', timeout: 15_000 });
    expect(probe.status).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ code: 200 });
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 1000, rate: 100 });
    expect(sippErrors(r.errors)).toBe('');
    expect([r.successful, r.failed, r.exitCode]).toEqual([1000, 0, 0]);
    await stopAll(gateways);
    expect(gateways.reduce((n, g) => n + g.invites(), 0)).toBe(1000);
    for (const g of gateways) {
      expect(unexpected(g)).toBe(0);
      expect(count(g, /_BYE_Recv$/)).toBe(g.invites());
      const invite = traced(g.messages(), /^INVITE /)[0]!;
      expect(invite).toMatch(/^Via: SIP\/2\.0\/TCP /m);
      expect(invite.match(/^Record-Route:/gm)).toHaveLength(2);
    }
  }, 90_000);
});

describe('the size switch with a raw backend listening on UDP and TCP', () => {
  let lb: SiplbProcess;
  let udp: dgram.Socket;
  let tcp: net.Server;
  const overUdp: string[] = [];
  const overTcp: string[] = [];
  let lbPort = 0;

  beforeAll(async () => {
    const [p, gw] = await freePorts(2);
    lbPort = p!;
    udp = dgram.createSocket('udp4');
    udp.on('message', (m) => overUdp.push(m.toString('latin1')));
    await new Promise<void>((r) => udp.bind(gw!, '127.0.0.1', r));
    tcp = net.createServer((s) => {
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
        if (/\r\n\r\n/.test(text) && text.length >= 3000) overTcp.push(text);
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => tcp.listen(gw!, '127.0.0.1', r));
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: [{ id: 'gw1', address: `127.0.0.1:${gw}`, acceptsTcp: true }],
      health: { enabled: false },
      log: { level: 'warn' },
    });
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    udp?.close();
    tcp?.close();
  });

  function invite(callId: string, sdpBytes: number): Buffer {
    const sdp = `v=0\r\n${'a=x:'.padEnd(60, 'y')}\r\n`.repeat(Math.ceil(sdpBytes / 64)).slice(0, sdpBytes);
    return Buffer.from(
      `INVITE sip:bob@127.0.0.1:${lbPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-${callId};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:alice@test>;tag=a\r\nTo: <sip:bob@test>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n` +
        `Content-Length: ${sdp.length}\r\n\r\n${sdp}`,
      'latin1',
    );
  }

  it('sends a ~3 KB INVITE that came over UDP to the backend over TCP with a TCP Via, and a small one over UDP', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    client.send(invite('big-1', 3000), lbPort, '127.0.0.1');
    client.send(invite('small-1', 200), lbPort, '127.0.0.1');
    await waitFor('both INVITEs at the backend', () => overTcp.length === 1 && overUdp.some((m) => m.includes('small-1')), 5000);
    client.close();
    expect(overTcp[0]).toMatch(/^Via: SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bKsl/m);
    expect(overTcp[0]).toContain('Call-ID: big-1');
    expect(overUdp.find((m) => m.includes('small-1'))).toMatch(/^Via: SIP\/2\.0\/UDP /m);
    expect(overUdp.some((m) => m.includes('big-1'))).toBe(false);
  });
});
