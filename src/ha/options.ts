/**
 * @module ha/options
 * Options of `LeaderElection`, their defaults in one place, and the one check of their values.
 */
import { hostname } from 'node:os';
import type { Redis, RedisOptions } from 'ioredis';
import { SiplbError } from '../errors.js';

export interface LeaderElectionOptions {
  /**
   * Redis to hold the lease, e.g. `redis://10.0.0.5:6379/0`. Required unless `createClient` is
   * given. A node without Redis is `standalone`, which the app decides; this class needs Redis.
   */
  redisUrl?: string;
  /**
   * Builds the ioredis client instead of `new Redis(redisUrl, options)`, e.g. for TLS or
   * Sentinel. It receives the options a lease client must run with (`leaseRedisOptions()`);
   * spread them over your own. `start()` rejects a client built without them.
   */
  createClient?: (options: RedisOptions) => Redis;
  /** Redis key of the lease; the fencing counter lives at `${key}:fence`. @default 'siplb:leader' */
  key?: string;
  /** Lease time to live, in ms. Bounds how long the cluster waits after a leader dies. @default 3000 */
  leaseTtlMs?: number;
  /** How often the leader renews the lease, in ms. @default 1000 */
  renewIntervalMs?: number;
  /** How often a follower tries to acquire the lease, in ms. @default renewIntervalMs */
  acquirePollIntervalMs?: number;
  /** Time after which one lease command counts as failed on this side, in ms. @default 500 */
  commandTimeoutMs?: number;
  /** This node's name in the lease value `${nodeId}:${pid}:${random}`. @default os.hostname() */
  nodeId?: string;
}

export const DEFAULT_LEADER_ELECTION_OPTIONS = Object.freeze({
  key: 'siplb:leader',
  leaseTtlMs: 3000,
  renewIntervalMs: 1000,
  commandTimeoutMs: 500,
} as const satisfies LeaderElectionOptions);

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly key: string;
  readonly leaseTtlMs: number;
  readonly renewIntervalMs: number;
  readonly acquirePollIntervalMs: number;
  readonly commandTimeoutMs: number;
  readonly nodeId: string;
}

/** Applies the defaults and rejects values with which the lease could not work. */
export function resolveOptions(options: LeaderElectionOptions): ResolvedOptions {
  const d = DEFAULT_LEADER_ELECTION_OPTIONS;
  const renewIntervalMs = options.renewIntervalMs ?? d.renewIntervalMs;
  const resolved: ResolvedOptions = {
    key: options.key ?? d.key,
    leaseTtlMs: options.leaseTtlMs ?? d.leaseTtlMs,
    renewIntervalMs,
    acquirePollIntervalMs: options.acquirePollIntervalMs ?? renewIntervalMs,
    commandTimeoutMs: options.commandTimeoutMs ?? d.commandTimeoutMs,
    nodeId: options.nodeId ?? hostname(),
  };
  for (const name of ['leaseTtlMs', 'renewIntervalMs', 'acquirePollIntervalMs', 'commandTimeoutMs'] as const) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', `LeaderElection option "${name}" must be a positive integer of milliseconds, got ${String(value)}`);
    }
  }
  if (resolved.key === '') throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', 'LeaderElection option "key" must not be empty');
  if (resolved.nodeId === '') throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', 'LeaderElection option "nodeId" must not be empty');
  const usable = resolved.leaseTtlMs - driftMarginMs(resolved.leaseTtlMs);
  if (resolved.renewIntervalMs + resolved.commandTimeoutMs >= usable) {
    throw new SiplbError(
      'SIPLB_ERR_CONFIG_INVALID',
      `LeaderElection: renewIntervalMs (${resolved.renewIntervalMs}) + commandTimeoutMs (${resolved.commandTimeoutMs}) must be below ` +
        `leaseTtlMs (${resolved.leaseTtlMs}) minus the drift margin (${driftMarginMs(resolved.leaseTtlMs)}), or a healthy leader ` +
        'could not renew in time; raise leaseTtlMs or lower renewIntervalMs',
    );
  }
  return resolved;
}

/** Redlock's allowance for the two clocks running at different rates, plus timer granularity. */
export function driftMarginMs(leaseTtlMs: number): number {
  return Math.ceil(leaseTtlMs * 0.01) + 2;
}
