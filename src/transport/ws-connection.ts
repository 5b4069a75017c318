/**
 * @module transport/ws-connection
 * One SIP-over-WebSocket connection after its upgrade (RFC 7118): every WebSocket message, text or
 * binary, is exactly one SIP message (§5.1), handed to the owner with the connection's source; a
 * message of nothing but CRLFs carrying a CRLFCRLF is a keep-alive ping, answered with one CRLF
 * (RFC 5626 §4.4.1; JsSIP and SIP.js send it). A WebSocket Ping goes out every interval and the
 * connection is closed when the previous one's Pong has not come back (RFC 6455 §5.5.2; NATs drop
 * quiet connections, and a sleeping device leaves a zombie otherwise). One ws.send per SIP
 * message; a client that stops reading is closed rather than buffered for without end.
 */
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import { channels } from '../observe/channels.js';
import type { CloseReason, ConnectionEntry, ConnectionTable } from './connections.js';
import type { MessageSource } from './contract.js';

const CRLF = '\r\n';
const CR = 13;
const LF = 10;
/** RFC 6455 §7.4.1: 1001 going away (shutdown), 1008 policy violation, 1009 message too big. */
const GOING_AWAY = 1001;

/** What a connection needs from the transport that owns it. */
export interface WsConnectionOwner {
  readonly table: ConnectionTable;
  /** Bytes queued in ws for one client beyond which it is closed ('write-backlog'). */
  readonly maxBufferedBytes: number;
  deliver(buf: Buffer, source: MessageSource): void;
  closed(conn: WsConnection, reason: CloseReason): void;
}

type WsState = 'open' | 'closing' | 'closed';

/** True for a keep-alive: only CR and LF, with a CRLFCRLF in it (a lone CRLF is a pong: not answered). */
export function isCrlfPing(buf: Buffer): 'ping' | 'pong' | undefined {
  if (buf.length === 0) return undefined;
  for (const b of buf) if (b !== CR && b !== LF) return undefined;
  return buf.includes('\r\n\r\n') ? 'ping' : 'pong';
}

export class WsConnection {
  readonly entry: ConnectionEntry;
  /** Handed up with every message; one object per connection (no allocation per message). */
  readonly source: MessageSource;
  readonly #owner: WsConnectionOwner;
  readonly #ws: WebSocket;
  #state: WsState = 'open';
  #reason: CloseReason | undefined;
  /** When the Ping now awaiting its Pong went out (performance.now), or -1 when none is due. */
  #pingSentAt = -1;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(owner: WsConnectionOwner, entry: ConnectionEntry, ws: WebSocket, pingIntervalMs: number) {
    this.#owner = owner;
    this.entry = entry;
    this.#ws = ws;
    this.source = Object.freeze({ transport: entry.transport, address: entry.address, port: entry.port, connectionId: entry.id });
    ws.on('message', (data: Buffer) => this.#read(data));
    ws.on('pong', () => this.#pong());
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after a protocol error (1002/1007/1009).
      this.#reason ??= err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'too-large' : 'framing';
    });
    ws.once('close', () => this.#finish());
    if (pingIntervalMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), pingIntervalMs);
      this.#heartbeat.unref();
    }
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  /**
   * Send one SIP message as one WebSocket message: a text frame (RFC 7118 §5.1), or a binary one
   * when the bytes are not UTF-8 (a text frame must be, RFC 6455 §5.6). False when closing.
   */
  write(buf: Buffer): boolean {
    if (this.#state !== 'open') return false;
    this.#ws.send(buf, { binary: !isUtf8(buf) });
    this.#owner.table.activity(this.entry, false, false);
    if (this.#ws.bufferedAmount > this.#owner.maxBufferedBytes) this.destroy('write-backlog');
    return true;
  }

  /** Close at once (deadline, heartbeat, backlog); 'shutdown' says goodbye with 1001 first. */
  destroy(reason: CloseReason): void {
    if (this.#state !== 'open') return;
    this.#reason ??= reason;
    this.#state = 'closing';
    this.#stopHeartbeat();
    if (reason === 'shutdown') {
      this.#ws.close(GOING_AWAY, 'shutdown');
      setTimeout(() => this.#ws.terminate(), 1000).unref();
    } else this.#ws.terminate();
  }

  #read(data: Buffer): void {
    if (this.#state !== 'open') return;
    this.#owner.table.activity(this.entry, true, false);
    const crlf = isCrlfPing(data);
    if (crlf === 'ping') this.#ws.send(CRLF);
    else if (crlf === undefined) this.#owner.deliver(data, this.source);
  }

  #beat(): void {
    if (this.#state !== 'open') return;
    if (this.#pingSentAt >= 0) {
      this.destroy('ping-timeout');
      return;
    }
    this.#pingSentAt = performance.now();
    this.#ws.ping();
  }

  #pong(): void {
    if (this.#pingSentAt < 0) return; // unsolicited Pong (RFC 6455 §5.5.3): no reply expected
    const rtt = (performance.now() - this.#pingSentAt) / 1000;
    this.#pingSentAt = -1;
    if (channels.wsPing.hasSubscribers) channels.wsPing.publish({ transport: this.entry.transport, rttSeconds: rtt });
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopHeartbeat();
    this.#owner.closed(this, this.#reason ?? 'peer');
  }
}
