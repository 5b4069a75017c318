/**
 * @module ha/leader-election
 * Leader election among siplb nodes through one Redis lease (a single Redis, not Redlock).
 *
 * Safety rests on the leader's own clock, not on Redis answering: a node counts its lease from
 * the moment it SENT the acquire/renew command (Redis starts the PX expiry later, when it runs
 * the command), subtracts a clock-drift margin (ttl·1% + 2 ms, as Redlock does), and keeps that
 * deadline on the monotonic clock (`performance.now()`). A timer armed for the deadline steps it
 * down even while a renewal is still unanswered, and `role`/`isLeader()` check the deadline
 * themselves in case that timer runs late. So a node never claims leadership after the moment
 * Redis could have handed the lease to another node, whatever Redis or the network does.
 *
 * Liveness: followers poll `acquire` every `acquirePollIntervalMs`, or sooner when Redis reports
 * that the current lease expires sooner. Acquire also reclaims the lease when its value is still
 * this node's owner string (see `lease-store.ts`), so a renewal that timed out here but ran on
 * Redis does not leave the cluster leaderless until that value expires.
 *
 * Events go to listeners given through `onRoleChange()`/`onError()` (the app wires them to pino
 * and metrics), always on `process.nextTick`, never synchronously from inside the state change.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { SiplbError } from '../errors.js';
import { createLeaseStore } from './lease-store.js';
import type { AcquireResult, LeaseStore } from './lease-store.js';
import { driftMarginMs, resolveOptions } from './options.js';
import type { LeaderElectionOptions, ResolvedOptions } from './options.js';
import { assertLeaseSafe, leaseRedisOptions } from './redis-options.js';
import { RoleState } from './role.js';
import type { Role, RoleChange, RoleChangeReason } from './role.js';

export { DEFAULT_LEADER_ELECTION_OPTIONS } from './options.js';
export type { LeaderElectionOptions } from './options.js';

export type RoleChangeListener = (role: Role, change: RoleChange) => void;
export type LeaseErrorListener = (err: SiplbError) => void;

const now = (): number => performance.now();

export class LeaderElection {
  /** The lease value of this process: `${nodeId}:${pid}:${random}`, unique per start of a process. */
  readonly owner: string;
  readonly #opts: ResolvedOptions;
  readonly #margin: number;
  readonly #renewRetryMs: number;
  readonly #makeClient: () => Redis;
  readonly #roles: RoleState;
  readonly #roleListeners = new Set<RoleChangeListener>();
  readonly #errorListeners = new Set<LeaseErrorListener>();
  #redis: Redis | undefined;
  #store: LeaseStore | undefined;
  #token: number | undefined;
  /** Monotonic time (performance.now()) at which this node stops being leader. */
  #deadline = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #running = false;
  #busy = false;
  #stopping: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#opts = resolveOptions(options);
    this.#margin = driftMarginMs(this.#opts.leaseTtlMs);
    this.#renewRetryMs = Math.max(10, Math.floor(this.#opts.renewIntervalMs / 4));
    this.owner = `${this.#opts.nodeId}:${process.pid}:${randomBytes(6).toString('hex')}`;
    const redisOptions = leaseRedisOptions(this.#opts);
    const { createClient, redisUrl } = options;
    if (createClient) {
      this.#makeClient = () => createClient(redisOptions);
    } else if (redisUrl) {
      this.#makeClient = () => new Redis(redisUrl, redisOptions);
    } else {
      throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', 'LeaderElection needs "redisUrl" or "createClient"; without Redis the node runs standalone');
    }
    this.#roles = new RoleState('follower', (change) => this.#emitRoleChange(change));
  }

  /** `leader` while this node holds the lease and its local deadline has not passed. */
  get role(): Role {
    this.#checkDeadline();
    return this.#roles.role;
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Token of the lease this node holds now; `undefined` when it is not leader. */
  get fencingToken(): number | undefined {
    return this.isLeader() ? this.#token : undefined;
  }

  /** Milliseconds until this node would step down without a successful renewal; 0 when not leader. */
  get leaseRemainingMs(): number {
    return this.isLeader() ? Math.max(0, this.#deadline - now()) : 0;
  }

  /** Number of role transitions (into or out of leader) since construction. */
  get leaderChanges(): number {
    return this.#roles.transitions;
  }

  /** Key of the lease in Redis. */
  get key(): string {
    return this.#opts.key;
  }

  /** Calls `listener` on every role transition; returns a function that removes it. */
  onRoleChange(listener: RoleChangeListener): () => void {
    this.#roleListeners.add(listener);
    return () => this.#roleListeners.delete(listener);
  }

  /** Calls `listener` with each Redis or lease error (all `SIPLB_ERR_HA_LEASE`); returns a remover. */
  onError(listener: LeaseErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Connects and makes the first acquisition attempt. Resolves once that attempt settled, as
   * leader or follower; never rejects because Redis is unreachable (the node stays follower and
   * keeps trying). Rejects when the client from `createClient` lacks the lease options.
   */
  async start(): Promise<void> {
    if (this.#stopping) throw new SiplbError('SIPLB_ERR_INTERNAL', 'LeaderElection was stopped; create a new instance');
    if (this.#running) return;
    const redis = this.#makeClient();
    assertLeaseSafe(redis);
    this.#running = true;
    this.#redis = redis;
    this.#store = createLeaseStore(redis, { key: this.#opts.key, owner: this.owner, leaseTtlMs: this.#opts.leaseTtlMs });
    redis.on('error', (err: unknown) => this.#report('connection', err));
    redis.on('ready', () => {
      // Back from a disconnect: try at once rather than at the next poll.
      if (this.#running && !this.#busy) this.#schedule(0);
    });
    if (redis.status === 'wait') {
      // A failure is reported through 'error' and ioredis keeps redialling in the background.
      await redis.connect().catch(() => undefined);
    }
    if (!this.#running) return;
    clearTimeout(this.#tickTimer);
    await this.#tick();
  }

  /**
   * Stops claiming leadership at once, then releases the lease if it is still ours, closes the
   * connection and clears all timers. Idempotent; never rejects.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#deadlineTimer);
    this.#stepDown('released');
    const redis = this.#redis;
    const store = this.#store;
    if (!redis || !store) return;
    if (redis.status !== 'ready') {
      redis.disconnect();
      return;
    }
    // Sent even when we were not leader: an acquire still in flight runs before it on this
    // connection, so a lease it may have taken is handed back too.
    try {
      await store.release();
    } catch (err) {
      this.#report('release', err);
    }
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
    if (!this.#running) return;
    this.#tickTimer = setTimeout(() => {
      this.#tickTimer = undefined;
      void this.#tick();
    }, Math.max(0, Math.ceil(delayMs)));
  }

  /** One lease step (renew when leader, else acquire), then schedules the next. */
  async #tick(): Promise<void> {
    if (!this.#running || this.#busy) return;
    this.#busy = true;
    let next: number;
    try {
      next = this.role === 'leader' ? await this.#renewOnce() : await this.#acquireOnce();
    } catch (err) {
      this.#report('tick', err);
      next = this.#opts.acquirePollIntervalMs;
    } finally {
      this.#busy = false;
    }
    this.#schedule(next);
  }

  /** Returns the delay until the next step. */
  async #acquireOnce(): Promise<number> {
    const poll = this.#opts.acquirePollIntervalMs;
    if (!this.#connected()) return poll; // 'ready' triggers a step as soon as we are back
    const sentAt = now();
    let result: AcquireResult;
    try {
      result = await this.#store!.acquire();
    } catch (err) {
      this.#report('acquire', err);
      return sentAt + poll - now();
    }
    if (!this.#running) return 0; // stop() releases whatever this took
    if (result.kind === 'held') {
      // Wake right after the current lease expires if that comes before the next poll.
      const untilExpiry = result.pttlMs > 0 ? result.pttlMs + 1 : Infinity;
      return Math.min(sentAt + poll - now(), untilExpiry);
    }
    this.#token = result.token;
    this.#extendDeadline(sentAt);
    this.#roles.setRole('leader', 'acquired', result.token);
    return sentAt + this.#opts.renewIntervalMs - now();
  }

  async #renewOnce(): Promise<number> {
    const { renewIntervalMs, acquirePollIntervalMs: poll, commandTimeoutMs } = this.#opts;
    const sentAt = now();
    let renewed: boolean;
    try {
      if (!this.#connected()) throw new NotConnected();
      renewed = await this.#store!.renew();
    } catch (err) {
      if (!(err instanceof NotConnected)) this.#report('renew', err);
      if (this.#roles.role !== 'leader') return sentAt + poll - now();
      const left = this.#deadline - now();
      if (left <= commandTimeoutMs) {
        // Another attempt could not be confirmed before the deadline: give up now rather than
        // at the last millisecond, so the app has the remaining time to stop acting as leader.
        this.#stepDown(this.#connected() ? 'renew-failed' : 'redis-down');
        return sentAt + poll - now();
      }
      return Math.min(this.#renewRetryMs, left - commandTimeoutMs);
    }
    if (this.#roles.role !== 'leader') {
      // The deadline passed while this renewal was in flight. If it did extend our value,
      // acquire reclaims it with a new token: try at once.
      return renewed ? 0 : sentAt + poll - now();
    }
    if (!renewed) {
      this.#stepDown('lost');
      return sentAt + poll - now();
    }
    this.#extendDeadline(sentAt);
    return sentAt + renewIntervalMs - now();
  }

  /** Lease confirmed by a command sent at `sentAt`: Redis expires it no earlier than sentAt + ttl. */
  #extendDeadline(sentAt: number): void {
    this.#deadline = Math.max(this.#deadline, sentAt + this.#opts.leaseTtlMs - this.#margin);
    this.#armDeadlineTimer();
  }

  #armDeadlineTimer(): void {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(() => {
      this.#deadlineTimer = undefined;
      this.#checkDeadline();
      // Timers and performance.now() round differently: re-arm if this fired a hair early.
      if (this.#roles.role === 'leader' && this.#deadlineTimer === undefined) this.#armDeadlineTimer();
    }, Math.max(1, Math.ceil(this.#deadline - now())));
  }

  #checkDeadline(): void {
    if (this.#roles.role === 'leader' && now() >= this.#deadline) {
      this.#stepDown(this.#connected() ? 'deadline' : 'redis-down');
    }
  }

  #stepDown(reason: RoleChangeReason): void {
    if (this.#roles.role !== 'leader') return;
    const token = this.#token;
    this.#token = undefined;
    this.#deadline = 0;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#roles.setRole('follower', reason, token);
  }

  #connected(): boolean {
    return this.#redis?.status === 'ready';
  }

  #emitRoleChange(change: RoleChange): void {
    process.nextTick(() => {
      for (const listener of this.#roleListeners) {
        try {
          listener(change.role, change);
        } catch (err) {
          this.#report('role listener', err);
        }
      }
    });
  }

  #report(op: string, cause: unknown): void {
    if (this.#errorListeners.size === 0) return;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const hint = /timed out|timeout/i.test(detail)
      ? ` (no answer within commandTimeoutMs=${this.#opts.commandTimeoutMs}; raise it if Redis is slow but healthy)`
      : '';
    const err = new SiplbError('SIPLB_ERR_HA_LEASE', `lease ${op} on "${this.#opts.key}" failed: ${detail}${hint}`, { cause });
    for (const listener of this.#errorListeners) {
      try {
        listener(err);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }
}

class NotConnected extends Error {}
