/**
 * @module test/helpers/core/fake-lease-redis
 * A scripted stand-in for Redis as the leader lease sees it, for unit tests of the HA role logic
 * beside the real-Redis integration tests. `FakeLeaseServer` keeps the lease key, its expiry and
 * the fencing counter on the (fake-timer) clock and answers the three lease scripts with the
 * semantics of ha/lease-store.ts; `server.client(options)` is what `LeaderElection`'s
 * `createClient` returns. Faults: `down()`/`up()` (connection lost and back), `hang()` (commands
 * run nowhere and time out after `commandTimeout`, as ioredis does), `hangAfterRun()` (commands
 * run on the server but the answer is lost), `steal(owner)` (another node's value).
 *
 * It also plays the Redis side of ha/admin-sync.ts (and so of ha-node.ts, whose two parts share
 * one `createClient`): the admin hash written by the `siplbAdminSet` script with its seq stamp
 * (`max(previous seq + 1, TIME in µs)`, TIME from the fake `Date`), HGETALL, SUBSCRIBE, and the
 * script's PUBLISH delivered on a later microtask to every ready subscriber. `fail(op)` makes one
 * kind of command reject at once (an error reply); `hset()`/`publish()` put raw values in.
 */
import { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';

type Mode = 'ok' | 'hang' | 'hang-after-run';
/** Command kinds `fail()` can make reject. */
export type FakeOp = 'connect' | 'acquire' | 'renew' | 'release' | 'adminSet' | 'hgetall' | 'subscribe' | 'ping' | 'quit';

export class FakeLeaseServer {
  owner: string | undefined;
  #expiresAt = 0;
  fence = 0;
  readonly log: string[] = [];
  #mode: Mode = 'ok';
  #reachable = true;
  readonly #clients = new Set<FakeLeaseClient>();
  readonly #failing = new Set<FakeOp>();
  readonly hashes = new Map<string, Map<string, string>>();
  /** Every admin command run, in order: `adminSet <backend> <state>`, `hgetall`, `subscribe <channel>`. */
  readonly adminLog: string[] = [];

  /** The lease owner now, with expiry applied. */
  holder(): string | undefined {
    if (this.owner !== undefined && performance.now() >= this.#expiresAt) this.owner = undefined;
    return this.owner;
  }

  expiresAt(): number {
    return this.holder() === undefined ? 0 : this.#expiresAt;
  }

  steal(owner: string, ttlMs: number): void {
    this.owner = owner;
    this.#expiresAt = performance.now() + ttlMs;
  }

  hang(): void {
    this.#mode = 'hang';
  }

  hangAfterRun(): void {
    this.#mode = 'hang-after-run';
  }

  answer(): void {
    this.#mode = 'ok';
  }

  /** Every client loses its connection (status 'reconnecting'; commands and connect fail at once). */
  down(): void {
    this.#reachable = false;
    for (const c of this.#clients) c.setStatus('reconnecting');
  }

  /** Connections come back: status 'ready' and the 'ready' event, as ioredis emits it. */
  up(): void {
    this.#reachable = true;
    for (const c of this.#clients) c.setStatus('ready');
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  /** Commands of kind `op` reject at once with an error reply until `heal(op)`. */
  fail(op: FakeOp): void {
    this.#failing.add(op);
  }

  heal(op: FakeOp): void {
    this.#failing.delete(op);
  }

  failing(op: FakeOp): boolean {
    return this.#failing.has(op);
  }

  /** The clients made so far, in order (for a test that inspects their options or status). */
  get clients(): readonly FakeLeaseClient[] {
    return [...this.#clients];
  }

  hset(key: string, field: string, raw: string): void {
    let h = this.hashes.get(key);
    if (!h) this.hashes.set(key, (h = new Map()));
    h.set(field, raw);
  }

  hgetall(key: string): Record<string, string> {
    this.adminLog.push('hgetall');
    return Object.fromEntries(this.hashes.get(key) ?? []);
  }

  /** The admin hash entry of `field`, parsed. */
  stamped(key: string, field: string): { state: string; seq: string; origin: string; at: number } | undefined {
    const raw = this.hashes.get(key)?.get(field);
    return raw === undefined ? undefined : (JSON.parse(raw) as { state: string; seq: string; origin: string; at: number });
  }

  /** PUBLISH: every ready client subscribed to `channel` gets 'message' on a later microtask. */
  publish(channel: string, message: string): void {
    for (const c of this.#clients) {
      if (c.status === 'ready' && c.channels.has(channel)) queueMicrotask(() => c.emit('message', channel, message));
    }
  }

  /** What ha/admin-sync.ts's ADMIN_SET_LUA does: stamp, HSET, PUBLISH; returns the seq string. */
  adminSet(hash: string, backend: string, state: string, origin: string, channel: string): string {
    this.adminLog.push(`adminSet ${backend} ${state}`);
    const nowUs = Date.now() * 1000;
    let seq = nowUs;
    const old = this.hashes.get(hash)?.get(backend);
    if (old !== undefined) {
      try {
        const p = Number((JSON.parse(old) as { seq?: unknown }).seq);
        if (Number.isFinite(p) && p >= seq) seq = p + 1;
      } catch {
        // A malformed old value is overwritten, as the script's pcall does.
      }
    }
    const s = seq.toFixed(0);
    this.hset(hash, backend, JSON.stringify({ state, seq: s, origin, at: Math.floor(nowUs / 1e6) }));
    this.publish(channel, JSON.stringify({ backend, state, seq: s, origin }));
    return s;
  }

  client(options: RedisOptions): Redis {
    const c = new FakeLeaseClient(this, options);
    this.#clients.add(c);
    return c as unknown as Redis;
  }

  /** Runs one lease script the way lease-store.ts's Lua does. */
  run(op: 'acquire' | 'renew' | 'release', owner: string, ttlMs: number): unknown {
    const holder = this.holder();
    this.log.push(`${op} ${owner}`);
    switch (op) {
      case 'acquire':
        if (holder === undefined || holder === owner) {
          const code = holder === undefined ? 1 : 2;
          this.steal(owner, ttlMs);
          this.fence = Math.max(this.fence, 1) + 1;
          return [code, this.fence];
        }
        return [0, Math.max(0, Math.round(this.#expiresAt - performance.now()))];
      case 'renew':
        if (holder !== owner) return 0;
        this.#expiresAt = performance.now() + ttlMs;
        return 1;
      case 'release':
        if (holder !== owner) return 0;
        this.owner = undefined;
        return 1;
    }
  }

  command(op: 'acquire' | 'renew' | 'release', owner: string, ttlMs: number, timeoutMs: number): Promise<unknown> {
    return this.exec(op, () => this.run(op, owner, ttlMs), timeoutMs);
  }

  /** Runs `body` as one command of kind `op` under the current fault mode. */
  exec<T>(op: FakeOp, body: () => T, timeoutMs: number): Promise<T> {
    if (this.#failing.has(op)) return Promise.reject(new Error(`ERR injected failure of ${op}`));
    if (this.#mode === 'ok') return Promise.resolve(body());
    if (this.#mode === 'hang-after-run') body();
    return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('Command timed out')), timeoutMs));
  }
}

/** The part of an ioredis client that LeaderElection, createLeaseStore and AdminSync use. */
export class FakeLeaseClient extends EventEmitter {
  status = 'wait';
  readonly options: RedisOptions;
  readonly channels = new Set<string>();
  readonly #server: FakeLeaseServer;
  #adminDefined = false;

  constructor(server: FakeLeaseServer, options: RedisOptions) {
    super();
    this.#server = server;
    this.options = options;
  }

  setStatus(status: string): void {
    if (this.status === 'end') return;
    this.status = status;
    if (status === 'ready') this.emit('ready');
    else this.emit('error', new Error('Connection is closed.'));
  }

  async connect(): Promise<void> {
    if (!this.#server.reachable || this.#server.failing('connect')) {
      this.setStatus('reconnecting');
      throw new Error('connect ECONNREFUSED');
    }
    this.setStatus('ready');
  }

  #cmd(op: 'acquire' | 'renew' | 'release', owner: string, ttlMs: number): Promise<unknown> {
    if (this.status !== 'ready') return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    return this.#server.command(op, owner, ttlMs, this.options.commandTimeout ?? 1000);
  }

  #admin<T>(op: FakeOp, body: () => T): Promise<T> {
    if (this.status !== 'ready') return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    return this.#server.exec(op, body, this.options.commandTimeout ?? 1000);
  }

  siplbAdminSet(hash: string, backend: string, state: string, origin: string, channel: string): Promise<string> {
    if (!this.#adminDefined) return Promise.reject(new TypeError('siplbAdminSet was never defined on this client'));
    return this.#admin('adminSet', () => this.#server.adminSet(hash, backend, state, origin, channel));
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.#admin('hgetall', () => this.#server.hgetall(key));
  }

  subscribe(channel: string): Promise<number> {
    return this.#admin('subscribe', () => {
      this.#server.adminLog.push(`subscribe ${channel}`);
      this.channels.add(channel);
      return this.channels.size;
    });
  }

  ping(): Promise<'PONG'> {
    return this.#admin('ping', () => 'PONG' as const);
  }

  // The names createLeaseStore defines with defineCommand; present already, so it defines none.
  siplbLeaseAcquire(_key: string, _fence: string, owner: string, ttlMs: number): Promise<unknown> {
    return this.#cmd('acquire', owner, ttlMs);
  }

  siplbLeaseRenew(_key: string, owner: string, ttlMs: number): Promise<unknown> {
    return this.#cmd('renew', owner, ttlMs);
  }

  siplbLeaseRelease(_key: string, owner: string): Promise<unknown> {
    return this.#cmd('release', owner, 0);
  }

  /** Lease commands are built in (createLeaseStore must not redefine them); the admin script may be defined. */
  defineCommand(name: string, def: { numberOfKeys: number }): void {
    if (name !== 'siplbAdminSet' || def.numberOfKeys !== 1) throw new Error(`FakeLeaseClient: unexpected defineCommand ${name}`);
    this.#adminDefined = true;
  }

  async quit(): Promise<'OK'> {
    if (this.#server.failing('quit')) throw new Error('ERR injected failure of quit');
    this.status = 'end';
    return 'OK';
  }

  disconnect(): void {
    this.status = 'end';
  }
}
