/**
 * @module transport/ws
 * SIP over WebSocket (RFC 7118), `ws:` and `wss:` listeners: an HTTP (or HTTPS) server whose
 * upgrade requests are checked (ws-handshake.ts: the `sip` subprotocol, Host and Origin
 * allowlists, a deadline) before the `ws` library takes them over; each connection is then a
 * ws-connection.ts. Connections are counted in the connection table shared with TCP and TLS, so
 * the sip.tcp caps, per-IP limits and idle deadline hold across every stream transport, and a
 * connection id names one connection whatever its transport.
 *
 * A WebSocket send never opens a connection: browsers accept none, and their Via hosts are made-up
 * `*.invalid` names (RFC 7118 §5.2). A message for a connection that has closed is a counted drop.
 * Failures never throw: they go to `onError` and observe/channels.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import type { WebSocket, WebSocketServer } from 'ws';
import { channels } from '../observe/channels.js';
import { publishFlowGone } from './flow-gone.js';
import type { HostPort } from './address.js';
import type { CloseReason, ConnectionEntry, ConnectionTable } from './connections.js';
import type { StreamErrorReport } from './stream.js';
import type { ConnectionOwningSender, MessageHandler, MessageSource, SendTarget } from './contract.js';
import { listenOn, peerKey, plainAddress } from './listen-server.js';
import { readTlsMaterial, serverOptions, type StreamTlsOptions, type TlsMaterial } from './tls-material.js';
import { WsConnection, type WsConnectionOwner } from './ws-connection.js';
import { checkHandshake, chooseSubprotocol, refusalResponse, type WsHandshakePolicy, type WsRefuseReason } from './ws-handshake.js';

export type WsTransportKind = 'ws' | 'wss';

export interface WsTransportOptions {
  readonly transport: WsTransportKind;
  readonly listen: HostPort;
  /** The table shared with TCP and TLS (app/listeners.ts). */
  readonly connections: ConnectionTable;
  /**
   * Open WebSocket connections by id, shared by the ws and wss transports: a response goes back by
   * connection id whatever the Via says (SIP.js writes `WSS` in its Via over ws: too).
   */
  readonly registry?: Map<number, WsConnection>;
  /** sip.tls files for wss (client certificates are never asked of a browser). */
  readonly tls?: StreamTlsOptions;
  readonly policy: WsHandshakePolicy;
  /** @default 25000 */
  readonly pingIntervalMs?: number;
  /** @default 65536 */
  readonly maxMessageBytes?: number;
  /** @default 5000 */
  readonly handshakeTimeoutMs?: number;
  /** Bytes queued for one client before it is closed as 'write-backlog'. @default 1048576 */
  readonly maxBufferedBytes?: number;
  readonly onError?: (report: WsErrorReport) => void;
}

/** One failure (stream.ts StreamErrorReport, without direction: every WebSocket connection is inbound). */
export interface WsErrorReport extends Omit<StreamErrorReport, 'transport' | 'reason' | 'direction'> {
  readonly transport: WsTransportKind;
  /** 'flow-gone': a send named no open connection (none is ever opened towards a WS client). */
  readonly reason: CloseReason | 'flow-gone' | 'transport-closed';
}

/** A TCP connection accepted but not yet upgraded: counted in the table, under its deadline. */
interface Pending {
  readonly entry: ConnectionEntry;
  readonly raw: net.Socket;
  readonly timer: NodeJS.Timeout;
  /** wss: the TLS handshake is still in flight (counted against sip.tcp.maxHandshakes). */
  tlsHandshaking: boolean;
  reason: CloseReason | undefined;
  /** Taken over by a WsConnection: its close is accounted there. */
  upgraded: boolean;
}

export class WsTransport implements ConnectionOwningSender, WsConnectionOwner {
  readonly table: ConnectionTable;
  readonly maxBufferedBytes: number;
  readonly #opts: WsTransportOptions;
  readonly #kind: WsTransportKind;
  readonly #conns: Map<number, WsConnection>;
  /** Ours only (the registry may hold the other WebSocket transport's too). */
  readonly #own = new Set<WsConnection>();
  readonly #pending = new Map<string, Pending>();
  /** Made by start(): `ws` is loaded only by a node that listens on ws:/wss: (it costs ~2 MB of heap). */
  #wss: WebSocketServer | undefined;
  #handler: MessageHandler = () => {};
  #server: http.Server | https.Server | undefined;
  #material: TlsMaterial = {};
  #bound: HostPort | undefined;
  #closed = false;

  constructor(opts: WsTransportOptions) {
    this.#opts = opts;
    this.#kind = opts.transport;
    this.table = opts.connections;
    this.#conns = opts.registry ?? new Map();
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1_048_576;
  }

