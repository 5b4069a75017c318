/**
 * The product's main job end to end, against real SIP peers: a sipp UAC sends calls to a real
 * siplb process in front of three sipp UAS backends (Debian sip-tester).
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { startSiplb, udpExchange, type SiplbProcess } from '../helpers/siplb.js';

const HAVE_SIPP = sippAvailable();

function unexpected(uas: Uas): number {
  const c = uas.counts();
  return Object.entries(c)
    .filter(([k]) => k.endsWith('_Unexp') || k.endsWith('_Timeout'))
    .reduce((n, [, v]) => n + v, 0);
}

describe.skipIf(!HAVE_SIPP)('siplb dispatching real sipp calls', () => {
  let lbPort: number;
  let uacPort: number;
  let backends: Uas[] = [];
  let lb: SiplbProcess;

  beforeAll(async () => {
    const ports = await freePorts(5);
    [lbPort, uacPort] = [ports[0]!, ports[1]!];
    backends = await Promise.all(ports.slice(2).map((port) => startUas({ port })));
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: backends.map((b, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${b.port}` })),
      health: { enabled: false },
      log: { level: 'warn' },
    });
  }, 30_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('dispatches 1000 calls at 100 calls/s with 0 failures; each backend gets 25–42 %; ACK and BYE follow the INVITE', async () => {
    const before = backends.map((b) => b.invites());
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 1000, rate: 100 });
    expect(r.errors).toBe('');
    expect(r.failed).toBe(0);
    expect(r.successful).toBe(1000);
    expect(r.exitCode).toBe(0);
    await Promise.all(backends.map((b) => b.stop())); // final counts are written on SIGTERM
    const shares = backends.map((b, i) => (b.invites() - before[i]!) / 1000);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const s of shares) {
      expect(s).toBeGreaterThanOrEqual(0.25);
      expect(s).toBeLessThanOrEqual(0.42);
    }
    // An ACK or BYE that reached another backend than its INVITE would be an unexpected message there.
    for (const b of backends) {
      const c = b.counts();
      expect(unexpected(b)).toBe(0);
      const bye = Object.entries(c).find(([k]) => /_BYE_Recv$/.test(k))?.[1];
      const ack = Object.entries(c).find(([k]) => /_ACK_Recv$/.test(k))?.[1];
      expect(bye).toBe(b.invites());
      expect(ack).toBe(b.invites());
    }
    // Restart the backends for the following tests.
    backends = await Promise.all(backends.map((b) => startUas({ port: b.port })));
  }, 60_000);

  it('answers 483 to a request with Max-Forwards: 0', async () => {
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 1, rate: 1, scenario: 'uac-maxfwd0.xml', timeoutS: 5 });
    expect(r.successful).toBe(1);
    expect(r.exitCode).toBe(0);
  });

  it('answers 403 to a relay attempt and sends nothing onward', async () => {
    // Listen where the relay attempt points (uac-relay.xml: 127.0.0.99:5999), to see whether
    // anything is sent there.
    const victim = dgram.createSocket('udp4');
    const received: string[] = [];
    victim.on('message', (m) => received.push(m.toString('latin1')));
    await new Promise<void>((resolve, reject) => {
      victim.once('error', reject);
      victim.bind(5999, '127.0.0.99', () => resolve());
    });
    try {
      const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 1, rate: 1, scenario: 'uac-relay.xml', timeoutS: 5 });
      expect(r.successful).toBe(1);
      expect(r.exitCode).toBe(0);
      // Loopback delivers a datagram into the receiver's queue during send, and one socket's queue
      // is read in order: anything siplb sent before its 403 is read before this sentinel.
      const sentinel = 'sentinel';
      victim.send(sentinel, 5999, '127.0.0.99');
      for (let i = 0; i < 500 && !received.includes(sentinel); i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual([sentinel]);
    } finally {
      victim.close();
    }
  });

  it('answers OPTIONS addressed to siplb itself with 200 locally', async () => {
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 1, rate: 1, scenario: 'uac-options-self.xml', timeoutS: 5 });
    expect(r.successful).toBe(1);
    expect(r.exitCode).toBe(0);
  });

  it('drops garbage, answers 400 to a malformed but answerable request, and keeps serving', async () => {
    expect(await udpExchange(lbPort, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a]))).toBeUndefined();
    expect(await udpExchange(lbPort, 'INVITE sip:x@127.0.0.1 SIP/2.0\r\n\r\n')).toBeUndefined();
    const badCseq =
      `MESSAGE sip:svc@127.0.0.1:${lbPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1;rport\r\n` +
      `From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:svc@127.0.0.1>\r\nCall-ID: bad-cseq-1\r\nCSeq: 1 INVITE\r\n` +
      `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    expect(await udpExchange(lbPort, badCseq)).toBe('SIP/2.0 400 Bad Request');
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls: 20, rate: 20 });
    expect(r.failed).toBe(0);
    expect(r.successful).toBe(20);
  });
});
