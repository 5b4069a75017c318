/**
 * @module ha/admin-sync
 * Shares operator admin state (enabled/disabled/draining per backend) between siplb nodes
 * through Redis, so a `siplb backends disable gw2` on one node holds on all of them and survives
 * restarts. Knows nothing of SIP: it is given the backend ids and a callback that applies a
 * state, and is told about local changes through `publish()`.
 *
 * Redis layout: one hash `key` (field = backend id, value = JSON `{state, seq, origin, at}`) and
 * one pub/sub channel of the same name. A change is written and announced by one Lua script
 * (HSET + PUBLISH, one atomic round trip), which also stamps it with a sequence number:
 * `seq = max(previous seq + 1, Redis TIME in µs)`. Sequence numbers grow per backend even across
 * a Redis restart that loses the hash (the TIME floor, as for the lease's fencing token), so every
 * node applies a change only when its seq is higher than the last one it saw for that backend,
 * whatever order the message and a reconciliation read arrive in.
 *
 * Each node subscribes on a second connection (subscriber mode) and applies remote changes at
 * once; it also reads the whole hash at start, after every reconnect and every
 * `reconcileIntervalMs`, which repairs any message lost while a connection was down.
 *
 * Without Redis everything stays local and nothing blocks: commands fail fast (no offline queue,
 * `commandTimeoutMs`), a local change that could not be written stays pending and is written on
 * the next reconnect or reconcile, before the hash is read (so the hash cannot undo it), and
 * errors are logged rate-limited, never thrown. Last writer to reach Redis wins. A field absent
 * from the hash means "no opinion": a Redis restart without persistence changes no node's state.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { SiplbError } from '../errors.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { leaseRedisOptions } from './redis-options.js';

/** Operator state of a backend (the same strings as health/state-machine's AdminState). */
export type AdminStateName = 'enabled' | 'disabled' | 'draining';

const STATES: ReadonlySet<string> = new Set<AdminStateName>(['enabled', 'disabled', 'draining']);

export function isAdminStateName(v: unknown): v is AdminStateName {
  return typeof v === 'string' && STATES.has(v);
}

export interface AdminSyncOptions {
  /** Redis URL. Required unless `createClient` is given. */
  redisUrl?: string;
  /** Builds each of the two ioredis clients from the options they need (TLS, Sentinel, tests). */
  createClient?: (options: RedisOptions) => Redis;
  /** Redis hash holding the shared states; also the name of the pub/sub channel. */
  key: string;
  /** Unique id of this process; messages it published itself are skipped. */
  origin: string;
  /** Time after which one Redis command counts as failed, in ms. */
  commandTimeoutMs: number;
  /** How often the whole hash is read and applied, in ms. @default 5000 */
  reconcileIntervalMs?: number;
  /** Cap of the reconnect backoff, in ms. @default 1000 */
  reconnectCapMs?: number;
  logger: Logger;
  /** Applies a state that came from another node (or from before a restart). */
  apply: (backendId: string, state: AdminStateName) => void;
  /** The backend ids this node has now; states of other ids are ignored. */
  backendIds: () => readonly string[];
}

export const DEFAULT_ADMIN_SYNC_OPTIONS = Object.freeze({ reconcileIntervalMs: 5000, reconnectCapMs: 1000 });

/** KEYS: hash. ARGV: backend, state, origin, channel. Returns the new seq as a decimal string. */
const ADMIN_SET_LUA = `
local t = redis.call('TIME')
local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and type(prev) == 'table' then
    local p = tonumber(prev['seq'])
    if p and p >= seq then seq = p + 1 end
  end
end
local s = string.format('%.0f', seq)
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({state = ARGV[2], seq = s, origin = ARGV[3], at = tonumber(t[1])}))
redis.call('PUBLISH', ARGV[4], cjson.encode({backend = ARGV[1], state = ARGV[2], seq = s, origin = ARGV[3]}))
return s
`;

interface AdminCommands {
  siplbAdminSet(hash: string, backend: string, state: string, origin: string, channel: string): Promise<unknown>;
}

interface Stamped {
  readonly state: AdminStateName;
  readonly seq: number;
  readonly origin: string;
}

