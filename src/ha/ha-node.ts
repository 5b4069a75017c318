/**
 * @module ha/ha-node
 * High availability of one siplb node, as the app sees it: the Redis leader lease
 * (`LeaderElection`), the keepalived role file that follows it, and admin state shared with the
 * other nodes (`AdminSync`). Owns every Redis connection of HA; knows nothing of SIP. main.ts
 * starts it when `ha.redis` is set and hands its `leader` to the control surface.
 *
 * Redis being down never blocks or fails the node: the lease steps down by its own clock, admin
 * changes stay local, and errors are logged rate-limited.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SiplbError } from '../errors.js';
import { channels } from '../observe/channels.js';
import { AdminSync } from './admin-sync.js';
import type { AdminStateName } from './admin-sync.js';
import { LeaderElection } from './leader-election.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { RoleFileWriter } from './role-file.js';
import type { Role, RoleChange } from './role.js';

/** What the control surface reads about leadership (structurally control.ts's LeaderSource). */
export interface HaLeaderSource {
  role(): Role;
  fencingToken(): number | null;
  leaderChanges(): number;
}

export interface HaNode {
  readonly leader: HaLeaderSource;
  /** Shares a local admin change with the other nodes. Returns at once; never throws. */
  publishAdmin(backendId: string, state: AdminStateName): void;
  /** Releases the lease, writes the follower weight to the role file, closes Redis. Never rejects. */
  stop(): Promise<void>;
}

export interface HaNodeOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Applies an admin state set on another node (or before a restart). */
  readonly applyRemoteAdmin: (backendId: string, state: AdminStateName) => void;
  /** Backend ids configured now; shared states of other ids are ignored. */
  readonly backendIds: () => readonly string[];
  /** Builds the ioredis clients instead of `new Redis(config.ha.redis, options)` (TLS, Sentinel, tests). */
  readonly createClient?: (options: RedisOptions) => Redis;
  /** How often the shared admin states are re-read from Redis, in ms. @default 5000 */
  readonly adminReconcileIntervalMs?: number;
}

/**
 * Starts HA for a node whose config has `ha.redis`. Resolves once the role file says follower
 * and the first lease and admin-state attempts settled, or after `commandTimeout`×2 + 1 s when
 * Redis does not answer (they go on in the background). Rejects only when `ha.redis` is unset.
 */
export async function startHaNode(opts: HaNodeOptions): Promise<HaNode> {
  const { config, createClient } = opts;
  const ha = config.ha;
  const redisUrl = ha.redis;
  if (redisUrl === undefined && !createClient) {
    throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', 'startHaNode needs ha.redis (or createClient); without Redis the node runs standalone');
  }
  const nodeId = config.node.id;
  const log = opts.logger.child({ component: 'ha' });
  const errors = new RateLimitedLog(log);

  const roleFile = ha.roleFile === undefined ? undefined : new RoleFileWriter(ha.roleFile);
  const writeRole = async (role: Role): Promise<void> => {
    if (!roleFile) return;
    try {
      await roleFile.write(role);
    } catch (err) {
      log.error({ err, roleFile: roleFile.path, role }, 'could not write the keepalived role file');
    }
  };
  // A node that died as leader left the leader weight behind: start as follower.
  await writeRole('follower');

  const election = new LeaderElection({
    ...(createClient ? { createClient } : { redisUrl }),
    key: ha.key,
    nodeId,
    leaseTtlMs: ha.leaseTtl,
    renewIntervalMs: ha.renewInterval,
    commandTimeoutMs: ha.commandTimeout,
  });
  let stopped = false;
  election.onRoleChange((role, change) => onRoleChange(role, change));
  election.onError((err) => errors.failure('lease', { err }, 'Redis lease error'));

  function onRoleChange(role: Role, change: RoleChange): void {
    const token = change.fencingToken ?? null;
    const entry = { role, previous: change.previous, reason: change.reason, fencingToken: token };
    if (role === 'leader' || change.reason === 'released') log.info(entry, 'HA role changed');
    else log.warn(entry, 'HA role changed: no longer leader');
    if (channels.leader.hasSubscribers) channels.leader.publish({ role, nodeId, fencingToken: token, reason: change.reason });
    if (!stopped) void writeRole(role);
  }

  const admin = new AdminSync({
    ...(createClient ? { createClient } : { redisUrl }),
    key: `${ha.key}:admin`,
    origin: election.owner,
    commandTimeoutMs: ha.commandTimeout,
    reconnectCapMs: ha.renewInterval,
    ...(opts.adminReconcileIntervalMs === undefined ? {} : { reconcileIntervalMs: opts.adminReconcileIntervalMs }),
    logger: log,
    apply: opts.applyRemoteAdmin,
    backendIds: opts.backendIds,
  });

  const startWaitMs = ha.commandTimeout * 2 + 1000;
  let waitTimer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    waitTimer = setTimeout(resolve, startWaitMs);
    waitTimer.unref();
  });
  const started = Promise.all([
    election.start().catch((err: unknown) => log.error({ err }, 'leader election did not start')),
    admin.start(),
  ]);
  await Promise.race([started, waited]);
  clearTimeout(waitTimer);
  log.info({ key: ha.key, role: election.role, roleFile: ha.roleFile ?? null }, 'HA started');

  let stopping: Promise<void> | undefined;
  return {
    leader: {
      role: () => election.role,
      fencingToken: () => election.fencingToken ?? null,
      leaderChanges: () => election.leaderChanges,
    },
    publishAdmin: (backendId, state) => admin.publish(backendId, state),
    stop: () => {
      stopping ??= (async () => {
        await election.stop();
        // Role listeners run on nextTick: let the 'released' one pass before the last write.
        await new Promise<void>((r) => process.nextTick(r));
        stopped = true;
        await writeRole('follower');
        await admin.stop();
        log.info('HA stopped');
      })();
      return stopping;
    },
  };
}
