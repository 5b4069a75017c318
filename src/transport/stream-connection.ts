/**
 * @module transport/stream-connection
 * One TCP or TLS connection: its socket, its framer, and a bounded queue of writes made while it
 * is still connecting. It hands complete messages to its owner (transport/stream.ts) and answers
 * what the framer reports: a CRLF to a CRLFCRLF ping (RFC 5626 §4.4.1), a 400 then close to a
 * message without Content-Length, an immediate close when the stream cannot be framed (§18.3).
 */
import type net from 'node:net';
import { channels } from '../observe/channels.js';
import type { CloseReason, ConnectionEntry, ConnectionTable } from './connections.js';
import type { MessageSource } from './contract.js';
import { StreamFramer, type FramerSink, type FramingErrorReason, type StreamFramerOptions } from './stream-framer.js';
import { missingContentLengthReply } from './stream-reply.js';

const CRLF = Buffer.from('\r\n', 'latin1');
/** After the 400 for a missing Content-Length: how long to wait for the peer to close before resetting. */
const LINGER_MS = 2000;

export interface WriteLimits {
  /** Bytes queued on a connection still connecting; sends past this are dropped and reported. @default 262144 */
  readonly maxQueueBytes: number;
  /** Bytes written but not yet taken by the kernel; past this the peer is not reading and the connection is closed. @default 1048576 */
  readonly maxWriteBacklogBytes: number;
}

export const DEFAULT_WRITE_LIMITS: WriteLimits = Object.freeze({ maxQueueBytes: 262_144, maxWriteBacklogBytes: 1_048_576 });

/** What a connection needs from the transport that owns it. */
export interface ConnectionOwner {
  readonly table: ConnectionTable;
  readonly writeLimits: WriteLimits;
  deliver(buf: Buffer, source: MessageSource): void;
  /** The connection is established (accepted, connected or TLS handshake done). */
  opened(conn: StreamConnection): void;
  /** The socket closed; `error` is the socket error that closed it, if any. */
  closed(conn: StreamConnection, reason: CloseReason, error: Error | undefined): void;
}

type ConnState = 'handshake' | 'connecting' | 'open' | 'closing' | 'closed';

export class StreamConnection implements FramerSink {
  readonly entry: ConnectionEntry;
  /** Handed up with every message; one object per connection (no allocation per message). */
  readonly source: MessageSource;
  readonly #owner: ConnectionOwner;
  readonly #framer: StreamFramer;
  #socket: net.Socket | undefined;
  #state: ConnState;
  /** Outbound: the TCP connect completed (a failure after it, on TLS, is a handshake failure). */
  #tcpUp = false;
  #queue: Buffer[] = [];
  #queued = 0;
  /** Messages handed up so far (tells the table a started message is a new one). */
  #delivered = 0;
  #reason: CloseReason | undefined;
  #error: Error | undefined;

  constructor(owner: ConnectionOwner, entry: ConnectionEntry, framing: StreamFramerOptions) {
    this.#owner = owner;
    this.entry = entry;
    this.#framer = new StreamFramer(framing);
    this.source = Object.freeze({ transport: entry.transport, address: entry.address, port: entry.port, connectionId: entry.id });
    this.#state = entry.direction === 'out' ? 'connecting' : 'handshake';
  }

  /** Whether a send may use it (open, or connecting with writes queued). */
  get usable(): boolean {
    return this.#state === 'open' || this.#state === 'connecting';
  }

  /** Bytes not yet handed to the kernel: the pool prefers the least loaded connection. */
  get pendingBytes(): number {
    return this.#state === 'open' ? (this.#socket?.writableLength ?? 0) : this.#queued;
  }

  /** Why it closed (or is closing), once known. */
  get closeReason(): CloseReason | undefined {
    return this.#reason;
  }

