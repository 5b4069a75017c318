/**
 * @module transport/stream
 * The TCP and TLS transport (node:net, node:tls): listens (optionally), frames each connection's
 * bytes into SIP messages and hands them up with their connection id, and sends over the
 * connection a target names, else over any open connection to the target's address, else over a
 * new one (RFC 3261 §18.2.2: a response goes back on the connection its request came in on;
 * only when that is gone is a new one opened). Outbound connections are pooled per destination
 * and reused; what they read (responses from backends) is handed up the same way.
 *
 * Failures never throw: they are reported to `onError` and on observe/channels.
 */
import net from 'node:net';
import tls from 'node:tls';
import { channels } from '../observe/channels.js';
import { publishFlowGone } from './flow-gone.js';
import { addressKey, type HostPort } from './address.js';
import { ConnectionTable, FAILURE_REASONS, type Clock, type CloseReason, type ConnectionLimits, type ConnectionStats, type Direction } from './connections.js';
import type { ConnectionOwningSender, MessageHandler, MessageSource, SendTarget } from './contract.js';
import { listenOn, peerKey, plainAddress } from './listen-server.js';
import { fastLookup } from './lookup.js';
import { DEFAULT_WRITE_LIMITS, StreamConnection, type ConnectionOwner, type WriteLimits } from './stream-connection.js';
import type { StreamFramerOptions } from './stream-framer.js';
import { clientOptions, readTlsMaterial, serverOptions, type StreamTlsOptions, type TlsMaterial } from './tls-material.js';

export type StreamTransportKind = 'tcp' | 'tls';

export interface StreamTransportOptions {
  readonly transport: StreamTransportKind;
  /** Address to listen on; absent for a connect-only instance (e.g. health probes). */
  readonly listen?: HostPort;
  /** TLS files and policy; required for 'tls' (a connect-only TLS instance may leave the files out). */
  readonly tls?: StreamTlsOptions;
  /** Header and message size caps (stream-framer.ts). */
  readonly framing?: StreamFramerOptions;
  /** Caps and deadlines (connections.ts), used when no shared `connections` table is given. */
  readonly limits?: Partial<ConnectionLimits>;
  /** A table shared with another stream transport, so caps count TCP and TLS together. @default a table of its own */
  readonly connections?: ConnectionTable;
  /** Injected clock for the table this instance creates. @default the system clock */
  readonly clock?: Clock;
  /**
   * Outbound connections kept per destination. One connection carries SIP at thousands of
   * messages per second; another is opened only while every existing one has a write backlog
   * (the peer reads slowly). @default 2
   */
  readonly maxConnectionsPerDestination?: number;
  /** Queued-write and write-backlog bounds (stream-connection.ts). */
  readonly writeLimits?: Partial<WriteLimits>;
  /** Told of every failure: a send dropped, a connect or handshake that failed, a socket error. */
  readonly onError?: (report: StreamErrorReport) => void;
}

/** One failure, with the address involved. `reason` is a CloseReason or why a send was dropped. */
export interface StreamErrorReport {
  readonly transport: StreamTransportKind;
  readonly reason: CloseReason | 'queue-full' | 'transport-closed' | 'flow-gone';
  readonly direction: Direction;
  readonly host: string;
  readonly port: number;
  readonly connectionId?: number;
  readonly error?: Error;
}

/** A connection whose unsent bytes stay under this is used for a new send rather than opening another. */
const POOL_HIGH_WATER = 65_536;

export class StreamTransport implements ConnectionOwningSender, ConnectionOwner {
  readonly table: ConnectionTable;
  readonly writeLimits: WriteLimits;
  readonly #opts: StreamTransportOptions;
  readonly #kind: StreamTransportKind;
  readonly #conns = new Map<number, StreamConnection>();
  /** Inbound TLS connections in their handshake, by the raw socket's remote `address:port`. */
  readonly #handshaking = new Map<string, StreamConnection>();
  #handler: MessageHandler = () => {};
  #server: net.Server | tls.Server | undefined;
  #material: TlsMaterial = {};
  #bound: HostPort | undefined;
  #closed = false;

  constructor(opts: StreamTransportOptions) {
    this.#opts = opts;
    this.#kind = opts.transport;
    this.table = opts.connections ?? new ConnectionTable(opts.limits, opts.clock);
    this.writeLimits = { ...DEFAULT_WRITE_LIMITS, ...opts.writeLimits };
  }

