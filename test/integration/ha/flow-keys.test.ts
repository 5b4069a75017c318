/**
 * @module test/integration/ha/flow-keys.test
 * The flow-token key ring and node directory shared through a real redis-server: two nodes that
 * start together converge on one key, a token one node issues verifies on the other and after a
 * Redis-less restart of the first, and the node directory lists every announced address. Redis
 * down: load rejects fast instead of hanging.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../../src/flow/key-ring.js';
import { checkToken, issueToken } from '../../../src/flow/token.js';
import { FlowKeyStore } from '../../../src/ha/flow-keys.js';
import { redisSkipReason, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';

describe.skipIf(redisSkipReason !== undefined)('flow keys shared through Redis', () => {
  let redis: RedisServer;
  const stores: FlowKeyStore[] = [];
  const store = (key = 'siplb-test'): FlowKeyStore => {
    const s = new FlowKeyStore({ redisUrl: redis.url, key, commandTimeoutMs: 300 });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('nodes starting together share one signing key; a token of one verifies on the other', async () => {
    const [a, b] = await Promise.all([store().load(), store().load()]);
    expect(a.keys.map((k) => k.id)).toEqual([1]);
    expect(a.signingId).toBe(1);
    expect(b.keys[0]!.secret.equals(a.keys[0]!.secret)).toBe(true);
    const ringA = new KeyRing(a.keys, a.signingId);
    const token = issueToken(ringA, 1, { transport: 'wss', connectionId: 4242 }, Date.now());
    // "After a restart": a fresh store (new client, same Redis) loads the same ring.
    const again = await store().load();
    const c = checkToken(new KeyRing(again.keys, again.signingId), token);
    expect(c.ok && c.token.flow).toEqual({ transport: 'wss', connectionId: 4242 });
  });

  it('rotation written into Redis: the new key signs, the old one still verifies', async () => {
    const s = store('siplb-rot');
    const first = await s.load();
    const old = issueToken(new KeyRing(first.keys, first.signingId), 2, { transport: 'tcp', connectionId: 1 }, Date.now());
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.hset('siplb-rot:flow:keys', '2', 'ab'.repeat(32));
    await admin.set('siplb-rot:flow:signing', '2');
    admin.disconnect();
    const next = await s.load();
    expect(next.signingId).toBe(2);
    const ring = new KeyRing(next.keys, next.signingId);
    expect(checkToken(ring, old).ok).toBe(true);
    const fresh = checkToken(ring, issueToken(ring, 2, { transport: 'tcp', connectionId: 1 }, Date.now()));
    expect(fresh.ok && fresh.token.keyId).toBe(2);
  });

  it('the node directory lists every announced node address', async () => {
    const s = store('siplb-nodes');
    await s.announce(1, '127.0.0.11:5060');
    await store('siplb-nodes').announce(2, '127.0.0.12:5060');
    expect(await s.nodes()).toEqual(
      new Map([
        [1, '127.0.0.11:5060'],
        [2, '127.0.0.12:5060'],
      ]),
    );
  });

  it('Redis down: load rejects within a bounded time instead of hanging', async () => {
    const s = store('siplb-down');
    await redis.stop();
    const t0 = performance.now();
    await expect(s.load()).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
