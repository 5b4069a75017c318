/**
 * The WebSocket transport (RFC 7118) on real sockets, with the `ws` package as the client: one SIP
 * message per WebSocket message both ways, the CRLF keep-alive answered, the handshake policy
 * (subprotocol, Origin, Host, deadline, plain GET), the payload cap, the Ping heartbeat closing a
 * client that stops answering, and a send to a closed connection counted, never thrown; over wss
 * too, with a throwaway CA.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { copyFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channels, type DropEvent, type WsHandshakeRefusedEvent, type WsPingEvent } from '../../../src/observe/channels.js';
import { ConnectionTable } from '../../../src/transport/connections.js';
import { replyTarget, type MessageSource } from '../../../src/transport/contract.js';
import { handshakePolicy } from '../../../src/transport/ws-handshake.js';
import { WsTransport, type WsErrorReport, type WsTransportOptions } from '../../../src/transport/ws.js';
import { makePki, opensslMissing, type TestPki } from '../../helpers/tls-certs.js';
import { sleep, waitFor } from '../../helpers/wait.js';
import { connectWs, openWs, type WsPeer } from '../../helpers/ws-client.js';

const OPTIONS = (id: string): string =>
  `OPTIONS sip:lb.example SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK${id}\r\nMax-Forwards: 70\r\nFrom: <sip:a@example>;tag=${id}\r\n` +
  `To: <sip:lb.example>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;

/** Subscribe to a channel for the length of the file. */
function collect<T>(ch: diagnosticsChannel.Channel): T[] {
  const out: T[] = [];
  diagnosticsChannel.subscribe(ch.name as string, (m) => out.push(m as T));
  return out;
}
const refusals = collect<WsHandshakeRefusedEvent>(channels.wsHandshakeRefused);
const pings = collect<WsPingEvent>(channels.wsPing);
const drops = collect<DropEvent>(channels.drop);

interface Rig {
  readonly t: WsTransport;
  readonly table: ConnectionTable;
  readonly url: string;
  readonly got: Array<{ text: string; source: MessageSource }>;
  readonly errors: WsErrorReport[];
}

async function rig(o: Partial<WsTransportOptions> = {}, echo = true): Promise<Rig> {
  const table = o.connections ?? new ConnectionTable({ firstByteMs: 10_000 });
  const errors: WsErrorReport[] = [];
  const t = new WsTransport({
    transport: 'ws',
    listen: { host: '127.0.0.1', port: 0 },
    connections: table,
    policy: handshakePolicy([], []),
    onError: (r) => errors.push(r),
    ...o,
  });
  const got: Rig['got'] = [];
  t.onMessage((buf, source) => {
    got.push({ text: buf.toString('utf8'), source });
    if (echo) t.send(Buffer.from(`SIP/2.0 200 OK\r\nX-Echo: ${buf.length}\r\nContent-Length: 0\r\n\r\n`), replyTarget(source));
  });
  const a = await t.start();
  return { t, table, url: `${o.transport ?? 'ws'}://127.0.0.1:${a.port}/`, got, errors };
}

describe('WsTransport over ws:', () => {
  let r: Rig;
  const peers: WsPeer[] = [];
  beforeAll(async () => {
    r = await rig({ maxMessageBytes: 2048, policy: handshakePolicy(['https://phone.example.com'], []) });
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });
  afterAll(() => r.t.close());

  it('hands each message up with its source and sends the answer back as one message', async () => {
    const p = await connectWs(r.url, { origin: 'https://phone.example.com' });
    peers.push(p);
    p.send(OPTIONS('m1'));
    p.send(Buffer.from(OPTIONS('m2'))); // a binary frame is one SIP message too
    await p.await(/X-Echo/);
    await waitFor('both answers', () => p.received.length === 2);
    expect(r.got.map((g) => /Call-ID: (\S+)/.exec(g.text)![1])).toEqual(['m1', 'm2']);
    const s = r.got[0]!.source;
    expect(s).toMatchObject({ transport: 'ws', address: '127.0.0.1' });
    expect(r.t.isOpen(s.connectionId!)).toBe(true);
    expect(r.table.stats().open['ws/in']).toBe(1);
    expect(p.ws.protocol).toBe('sip');
  });

  it('answers a CRLFCRLF keep-alive with one CRLF and hands nothing up', async () => {
    const p = await connectWs(r.url);
    peers.push(p);
    const before = r.got.length;
    p.send('\r\n\r\n');
    await p.await(/^\r\n$/);
    p.send('\r\n'); // a pong: not answered
    await sleep(100);
    expect(p.received).toEqual(['\r\n']);
    expect(r.got.length).toBe(before);
  });

  it('closes a connection whose message is over the cap (1009)', async () => {
    const p = await connectWs(r.url);
    peers.push(p);
    p.send('x'.repeat(3000));
    expect(await p.waitClosed()).toBe(1009);
    await waitFor('the close counted', () => r.table.stats().closed['too-large'] === 1);
  });

  it('refuses a handshake without the sip subprotocol (400), and an Origin not allowed (403)', async () => {
    const n = refusals.length;
    const chat = await openWs(r.url, { protocols: 'chat' });
    expect(chat).toMatchObject({ ok: false, status: 400 });
    const none = await openWs(r.url, { protocols: null });
    expect(none).toMatchObject({ ok: false, status: 400 });
    const evil = await openWs(r.url, { origin: 'https://evil.example' });
    expect(evil).toMatchObject({ ok: false, status: 403 });
    expect(refusals.slice(n).map((e) => e.reason)).toEqual(['no-sip-subprotocol', 'no-sip-subprotocol', 'origin-not-allowed']);
    await waitFor('the refused connections closed', () => (r.table.stats().closed['handshake-refused'] ?? 0) === 3);
  });

  it('answers a plain HTTP GET with 426 and closes', async () => {
    const res = await fetch(r.url.replace('ws:', 'http:'));
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(refusals.at(-1)).toEqual({ transport: 'ws', reason: 'not-websocket' });
  });

  it('a send to a closed connection is a counted drop, never a throw, and never connects', async () => {
    const p = await connectWs(r.url);
    p.send(OPTIONS('gone'));
    await p.await(/X-Echo/);
    const id = r.got.at(-1)!.source.connectionId!;
    p.close();
    await waitFor('the server to see the close', () => !r.t.isOpen(id));
    const d = drops.length;
    const conns = r.table.stats().accepted;
    expect(() => r.t.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), { transport: 'ws', host: 'df7jal23ls0d.invalid', port: 0, connectionId: id })).not.toThrow();
    expect(() => r.t.send(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), { transport: 'wss', host: 'x.invalid', port: 443 })).not.toThrow();
    expect(drops.slice(d).map((e) => e.reason)).toEqual(['flow-gone', 'flow-gone']);
    expect(r.errors.slice(-2).map((e) => e.reason)).toEqual(['flow-gone', 'flow-gone']);
    expect(r.table.stats().accepted).toBe(conns);
  });
});

