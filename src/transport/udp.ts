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
import { ipFamily, type HostPort } from './address.js';
import type { SendTarget } from './contract.js';
import { LIBUV_READ_BATCH } from './backlog-meter.js';
import { fastLookup } from './lookup.js';
import { UdpEndpointBase } from './udp-endpoint-base.js';
import { bindError, isKeepalive, publishDrop, type UdpTransportOptions } from './udp-endpoint.js';


export { isKeepalive, type UdpTransportOptions } from './udp-endpoint.js';

/** A socket option read that may throw (e.g. on a platform without it): undefined then. */
function readSize(read: () => number): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export class UdpTransport extends UdpEndpointBase {
  readonly engine = 'dgram';
  readonly #opts: UdpTransportOptions;
  readonly #socket: dgram.Socket;
  /** Datagrams delivered in the current read batch; it ends in the loop's check phase. */
  #batch = 0;
  #batchWatched = false;
  readonly #endBatch = (): void => {
    const n = this.#batch;
    this.#batch = 0;
    if (!this.watching) {
      this.#batchWatched = false;
      return;
    }
    this.backlog.batchEnded(n);
    // A full batch says nothing about what is left: watch the next loop turn too, so that a
    // queue that emptied exactly at the limit ends the run (as a batch of 0) instead of idling in it.
    this.#batchWatched = n >= LIBUV_READ_BATCH;
    if (this.#batchWatched) setImmediate(this.#endBatch);
  };

  constructor(opts: UdpTransportOptions) {
    super();
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
      if (this.bound) this.#opts.onSendError?.(err);
    });
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
        this.bound = { host: a.address, port: a.port };
        this.granted = { recv: readSize(() => this.#socket.getRecvBufferSize()), send: readSize(() => this.#socket.getSendBufferSize()) };
        resolve(this.bound);
      });
    });
  }

  /** Send a datagram. Fire and forget: UDP has no delivery report; failures go to onSendError. */
  send(buf: Buffer, target: SendTarget): void {
    if (this.closed) return;
    // No per-send callback (it would allocate a closure per datagram): without one, dgram
    // reports a failed send as an 'error' event on the socket, handled in the constructor.
    this.#socket.send(buf, target.port, target.host);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
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
    if (this.watching) {
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
    this.handler(buf, { transport: 'udp', address: from.address, port: from.port });
  }
}
