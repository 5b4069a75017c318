/**
 * @module test/helpers/core/fake-lease-redis
 * A scripted stand-in for Redis as the leader lease sees it, for unit tests of the HA role logic
 * beside the real-Redis integration tests. `FakeLeaseServer` keeps the lease key, its expiry and
 * the fencing counter on the (fake-timer) clock and answers the three lease scripts with the
 * semantics of ha/lease-store.ts; `server.client(options)` is what `LeaderElection`'s
 * `createClient` returns. Faults: `down()`/`up()` (connection lost and back), `hang()` (commands
 * run nowhere and time out after `commandTimeout`, as ioredis does), `hangAfterRun()` (commands
 * run on the server but the answer is lost), `steal(owner)` (another node's value).
 */
import { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';

type Mode = 'ok' | 'hang' | 'hang-after-run';

export class FakeLeaseServer {
  owner: string | undefined;
  #expiresAt = 0;
  fence = 0;
  readonly log: string[] = [];
  #mode: Mode = 'ok';
  readonly #clients = new Set<FakeLeaseClient>();

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

  /** Every client loses its connection (status 'reconnecting'; commands fail at once). */
  down(): void {
    for (const c of this.#clients) c.setStatus('reconnecting');
  }

  /** Connections come back: status 'ready' and the 'ready' event, as ioredis emits it. */
  up(): void {
    for (const c of this.#clients) c.setStatus('ready');
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
    if (this.#mode === 'ok') return Promise.resolve(this.run(op, owner, ttlMs));
    if (this.#mode === 'hang-after-run') this.run(op, owner, ttlMs);
    return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('Command timed out')), timeoutMs));
  }
}

/** The part of an ioredis client that LeaderElection and createLeaseStore use. */
class FakeLeaseClient extends EventEmitter {
  status = 'wait';
  readonly options: RedisOptions;
  readonly #server: FakeLeaseServer;

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
    this.setStatus('ready');
  }

  #cmd(op: 'acquire' | 'renew' | 'release', owner: string, ttlMs: number): Promise<unknown> {
    if (this.status !== 'ready') return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    return this.#server.command(op, owner, ttlMs, this.options.commandTimeout ?? 1000);
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

  defineCommand(): void {
    throw new Error('FakeLeaseClient: lease commands are built in');
  }

  async quit(): Promise<'OK'> {
    this.status = 'end';
    return 'OK';
  }

  disconnect(): void {
    this.status = 'end';
  }
}