describe('WsTransport deadlines and heartbeat', () => {
  it('closes a stalled handshake at sip.ws.handshakeTimeout, counted', async () => {
    const r = await rig({ handshakeTimeoutMs: 300 });
    try {
      const n = refusals.length;
      const s = net.connect(Number(new URL(r.url).port), '127.0.0.1');
      s.on('error', () => {});
      s.write('GET / HTTP/1.1\r\nHost: x\r\n'); // never finishes its headers
      const closed = new Promise<void>((res) => s.once('close', () => res()));
      const t0 = Date.now();
      await closed;
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(refusals.slice(n).map((e) => e.reason)).toContain('timeout');
      await waitFor('the close counted', () => r.table.stats().closed['handshake-timeout'] === 1);
      expect(r.table.size).toBe(0);
    } finally {
      await r.t.close();
    }
  });

  it('pings every interval, measures the round trip, and closes a client that stops answering', async () => {
    const r = await rig({ pingIntervalMs: 150 });
    try {
      const good = await connectWs(r.url);
      const mute = await connectWs(r.url, { autoPong: false });
      const n = pings.length;
      expect(await mute.waitClosed(3000)).toBe(1006); // terminated: no close frame
      await waitFor('the close counted', () => r.table.stats().closed['ping-timeout'] === 1);
      await sleep(400);
      expect(good.closeCode()).toBeUndefined();
      expect(pings.length - n).toBeGreaterThanOrEqual(2);
      expect(pings.at(-1)).toMatchObject({ transport: 'ws' });
      expect(pings.at(-1)!.rttSeconds).toBeGreaterThanOrEqual(0);
      good.close();
    } finally {
      await r.t.close();
    }
  });

  it('shares the connection table: caps refuse the excess, ids are unique across transports', async () => {
    const table = new ConnectionTable({ maxPerIp: 1 });
    const r = await rig({ connections: table });
    try {
      const first = await connectWs(r.url);
      const second = await openWs(r.url);
      expect(second.ok).toBe(false);
      expect(table.stats().refused['per-ip-cap']).toBe(1);
      expect(refusals.at(-1)).toEqual({ transport: 'ws', reason: 'cap' });
      const tcp = table.add('tcp', 'out', '127.0.0.9', 5060, () => {});
      first.send(OPTIONS('id'));
      await first.await(/X-Echo/);
      expect(r.got.at(-1)!.source.connectionId).not.toBe(tcp.id);
      table.remove(tcp, 'shutdown');
      first.close();
    } finally {
      await r.t.close();
    }
  });
});

describe.skipIf(opensslMissing() !== undefined)('WsTransport over wss:', () => {
  let pki: TestPki;
  let r: Rig;
  let live: { cert: string; key: string };
  beforeAll(async () => {
    pki = makePki();
    const c = pki.issue('siplb-ws', 'c003');
    live = { cert: `${pki.dir}/live.pem`, key: `${pki.dir}/live.key` };
    copyFileSync(c.cert, live.cert);
    copyFileSync(c.key, live.key);
    r = await rig({ transport: 'wss', tls: { certFile: live.cert, keyFile: live.key } });
  });
  afterAll(async () => {
    await r?.t.close();
    pki?.cleanup();
  });

  const serial = (p: WsPeer): string => ((p.ws as unknown as { _socket: tls.TLSSocket })._socket.getPeerCertificate().serialNumber ?? '').toUpperCase();

  it('carries SIP over TLS; after a reload new handshakes get the new certificate while the open connection stays up', async () => {
    const ca = readFileSync(pki.caFile);
    const p = await connectWs(r.url, { ca });
    p.send(OPTIONS('tls1'));
    await p.await(/X-Echo/);
    expect(r.got.at(-1)!.source.transport).toBe('wss');
    expect(serial(p)).toBe('C003');
    const next = pki.issue('siplb-ws2', 'd004');
    copyFileSync(next.cert, live.cert);
    copyFileSync(next.key, live.key);
    await r.t.reloadCertificates();
    const q = await connectWs(r.url, { ca });
    expect(serial(q)).toBe('D004');
    p.send(OPTIONS('tls2'));
    await waitFor('the second answer on the old connection', () => p.received.length === 2);
    p.close();
    q.close();
  });
});
