/**
 * Slowloris guards on real sockets: hundreds of idle connections from one source are closed at
 * their (short, configured) first-byte deadline, the per-IP cap refuses the excess, a message
 * dribbled forever is cut at its deadline, and another source (127.0.0.2) is served meanwhile.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyTarget } from '../../../src/transport/contract.js';
import { StreamTransport } from '../../../src/transport/stream.js';
import { missingPrerequisites } from '../../helpers/prerequisites.js';
import { RawClient, sipRequest } from '../../helpers/raw-stream.js';
import { makePki, opensslMissing, type TestPki } from '../../helpers/tls-certs.js';
import { sleep, waitFor } from '../../helpers/wait.js';

const FIRST_BYTE_MS = 2500;
const TLS_FIRST_BYTE_MS = 6000;

async function openMany(n: number, open: () => Promise<RawClient>): Promise<RawClient[]> {
  const out: RawClient[] = [];
  // In batches: the listen backlog (511) and the TLS handshake cost bound what a burst may hold.
  for (let i = 0; i < n; i += 50) out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, open))));
  return out;
}

describe('TCP: 500 idle sockets from one source', () => {
  let t: StreamTransport;
  let port: number;
  const got: string[] = [];

  beforeAll(async () => {
    t = new StreamTransport({
      transport: 'tcp',
      listen: { host: '0.0.0.0', port: 0 },
      limits: { maxPerIp: 450, maxConnections: 2000, firstByteMs: FIRST_BYTE_MS, messageMs: 1000, idleMs: 60_000 },
    });
    t.onMessage((buf, source) => {
      got.push(buf.toString('latin1'));
      t.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1'), replyTarget(source));
    });
    port = (await t.start())!.port;
  });
  afterAll(() => t.close());

  it('refuses the excess over the per-IP cap, closes the rest at their deadline, and serves 127.0.0.2 meanwhile', async () => {
    const opened = Date.now();
    const idle = await openMany(500, () => RawClient.connect(port, '127.0.0.1'));
    await waitFor('the refusals', () => t.stats().refused['per-ip-cap'] === 50);
    await waitFor('the refused sockets to see their close', () => idle.filter((c) => c.closed).length === 50);
    expect(t.stats().open['tcp/in']).toBe(450);

    // Another source is not affected by the first one's cap.
    const other = await RawClient.connect(port, '127.0.0.2', '127.0.0.2');
    other.write(sipRequest({ callId: 'other-source' }));
    await other.waitText('the reply to the other source', (x) => x.startsWith('SIP/2.0 200 OK'));
    expect(got.at(-1)).toContain('Call-ID: other-source');

    // Nobody is closed well before the deadline…
    const early = FIRST_BYTE_MS * 0.8 - (Date.now() - opened);
    if (early > 0) await sleep(early);
    expect(idle.filter((c) => c.closed).length).toBe(50);
    // …and every idle one is closed soon after it.
    await waitFor('the idle sockets closed at their deadline', () => idle.every((c) => c.closed), FIRST_BYTE_MS + 5000);
    const elapsed = Date.now() - opened;
    expect(elapsed).toBeGreaterThanOrEqual(FIRST_BYTE_MS);
    expect(t.stats().closed['first-byte-timeout']).toBe(450);
    // The source that talked stays connected (its idle lifetime is long).
    expect(other.closed).toBe(false);
    other.destroy();
  });

  it('cuts a message dribbled slower than its deadline, and a send by address reuses the inbound connection', async () => {
    const slow = await RawClient.connect(port);
    const text = sipRequest({ callId: 'dribble' });
    const started = Date.now();
    for (let i = 0; i < text.length && !slow.closed; i++) {
      slow.write(text[i]!);
      await sleep(50);
    }
    expect(slow.closed).toBe(true);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(3000);
    expect(t.stats().closed['message-timeout']).toBe(1);

    const c = await RawClient.connect(port);
    c.write(sipRequest({ callId: 'by-address' }));
    await c.waitText('the 200', (x) => x.includes('200 OK'));
    t.send(Buffer.from('OPTIONS sip:c@127.0.0.1 SIP/2.0\r\nl: 0\r\n\r\n', 'latin1'), { transport: 'tcp', host: '127.0.0.1', port: c.socket.localPort! });
    await c.waitText('the request sent by address', (x) => x.includes('OPTIONS sip:c@127.0.0.1'));
    expect(t.stats().open['tcp/out'] ?? 0).toBe(0);
    c.destroy();
  });
});

if (!missingPrerequisites('TLS: idle sockets from one source', opensslMissing())) {
  describe('TLS: idle sockets from one source', () => {
    let pki: TestPki;
    let t: StreamTransport;
    let port: number;

    beforeAll(async () => {
      pki = makePki();
      const server = pki.issue('srv', '5001');
      t = new StreamTransport({
        transport: 'tls',
        listen: { host: '0.0.0.0', port: 0 },
        tls: { certFile: server.cert, keyFile: server.key },
        limits: { maxPerIp: 120, maxTlsHandshakes: 1000, firstByteMs: TLS_FIRST_BYTE_MS, idleMs: 60_000 },
      });
      t.onMessage((_buf, source) => t.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1'), replyTarget(source)));
      port = (await t.start())!.port;
    });
    afterAll(async () => {
      await t.close();
      pki.cleanup();
    });

    it('closes handshaken-but-silent and never-handshaking sockets at their deadline, caps per IP, serves 127.0.0.2', async () => {
      const ca = readFileSync(pki.caFile);
      // 100 complete the TLS handshake and then say nothing; 50 open TCP and never start TLS.
      const t0 = Date.now();
      const silent = await openMany(100, () => RawClient.connectTls(port, { ca, servername: 'localhost' }));
      const mute = await openMany(50, () => RawClient.connect(port, '127.0.0.1'));
      // All 150 arrive well before the (longer, for handshake cost on a shared machine) deadline.
      expect(Date.now() - t0).toBeLessThan(TLS_FIRST_BYTE_MS);
      await waitFor('the refusals over the per-IP cap', () => t.stats().refused['per-ip-cap'] === 30);
      const refusedMute = await waitFor('the refused raw sockets closed', () => {
        const n = mute.filter((c) => c.closed).length;
        return n === 30 ? n : undefined;
      });
      expect(refusedMute).toBe(30);

      const other = await RawClient.connectTls(port, { ca, servername: 'localhost', localAddress: '127.0.0.2' });
      other.write(sipRequest({ callId: 'tls-other', transport: 'TLS' }));
      await other.waitText('the reply to the other source', (x) => x.startsWith('SIP/2.0 200 OK'));

      await waitFor('every idle TLS socket closed', () => silent.every((c) => c.closed) && mute.every((c) => c.closed), TLS_FIRST_BYTE_MS + 5000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(TLS_FIRST_BYTE_MS);
      expect(t.stats().closed['first-byte-timeout']).toBe(120);
      expect(other.closed).toBe(false);
      other.destroy();
    });

    it('refuses new TLS connections while the handshakes in flight are at their cap', async () => {
      const capped = new StreamTransport({
        transport: 'tls',
        listen: { host: '127.0.0.1', port: 0 },
        tls: { certFile: pki.issue('srv-cap', '5002').cert, keyFile: `${pki.dir}/srv-cap.key` },
        limits: { maxTlsHandshakes: 5, firstByteMs: 3000 },
      });
      const p = (await capped.start())!.port;
      try {
        // Raw TCP connections that never send a ClientHello hold a handshake slot each.
        const raw = await openMany(10, () => RawClient.connect(p));
        await waitFor('five refusals', () => capped.stats().refused['tls-handshake-cap'] === 5);
        expect(capped.stats().tlsHandshakesInFlight).toBe(5);
        for (const c of raw) c.destroy();
        await waitFor('the slots freed', () => capped.stats().tlsHandshakesInFlight === 0);
        const ok = await RawClient.connectTls(p, { ca: readFileSync(pki.caFile), servername: 'localhost' });
        ok.destroy();
      } finally {
        await capped.close();
      }
    });
  });
}