  get transport(): StreamTransportKind {
    return this.#kind;
  }

  /** Register the single upward callback (wired in app.ts). */
  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  get address(): HostPort | undefined {
    return this.#bound;
  }

  /** Connection counters and gauges (open by transport/direction, refused, closed by reason). */
  stats(): ConnectionStats {
    return this.table.stats();
  }

  /**
   * Read the TLS files and listen, when `listen` is set. Resolves with the bound address, or
   * undefined for a connect-only instance. Rejects with SIPLB_ERR_TLS_FILES or SIPLB_ERR_BIND.
   */
  async start(): Promise<HostPort | undefined> {
    const listen = this.#opts.listen;
    if (this.#kind === 'tls') this.#material = await readTlsMaterial(this.#opts.tls ?? {}, listen !== undefined);
    if (listen === undefined) return undefined;
    const server = this.#kind === 'tls' ? this.#tlsServer() : net.createServer((s) => this.#acceptTcp(s));
    this.#server = server;
    // A later server error (e.g. EMFILE on accept) must not crash the node: report it.
    this.#bound = await listenOn(server, listen, this.#kind.toUpperCase(), (err) =>
      this.#report({ reason: 'error', direction: 'in', host: listen.host, port: listen.port, error: err }),
    );
    return this.#bound;
  }

