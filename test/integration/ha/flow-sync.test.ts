/**
 * @module test/integration/ha/flow-sync.test
 * Two nodes without flow.keys and with HA on take their flow-token ring and node map from a real
 * redis-server: a token node A issues verifies on node B, B knows where to relay A's tokens, and a
 * token A issued with its own key before Redis answered still verifies on A. Without Redis the
 * start does not fail or hang: the node signs with its own key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwappableFlowSettings } from '../../../src/flow/swappable-settings.js';
import { checkToken, issueToken } from '../../../src/flow/token.js';
import { startFlowSync, type FlowSync } from '../../../src/ha/flow-sync.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { redisSkipReason, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';

describe.skipIf(redisSkipReason !== undefined)('flow keys and node map from Redis (HA, no flow.keys)', () => {
  let redis: RedisServer;
  const syncs: FlowSync[] = [];
  const node = (id: number): SwappableFlowSettings => new SwappableFlowSettings({ id: 0, secret: randomBytes(32) }, id, [], false);

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const s of syncs) await s.stop();
    await redis?.stop();
  });

  it('a token of node A verifies on node B, and B relays A tokens to the address A announced', async () => {
    const a = node(1);
    const b = node(2);
    const early = issueToken(a.ring(), 1, { transport: 'ws', connectionId: 7 }, Date.now()); // before Redis
    const logger = captureLogger([]);
    for (const [s, port] of [[a, 5061], [b, 5062]] as const) {
      syncs.push(await startFlowSync({ redisUrl: redis.url, key: 'siplb-fs', commandTimeoutMs: 500, settings: s, ownAddress: { host: '127.0.0.1', port }, logger }));
    }
    // A re-reads after B announced itself (what the periodic refresh does).
    syncs.push(await startFlowSync({ redisUrl: redis.url, key: 'siplb-fs', commandTimeoutMs: 500, settings: a, ownAddress: { host: '127.0.0.1', port: 5061 }, logger }));
    expect(a.nodeTarget(2)).toEqual({ transport: 'udp', host: '127.0.0.1', port: 5062 });
    expect(a.ring().signing.secret.equals(b.ring().signing.secret)).toBe(true);
    const token = issueToken(a.ring(), 1, { transport: 'wss', connectionId: 99 }, Date.now());
    const onB = checkToken(b.ring(), token);
    expect(onB.ok && onB.token.nodeId).toBe(1);
    expect(b.nodeTarget(1)).toEqual({ transport: 'udp', host: '127.0.0.1', port: 5061 });
    expect(b.isNodeAddress('127.0.0.1', 5061)).toBe(true);
    // A's own key stays verify-only on A: a token it issued before Redis answered still checks.
    expect(checkToken(a.ring(), early).ok).toBe(true);
  });

  it('Redis down at start: the start resolves and the node signs with its own key', async () => {
    const c = node(3);
    const own = c.ring().signing.id;
    const lines: Record<string, unknown>[] = [];
    const logger = captureLogger(lines);
    syncs.push(await startFlowSync({ redisUrl: 'redis://127.0.0.1:1', key: 'siplb-fs', commandTimeoutMs: 200, settings: c, ownAddress: { host: '127.0.0.1', port: 5063 }, logger }));
    expect(c.ring().signing.id).toBe(own);
    expect(lines.some((l) => /own key until Redis answers/.test(String(l.msg)))).toBe(true);
  });
});
