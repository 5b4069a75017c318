import { describe, expect, it } from 'vitest';
import { StreamFramer, type FramerSink, type FramingErrorReason } from '../../../src/transport/stream-framer.js';

type Out = { kind: 'message'; text: string } | { kind: 'ping' } | { kind: 'missing'; text: string } | { kind: 'fatal'; reason: FramingErrorReason };

function recorder(): { sink: FramerSink; out: Out[]; bufs: Buffer[] } {
  const out: Out[] = [];
  const bufs: Buffer[] = [];
  return {
    out,
    bufs,
    sink: {
      onMessage: (b) => {
        bufs.push(b);
        out.push({ kind: 'message', text: b.toString('latin1') });
      },
      onPing: () => out.push({ kind: 'ping' }),
      onMissingContentLength: (h) => out.push({ kind: 'missing', text: h.toString('latin1') }),
      onFatal: (reason) => out.push({ kind: 'fatal', reason }),
    },
  };
}

function msg(body = '', extra = `Content-Length: ${Buffer.byteLength(body)}\r\n`): string {
  return `OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\n${extra}\r\n${body}`;
}

function feed(f: StreamFramer, sink: FramerSink, ...chunks: string[]): void {
  for (const c of chunks) f.push(Buffer.from(c, 'latin1'), sink);
}