  /**
   * Re-read the certificate, key and CA files. New handshakes use them; established connections
   * keep theirs and stay up. Rejects (keeping the old certificate) when the files are unusable.
   */
  async reloadCertificates(): Promise<void> {
    if (this.#kind !== 'tls') return;
    const m = await readTlsMaterial(this.#opts.tls ?? {}, this.#server !== undefined);
    this.#material = m;
    (this.#server as tls.Server | undefined)?.setSecureContext(serverOptions(m, this.#opts.tls ?? {}));
  }

  /** Whether connection `id` of this transport is open and can carry a message. */
  isOpen(id: number): boolean {
    return this.#conns.get(id)?.usable === true;
  }

  /** Send one message. Fire and forget: failures go to onError and channels, never thrown. */
  send(buf: Buffer, target: SendTarget): void {
    if (this.#closed) {
      this.#report({ reason: 'transport-closed', direction: 'out', host: target.host, port: target.port, connectionId: target.connectionId });
      return;
    }
    let conn = target.connectionId === undefined ? undefined : this.#conns.get(target.connectionId);
    if (conn !== undefined && !conn.usable) conn = undefined;
    if (conn === undefined && target.connectionOnly === true) {
      // The flow closed between the token check and this send: the request is lost like any
      // datagram (the registrar's transaction times out and it tries the client's other flow).
      publishFlowGone(target);
      this.#report({ reason: 'flow-gone', direction: 'out', host: target.host, port: target.port, connectionId: target.connectionId });
      return;
    }
    conn ??= this.#pick(addressKey(target.host, target.port)) ?? this.#connect(target.host, target.port);
    if (!conn.write(buf)) {
      this.#report({ reason: 'queue-full', direction: conn.entry.direction, host: target.host, port: target.port, connectionId: conn.entry.id });
    }
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const server = this.#server;
    const stopped = server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    for (const c of [...this.#conns.values()]) c.destroy('shutdown');
    await stopped;
  }

  // ConnectionOwner

  deliver(buf: Buffer, source: MessageSource): void {
    this.#handler(buf, source);
  }

  opened(conn: StreamConnection): void {
    this.#publish(conn, 'opened', undefined);
  }

  closed(conn: StreamConnection, reason: CloseReason, error: Error | undefined): void {
    const e = conn.entry;
    this.#conns.delete(e.id);
    if (this.#handshaking.get(e.key) === conn) {
      this.#handshaking.delete(e.key);
      this.table.handshakeEnded();
    }
    this.table.remove(e, reason);
    this.#publish(conn, 'closed', reason);
    if (reason === 'tls-handshake' && channels.tlsHandshakeFailure.hasSubscribers) {
      channels.tlsHandshakeFailure.publish({ direction: e.direction, reason: errorCode(error), connectionId: e.id });
    }
    if (FAILURE_REASONS.has(reason)) this.#report({ reason, direction: e.direction, host: e.address, port: e.port, connectionId: e.id, error });
  }

  // Inbound

  #tlsServer(): tls.Server {
    const opts = this.#opts.tls ?? {};
    // The table's first-byte deadline closes a silent handshake (counted as such); node's own
    // handshake timeout is only the backstop, a little later.
    const server = tls.createServer({ ...serverOptions(this.#material, opts), handshakeTimeout: this.table.limits.firstByteMs + 1000 });
    server.on('connection', (raw: net.Socket) => this.#acceptRawTls(raw));
    server.on('secureConnection', (s: tls.TLSSocket) => {
      const conn = this.#handshaking.get(peerKey(s));
      if (conn === undefined) {
        s.destroy(); // refused or expired while the handshake finished
        return;
      }
      this.#handshaking.delete(conn.entry.key);
      this.table.handshakeEnded();
      conn.attach(s, true);
    });
    server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => {
      this.#handshaking.get(peerKey(s))?.handshakeFailed(err);
      s.destroy();
    });
    return server;
  }

  /** Admit an accepted socket against the caps, or refuse it (destroyed at once). */
  #admit(socket: net.Socket, tls: boolean): StreamConnection | undefined {
    const address = plainAddress(socket.remoteAddress);
    const port = socket.remotePort ?? 0;
    const refused = this.#closed ? 'total-cap' : this.table.admit(address, tls);
    if (refused !== undefined) {
      socket.destroy();
      if (channels.connection.hasSubscribers) channels.connection.publish({ transport: this.#kind, direction: 'in', event: 'refused', reason: refused });
      return undefined;
    }
    const entry = this.table.add(this.#kind, 'in', address, port, (reason) => conn.destroy(reason));
    const conn = new StreamConnection(this, entry, this.#opts.framing ?? {});
    this.#conns.set(entry.id, conn);
    return conn;
  }

  #acceptTcp(socket: net.Socket): void {
    this.#admit(socket, false)?.attach(socket, false);
  }

  #acceptRawTls(raw: net.Socket): void {
    const conn = this.#admit(raw, true);
    if (conn === undefined) return;
    this.table.handshakeStarted();
    this.#handshaking.set(conn.entry.key, conn);
    conn.holdRaw(raw);
  }

  // Outbound

  /** The least loaded usable connection to `key`, unless all are backlogged and another may be opened. */
  #pick(key: string): StreamConnection | undefined {
    const set = this.table.byRemote(key);
    if (set === undefined) return undefined;
    let best: StreamConnection | undefined;
    let outbound = 0;
    for (const e of set) {
      const c = this.#conns.get(e.id);
      if (c === undefined || !c.usable) continue;
      if (e.direction === 'out') outbound++;
      if (best === undefined || c.pendingBytes < best.pendingBytes) best = c;
    }
    if (best === undefined) return undefined;
    const max = this.#opts.maxConnectionsPerDestination ?? 2;
    return best.pendingBytes < POOL_HIGH_WATER || outbound >= max ? best : undefined;
  }

  #connect(host: string, port: number): StreamConnection {
    const entry = this.table.add(this.#kind, 'out', host, port, (reason) => conn.destroy(reason));
    const conn = new StreamConnection(this, entry, this.#opts.framing ?? {});
    this.#conns.set(entry.id, conn);
    const lookup = fastLookup as unknown as net.LookupFunction;
    const socket =
      this.#kind === 'tls'
        ? tls.connect({ host, port, lookup, ...clientOptions(this.#material, this.#opts.tls ?? {}, host) })
        : net.connect({ host, port, lookup });
    conn.attach(socket, this.#kind === 'tls');
    // Found also by the address it resolved to, so a message from that address is answered on it.
    socket.once('connect', () => {
      const a = plainAddress(socket.remoteAddress);
      if (a !== '' && a !== host) this.table.alias(entry, addressKey(a, port));
    });
    return conn;
  }

  #publish(conn: StreamConnection, event: 'opened' | 'closed', reason: CloseReason | undefined): void {
    if (!channels.connection.hasSubscribers) return;
    const e = conn.entry;
    channels.connection.publish({ transport: this.#kind, direction: e.direction, event, reason, connectionId: e.id });
  }

  #report(r: Omit<StreamErrorReport, 'transport'>): void {
    this.#opts.onError?.({ transport: this.#kind, ...r });
  }
}

function errorCode(err: Error | undefined): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
