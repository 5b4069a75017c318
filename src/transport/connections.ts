/**
 * @module transport/connections
 * The connection table of the stream transports: ids, lookup by id and by remote address, caps and
 * deadlines. It holds no sockets: each entry carries the `expire` callback its transport gave it,
 * called when a deadline passes. Timers and the clock are injectable so tests run on fake time.
 *
 * Why each guard (TRANSPORTS.md §3, sip-servlets#347, OverSIP#24): idle sockets are the cheapest
 * way to use up a server's slots (slowloris), so a connection must send its first byte soon after
 * it opens, finish a message it started, and not sit idle longer than a registration lasts. Many
 * clients may share one address behind carrier-grade NAT (siphon#277): size the per-IP cap
 * generously.
 */
import type { Transport } from './contract.js';
import { addressKey } from './address.js';

/** Why a connection ended. Stable strings: they are metric label values. */
export type CloseReason =
  /** The peer closed it (FIN or reset) or it ended without an error on our side. */
  | 'peer'
  | 'idle'
  /** Nothing received within {@link ConnectionLimits.firstByteMs} of accepting it. */
  | 'first-byte-timeout'
  /** A started message not completed within {@link ConnectionLimits.messageMs}. */
  | 'message-timeout'
  /** The byte stream could not be framed (stream-framer.ts): closed at once. */
  | 'framing'
  /** A message without Content-Length: answered 400, then closed (RFC 3261 §18.3). */
  | 'missing-content-length'
  /** A socket error (reset, EPIPE …). */
  | 'error'
  | 'tls-handshake'
  /** Outbound: the connect failed or did not complete within the connect timeout. */
  | 'connect-failed'
  | 'connect-timeout'
  /** The peer stopped reading and our write buffer for it passed its bound. */
  | 'write-backlog'
  /** WebSocket: the upgrade (and TLS handshake) did not complete within sip.ws.handshakeTimeout. */
  | 'handshake-timeout'
  /** WebSocket: the upgrade was refused (ws-handshake.ts says why). */
  | 'handshake-refused'
  /** WebSocket: no Pong for the previous Ping by the time of the next (RFC 6455 §5.5.2). */
  | 'ping-timeout'
  /** WebSocket: a message over sip.ws.maxMessageBytes (closed with 1009, RFC 6455 §7.4.1). */
  | 'too-large'
  | 'shutdown';

/** Close reasons meaning the peer could not be reached or spoken to (a probe's "unreachable"). */
export const UNREACHABLE_REASONS: ReadonlySet<CloseReason> = new Set<CloseReason>(['error', 'tls-handshake', 'connect-failed', 'connect-timeout']);

/** Close reasons worth reporting as a failure: the unreachable ones, and a peer that stopped reading. */
export const FAILURE_REASONS: ReadonlySet<CloseReason> = new Set<CloseReason>([...UNREACHABLE_REASONS, 'write-backlog']);

/** Why an inbound connection was refused at accept. */
export type RefuseReason = 'total-cap' | 'per-ip-cap' | 'tls-handshake-cap';

export type Direction = 'in' | 'out';

export interface ConnectionLimits {
  /** Inbound connections open at once, all sources (Kamailio tcp_max_connections is 2048). @default 4096 */
  readonly maxConnections: number;
  /** Inbound connections open at once from one IP address; generous because of carrier-grade NAT. @default 256 */
  readonly maxPerIp: number;
  /** TLS handshakes in progress at once: each costs asymmetric crypto, the cheapest CPU attack. @default 128 */
  readonly maxTlsHandshakes: number;
  /** An accepted connection must deliver its first byte (for TLS: finish the handshake and send) within this. OverSIP suggests 4 s. @default 5000 */
  readonly firstByteMs: number;
  /** A message that has started must be complete within this (slowloris: a request dribbled forever). @default 10000 */
  readonly messageMs: number;
  /** A connection with no traffic either way is closed after this; just above a 3600 s registration, as Kamailio's stock tcp_connection_lifetime=3605. @default 3605000 */
  readonly idleMs: number;
  /** Outbound: the TCP connect (and TLS handshake) must complete within this. @default 5000 */
  readonly connectMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = Object.freeze({
  maxConnections: 4096,
  maxPerIp: 256,
  maxTlsHandshakes: 128,
  firstByteMs: 5000,
  messageMs: 10_000,
  idleMs: 3_605_000,
  connectMs: 5000,
});

/** Time source and timers; tests pass fake ones. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Ids are unique for the life of the process, never reused, across every table (RFC 3261 §18.2.2 names a connection by it). */
/**
 * Connection ids are unique per node and, in practice, across its restarts: a flow token (RFC 5626
 * §5.2) names a connection by id, and a token issued before a restart must never name a different
 * client's new connection (it must get 430 Flow Failed). So the counter starts at a random point
 * of a 2^52 range (still a safe integer in JS), not at 0.
 */
let lastId = Math.floor(Math.random() * 2 ** 51);

/** One connection as the table sees it. */
export class ConnectionEntry {
  readonly id: number;
  readonly transport: Transport;
  readonly direction: Direction;
  /** The peer's address and port, and `addressKey` of them. */
  readonly address: string;
  readonly port: number;
  readonly key: string;
  readonly openedAt: number;
  /** Called once when a deadline passes; the transport closes the socket and then calls `remove`. */
  readonly expire: (reason: CloseReason) => void;
  /** Outbound: still connecting (the connect deadline runs instead of first-byte). */
  connecting: boolean;
  gotFirstByte = false;
  lastActivity: number;
  /** When the message now being received started, or -1 between messages. */
  messageStartedAt = -1;
  timer: unknown = undefined;
  timerDue = Infinity;
  /** Every key it is found under in the by-remote index. */
  readonly keys: string[] = [];
  removed = false;

