import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { UdpEndpoint, UdpEngine } from '../../../src/transport/udp-endpoint.js';
import { chooseUdpEngine } from '../../../src/transport/udp-factory.js';

/** Sends synchronously (IP literal, no DNS round), so a burst is queued before the receiver reads. */
const syncLookup = ((host: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, host, 4)) as unknown as dgram.SocketOptions['lookup'];

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a handler slower than the arrival rate
  }
}

// Both engines (issue 20): node:dgram reads 32 datagrams per libuv event, the native accelerator
// one recvmmsg of 32; the meter must read the same from either. (native fails here, never skips,
// when the addon is not built: npm run build:native.)
describe.each<UdpEngine>(['dgram', 'native'])('UDP backlog measurement on %s (real sockets)', (engine) => {
  let transport: UdpEndpoint | undefined;
  let client: dgram.Socket | undefined;
  afterEach(async () => {
    client?.close();
    await transport?.close();
  });

  async function setUp(handlerMs: number): Promise<{ port: number; seen: () => number }> {
    transport = chooseUdpEngine(engine).create({ listen: { host: '127.0.0.1', port: 0 }, recvBufferBytes: 4 << 20, sendBufferBytes: 1 << 20 });
    let n = 0;
    transport.onMessage(() => {
      n++;
      busy(handlerMs);
    });
    const { port } = await transport.start();
    client = dgram.createSocket({ type: 'udp4', lookup: syncLookup });
    await new Promise<void>((r) => client!.bind(0, '127.0.0.1', () => r()));
    return { port, seen: () => n };
  }

  /** Waits for `cond`, then one more loop turn: the transport closes a read batch in the check phase. */
  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
  }

  it('reports how long its receive queue stayed non-empty when datagrams arrive faster than it reads', async () => {
    const { port, seen } = await setUp(1);
    const msg = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    for (let i = 0; i < 320; i++) client!.send(msg, port, '127.0.0.1');
    await until(() => seen() === 320);
    expect(seen()).toBe(320);
    // 10 batches of 32 at ~1 ms each: the queue held datagrams for ~9 batches after the first.
    // 320 is a multiple of libuv's batch: the run must still end once the queue is empty.
    expect(transport!.takeBacklogMs()).toBeGreaterThanOrEqual(150);
    expect(transport!.takeBacklogMs()).toBe(0);
  });

  it('measures nothing while the measurement is off (the admission control turns it off on an idle loop)', async () => {
    const { port, seen } = await setUp(1);
    transport!.watchBacklog(false);
    const msg = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    for (let i = 0; i < 160; i++) client!.send(msg, port, '127.0.0.1');
    await until(() => seen() === 160);
    expect(transport!.takeBacklogMs()).toBe(0);
    transport!.watchBacklog(true);
    for (let i = 0; i < 160; i++) client!.send(msg, port, '127.0.0.1');
    await until(() => seen() === 320);
    expect(transport!.takeBacklogMs()).toBeGreaterThanOrEqual(50);
  });

  it('reports no backlog when it keeps up', async () => {
    const { port, seen } = await setUp(0);
    const msg = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    // Each datagram is sent only once the previous one was read, so the queue never holds more
    // than one, however the scheduler delays either side: zero backlog is then exact, not luck.
    for (let i = 0; i < 50; i++) {
      client!.send(msg, port, '127.0.0.1');
      await until(() => seen() === i + 1);
      expect(seen()).toBe(i + 1);
    }
    expect(transport!.takeBacklogMs()).toBe(0);
  });
});
