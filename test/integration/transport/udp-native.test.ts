/**
 * The native UDP accelerator (native/udp) on real loopback sockets: batching, datagram sizes up to
 * the RFC 3261 §18.1.1 maximum, IPv6, unresolvable names reported not thrown, close while sending.
 * The peers are node:dgram sockets. Needs the addon built (`npm run build:native`, which
 * scripts/test.sh runs): without it these tests fail, they never skip.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../../../src/observe/channels.js';
import type { MessageSource } from '../../../src/transport/contract.js';
import { loadNativeUdp, type NativeUdpAddon } from '../../../src/transport/native-addon.js';
import { NativeUdpTransport } from '../../../src/transport/udp-native.js';
import type { UdpTransportOptions } from '../../../src/transport/udp-endpoint.js';
import { chooseUdpEngine } from '../../../src/transport/udp-factory.js';
import { waitFor } from '../../helpers/wait.js';

function addon(): NativeUdpAddon {
  const load = loadNativeUdp();
  if (!load.ok) throw new Error(`native UDP accelerator not loadable: ${load.reason}`);
  return load.addon;
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function native(opts: Partial<UdpTransportOptions> = {}): NativeUdpTransport {
  const t = new NativeUdpTransport(addon(), {
    listen: { host: '127.0.0.1', port: 0 },
    recvBufferBytes: 1 << 20,
    sendBufferBytes: 1 << 20,
    ...opts,
  });
  open.push(t);
  return t;
}

async function peer(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<{ socket: dgram.Socket; port: number; got: Buffer[] }> {
  const socket = dgram.createSocket({ type, recvBufferSize: 1 << 20 });
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((r) => socket.bind(0, host, r));
  open.push(socket);
  return { socket, port: socket.address().port, got };
}

type Received = { buf: Buffer; from: MessageSource };

describe('native UDP accelerator', () => {
  it('hands a burst up datagram by datagram with its source, and relays replies in order', async () => {
    const t = native();
    const got: Received[] = [];
    t.onMessage((buf, from) => {
      got.push({ buf: Buffer.from(buf), from }); // the view is valid only during the handler
      t.send(Buffer.concat([Buffer.from('echo '), buf]), { transport: 'udp', host: from.address, port: from.port });
    });
    const { port } = await t.start();
    const p = await peer();
    const burst = 100; // > one recvmmsg batch of 32
    for (let i = 0; i < burst; i++) p.socket.send(`m${i}`, port, '127.0.0.1');
    await waitFor('all echoes', () => p.got.length === burst, 5000, 10);
    expect(got.map((r) => r.buf.toString())).toEqual(Array.from({ length: burst }, (_, i) => `m${i}`));
    expect(got[0]!.from).toEqual({ transport: 'udp', address: '127.0.0.1', port: p.port });
    expect(p.got.map((b) => b.toString())).toEqual(Array.from({ length: burst }, (_, i) => `echo m${i}`));
  });

  it('hands each datagram up whole in its handler, and reuses the receive memory for later batches', async () => {
    // The contract (transport/contract.ts MessageHandler): the view is valid while the handler
    // runs; the next batch is copied into the same slab, so a handler copies what it keeps.
    const t = native();
    const copies: Buffer[] = [];
    const views: Buffer[] = [];
    t.onMessage((buf) => {
      copies.push(Buffer.from(buf));
      views.push(buf);
    });
    const { port } = await t.start();
    const p = await peer();
    for (let i = 0; i < 70; i++) {
      p.socket.send(Buffer.alloc(200, 0x30 + i), port, '127.0.0.1');
      if (i % 10 === 9) await waitFor('the group', () => copies.length === i + 1, 5000, 5); // several batches
    }
    await waitFor('70 datagrams', () => copies.length === 70, 5000, 10);
    copies.forEach((b, i) => expect(b.equals(Buffer.alloc(200, 0x30 + i))).toBe(true));
    // One slab for all of them: no new allocation per batch, and an old view now shows later bytes.
    expect(new Set(views.map((b) => b.buffer)).size).toBe(1);
    expect(views[0]!.equals(copies[0]!)).toBe(false);
  });

  it('hands every datagram up whole, big ones among them: a batch over the slab gets a buffer of its own, then the slab is back', async () => {
    // 300 x 1 KiB in groups of 25 (each fits the 64 KiB slab) and a 65507-byte datagram that does
    // not: it goes up in a buffer of its own, and the groups after it in the slab again.
    const t = native();
    const kept: Buffer[] = [];
    const slabs: ArrayBufferLike[] = [];
    t.onMessage((buf) => {
      kept.push(Buffer.from(buf));
      slabs.push(buf.buffer);
    });
    const { port } = await t.start();
    const p = await peer();
    const sent: Buffer[] = [];
    for (let i = 0; i < 300; i++) sent.push(i === 150 ? Buffer.alloc(65_507, 0x61 + (i % 26)) : Buffer.alloc(1024 + (i % 7), 0x61 + (i % 26)));
    for (let i = 0; i < sent.length; i += 25) {
      for (const b of sent.slice(i, i + 25)) p.socket.send(b, port, '127.0.0.1');
      await waitFor('the group', () => kept.length === Math.min(i + 25, sent.length), 5000, 5);
    }
    expect(kept.length).toBe(sent.length);
    kept.forEach((b, i) => expect(b.equals(sent[i]!)).toBe(true));
    expect(slabs[150]).not.toBe(slabs[0]);
    expect(slabs[299]).toBe(slabs[0]);
  });

  it('counts a keepalive and an empty datagram as keepalive drops, never as messages', async () => {
    const drops: unknown[] = [];
    const onDrop = (m: unknown): void => void drops.push(m);
    diagnosticsChannel.subscribe(channels.drop.name, onDrop);
    try {
      const t = native();
      const got: string[] = [];
      t.onMessage((buf) => got.push(buf.toString()));
      const { port } = await t.start();
      const p = await peer();
      p.socket.send('\r\n', port, '127.0.0.1');
      p.socket.send(Buffer.alloc(0), port, '127.0.0.1');
      p.socket.send('\r\n\r\nX', port, '127.0.0.1');
      await waitFor('the message', () => got.length === 1, 5000, 10);
      expect(got).toEqual(['\r\n\r\nX']);
      expect(drops).toEqual([{ reason: 'keepalive' }, { reason: 'keepalive' }]);
    } finally {
      diagnosticsChannel.unsubscribe(channels.drop.name, onDrop);
    }
  });

  it('receives a 65507-byte datagram whole (RFC 3261 §18.1.1: be prepared for 65535) and sends one back', async () => {
    const t = native();
    const got: Buffer[] = [];
    t.onMessage((buf, from) => {
      got.push(Buffer.from(buf));
      t.send(buf, { transport: 'udp', host: from.address, port: from.port });
    });
    const { port } = await t.start();
    const p = await peer();
    const big = Buffer.alloc(65_507, 0x41);
    big.write('OPTIONS sip:x SIP/2.0\r\n');
    p.socket.send(big, port, '127.0.0.1');
    p.socket.send('small after big', port, '127.0.0.1');
    await waitFor('both back', () => p.got.length === 2, 5000, 10);
    expect(got[0]!.equals(big)).toBe(true);
    expect(got[1]!.toString()).toBe('small after big');
    expect(p.got[0]!.equals(big)).toBe(true);
  });

  it('drops CRLF keep-alives before the handler', async () => {
    const t = native();
    const got: string[] = [];
    t.onMessage((buf) => got.push(buf.toString()));
    const { port } = await t.start();
    const p = await peer();
    p.socket.send('\r\n\r\n', port, '127.0.0.1');
    p.socket.send('REAL', port, '127.0.0.1');
    await waitFor('one message', () => got.length === 1, 5000, 10);
    expect(got).toEqual(['REAL']);
  });

  it('works over IPv6, and from a dual-stack socket to an IPv4 peer', async () => {
    const t = native({ listen: { host: '::1', port: 0 } });
    const got: Received[] = [];
    t.onMessage((buf, from) => {
      got.push({ buf: Buffer.from(buf), from }); // the view is valid only during the handler
      t.send(buf, { transport: 'udp', host: from.address, port: from.port });
    });
    const { host, port } = await t.start();
    expect(host).toBe('::1');
    const p = await peer('udp6', '::1');
    p.socket.send('v6', port, '::1');
    await waitFor('v6 echo', () => p.got.length === 1, 5000, 10);
    expect(got[0]!.from).toEqual({ transport: 'udp', address: '::1', port: p.port });

    const any = native({ listen: { host: '::', port: 0 } });
    await any.start();
    const p4 = await peer();
    any.send(Buffer.from('to v4'), { transport: 'udp', host: '127.0.0.1', port: p4.port });
    await waitFor('v4-mapped send', () => p4.got.length === 1, 5000, 10);
    expect(p4.got[0]!.toString()).toBe('to v4');
  });

  // Only names that never reach a DNS server (the network rule: loopback only): a GB/T 28181
  // numeric domain is refused before getaddrinfo (transport/lookup.ts), localhost is in /etc/hosts.
  it('reports a send to an unresolvable name through onSendError, never throws', async () => {
    const errors: NodeJS.ErrnoException[] = [];
    const t = native({ onSendError: (e) => errors.push(e) });
    await t.start();
    expect(() => t.send(Buffer.from('x'), { transport: 'udp', host: '3402000000', port: 5060 })).not.toThrow();
    await waitFor('send error', () => errors.length === 1, 5000, 10);
    expect(errors[0]).toMatchObject({ code: 'ENOTFOUND', message: expect.stringContaining('3402000000') });
  });

  it('resolves a real name (localhost) before sending', async () => {
    const t = native();
    await t.start();
    const p = await peer();
    t.send(Buffer.from('by name'), { transport: 'udp', host: 'localhost', port: p.port });
    await waitFor('named send', () => p.got.length === 1, 5000, 10);
  });

  it('reports a kernel send failure (port 0) through onSendError and still sends the rest of the batch', async () => {
    const errors: NodeJS.ErrnoException[] = [];
    const t = native({ onSendError: (e) => errors.push(e) });
    await t.start();
    const p = await peer();
    t.send(Buffer.from('a'), { transport: 'udp', host: '127.0.0.1', port: p.port });
    t.send(Buffer.from('bad'), { transport: 'udp', host: '127.0.0.1', port: 0 });
    t.send(Buffer.from('b'), { transport: 'udp', host: '127.0.0.1', port: p.port });
    await waitFor('two datagrams', () => p.got.length === 2, 5000, 10);
    expect(p.got.map(String)).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('EINVAL');
  });

  it('close while sending: what was queued leaves, later sends are ignored, nothing throws', async () => {
    const t = native();
    await t.start();
    const p = await peer();
    for (let i = 0; i < 50; i++) t.send(Buffer.from(`q${i}`), { transport: 'udp', host: '127.0.0.1', port: p.port });
    await t.close();
    expect(() => t.send(Buffer.from('late'), { transport: 'udp', host: '127.0.0.1', port: p.port })).not.toThrow();
    await waitFor('queued datagrams', () => p.got.length === 50, 5000, 10);
    await new Promise((r) => setTimeout(r, 50));
    expect(p.got.map(String)).not.toContain('late');
    expect(t.recvBufferBytes).toBeUndefined();
    await t.close(); // idempotent
  });

  it('rejects start with SIPLB_ERR_BIND for an address in use', async () => {
    const a = native();
    const { port } = await a.start();
    const b = native({ listen: { host: '127.0.0.1', port } });
    await expect(b.start()).rejects.toMatchObject({ code: 'SIPLB_ERR_BIND', message: expect.stringContaining('EADDRINUSE') });
  });

  it('reports the granted socket buffers like dgram (doubled by the kernel)', async () => {
    const t = native({ recvBufferBytes: 65_536, sendBufferBytes: 65_536 });
    await t.start();
    expect(t.recvBufferBytes).toBe(131_072);
    expect(t.sendBufferBytes).toBe(131_072);
  });
  // The backlog meter on this engine: udp-backlog.test.ts runs its tests on both engines.
});

describe('UDP engine choice (sip.udpEngine)', () => {
  it('auto and native pick the accelerator when it loads; dgram forces node:dgram', () => {
    expect(chooseUdpEngine('auto')).toMatchObject({ engine: 'native', fallbackReason: undefined });
    expect(chooseUdpEngine('native').engine).toBe('native');
    const d = chooseUdpEngine('dgram');
    expect(d.engine).toBe('dgram');
    const s = d.create({ listen: { host: '127.0.0.1', port: 0 }, recvBufferBytes: 65_536, sendBufferBytes: 65_536 });
    expect(s.engine).toBe('dgram');
  });
});
