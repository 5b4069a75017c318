/**
 * Outbound TCP: a send opens one connection to a plain `net` server and reuses it, what the server
 * writes back is handed up with that connection's id, a reply to a connection id goes on it, and a
 * send to a closed port is reported, never thrown.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { channels, type ConnectionEvent } from '../../../src/observe/channels.js';
import type { MessageSource } from '../../../src/transport/contract.js';
import { StreamTransport, type StreamErrorReport, type StreamTransportOptions } from '../../../src/transport/stream.js';
import { sipRequest } from '../../helpers/raw-stream.js';
import { waitFor } from '../../helpers/wait.js';

const OK = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-x\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('StreamTransport outbound over TCP', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  async function plainServer(): Promise<{ port: number; sockets: net.Socket[]; received: () => string }> {
    const sockets: net.Socket[] = [];
    let text = '';
    const srv = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (b) => (text += b.toString('latin1')));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          srv.close(() => r());
        }),
    );
    return { port: (srv.address() as net.AddressInfo).port, sockets, received: () => text };
  }

  function client(onError?: (r: StreamErrorReport) => void, writeLimits?: StreamTransportOptions['writeLimits']): { t: StreamTransport; got: Array<{ text: string; source: MessageSource }> } {
    const t = new StreamTransport({ transport: 'tcp', onError, writeLimits, maxConnectionsPerDestination: 1 });
    const got: Array<{ text: string; source: MessageSource }> = [];
    t.onMessage((buf, source) => got.push({ text: buf.toString('latin1'), source }));
    cleanup.push(() => t.close());
    return { t, got };
  }

  it('opens one connection, reuses it for the next message, and hands a response up with its id', async () => {
    const srv = await plainServer();
    const { t, got } = client();
    const events: ConnectionEvent[] = [];
    const onEvent = (m: unknown): void => void events.push(m as ConnectionEvent);
    channels.connection.subscribe(onEvent);
    cleanup.push(() => void channels.connection.unsubscribe(onEvent));

    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    t.send(Buffer.from(sipRequest({ callId: 'one' }), 'latin1'), target); // queued while connecting
    t.send(Buffer.from(sipRequest({ callId: 'two' }), 'latin1'), target);
    await waitFor('both messages at the server', () => srv.received().includes('Call-ID: two'));
    t.send(Buffer.from(sipRequest({ callId: 'three' }), 'latin1'), target);
    await waitFor('the third message', () => srv.received().includes('Call-ID: three'));
    expect(srv.sockets).toHaveLength(1);
    expect(srv.received()).toBe(sipRequest({ callId: 'one' }) + sipRequest({ callId: 'two' }) + sipRequest({ callId: 'three' }));

    srv.sockets[0]!.write(OK);
    await waitFor('the response handed up', () => got.length === 1);
    const id = got[0]!.source.connectionId;
    expect(got[0]).toEqual({ text: OK, source: { transport: 'tcp', address: '127.0.0.1', port: srv.port, connectionId: id } });
    expect(events.filter((e) => e.event === 'opened')).toEqual([{ transport: 'tcp', direction: 'out', event: 'opened', reason: undefined, connectionId: id }]);
    expect(t.stats().open).toEqual({ 'tcp/out': 1 });

    // A send naming the connection id goes on it.
    t.send(Buffer.from(sipRequest({ callId: 'four' }), 'latin1'), { ...target, connectionId: id });
    await waitFor('the fourth message', () => srv.received().includes('Call-ID: four'));
    expect(srv.sockets).toHaveLength(1);
  });

  it('opens a new connection when the old one was closed by the peer', async () => {
    const srv = await plainServer();
    const { t } = client();
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    t.send(Buffer.from(sipRequest({ callId: 'a' }), 'latin1'), target);
    await waitFor('the first connection', () => srv.sockets.length === 1 && srv.received().includes('Call-ID: a'));
    srv.sockets[0]!.destroy();
    await waitFor('the close noticed', () => t.stats().closed.peer === 1);
    t.send(Buffer.from(sipRequest({ callId: 'b' }), 'latin1'), target);
    await waitFor('a second connection', () => srv.sockets.length === 2 && srv.received().includes('Call-ID: b'));
  });

  it('reports a send to a closed port instead of throwing', async () => {
    const srv = await plainServer();
    const port = srv.port;
    await cleanup.pop()!(); // close the server: nothing listens on the port now
    const reports: StreamErrorReport[] = [];
    const { t } = client((r) => reports.push(r));
    expect(() => t.send(Buffer.from(sipRequest(), 'latin1'), { transport: 'tcp', host: '127.0.0.1', port })).not.toThrow();
    await waitFor('the failure report', () => reports.length === 1);
    expect(reports[0]).toMatchObject({ transport: 'tcp', reason: 'connect-failed', direction: 'out', host: '127.0.0.1', port });
    expect((reports[0]!.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(t.stats().closed['connect-failed']).toBe(1);
  });

  it('reports sends after close', async () => {
    const reports: StreamErrorReport[] = [];
    const { t } = client((r) => reports.push(r));
    await t.close();
    t.send(Buffer.from(sipRequest(), 'latin1'), { transport: 'tcp', host: '127.0.0.1', port: 9 });
    expect(reports.map((r) => r.reason)).toEqual(['transport-closed']);
  });

  it('a connection-only send (a flow-token delivery) to a closed connection is a flow-gone drop, never a new connection', async () => {
    const srv = await plainServer();
    const reports: StreamErrorReport[] = [];
    const { t } = client((r) => reports.push(r));
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    t.send(Buffer.from(sipRequest({ callId: 'first' }), 'latin1'), target);
    await waitFor('the first message at the server', () => srv.received().includes('Call-ID: first'));
    const id = [...t.table.byRemote(`127.0.0.1:${srv.port}`)!][0]!.id;
    for (const s of srv.sockets) s.destroy();
    await waitFor('the connection closed on our side', () => !t.isOpen(id));
    t.send(Buffer.from(sipRequest({ callId: 'late' }), 'latin1'), { ...target, connectionId: id, connectionOnly: true });
    expect(reports.map((r) => r.reason)).toEqual(['flow-gone']);
    expect(srv.sockets).toHaveLength(1); // no second connection was opened
    expect(t.stats().accepted + Object.values(t.stats().open).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('opens a second pooled connection only while the first has a write backlog', async () => {
    const srv = await plainServer();
    const t = new StreamTransport({ transport: 'tcp', maxConnectionsPerDestination: 2 });
    cleanup.push(() => t.close());
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    t.send(Buffer.from(sipRequest({ callId: 'p1' }), 'latin1'), target);
    await waitFor('the first connection', () => srv.sockets.length === 1 && srv.received().includes('Call-ID: p1'));
    srv.sockets[0]!.pause();
    const chunk = Buffer.from(sipRequest({ callId: 'fill', body: 'x'.repeat(60_000) }), 'latin1');
    for (let i = 0; i < 500 && srv.sockets.length < 2; i++) {
      t.send(chunk, target);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('a second connection', () => srv.sockets.length === 2);
    expect(t.stats().open['tcp/out']).toBe(2);
    for (let i = 0; i < 20; i++) t.send(chunk, target);
    await new Promise((r) => setTimeout(r, 200));
    expect(srv.sockets).toHaveLength(2); // bounded: never a third
  });

  it('drops and reports a send past the queue bound while connecting', async () => {
    const srv = await plainServer();
    const reports: StreamErrorReport[] = [];
    const { t } = client((r) => reports.push(r), { maxQueueBytes: 1000 });
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    const big = Buffer.from(sipRequest({ callId: 'q', body: 'x'.repeat(500) }), 'latin1');
    t.send(big, target);
    t.send(big, target); // same tick: still connecting, the queue would pass 1000 bytes
    expect(reports.map((r) => r.reason)).toEqual(['queue-full']);
    await waitFor('the first message', () => srv.received().length === big.length);
  });

  it('closes a connection whose peer stops reading once the write backlog passes its bound', async () => {
    const srv = await plainServer();
    const reports: StreamErrorReport[] = [];
    const { t } = client((r) => reports.push(r), { maxWriteBacklogBytes: 200_000 });
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: srv.port };
    t.send(Buffer.from(sipRequest({ callId: 'first' }), 'latin1'), target);
    await waitFor('the connection', () => srv.sockets.length === 1 && srv.received().includes('Call-ID: first'));
    srv.sockets[0]!.pause(); // the peer stops reading: the kernel buffers fill, then ours
    const chunk = Buffer.from(sipRequest({ callId: 'fill', body: 'x'.repeat(60_000) }), 'latin1');
    for (let i = 0; i < 1000 && !reports.some((r) => r.reason === 'write-backlog'); i++) {
      t.send(chunk, target);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('the backlog close', () => t.stats().closed['write-backlog'] === 1);
    expect(reports.some((r) => r.reason === 'write-backlog')).toBe(true);
  });
});