describe('StreamFramer', () => {
  it('hands up two messages coalesced in one chunk, as views of the chunk (no copy)', () => {
    const { sink, out, bufs } = recorder();
    const f = new StreamFramer();
    const chunk = Buffer.from(msg('v=0\r\n') + msg(), 'latin1');
    f.push(chunk, sink);
    expect(out).toEqual([{ kind: 'message', text: msg('v=0\r\n') }, { kind: 'message', text: msg() }]);
    expect(bufs[0]!.buffer).toBe(chunk.buffer);
    expect(f.midMessage).toBe(false);
    expect(f.bufferedBytes).toBe(0);
  });

  it('reassembles a message split byte by byte, with its body, and reports it as started meanwhile', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    const text = msg('hello body');
    for (let i = 0; i < text.length - 1; i++) {
      feed(f, sink, text[i]!);
      expect(f.midMessage).toBe(true);
    }
    expect(out).toEqual([]);
    feed(f, sink, text[text.length - 1]!);
    expect(out).toEqual([{ kind: 'message', text }]);
    expect(f.midMessage).toBe(false);
  });

  it('splits at every possible point of two messages and a ping', () => {
    const text = '\r\n' + msg('abc') + '\r\n\r\n' + msg();
    for (let cut = 1; cut < text.length; cut++) {
      const { sink, out } = recorder();
      const f = new StreamFramer();
      feed(f, sink, text.slice(0, cut), text.slice(cut));
      expect(out).toEqual([{ kind: 'message', text: msg('abc') }, { kind: 'ping' }, { kind: 'message', text: msg() }]);
    }
  });

  it('scans a dribbled message in linear time (the header search resumes where it stopped)', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer({ maxHeaderBytes: 65_536, maxMessageBytes: 200_000 });
    const big = msg('x'.repeat(100_000), `X-Pad: ${'p'.repeat(15_000)}\r\nContent-Length: 100000\r\n`);
    const started = performance.now();
    for (let i = 0; i < big.length; i++) f.push(Buffer.from([big.charCodeAt(i)]), sink);
    const ms = performance.now() - started;
    expect(out).toHaveLength(1);
    expect(out[0]).toEqual({ kind: 'message', text: big });
    // 115 kB one byte at a time: linear work is well under a second even on a loaded machine;
    // a rescan from the message start per byte would be ~6.6e9 byte comparisons.
    expect(ms).toBeLessThan(3000);
  });

  it('skips leading CRLFs before a start line without reporting a ping for a single CRLF', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    feed(f, sink, '\r\n', msg(), '\r\n');
    expect(out).toEqual([{ kind: 'message', text: msg() }]);
  });

  it('reports a CRLFCRLF between messages as a ping, also when split across chunks, and two as two', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    feed(f, sink, '\r\n\r\n', '\r', '\n\r', '\n', '\r\n\r\n' + msg());
    expect(out).toEqual([{ kind: 'ping' }, { kind: 'ping' }, { kind: 'ping' }, { kind: 'message', text: msg() }]);
  });

  it('reads the compact form l: and a folded value', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    const a = msg('12345', 'l:   5 \r\n');
    const b = msg('', 'Content-Length:\r\n 0\r\n');
    feed(f, sink, a + b);
    expect(out).toEqual([{ kind: 'message', text: a }, { kind: 'message', text: b }]);
  });

  it('accepts the same Content-Length twice', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    const a = msg('ab', 'Content-Length: 2\r\nl: 2\r\n');
    feed(f, sink, a);
    expect(out).toEqual([{ kind: 'message', text: a }]);
  });

  it('reports a missing Content-Length with the header bytes, then ignores the rest', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    const head = msg('', '');
    feed(f, sink, head + 'body?', msg());
    expect(out).toEqual([{ kind: 'missing', text: head }]);
    expect(f.finished).toBe(true);
  });

  it.each([
    ['not a number', 'Content-Length: abc\r\n', 'bad-content-length'],
    ['negative', 'Content-Length: -5\r\n', 'bad-content-length'],
    ['empty', 'Content-Length: \r\n', 'bad-content-length'],
    ['two values', 'Content-Length: 0\r\nl: 4\r\n', 'conflicting-content-length'],
    ['over the message cap', 'Content-Length: 70000\r\n', 'too-large'],
  ] as const)('gives up at once on a Content-Length that is %s', (_what, header, reason) => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    feed(f, sink, msg('', header), msg());
    expect(out).toEqual([{ kind: 'fatal', reason }]);
    expect(f.finished).toBe(true);
  });

  it('gives up when the headers pass their cap without an end, before the whole cap is buffered twice', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer({ maxHeaderBytes: 1024 });
    feed(f, sink, 'OPTIONS sip:a SIP/2.0\r\n');
    for (let i = 0; i < 20; i++) feed(f, sink, `X-Long-${i}: ${'a'.repeat(60)}\r\n`);
    expect(out).toEqual([{ kind: 'fatal', reason: 'headers-too-large' }]);
  });

  it('gives up on a header line without end past the cap', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer({ maxHeaderBytes: 100 });
    feed(f, sink, 'OPTIONS sip:a SIP/2.0\r\nX: ' + 'a'.repeat(200));
    expect(out).toEqual([{ kind: 'fatal', reason: 'headers-too-large' }]);
  });

  it('honours a configured message cap counting headers and body', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer({ maxMessageBytes: msg('0123456789').length });
    feed(f, sink, msg('0123456789'));
    feed(f, sink, msg('0123456789A'));
    expect(out.map((o) => o.kind)).toEqual(['message', 'fatal']);
    expect(out[1]).toEqual({ kind: 'fatal', reason: 'too-large' });
  });

  it.each([
    ['a TLS ClientHello', '\x16\x03\x01\x00\xa5\x01'],
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('gives up on %s: it is not SIP', (_what, text) => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    feed(f, sink, text);
    expect(out).toEqual([{ kind: 'fatal', reason: 'not-sip' }]);
  });

  it('frames responses too', () => {
    const { sink, out } = recorder();
    const f = new StreamFramer();
    const r = 'SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\nl: 0\r\n\r\n';
    feed(f, sink, r);
    expect(out).toEqual([{ kind: 'message', text: r }]);
  });

  it('does not alias a message already handed up when later bytes are gathered', () => {
    const { sink, bufs } = recorder();
    const f = new StreamFramer();
    const a = msg('AAAA');
    const b = msg('BBBB');
    // a arrives split (gathered into the framer's own buffer) together with the start of b.
    feed(f, sink, a.slice(0, 10), a.slice(10) + b.slice(0, 5), b.slice(5, 30), b.slice(30));
    expect(bufs.map((x) => x.toString('latin1'))).toEqual([a, b]);
  });
});
