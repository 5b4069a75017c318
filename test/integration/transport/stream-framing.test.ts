/**
 * Framing torture over raw TCP sockets against a real StreamTransport (RFC 3261 §18.3, §7.5;
 * RFC 5626 §4.4.1): each case gets its expected outcome, and after each, a fresh connection still
 * gets its message through.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channels, type FramingErrorEvent } from '../../../src/observe/channels.js';
import type { MessageSource } from '../../../src/transport/contract.js';
import { StreamTransport } from '../../../src/transport/stream.js';
import { RawClient, sipRequest } from '../../helpers/raw-stream.js';
import { sleep, waitFor } from '../../helpers/wait.js';

describe('TCP stream framing against raw sockets', () => {
  const got: Array<{ text: string; source: MessageSource }> = [];
  let t: StreamTransport;
  let port: number;

  const framingErrors: string[] = [];
  const onFraming = (m: unknown): void => void framingErrors.push((m as FramingErrorEvent).reason);

  beforeAll(async () => {
    channels.framingError.subscribe(onFraming);
    t = new StreamTransport({ transport: 'tcp', listen: { host: '127.0.0.1', port: 0 }, framing: { maxMessageBytes: 8192 } });
    t.onMessage((buf, source) => got.push({ text: buf.toString('latin1'), source }));
    port = (await t.start())!.port;
  });
  afterAll(async () => {
    channels.framingError.unsubscribe(onFraming);
    await t.close();
  });
  beforeEach(() => {
    got.length = 0;
  });

  /** After any torture, a new connection still gets a message through. */
  async function stillServes(): Promise<void> {
    const c = await RawClient.connect(port);
    const before = got.length;
    c.write(sipRequest({ callId: 'after' }));
    await waitFor('the message of a fresh connection', () => got.length > before && got.at(-1)!.text.includes('Call-ID: after'));
    c.destroy();
  }

  it('hands up two messages coalesced in one write, with transport, address, port and connection id', async () => {
    const c = await RawClient.connect(port);
    c.write(sipRequest({ callId: 'a' }) + sipRequest({ callId: 'b', body: 'v=0\r\n' }));
    await waitFor('two messages', () => got.length === 2);
    expect(got.map((g) => g.text)).toEqual([sipRequest({ callId: 'a' }), sipRequest({ callId: 'b', body: 'v=0\r\n' })]);
    const s = got[0]!.source;
    expect(s).toMatchObject({ transport: 'tcp', address: '127.0.0.1', port: c.socket.localPort });
    expect(typeof s.connectionId).toBe('number');
    expect(got[1]!.source.connectionId).toBe(s.connectionId);
    c.destroy();
  });

  it('reassembles a message written byte by byte', async () => {
    const c = await RawClient.connect(port);
    c.socket.setNoDelay(true);
    const text = sipRequest({ callId: 'split', body: 'hello' });
    for (const ch of text) {
      c.write(ch);
      await sleep(1);
    }
    await waitFor('the split message', () => got.length === 1);
    expect(got[0]!.text).toBe(text);
    c.destroy();
  });

  it('skips CRLFs before a start line', async () => {
    const c = await RawClient.connect(port);
    c.write('\r\n' + sipRequest({ callId: 'lead' }));
    await waitFor('the message', () => got.length === 1);
    expect(got[0]!.text).toBe(sipRequest({ callId: 'lead' }));
    await sleep(100);
    expect(c.text).toBe(''); // a lone CRLF is not a ping
    c.destroy();
  });

  it('answers a CRLFCRLF ping with exactly one CRLF and keeps the connection', async () => {
    const c = await RawClient.connect(port);
    c.write('\r\n\r\n');
    await c.waitText('the pong', (x) => x.length > 0);
    await sleep(100);
    expect(c.text).toBe('\r\n');
    c.write(sipRequest({ callId: 'after-ping' }));
    await waitFor('a message after the ping', () => got.length === 1);
    expect(c.closed).toBe(false);
    c.destroy();
  });

  it('answers a message without Content-Length with 400 and then closes', async () => {
    const c = await RawClient.connect(port);
    c.write(sipRequest({ callId: 'nocl', extra: '' }));
    await c.waitClosed();
    expect(c.text).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(c.text).toContain('Warning: 399 siplb "missing Content-Length"');
    expect(c.text).toContain('Call-ID: nocl\r\n');
    expect(c.text).toContain('CSeq: 1 OPTIONS\r\n');
    expect(got).toEqual([]);
    await stillServes();
  });

  it.each([
    ['not a number', 'Content-Length: ten\r\n'],
    ['negative', 'Content-Length: -1\r\n'],
    ['conflicting', 'Content-Length: 0\r\nl: 12\r\n'],
    ['over the cap', 'Content-Length: 9000\r\n'],
  ])('closes at once, answering nothing, on a Content-Length %s', async (_what, extra) => {
    const c = await RawClient.connect(port);
    c.write(sipRequest({ callId: 'bad', extra }));
    await c.waitClosed();
    expect(c.text).toBe('');
    expect(got).toEqual([]);
    await stillServes();
  });

  it('closes at once on headers past the cap without an end', async () => {
    const c = await RawClient.connect(port);
    c.write('OPTIONS sip:lb@127.0.0.1 SIP/2.0\r\n' + 'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(600));
    await c.waitClosed();
    expect(got).toEqual([]);
    await stillServes();
  });

  it('counts the framing closes by reason', () => {
    const closed = t.stats().closed;
    expect(closed.framing).toBeGreaterThanOrEqual(5);
    expect(closed['missing-content-length']).toBe(1);
    expect(framingErrors).toEqual(['missing-content-length', 'bad-content-length', 'bad-content-length', 'conflicting-content-length', 'too-large', 'headers-too-large']);
  });
});
