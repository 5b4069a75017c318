/**
 * @module ha/lease-store
 * The Redis side of the leader lease: three Lua scripts registered with ioredis `defineCommand`
 * so that every compare-and-set is one atomic round trip (EVALSHA, with ioredis falling back to
 * EVAL once after a Redis restart empties the script cache).
 *
 * Keys: the lease `key` holds the owner string of the current leader with a PX expiry; the fence
 * key `${key}:fence` holds the last fencing token issued and never expires.
 *
 * Acquire is `SET key owner NX PX ttl` or, when the key already holds *our* owner string,
 * `PEXPIRE key ttl` (a reclaim: a renewal that timed out on our side may still have run on
 * Redis and extended our own lease; without the reclaim the cluster would wait a whole TTL for
 * that orphaned value to expire). Either way the script issues a new fencing token in the same
 * step, so a lease never exists without its token.
 *
 * Fencing tokens must strictly increase across acquisitions by any node, including across a
 * Redis restart without persistence, which loses the counter. A plain INCR would restart at 1.
 * So before each INCR the script raises the counter to at least the Redis server's clock in
 * microseconds (`TIME`): token = max(counter, now_us) + 1. While the counter survives, that is
 * at least counter + 1. When it was lost, the new token is at least now_us + 1, and every older
 * token was at most (its own issue time in µs) + (acquisitions since then), which is below now_us
 * unless more than one acquisition per microsecond happened or the server clock went backwards
 * across the restart. Each acquisition costs a network round trip, so the first cannot happen.
 * The same max() also covers failover to a replica whose copy of the counter lags behind.
 * Tokens stay below 2^53 until the year 2255, so they are exact JavaScript numbers; the value
 * is built as a string in Lua because Lua 5.1 prints large numbers in exponent form.
 * Fencing tokens only help a resource that checks them (Kleppmann, "How to do distributed
 * locking", 2016): siplb hands the token on and leaves checking to whoever consumes it.
 *
 * Not for Redis Cluster: the two keys do not share a hash slot.
 */
import type { Redis } from 'ioredis';

const NEXT_TOKEN_LUA = `
local function next_token(fence_key)
  local t = redis.call('TIME')
  local now_us = t[1] .. string.format('%06d', tonumber(t[2]))
  local cur = tonumber(redis.call('GET', fence_key))
  if (not cur) or cur < tonumber(now_us) then
    redis.call('SET', fence_key, now_us)
  end
  return redis.call('INCR', fence_key)
end
`;

/** KEYS: lease, fence. ARGV: owner, ttl ms. Returns {1, token} | {2, token} | {0, pttl}. */
const ACQUIRE_LUA = `${NEXT_TOKEN_LUA}
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, next_token(KEYS[2])}
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {2, next_token(KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`;

/** KEYS: lease. ARGV: owner, ttl ms. Returns 1 when the lease was ours and was extended. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** KEYS: lease. ARGV: owner. Returns 1 when the lease was ours and was deleted. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

interface LeaseCommands {
  siplbLeaseAcquire(key: string, fenceKey: string, owner: string, ttlMs: number): Promise<unknown>;
  siplbLeaseRenew(key: string, owner: string, ttlMs: number): Promise<unknown>;
  siplbLeaseRelease(key: string, owner: string): Promise<unknown>;
}

export type AcquireResult =
  | { readonly kind: 'acquired' | 'reclaimed'; readonly token: number }
  | { readonly kind: 'held'; readonly pttlMs: number };

/** The lease operations of one owner on one key; each is one round trip. */
export interface LeaseStore {
  readonly key: string;
  readonly fenceKey: string;
  /** SET NX PX, or reclaim when the value is already ours; issues a new fencing token. */
  acquire(): Promise<AcquireResult>;
  /** Extends the lease when it is still ours; `false` when it is not (lost or expired). */
  renew(): Promise<boolean>;
  /** Deletes the lease when it is still ours; `false` when it was not ours. */
  release(): Promise<boolean>;
}

export interface LeaseStoreOptions {
  readonly key: string;
  readonly owner: string;
  readonly leaseTtlMs: number;
}

/** Registers the scripts on `redis` (idempotent per client) and returns the lease operations. */
export function createLeaseStore(redis: Redis, options: LeaseStoreOptions): LeaseStore {
  const r = defineLeaseCommands(redis);
  const { key, owner, leaseTtlMs } = options;
  const fenceKey = `${key}:fence`;
  return {
    key,
    fenceKey,
    async acquire() {
      return parseAcquireReply(await r.siplbLeaseAcquire(key, fenceKey, owner, leaseTtlMs));
    },
    async renew() {
      return (await r.siplbLeaseRenew(key, owner, leaseTtlMs)) === 1;
    },
    async release() {
      return (await r.siplbLeaseRelease(key, owner)) === 1;
    },
  };
}

function defineLeaseCommands(redis: Redis): Redis & LeaseCommands {
  const r = redis as Redis & Partial<LeaseCommands>;
  if (typeof r.siplbLeaseAcquire !== 'function') {
    redis.defineCommand('siplbLeaseAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    redis.defineCommand('siplbLeaseRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    redis.defineCommand('siplbLeaseRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }
  return redis as Redis & LeaseCommands;
}

function parseAcquireReply(reply: unknown): AcquireResult {
  if (Array.isArray(reply) && reply.length === 2) {
    const [code, value] = reply as unknown[];
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      if (code === 1) return { kind: 'acquired', token: value };
      if (code === 2) return { kind: 'reclaimed', token: value };
      if (code === 0) return { kind: 'held', pttlMs: value };
    }
  }
  throw new TypeError(`unexpected reply from the lease acquire script: ${JSON.stringify(reply)}`);
}