  get transport(): WsTransportKind {
    return this.#kind;
  }

  get address(): HostPort | undefined {
    return this.#bound;
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  /** Read the TLS files (wss) and listen. Rejects with SIPLB_ERR_TLS_FILES or SIPLB_ERR_BIND. */
  async start(): Promise<HostPort> {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false, // RFC 7118 does not need it, and it costs memory per connection
      maxPayload: this.#opts.maxMessageBytes ?? 65_536,
      handleProtocols: (offered) => chooseSubprotocol(offered) ?? false,
    });
    // A malformed upgrade (version, key): ws would answer it itself; counted here instead.
    wss.on('wsClientError', (_err: Error, socket: net.Socket) => this.#refuse(socket, 400, 'bad-handshake'));
    this.#wss = wss;
    const listen = this.#opts.listen;
    const handshakeMs = this.#opts.handshakeTimeoutMs ?? 5000;
    let server: http.Server | https.Server;
    if (this.#kind === 'wss') {
      this.#material = await readTlsMaterial(this.#tlsOpts(), true);
      server = https.createServer({ ...serverOptions(this.#material, this.#tlsOpts()), handshakeTimeout: handshakeMs + 1000 });
      server.on('secureConnection', (s: tls.TLSSocket) => this.#tlsDone(s));
      server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => this.#tlsFailed(err, s));
    } else server = http.createServer();
    server.headersTimeout = handshakeMs;
    server.requestTimeout = handshakeMs;
    server.on('connection', (raw: net.Socket) => this.#accept(raw));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.#plainRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.#upgrade(req, socket, head));
    server.on('clientError', (_err: Error, socket: net.Socket) => socket.destroy());
    this.#server = server;
    this.#bound = await listenOn(server, listen, this.#kind.toUpperCase(), (err) => this.#report({ reason: 'error', host: listen.host, port: listen.port, error: err }));
    return this.#bound;
  }

  /** wss: re-read the certificate and key; new handshakes use them, open connections stay up. */
  async reloadCertificates(): Promise<void> {
    if (this.#kind !== 'wss' || this.#server === undefined) return;
    const m = await readTlsMaterial(this.#tlsOpts(), true);
    this.#material = m;
    (this.#server as https.Server).setSecureContext(serverOptions(m, this.#tlsOpts()));
  }

  isOpen(id: number): boolean {
    return this.#conns.get(id)?.open === true;
  }

  /** Send on the connection the target names; never connects. A closed one is a counted drop. */
  send(buf: Buffer, target: SendTarget): void {
    const conn = target.connectionId === undefined ? undefined : this.#conns.get(target.connectionId);
    if (conn === undefined || !conn.write(buf)) {
      publishFlowGone(target);
      this.#report({ reason: this.#closed ? 'transport-closed' : 'flow-gone', host: target.host, port: target.port, connectionId: target.connectionId });
    }
  }

  /** Stop listening; say goodbye (1001) to every client and drop handshakes in progress. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const server = this.#server;
    const stopped = server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    for (const p of [...this.#pending.values()]) this.#drop(p, 'shutdown');
    for (const c of [...this.#own]) c.destroy('shutdown');
    server?.closeAllConnections();
    await stopped;
  }

  // WsConnectionOwner

  deliver(buf: Buffer, source: MessageSource): void {
    this.#handler(buf, source);
  }

  closed(conn: WsConnection, reason: CloseReason): void {
    this.#conns.delete(conn.entry.id);
    this.#own.delete(conn);
    this.#remove(conn.entry, reason);
  }

  // Before the upgrade

  #tlsOpts(): StreamTlsOptions {
    // Browsers present no client certificate: sip.tls.verifyClients is for tls: trunks only.
    return { ...this.#opts.tls, verifyClient: false };
  }

  #accept(raw: net.Socket): void {
    const address = plainAddress(raw.remoteAddress);
    const secure = this.#kind === 'wss';
    const refused = this.#closed ? 'total-cap' : this.table.admit(address, secure);
    if (refused !== undefined) {
      raw.destroy();
      this.#publishRefused('cap');
      if (channels.connection.hasSubscribers) channels.connection.publish({ transport: this.#kind, direction: 'in', event: 'refused', reason: refused });
      return;
    }
    const entry = this.table.add(this.#kind, 'in', address, raw.remotePort ?? 0, (reason) => this.#expire(p, reason));
    const timer = setTimeout(() => {
      if (p.upgraded) return;
      this.#publishRefused('timeout');
      this.#drop(p, 'handshake-timeout');
    }, this.#opts.handshakeTimeoutMs ?? 5000);
    timer.unref();
    const p: Pending = { entry, raw, timer, tlsHandshaking: secure, reason: undefined, upgraded: false };
    if (secure) this.table.handshakeStarted();
    this.#pending.set(entry.key, p);
    raw.on('error', () => (p.reason ??= 'error'));
    raw.once('close', () => {
      if (p.upgraded) return;
      this.#settle(p);
      this.#remove(entry, p.reason ?? 'peer');
    });
    if (channels.connection.hasSubscribers) channels.connection.publish({ transport: this.#kind, direction: 'in', event: 'opened', connectionId: entry.id });
  }

  #tlsDone(s: tls.TLSSocket): void {
    const p = this.#pending.get(peerKey(s));
    if (p === undefined) {
      s.destroy();
      return;
    }
    if (p.tlsHandshaking) {
      p.tlsHandshaking = false;
      this.table.handshakeEnded();
    }
  }

  #tlsFailed(err: Error, s: tls.TLSSocket): void {
    const p = this.#pending.get(peerKey(s));
    if (p !== undefined) {
      p.reason ??= 'tls-handshake';
      if (channels.tlsHandshakeFailure.hasSubscribers) {
        const code = (err as NodeJS.ErrnoException).code;
        channels.tlsHandshakeFailure.publish({ direction: 'in', reason: typeof code === 'string' ? code : 'unknown', connectionId: p.entry.id });
      }
    }
    s.destroy();
  }

  /** A plain HTTP request, not an upgrade: 426 Upgrade Required (RFC 7231 §6.5.15), then close. */
  #plainRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = this.#pending.get(peerKey(req.socket));
    if (p !== undefined) p.reason ??= 'handshake-refused';
    this.#publishRefused('not-websocket');
    res.shouldKeepAlive = false;
    res.writeHead(426, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', Connection: 'close', 'Content-Type': 'text/plain' });
    res.end('not-websocket: this port takes SIP over WebSocket (subprotocol sip)\n');
  }

  #upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const p = this.#pending.get(peerKey(socket));
    const wss = this.#wss; // set by start() before the server exists
    if (p === undefined || wss === undefined || this.#closed) {
      socket.destroy();
      return;
    }
    const verdict = checkHandshake(req.headers, this.#opts.policy);
    if (!verdict.ok) {
      this.#refuse(socket, verdict.status, verdict.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.#open(p, ws));
  }

  #open(p: Pending, ws: WebSocket): void {
    this.#settle(p);
    if (p.entry.removed) {
      ws.terminate();
      return;
    }
    p.upgraded = true;
    const conn = new WsConnection(this, p.entry, ws, this.#opts.pingIntervalMs ?? 25_000);
    this.#conns.set(p.entry.id, conn);
    this.#own.add(conn);
    // The upgrade is the connection's first message: from now on the idle deadline runs.
    this.table.activity(p.entry, true, false);
  }

  /** Refuse a handshake with an HTTP status and close; the reason is counted. */
  #refuse(socket: net.Socket, status: number, reason: WsRefuseReason): void {
    const p = this.#pending.get(peerKey(socket));
    if (p !== undefined) p.reason ??= 'handshake-refused';
    this.#publishRefused(reason);
    if (socket.writable) socket.end(refusalResponse(status, reason));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** A table deadline passed (first byte, idle …): close whichever stage the connection is in. */
  #expire(p: Pending, reason: CloseReason): void {
    if (!p.upgraded) {
      if (reason === 'first-byte-timeout') this.#publishRefused('timeout');
      this.#drop(p, reason);
      return;
    }
    this.#conns.get(p.entry.id)?.destroy(reason);
  }

  #drop(p: Pending, reason: CloseReason): void {
    p.reason ??= reason;
    p.raw.destroy();
  }

  /** The pending stage is over (upgraded or closed): stop its timer and release its handshake slot. */
  #settle(p: Pending): void {
    clearTimeout(p.timer);
    if (this.#pending.get(p.entry.key) === p) this.#pending.delete(p.entry.key);
    if (p.tlsHandshaking) {
      p.tlsHandshaking = false;
      this.table.handshakeEnded();
    }
  }

  #remove(entry: ConnectionEntry, reason: CloseReason): void {
    if (entry.removed) return;
    this.table.remove(entry, reason);
    if (channels.connection.hasSubscribers) channels.connection.publish({ transport: this.#kind, direction: 'in', event: 'closed', reason, connectionId: entry.id });
  }

  #publishRefused(reason: WsRefuseReason): void {
    if (channels.wsHandshakeRefused.hasSubscribers) channels.wsHandshakeRefused.publish({ transport: this.#kind, reason });
  }

  #report(r: Omit<WsErrorReport, 'transport'>): void {
    this.#opts.onError?.({ transport: this.#kind, ...r });
  }
}