  constructor(id: number, transport: Transport, direction: Direction, address: string, port: number, now: number, expire: (reason: CloseReason) => void) {
    this.id = id;
    this.transport = transport;
    this.direction = direction;
    this.address = address;
    this.port = port;
    this.key = addressKey(address, port);
    this.openedAt = now;
    this.lastActivity = now;
    this.expire = expire;
    this.connecting = direction === 'out';
  }
}

export interface ConnectionStats {
  /** Open connections by transport and direction. */
  readonly open: Readonly<Record<string, number>>;
  readonly tlsHandshakesInFlight: number;
  readonly accepted: number;
  readonly refused: Readonly<Record<RefuseReason, number>>;
  readonly closed: Readonly<Partial<Record<CloseReason, number>>>;
}

export class ConnectionTable {
  readonly limits: ConnectionLimits;
  readonly #clock: Clock;
  readonly #byId = new Map<number, ConnectionEntry>();
  readonly #byRemote = new Map<string, Set<ConnectionEntry>>();
  readonly #inPerIp = new Map<string, number>();
  #inbound = 0;
  #handshakes = 0;
  readonly #open = new Map<string, number>();
  #accepted = 0;
  readonly #refused: Record<RefuseReason, number> = { 'total-cap': 0, 'per-ip-cap': 0, 'tls-handshake-cap': 0 };
  readonly #closed: Partial<Record<CloseReason, number>> = {};

  constructor(limits: Partial<ConnectionLimits> = {}, clock: Clock = systemClock) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.#clock = clock;
  }