  /**
   * Inbound TLS, before the handshake ends: the raw TCP socket, so a deadline or shutdown can
   * close it and its close is noticed if the handshake never completes.
   */
  holdRaw(raw: net.Socket): void {
    this.#socket = raw;
    raw.on('error', (err) => this.#failed(err));
    raw.once('close', () => {
      if (this.#state === 'handshake' || this.#state === 'closing') this.#finish();
    });
  }

  /** Handshake failed (inbound TLS): remember why before the socket closes. */
  handshakeFailed(err: Error): void {
    this.#reason ??= 'tls-handshake';
    this.#error ??= err;
  }

  /** Take over `socket`: an accepted TCP socket or a TLS socket after its handshake (open), or an outbound one (connecting). */
  attach(socket: net.Socket, tls: boolean): void {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (err) => this.#failed(err));
    socket.once('close', () => this.#finish());
    if (this.#state !== 'connecting') {
      this.#open();
      return;
    }
    socket.once('connect', () => {
      this.#tcpUp = true;
      if (!tls) this.#open();
    });
    if (tls) socket.once('secureConnect', () => this.#open());
  }

  /**
   * Write one message. False when it was dropped (closing, or the connect queue is full); the
   * caller reports that. A peer that stops reading is closed rather than buffered for without end.
   */
  write(buf: Buffer): boolean {
    if (this.#state === 'connecting' || this.#state === 'handshake') {
      if (this.#queued + buf.length > this.#owner.writeLimits.maxQueueBytes) return false;
      this.#queue.push(buf);
      this.#queued += buf.length;
      return true;
    }
    const s = this.#socket;
    if (this.#state !== 'open' || s === undefined) return false;
    s.write(buf);
    this.#owner.table.activity(this.entry, false, this.#framer.midMessage);
    if (s.writableLength > this.#owner.writeLimits.maxWriteBacklogBytes) this.destroy('write-backlog');
    return true;
  }

  /** Close at once (deadline, framing error, shutdown). The owner hears of it when the socket has closed. */
  destroy(reason: CloseReason): void {
    if (this.#state === 'closed') return;
    this.#reason ??= reason;
    this.#state = 'closing';
    this.#framer.finish();
    this.#queue = [];
    this.#queued = 0;
    if (this.#socket === undefined) this.#finish();
    else this.#socket.destroy();
  }

  // FramerSink: what the framer found in the bytes read.

  onMessage(buf: Buffer): void {
    this.#delivered++;
    this.#owner.deliver(buf, this.source);
  }

  onPing(): void {
    // RFC 5626 §4.4.1: a double-CRLF ping is answered with a single-CRLF pong, at once.
    this.#socket?.write(CRLF);
  }

  onMissingContentLength(headers: Buffer): void {
    this.#publishFraming('missing-content-length');
    this.#reason ??= 'missing-content-length';
    this.#state = 'closing';
    const s = this.#socket;
    if (s === undefined) return;
    // §18.3: answer 400 and close; keep reading (and ignoring) until the peer closes, so unread
    // bytes do not turn our close into a reset that could discard the 400 before it is read.
    const reply = missingContentLengthReply(headers, this.source);
    if (reply === undefined) s.end();
    else s.end(reply);
    setTimeout(() => s.destroy(), LINGER_MS).unref();
  }

  onFatal(reason: FramingErrorReason): void {
    this.#publishFraming(reason);
    this.destroy('framing');
  }

  #publishFraming(reason: string): void {
    if (channels.framingError.hasSubscribers) channels.framingError.publish({ transport: this.entry.transport, reason, connectionId: this.entry.id });
  }

  #open(): void {
    if (this.#state !== 'connecting' && this.#state !== 'handshake') return;
    this.#state = 'open';
    const s = this.#socket;
    if (s === undefined) return;
    s.setNoDelay(true); // one write per SIP message: Nagle would only delay it
    this.#owner.table.connected(this.entry);
    this.#owner.opened(this);
    if (this.#queue.length > 0) {
      const q = this.#queue;
      this.#queue = [];
      this.#queued = 0;
      s.cork();
      for (const b of q) s.write(b);
      s.uncork();
      this.#owner.table.activity(this.entry, false, false);
    }
  }

  #read(chunk: Buffer): void {
    const before = this.#delivered;
    this.#framer.push(chunk, this);
    if (this.#state === 'open') this.#owner.table.activity(this.entry, true, this.#framer.midMessage, this.#delivered !== before);
  }

  #failed(err: Error): void {
    this.#error ??= err;
    if (this.#state === 'connecting') this.#reason ??= this.#tcpUp ? 'tls-handshake' : 'connect-failed';
    else this.#reason ??= 'error';
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#framer.finish();
    this.#queue = [];
    this.#queued = 0;
    this.#owner.closed(this, this.#reason ?? 'peer', this.#error);
  }
}
