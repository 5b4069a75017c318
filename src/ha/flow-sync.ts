/**
 * @module ha/flow-sync
 * Keeps a node's flow-token keys and node map in step with Redis (./flow-keys.ts) when HA is on
 * and `flow.keys` is not configured: the shared ring is loaded before SIP starts (bounded by the
 * Redis command timeout), this node's address is announced, and both are re-read every
 * `refreshMs` so a rotated key or a node that joined is picked up. Redis away: the node keeps
 * what it has (its own key until the first load succeeds) and logs rate-limited; SIP never waits.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { SwappableFlowSettings } from '../flow/swappable-settings.js';
import type { HostPort } from '../transport/address.js';
import { hostportText } from '../transport/address.js';
import { FlowKeyStore } from './flow-keys.js';
import { RateLimitedLog } from './rate-limited-log.js';

export interface FlowSyncOptions {
  readonly redisUrl?: string;
  readonly createClient?: (options: RedisOptions) => Redis;
  /** ha.key: the prefix of the Redis keys. */
  readonly key: string;
  readonly commandTimeoutMs: number;
  readonly settings: SwappableFlowSettings;
  /** This node's address, announced for relays (its flow.nodes entry, else sip.advertise). */
  readonly ownAddress: HostPort;
  readonly logger: Logger;
  /** @default 10000 */
  readonly refreshMs?: number;
}

export interface FlowSync {
  stop(): Promise<void>;
}

function parseHostPort(text: string): HostPort | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  return m === null ? undefined : { host: m[1]!, port: Number(m[2]) };
}

/** Loads once (resolving when that settled), then refreshes in the background until stopped. */
export async function startFlowSync(opts: FlowSyncOptions): Promise<FlowSync> {
  const log = opts.logger.child({ component: 'flow' });
  const errors = new RateLimitedLog(log);
  const store = new FlowKeyStore({ ...(opts.createClient ? { createClient: opts.createClient } : { redisUrl: opts.redisUrl }), key: opts.key, commandTimeoutMs: opts.commandTimeoutMs });
  const nodeId = opts.settings.nodeId();
  let loaded = false;

  const sync = async (): Promise<void> => {
    try {
      await store.announce(nodeId, hostportText(opts.ownAddress));
      const { keys, signingId } = await store.load();
      const announced = new Map<number, HostPort>();
      for (const [id, text] of await store.nodes()) {
        const hp = parseHostPort(text);
        if (hp !== undefined) announced.set(id, hp);
      }
      opts.settings.adopt(keys, signingId, announced);
      if (!loaded) log.info({ keyIds: keys.map((k) => k.id), signingKeyId: signingId, nodes: announced.size }, 'flow keys and node map loaded from Redis');
      loaded = true;
    } catch (err) {
      errors.failure('flow-sync', { err }, loaded ? 'Redis flow keys refresh failed: keeping the ones in use' : 'flow keys not loaded from Redis: signing with this node\'s own key until Redis answers');
    }
  };
  await sync();
  const timer = setInterval(() => void sync(), opts.refreshMs ?? 10_000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await store.close();
    },
  };
}
