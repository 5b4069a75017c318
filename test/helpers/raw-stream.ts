/**
 * @module test/helpers/raw-stream
 * A raw TCP (or TLS) client for stream-transport tests: writes exactly the bytes it is given and
 * records everything it reads and how the connection ended.
 */
import net from 'node:net';
import tls from 'node:tls';
import { waitFor } from './wait.js';

export class RawClient {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  closed = false;
  error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (b: Buffer) => (this.received = Buffer.concat([this.received, b])));
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => (this.closed = true));
  }

  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
    });
  }

  static connectTls(port: number, opts: tls.ConnectionOptions & { localAddress?: string }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', ...opts });
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(new RawClient(s));
      });
    });
  }

  write(text: string | Buffer): void {
    this.socket.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  get text(): string {
    return this.received.toString('latin1');
  }

  waitText(what: string, pred: (text: string) => boolean, ms = 5000): Promise<string> {
    return waitFor(what, () => (pred(this.text) ? this.text : undefined), ms, 10);
  }

  waitClosed(ms = 5000): Promise<boolean> {
    return waitFor('the connection to close', () => this.closed, ms, 10);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A small valid SIP request for stream tests; `extra` replaces the Content-Length line. */
export function sipRequest(opts: { method?: string; callId?: string; body?: string; extra?: string; transport?: string } = {}): string {
  const method = opts.method ?? 'OPTIONS';
  const body = opts.body ?? '';
  const extra = opts.extra ?? `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return (
    `${method} sip:lb@127.0.0.1 SIP/2.0\r\n` +
    `Via: SIP/2.0/${opts.transport ?? 'TCP'} 127.0.0.1:5099;branch=z9hG4bK-${opts.callId ?? 'c1'};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    `From: <sip:t@127.0.0.1>;tag=f1\r\nTo: <sip:lb@127.0.0.1>\r\nCall-ID: ${opts.callId ?? 'c1'}\r\nCSeq: 1 ${method}\r\n` +
    `${extra}\r\n${body}`
  );
}
