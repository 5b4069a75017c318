/**
 * @module ha/redis-options
 * The ioredis options a lease client must run with. ioredis defaults are built for caches: it
 * queues commands while disconnected, without a timeout, and resends unanswered commands after
 * a reconnect. For a lease that is split brain: a renewal queued during an outage can run long
 * after this node gave up leadership, and a node blocked on an unanswered command never learns
 * that it should stop. So every lease command here either completes within `commandTimeoutMs`
 * or fails, and a connection that stops answering is torn down and redialled.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { SiplbError } from '../errors.js';

export interface LeaseRedisTimings {
  readonly commandTimeoutMs: number;
  readonly renewIntervalMs: number;
}

/** First reconnect delay before jitter; it doubles per attempt up to the cap. */
const RECONNECT_BASE_MS = 50;

/**
 * The options every lease client needs (a `createClient` factory spreads them over its own):
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once.
 * - `maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`: nothing sent on a dead
 *   connection is sent again on the next one.
 * - `commandTimeout`: each command settles within `commandTimeoutMs` on our side.
 * - `socketTimeout` (3 × commandTimeoutMs): a connection on which commands are pending and no
 *   byte arrives for that long is destroyed and redialled. A black-holed or half-open TCP
 *   connection would otherwise stay "ready" until the kernel gives up, minutes later. It also
 *   bounds the ready check (INFO) on a connection that was accepted but never answers.
 * - `connectTimeout` (2 × commandTimeoutMs, at least 1 s): bounds the TCP connect itself.
 * - `retryStrategy`: capped exponential backoff with jitter, never giving up.
 * - `lazyConnect: true`: `LeaderElection.start()` decides when to connect.
 */
export function leaseRedisOptions(timings: LeaseRedisTimings): RedisOptions {
  const { commandTimeoutMs, renewIntervalMs } = timings;
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    socketTimeout: commandTimeoutMs * 3,
    connectTimeout: Math.max(1000, commandTimeoutMs * 2),
    retryStrategy: reconnectBackoff(Math.max(RECONNECT_BASE_MS, renewIntervalMs)),
  };
}

/**
 * ioredis `retryStrategy` shape: attempt n waits min(cap, base·2^(n-1)), scaled by a random
 * factor in [0.5, 1) so that nodes which lost Redis together do not redial in lockstep. Capped
 * at the renew interval: a node should be back before its next lease attempt is due.
 */
export function reconnectBackoff(capMs: number, random: () => number = Math.random): (attempt: number) => number {
  return (attempt) => {
    const exp = Math.min(capMs, RECONNECT_BASE_MS * 2 ** Math.min(Math.max(attempt - 1, 0), 16));
    return Math.max(1, Math.round(exp * (0.5 + random() / 2)));
  };
}

/** Refuses a client whose options would queue or resend lease commands (see above). */
export function assertLeaseSafe(redis: Redis): void {
  const o = redis.options;
  const problems: string[] = [];
  if (o.enableOfflineQueue !== false) problems.push('enableOfflineQueue must be false');
  if (typeof o.commandTimeout !== 'number' || o.commandTimeout <= 0) problems.push('commandTimeout must be set');
  if (o.autoResendUnfulfilledCommands !== false) problems.push('autoResendUnfulfilledCommands must be false');
  if (typeof o.maxRetriesPerRequest !== 'number' || o.maxRetriesPerRequest > 1) problems.push('maxRetriesPerRequest must be 0 or 1');
  if (problems.length > 0) {
    redis.disconnect();
    throw new SiplbError(
      'SIPLB_ERR_CONFIG_INVALID',
      `LeaderElection "createClient" returned a client that could renew a lease after losing it (${problems.join('; ')}); spread the options it is given into the client`,
    );
  }
}
