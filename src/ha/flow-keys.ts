/**
 * @module ha/flow-keys
 * The flow-token key ring and the node directory of a cluster, shared through Redis when HA is on
 * and `flow.keys` is not configured: every node verifies every node's tokens (RFC 5626 §5.2: a
 * token must be checkable where the request lands), tokens survive a node's restart, and a node
 * can relay a request to the node that holds the client's flow.
 *
 * Redis layout (prefix = ha.key):
 * - `<prefix>:flow:keys`    hash, key id → secret (hex of 32 random bytes). The first node to
 *   start creates key 1 with HSETNX, so concurrent starts converge on one secret.
 * - `<prefix>:flow:signing` the id of the signing key. Rotation: HSET a new id, SET signing to it,
 *   HDEL the old id after the longest registration plus dialog lifetime (verify-only meanwhile).
 * - `<prefix>:flow:nodes`   hash, node id → `host:port`, the SIP address a node's Paths name.
 *
 * Secrets never reach a log line. Without Redis nothing blocks: commands fail fast (no offline
 * queue) and the caller keeps what it has (a local key: tokens then verify on this node only).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { FlowKey } from '../flow/key-ring.js';
import { MAX_KEY_ID, MIN_SECRET_BYTES } from '../flow/key-ring.js';
import { leaseRedisOptions } from './redis-options.js';

export interface SharedFlowKeys {
  readonly keys: readonly FlowKey[];
  readonly signingId: number;
}

export interface FlowKeyStoreOptions {
  /** Redis URL. Required unless `createClient` is given. */
  readonly redisUrl?: string;
  readonly createClient?: (options: RedisOptions) => Redis;
  /** ha.key: the prefix of the three keys. */
  readonly key: string;
  readonly commandTimeoutMs: number;
}

/** KEYS: keys hash, signing. ARGV: a fresh secret for key 1. Returns {signing id, hgetall flat}. */
const ENSURE_LUA = `
redis.call('HSETNX', KEYS[1], '1', ARGV[1])
redis.call('SETNX', KEYS[2], '1')
return {redis.call('GET', KEYS[2]), redis.call('HGETALL', KEYS[1])}
`;

interface FlowRedis extends Redis {
  siplbFlowEnsure(keys: string, signing: string, secret: string): Promise<[string | null, string[]]>;
}

export class FlowKeyStore {
  readonly #redis: FlowRedis;
  readonly #keysKey: string;
  readonly #signingKey: string;
  readonly #nodesKey: string;

  constructor(opts: FlowKeyStoreOptions) {
    // The lease client's options: fail fast, never queue or resend while Redis is away.
    const options = leaseRedisOptions({ commandTimeoutMs: opts.commandTimeoutMs, renewIntervalMs: 1000 });
    if (opts.createClient) this.#redis = opts.createClient(options) as FlowRedis;
    else if (opts.redisUrl !== undefined) this.#redis = new Redis(opts.redisUrl, options) as FlowRedis;
    else throw new RangeError('FlowKeyStore needs redisUrl or createClient');
    this.#redis.on('error', () => {}); // failures surface as rejected commands, handled by callers
    this.#redis.defineCommand('siplbFlowEnsure', { numberOfKeys: 2, lua: ENSURE_LUA });
    this.#keysKey = `${opts.key}:flow:keys`;
    this.#signingKey = `${opts.key}:flow:signing`;
    this.#nodesKey = `${opts.key}:flow:nodes`;
  }

  /**
   * The shared key ring, created on first use. Entries that are not valid keys (a hand-edited
   * hash) are skipped; the signing id falls back to the highest valid id. Rejects when Redis does
   * not answer.
   */
  async load(): Promise<SharedFlowKeys> {
    await this.#connect();
    const [signing, flat] = await this.#redis.siplbFlowEnsure(this.#keysKey, this.#signingKey, randomBytes(MIN_SECRET_BYTES).toString('hex'));
    const keys: FlowKey[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const id = Number(flat[i]);
      const secret = Buffer.from(flat[i + 1] ?? '', 'hex');
      if (Number.isInteger(id) && id >= 0 && id <= MAX_KEY_ID && secret.length >= MIN_SECRET_BYTES) keys.push({ id, secret });
    }
    keys.sort((a, b) => a.id - b.id);
    const wanted = Number(signing);
    const signingId = keys.some((k) => k.id === wanted) ? wanted : (keys.at(-1)?.id ?? 1);
    return { keys, signingId };
  }

  /** Publish this node's SIP address for relays from other nodes. Rejects when Redis does not answer. */
  async announce(nodeId: number, address: string): Promise<void> {
    await this.#connect();
    await this.#redis.hset(this.#nodesKey, String(nodeId), address);
  }

  /** Every node's announced address. Rejects when Redis does not answer. */
  async nodes(): Promise<Map<number, string>> {
    await this.#connect();
    const all = await this.#redis.hgetall(this.#nodesKey);
    const out = new Map<number, string>();
    for (const [id, address] of Object.entries(all)) if (/^\d+$/.test(id)) out.set(Number(id), address);
    return out;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  async #connect(): Promise<void> {
    if (this.#redis.status === 'wait' || this.#redis.status === 'end') await this.#redis.connect().catch(() => {});
  }
}
