/**
 * @module transport/udp-native
 * The UDP socket adapter on the native accelerator (native/udp, issue 20): the same surface as
 * udp.ts's UdpTransport, but the socket is read with one recvmmsg per readable event and this
 * class is called once per batch of up to 32 datagrams; what the batch's handlers send leaves in
 * one sendmmsg when the batch ends (else on the next check phase). No 64 KiB allocation, rinfo
 * object, MakeCallback or SendWrap per datagram.
 *
 * Each datagram goes up as a view on the receive slab the native side copied it into (one memcpy
 * there, no Buffer allocation or C++ crossing here). The slab is reused by the next batch, so the
 * view is valid only while the handler runs (transport/contract.ts MessageHandler): what outlives
 * it is copied where it is kept (serial failover's INVITE). RFC 3261 §18.1.1: a
 * slot holds 65535 bytes, so no datagram is ever truncated (native/udp/src/udp.c says why that
 * costs no memory). Keepalives are recognised natively and never become Buffers.
 */
import net from 'node:net';
import { ipFamily, type HostPort } from './address.js';
import type { SendTarget } from './contract.js';
import { fastLookup } from './lookup.js';
import { UdpEndpointBase } from './udp-endpoint-base.js';
import type { NativeUdpAddon, NativeUdpSocket } from './native-addon.js';
import { bindError, publishDrop, type UdpTransportOptions } from './udp-endpoint.js';

const EINVAL = 22;
const EBADF = 9;

type SendFn = (buf: Buffer, host: string, port: number) => number;
/** Source addresses rendered as strings, by IPv4 number: a proxy hears from few peers. */
const ADDRESS_CACHE_MAX = 4096;

/** An errno as Node reports a failed send: `send ECONNREFUSED 127.0.0.1:5060`, with code/errno/syscall. */
function sendError(addon: NativeUdpAddon, errno: number, syscall: string, host: string, port: number): NodeJS.ErrnoException {
  const code = addon.errnoName(errno);
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}${host ? ` ${host}:${port}` : ''}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  return err;
}

