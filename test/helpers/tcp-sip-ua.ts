/**
 * @module test/helpers/tcp-sip-ua
 * A scripted SIP user agent over one TCP connection (hand-written SIP, framed by Content-Length,
 * RFC 3261 §18.3), for the flow-token tests: it REGISTERs through siplb and, as a UAS, answers an
 * INVITE with 200 (Record-Route copied, §12.1.1) and a BYE with 200. Everything it receives is
 * kept in order, so a test can check what reached it and what did not.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { waitFor } from './wait.js';

/** The values of header `name` (long form or compact `short`) in a message's head. */
export function headers(msg: string, name: string, short?: string): string[] {
  const head = msg.slice(0, msg.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => {
      const n = l.slice(0, l.indexOf(':')).trim().toLowerCase();
      return n === name.toLowerCase() || n === short;
    })
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
}

export class TcpSipUa {
  readonly socket: net.Socket;
  readonly received: string[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  readonly user: string;

  private constructor(socket: net.Socket, user: string) {
    this.socket = socket;
    this.user = user;
    this.local = `${socket.localAddress}:${socket.localPort}`;
    socket.on('data', (b: Buffer) => this.#onData(b));
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Connect to siplb at host:port from `localAddress` (a loopback address of the client's own). */
  static connect(port: number, user: string, localAddress: string, host = '127.0.0.1'): Promise<TcpSipUa> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new TcpSipUa(s, user));
      });
    });
  }

  /** The client's address:port (kept after the connection closes). */
  readonly local: string;

  /** REGISTER user@domain with a TCP Contact; resolves with the final response. */
  async register(domain: string, callId = `reg-${randomBytes(4).toString('hex')}`, cseq = 1): Promise<string> {
    const branch = `z9hG4bK-${randomBytes(6).toString('hex')}`;
    const before = this.received.length;
    this.send(
      `REGISTER sip:${domain} SIP/2.0\r\nVia: SIP/2.0/TCP ${this.local};branch=${branch};rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:${this.user}@${domain}>;tag=r${cseq}\r\nTo: <sip:${this.user}@${domain}>\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\n` +
        `Contact: <sip:${this.user}@${this.local};transport=tcp>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n`,
    );
    return this.next((m) => m.startsWith('SIP/2.0 ') && !m.startsWith('SIP/2.0 1') && m.includes(branch), before);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The first message (from index `from` on) that matches; waits up to `ms`. */
  async next(match: (m: string) => boolean, from = 0, ms = 5000): Promise<string> {
    return waitFor('a SIP message on the TCP client', async () => this.received.slice(from).find(match), ms);
  }

  /** Requests of `method` received so far. */
  requests(method: string): string[] {
    return this.received.filter((m) => m.startsWith(`${method} `));
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(b: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, b]);
    for (;;) {
      let start = 0;
      while (start + 1 < this.#buf.length && this.#buf[start] === 13 && this.#buf[start + 1] === 10) start += 2;
      const end = this.#buf.indexOf('\r\n\r\n', start);
      if (end < 0) return;
      const head = this.#buf.toString('latin1', start, end + 4);
      const len = Number(headers(head, 'Content-Length', 'l')[0] ?? '0');
      if (this.#buf.length < end + 4 + len) return;
      const msg = this.#buf.toString('latin1', start, end + 4 + len);
      this.#buf = this.#buf.subarray(end + 4 + len);
      this.received.push(msg);
      this.#autoAnswer(msg);
    }
  }

  /** A UAS: 200 to INVITE (with our Contact and the Record-Route set), 200 to BYE; ACK needs none. */
  #autoAnswer(msg: string): void {
    const method = /^([A-Z]+) /.exec(msg)?.[1];
    if (method !== 'INVITE' && method !== 'BYE') return;
    const to = headers(msg, 'To', 't')[0]!;
    const lines = [
      'SIP/2.0 200 OK',
      ...headers(msg, 'Via', 'v').map((v) => `Via: ${v}`),
      ...(method === 'INVITE' ? headers(msg, 'Record-Route').map((r) => `Record-Route: ${r}`) : []),
      `From: ${headers(msg, 'From', 'f')[0]}`,
      `To: ${to.includes(';tag=') ? to : `${to};tag=ua${randomBytes(3).toString('hex')}`}`,
      `Call-ID: ${headers(msg, 'Call-ID', 'i')[0]}`,
      `CSeq: ${headers(msg, 'CSeq')[0]}`,
      ...(method === 'INVITE' ? [`Contact: <sip:${this.user}@${this.local};transport=tcp>`] : []),
      'Content-Length: 0',
      '',
      '',
    ];
    this.send(lines.join('\r\n'));
  }
}