export class AdminSync {
  readonly #o: Required<Omit<AdminSyncOptions, 'redisUrl' | 'createClient'>>;
  readonly #makeClient: () => Redis;
  readonly #log: Logger;
  readonly #errors: RateLimitedLog;
  /** Local changes not yet confirmed by Redis, newest state per backend. */
  readonly #pending = new Map<string, AdminStateName>();
  /** Highest seq applied or written per backend. */
  readonly #seen = new Map<string, number>();
  /** Newest remote change that arrived while a local change of the same backend was pending. */
  readonly #deferred = new Map<string, Stamped>();
  #cmd: (Redis & AdminCommands) | undefined;
  #sub: Redis | undefined;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopping: Promise<void> | undefined;

  constructor(options: AdminSyncOptions) {
    const { redisUrl, createClient, ...rest } = options;
    this.#o = { ...DEFAULT_ADMIN_SYNC_OPTIONS, ...rest };
    const redisOptions = leaseRedisOptions({ commandTimeoutMs: this.#o.commandTimeoutMs, renewIntervalMs: this.#o.reconnectCapMs });
    if (createClient) this.#makeClient = () => createClient(redisOptions);
    else if (redisUrl) this.#makeClient = () => new Redis(redisUrl, redisOptions);
    else throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', 'AdminSync needs "redisUrl" or "createClient"');
    this.#log = this.#o.logger;
    this.#errors = new RateLimitedLog(this.#log);
  }

  /** Local changes not yet written to Redis. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Connects both clients, subscribes and applies the hash once. Never rejects: with Redis
   * unreachable it resolves after the connection attempts failed (bounded by connectTimeout)
   * and keeps redialling in the background.
   */
  async start(): Promise<void> {
    if (this.#running || this.#stopping) return;
    this.#running = true;
    const cmd = this.#makeClient() as Redis & AdminCommands;
    cmd.defineCommand('siplbAdminSet', { numberOfKeys: 1, lua: ADMIN_SET_LUA });
    const sub = this.#makeClient();
    this.#cmd = cmd;
    this.#sub = sub;
    cmd.on('error', (err: unknown) => this.#errors.failure('connection', { err }, 'admin state: Redis connection failed; admin changes stay local until it is back'));
    sub.on('error', (err: unknown) => this.#errors.failure('subscriber', { err }, 'admin state: Redis subscriber connection failed'));
    cmd.on('ready', () => {
      this.#errors.success('connection', {}, 'admin state: Redis connection is back');
      void this.reconcile();
    });
    sub.on('ready', () => {
      this.#errors.success('subscriber', {}, 'admin state: Redis subscriber connection is back');
      // Subscribe (again) before reading the hash, so no change falls between the two.
      void this.#subscribe().then(() => this.reconcile());
    });
    sub.on('message', (_channel: string, message: string) => this.#onMessage(message));
    await Promise.all([cmd.connect().catch(() => undefined), sub.connect().catch(() => undefined)]);
    if (!this.#running) return;
    this.#timer = setInterval(() => {
      if (this.#sub?.status === 'ready') this.#sub.ping().catch(() => undefined); // lets socketTimeout catch a dead connection
      void this.reconcile();
    }, this.#o.reconcileIntervalMs);
    this.#timer.unref();
    await this.#subscribe();
    await this.reconcile();
  }

  /** A local admin change: written to Redis and announced, or kept pending while Redis is away. */
  publish(backendId: string, state: AdminStateName): void {
    if (!this.#running) return;
    this.#pending.set(backendId, state);
    void this.#enqueue(() => this.#flush());
  }

  /** Writes pending local changes, then reads the hash and applies what is newer. Never rejects. */
  reconcile(): Promise<void> {
    return this.#enqueue(async () => {
      if (!(await this.#flush())) return;
      const cmd = this.#cmd;
      if (!this.#running || cmd?.status !== 'ready') return;
      let all: Record<string, string>;
      try {
        all = await cmd.hgetall(this.#o.key);
      } catch (err) {
        this.#errors.failure('read', { err }, 'admin state: could not read the shared admin states from Redis');
        return;
      }
      this.#errors.success('read', {}, 'admin state: reading shared admin states works again');
      const known = new Set(this.#o.backendIds());
      for (const [id, raw] of Object.entries(all)) {
        if (!known.has(id)) continue;
        const v = parseStamped(raw);
        if (v) this.#remote(id, v);
        else this.#errors.failure('malformed', { backend: id }, 'admin state: ignored a malformed value in the Redis hash');
      }
    });
  }

  /** Clears the timer and closes both connections. Pending local changes are dropped. Never rejects. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    await this.#chain;
    await Promise.all([this.#cmd, this.#sub].map((c) => (c ? closeClient(c) : undefined)));
  }

  #enqueue(step: () => Promise<unknown>): Promise<void> {
    const next = this.#chain.then(step).then(
      () => undefined,
      (err: unknown) => this.#log.error({ err }, 'admin state: internal error'),
    );
    this.#chain = next;
    return next;
  }

  async #subscribe(): Promise<void> {
    const sub = this.#sub;
    if (!this.#running || sub?.status !== 'ready') return;
    try {
      await sub.subscribe(this.#o.key);
    } catch (err) {
      this.#errors.failure('subscribe', { err }, 'admin state: SUBSCRIBE failed; remote changes arrive with the next reconcile');
    }
  }

  /** Writes every pending change; `true` when none is left pending. */
  async #flush(): Promise<boolean> {
    const cmd = this.#cmd;
    for (const [id, state] of [...this.#pending]) {
      if (!this.#running || cmd?.status !== 'ready') return false;
      let seq: number;
      try {
        seq = Number(await cmd.siplbAdminSet(this.#o.key, id, state, this.#o.origin, this.#o.key));
      } catch (err) {
        this.#errors.failure('write', { err, backend: id, state }, 'admin state: could not share an admin change through Redis; it holds on this node and is retried');
        return false;
      }
      this.#errors.success('write', {}, 'admin state: sharing admin changes works again');
      if (this.#pending.get(id) === state) this.#pending.delete(id); // a newer local change stays pending
      if (seq > (this.#seen.get(id) ?? 0)) this.#seen.set(id, seq);
      const d = this.#deferred.get(id);
      if (d && !this.#pending.has(id)) {
        this.#deferred.delete(id);
        this.#remote(id, d); // applied only when it was written after ours
      }
    }
    return this.#pending.size === 0;
  }

  #onMessage(message: string): void {
    if (!this.#running) return;
    let m: unknown;
    try {
      m = JSON.parse(message);
    } catch {
      m = undefined;
    }
    const backend = (m as { backend?: unknown } | undefined)?.backend;
    const v = typeof backend === 'string' ? stamped(m) : undefined;
    if (typeof backend !== 'string' || !v) {
      this.#errors.failure('malformed', {}, 'admin state: ignored a malformed message on the admin channel');
      return;
    }
    if (v.origin === this.#o.origin) return; // our own change, already applied locally
    if (!this.#o.backendIds().includes(backend)) return;
    this.#remote(backend, v);
  }

  #remote(id: string, v: Stamped): void {
    if (v.seq <= (this.#seen.get(id) ?? 0)) return;
    if (this.#pending.has(id)) {
      // Our own change of this backend is on its way to Redis; whichever Redis ran last wins,
      // and we learn which when our write returns its seq.
      const d = this.#deferred.get(id);
      if (!d || d.seq < v.seq) this.#deferred.set(id, v);
      return;
    }
    this.#seen.set(id, v.seq);
    try {
      this.#o.apply(id, v.state);
    } catch (err) {
      this.#log.warn({ err, backend: id, state: v.state }, 'admin state: could not apply a shared admin change');
    }
  }
}

function stamped(v: unknown): Stamped | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { state, seq, origin } = v as Record<string, unknown>;
  const n = typeof seq === 'string' && /^\d{1,16}$/.test(seq) ? Number(seq) : NaN;
  if (!isAdminStateName(state) || !Number.isSafeInteger(n) || typeof origin !== 'string') return undefined;
  return { state, seq: n, origin };
}

function parseStamped(raw: string): Stamped | undefined {
  try {
    return stamped(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

async function closeClient(c: Redis): Promise<void> {
  if (c.status !== 'ready') {
    c.disconnect();
    return;
  }
  try {
    await c.quit();
  } catch {
    c.disconnect();
  }
}