export class NativeUdpTransport extends UdpEndpointBase {
  readonly engine = 'native';
  readonly #addon: NativeUdpAddon;
  readonly #opts: UdpTransportOptions;
  readonly #socket: NativeUdpSocket;
  /** The receive slab the datagrams of the current batch are in (rewritten by the next batch), and the per-datagram meta (udp.c layout). */
  #slab: Buffer = Buffer.alloc(0);
  #meta: Int32Array = new Int32Array(0);
  #metaBytes: Buffer = Buffer.alloc(0);
  readonly #v4Names = new Map<number, string>();
  /** The socket's send, bound natively at bind (no unwrap per datagram); used only while open. */
  #sendTo: SendFn = () => EBADF;
  /** The last IPv4 source looked up: a batch often holds several datagrams from one peer. */
  #lastV4Key = 0;
  #lastV4Name = '';
  /** Inside a batch callback: sends are flushed by the native side when it returns. */
  #inBatch = false;
  #flushScheduled = false;
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (!this.closed) this.#socket.flush();
  };
  // Backlog measurement (transport/backlog-meter.ts): a batch is one recvmmsg of at most
  // addon.slots datagrams, the same limit libuv reads per event for dgram, so a full batch means
  // the queue may not have emptied. If the next loop turn brings no batch, it had: end the run.
  #batches = 0;
  #lastFull = false;
  #armed = false;
  #armedAt = 0;
  readonly #arm = (): void => {
    this.#armedAt = this.#batches;
    setImmediate(this.#check); // runs after the next poll phase
  };
  readonly #check = (): void => {
    this.#armed = false;
    if (!this.watching) return;
    if (this.#batches === this.#armedAt) this.backlog.batchEnded(0);
    else if (this.#lastFull) this.#armFull();
  };

  constructor(addon: NativeUdpAddon, opts: UdpTransportOptions) {
    super();
    this.#addon = addon;
    this.#opts = opts;
    this.#socket = new addon.UdpSocket(
      (n, slab) => this.#receive(n, slab),
      (errno, syscall, host, port) => this.#failed(sendError(addon, errno, syscall, host, port)),
    );
  }

  start(): Promise<HostPort> {
    const { listen, recvBufferBytes, sendBufferBytes } = this.#opts;
    const family = ipFamily(listen.host) === 6 ? 6 : 4;
    const r = this.#socket.bind(family, listen.host, listen.port, recvBufferBytes, sendBufferBytes);
    if (r[0] !== 0) return Promise.reject(bindError(listen, sendError(this.#addon, r[0], String(r[1]), '', 0)));
    const [, host, port, recv, send, meta, sendTo] = r as [number, string, number, number, number, ArrayBuffer, SendFn];
    this.#sendTo = sendTo;
    this.bound = { host, port };
    this.granted = { recv, send };
    this.#meta = new Int32Array(meta);
    this.#metaBytes = Buffer.from(meta);
    return Promise.resolve(this.bound);
  }

  /** Queue a datagram; it leaves with the batch's sendmmsg. Failures go to onSendError. */
  send(buf: Buffer, target: SendTarget): void {
    if (this.closed) return;
    const err = this.#sendTo(buf, target.host, target.port);
    if (err === 0) {
      if (!this.#inBatch && !this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flush);
      }
      return;
    }
    // The native side takes IP literals only: a name is resolved here first.
    if (err === EINVAL && net.isIP(target.host) === 0) {
      this.#resolveThenSend(buf, target);
      return;
    }
    this.#failed(sendError(this.#addon, err, 'send', target.host, target.port));
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.#socket.close(); // what is queued still leaves first
    }
    return Promise.resolve();
  }

  #resolveThenSend(buf: Buffer, target: SendTarget): void {
    const family = this.bound !== undefined && ipFamily(this.bound.host) === 6 ? 0 : 4;
    fastLookup(target.host, family, (err, address) => {
      if (err) this.#failed(err);
      // A single-address lookup (no `all`): the address is a string.
      else this.send(buf, { ...target, host: address as string });
    });
  }

  #failed(err: Error): void {
    this.#opts.onSendError?.(err);
  }

  /** One recvmmsg batch of `n` datagrams (called by the native poll callback), in `slab` when it is not the last batch's. */
  #receive(n: number, slab: Buffer | undefined): void {
    if (slab !== undefined) this.#slab = slab;
    const meta = this.#meta;
    const stride = this.#addon.metaInts;
    this.#inBatch = true;
    try {
      for (let i = 0; i < n; i++) {
        const m = i * stride;
        const offset = meta[m]!;
        const length = meta[m + 1]!;
        if (length < 0) {
          this.#dropped(length);
          continue;
        }
        this.handler(this.#slab.subarray(offset, offset + length), { transport: 'udp', address: this.#sourceAddress(m), port: meta[m + 2]! });
      }
    } finally {
      this.#inBatch = false;
    }
    if (this.watching) {
      this.#batches++;
      this.backlog.batchEnded(n);
      this.#lastFull = n >= this.#addon.slots;
      if (this.#lastFull) this.#armFull();
    }
  }

  /** A datagram the native side did not store: a keepalive, truncated (MSG_TRUNC) or no memory. */
  #dropped(length: number): void {
    if (length === this.#addon.lenKeepalive) publishDrop({ reason: 'keepalive' });
    else publishDrop({ reason: 'size', detail: length === this.#addon.lenTruncated ? 'truncated datagram' : 'no memory for the datagram' });
  }

  #armFull(): void {
    if (this.#armed) return;
    this.#armed = true;
    setImmediate(this.#arm);
  }

  /** The source address of the datagram whose meta starts at int `m`, as text. */
  #sourceAddress(m: number): string {
    if (this.#meta[m + 3] !== 4) {
      const text = m * 4 + this.#addon.metaTextByte;
      return this.#metaBytes.toString('latin1', text, text + this.#meta[m + 5]!);
    }
    // IPv4: the native side gives the address's 4 bytes only; they are named here once per peer.
    const key = this.#meta[m + 4]!;
    if (key === this.#lastV4Key && this.#lastV4Name !== '') return this.#lastV4Name;
    let name = this.#v4Names.get(key);
    if (name === undefined) {
      if (this.#v4Names.size >= ADDRESS_CACHE_MAX) this.#v4Names.clear();
      const b = this.#metaBytes;
      const at = (m + 4) * 4;
      name = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
      this.#v4Names.set(key, name);
    }
    this.#lastV4Key = key;
    this.#lastV4Name = name;
    return name;
  }
}
