/**
 * @module transport/udp
 * The UDP socket adapter: binds one datagram socket, drops what can never be SIP (bare CRLF
 * keep-alives) and hands every other datagram upward through the callback it was given, whatever
 * its size: the size cap is SIP policy (a request over it is answered 513), applied by the proxy.
 * libuv reads each datagram into a 64 KiB buffer, so every IPv4 UDP payload (<= 65507 bytes)
 * arrives whole (RFC 3261 §18.1.1: be prepared to receive 65535 bytes). Requests to backends are sent from this same socket, so replies come
 * back to it (and sipp UAS peers, which answer the request's source address, work).
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ipFamily, type HostPort } from './address.js';
import type { MessageHandler, SendTarget } from './contract.js';
import { BacklogMeter, LIBUV_READ_BATCH } from './backlog-meter.js';
import { fastLookup } from './lookup.js';
import { bindError, isKeepalive, publishDrop, type UdpEndpoint, type UdpTransportOptions } from './udp-endpoint.js';


export { isKeepalive, type UdpTransportOptions } from './udp-endpoint.js';

/** A socket option read that may throw (e.g. on a platform without it): undefined then. */
function readSize(read: () => number): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export class UdpTransport implements UdpEndpoint {
  readonly engine = 'dgram';
  readonly #opts: UdpTransportOptions;
  readonly #socket: dgram.Socket;
  #handler: MessageHandler = () => {};
  #bound: HostPort | undefined;
  #closed = false;
  /** SO_RCVBUF/SO_SNDBUF as the kernel granted them, read once at bind (they do not change after). */
  #grantedBuffers: { readonly recv: number | undefined; readonly send: number | undefined } | undefined;
  readonly #backlog = new BacklogMeter(() => performance.now());
  /** Whether read batches are measured (off while the node is mostly idle: a queue can only stay non-empty under load). */
  #watchBacklog = true;
  /** Datagrams delivered in the current read batch; it ends in the loop's check phase. */
  #batch = 0;
  #batchWatched = false;
  readonly #endBatch = (): void => {
    const n = this.#batch;
    this.#batch = 0;
    if (!this.#watchBacklog) {
      this.#batchWatched = false;
      return;
    }
    this.#backlog.batchEnded(n);
    // A full batch says nothing about what is left: watch the next loop turn too, so that a
    // queue that emptied exactly at the limit ends the run (as a batch of 0) instead of idling in it.
    this.#batchWatched = n >= LIBUV_READ_BATCH;
    if (this.#batchWatched) setImmediate(this.#endBatch);
  };

  constructor(opts: UdpTransportOptions) {
    this.#opts = opts;
    const family = ipFamily(opts.listen.host) === 6 ? 'udp6' : 'udp4';
    this.#socket = dgram.createSocket({
      type: family,
      recvBufferSize: opts.recvBufferBytes,
      sendBufferSize: opts.sendBufferBytes,
      lookup: fastLookup as unknown as dgram.SocketOptions['lookup'],
    });
    this.#socket.on('message', (buf, from) => this.#receive(buf, from));
    // Send failures and late socket errors must never crash the node: report and go on.
    this.#socket.on('error', (err) => {
      if (this.#bound) this.#opts.onSendError?.(err);
    });
  }

  /** Register the single upward callback (wired in app.ts). */
  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  /**
   * Turn the backlog measurement on or off. It costs one immediate per loop turn that received
   * datagrams, so the admission control turns it off while the event loop is mostly idle (a queue
   * that stays non-empty keeps the loop busy, so nothing is missed) and on as soon as it is not.
   */
  watchBacklog(on: boolean): void {
    if (on === this.#watchBacklog) return;
    this.#watchBacklog = on;
    if (!on) this.#backlog.reset();
  }

  /** The longest time (ms) the receive queue stayed non-empty since the last call (see BacklogMeter). */
  takeBacklogMs(): number {
    return this.#backlog.takeLongestMs();
  }

  /** The receive buffer the kernel granted (SO_RCVBUF, doubled for its bookkeeping), once bound. */
  get recvBufferBytes(): number | undefined {
    return this.#closed ? undefined : this.#grantedBuffers?.recv;
  }

  /** The send buffer the kernel granted (SO_SNDBUF, doubled like the receive buffer), once bound. */
  get sendBufferBytes(): number | undefined {
    return this.#closed ? undefined : this.#grantedBuffers?.send;
  }

  get address(): HostPort | undefined {
    return this.#bound;
  }

  /** Bind the socket. Rejects with SIPLB_ERR_BIND saying which address and why. */
  start(): Promise<HostPort> {
    const { host, port } = this.#opts.listen;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(bindError(this.#opts.listen, err));
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        const a = this.#socket.address();
        this.#bound = { host: a.address, port: a.port };
        this.#grantedBuffers = { recv: readSize(() => this.#socket.getRecvBufferSize()), send: readSize(() => this.#socket.getSendBufferSize()) };
        resolve(this.#bound);
      });
    });
  }

  /** Send a datagram. Fire and forget: UDP has no delivery report; failures go to onSendError. */
  send(buf: Buffer, target: SendTarget): void {
    if (this.#closed) return;
    // No per-send callback (it would allocate a closure per datagram): without one, dgram
    // reports a failed send as an 'error' event on the socket, handled in the constructor.
    this.#socket.send(buf, target.port, target.host);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }

  #receive(buf: Buffer, from: dgram.RemoteInfo): void {
    // libuv delivers a batch of reads within one poll phase; an immediate runs right after it.
    if (this.#watchBacklog) {
      this.#batch++;
      if (!this.#batchWatched) {
        this.#batchWatched = true;
        setImmediate(this.#endBatch);
      }
    }
    if (isKeepalive(buf)) {
      publishDrop({ reason: 'keepalive' });
      return;
    }
    this.#handler(buf, { transport: 'udp', address: from.address, port: from.port });
  }
}