  /** Whether an inbound connection from `ip` may be accepted now; counts the refusal when not. */
  admit(ip: string, tls: boolean): RefuseReason | undefined {
    let reason: RefuseReason | undefined;
    if (this.#inbound >= this.limits.maxConnections) reason = 'total-cap';
    else if ((this.#inPerIp.get(ip) ?? 0) >= this.limits.maxPerIp) reason = 'per-ip-cap';
    else if (tls && this.#handshakes >= this.limits.maxTlsHandshakes) reason = 'tls-handshake-cap';
    if (reason !== undefined) this.#refused[reason]++;
    return reason;
  }

  /** Register a connection (after {@link admit} for inbound ones) and start its deadlines. */
  add(transport: Transport, direction: Direction, address: string, port: number, expire: (reason: CloseReason) => void): ConnectionEntry {
    const e = new ConnectionEntry(++lastId, transport, direction, address, port, this.#clock.now(), expire);
    this.#byId.set(e.id, e);
    this.#index(e.key, e);
    if (direction === 'in') {
      this.#inbound++;
      this.#accepted++;
      this.#inPerIp.set(address, (this.#inPerIp.get(address) ?? 0) + 1);
    }
    const k = `${transport}/${direction}`;
    this.#open.set(k, (this.#open.get(k) ?? 0) + 1);
    this.#arm(e);
    return e;
  }

  /** Also find `e` under another address (an outbound connection by the name it was asked for). */
  alias(e: ConnectionEntry, key: string): void {
    if (!e.removed) this.#index(key, e);
  }

  get(id: number): ConnectionEntry | undefined {
    return this.#byId.get(id);
  }

  /** Connections whose remote end is `key` (`addressKey(host, port)`), inbound or outbound. */
  byRemote(key: string): ReadonlySet<ConnectionEntry> | undefined {
    return this.#byRemote.get(key);
  }

  /** Outbound connect finished: from now on the idle deadline runs. */
  connected(e: ConnectionEntry): void {
    e.connecting = false;
    e.lastActivity = this.#clock.now();
  }

  /**
   * Bytes were read or written. `midMessage`: the framer now holds a started message;
   * `completed`: it finished at least one message in these bytes, so a started one is a new one
   * (a busy connection whose reads keep ending mid-message is not one slow message).
   */
  activity(e: ConnectionEntry, read: boolean, midMessage: boolean, completed = false): void {
    const now = this.#clock.now();
    e.lastActivity = now;
    if (read) e.gotFirstByte = true;
    if (!midMessage) e.messageStartedAt = -1;
    else if (completed && e.messageStartedAt >= 0) e.messageStartedAt = now;
    else if (e.messageStartedAt < 0) {
      e.messageStartedAt = now;
      this.#arm(e); // the message deadline may be earlier than the armed one
    }
  }

  handshakeStarted(): void {
    this.#handshakes++;
  }

  handshakeEnded(): void {
    if (this.#handshakes > 0) this.#handshakes--;
  }

  /** Forget a closed connection and count why it closed. Idempotent. */
  remove(e: ConnectionEntry, reason: CloseReason): void {
    if (e.removed) return;
    e.removed = true;
    if (e.timer !== undefined) this.#clock.clearTimeout(e.timer);
    e.timer = undefined;
    this.#byId.delete(e.id);
    for (const key of e.keys) {
      const set = this.#byRemote.get(key);
      if (set?.delete(e) === true && set.size === 0) this.#byRemote.delete(key);
    }
    if (e.direction === 'in') {
      this.#inbound--;
      const n = (this.#inPerIp.get(e.address) ?? 1) - 1;
      if (n > 0) this.#inPerIp.set(e.address, n);
      else this.#inPerIp.delete(e.address);
    }
    const k = `${e.transport}/${e.direction}`;
    this.#open.set(k, (this.#open.get(k) ?? 1) - 1);
    this.#closed[reason] = (this.#closed[reason] ?? 0) + 1;
  }

  /** Every open connection (for shutdown). */
  entries(): IterableIterator<ConnectionEntry> {
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Counters and gauges for the metrics layer. */
  stats(): ConnectionStats {
    return {
      open: Object.fromEntries(this.#open),
      tlsHandshakesInFlight: this.#handshakes,
      accepted: this.#accepted,
      refused: { ...this.#refused },
      closed: { ...this.#closed },
    };
  }

  #index(key: string, e: ConnectionEntry): void {
    let set = this.#byRemote.get(key);
    if (set === undefined) this.#byRemote.set(key, (set = new Set()));
    if (!set.has(e)) {
      set.add(e);
      e.keys.push(key);
    }
  }

  /** The earliest deadline of `e` and why. */
  #deadline(e: ConnectionEntry): { at: number; reason: CloseReason } {
    const l = this.limits;
    if (e.connecting) return { at: e.openedAt + l.connectMs, reason: 'connect-timeout' };
    let at = e.lastActivity + l.idleMs;
    let reason: CloseReason = 'idle';
    if (e.direction === 'in' && !e.gotFirstByte && e.openedAt + l.firstByteMs < at) {
      at = e.openedAt + l.firstByteMs;
      reason = 'first-byte-timeout';
    }
    if (e.messageStartedAt >= 0 && e.messageStartedAt + l.messageMs < at) {
      at = e.messageStartedAt + l.messageMs;
      reason = 'message-timeout';
    }
    return { at, reason };
  }

  /**
   * Arm one timer per connection for its earliest deadline. Activity only moves deadlines later,
   * so it does not re-arm (no timer churn per read): when the timer fires early it re-arms for
   * what is left. Only a deadline that moved earlier (a message started) re-arms at once.
   */
  #arm(e: ConnectionEntry): void {
    if (e.removed) return;
    const { at } = this.#deadline(e);
    if (e.timer !== undefined) {
      if (e.timerDue <= at) return;
      this.#clock.clearTimeout(e.timer);
    }
    e.timerDue = at;
    e.timer = this.#clock.setTimeout(() => this.#fire(e), Math.max(0, at - this.#clock.now()));
  }

  #fire(e: ConnectionEntry): void {
    e.timer = undefined;
    if (e.removed) return;
    const { at, reason } = this.#deadline(e);
    if (this.#clock.now() >= at) {
      e.expire(reason);
      return;
    }
    this.#arm(e);
  }
}
