/**
 * @module test/integration/ha/lease.test
 * LeaderElection against a real redis-server, without faults: one leader among several nodes,
 * hand-over on stop(), fencing tokens (also across a restart without persistence), and the
 * checks on an injected client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LeaderElection } from '../../../src/ha/index.js';
import { isSiplbError } from '../../../src/errors.js';
import { redisSkipReason, startRedisServer } from '../../helpers/redis-server.js';
import type { RedisServer } from '../../helpers/redis-server.js';
import { adminClient, Cluster, now, POLL_MS, sleep, T, waitFor } from './harness.js';

if (redisSkipReason) console.warn(redisSkipReason);

describe.skipIf(redisSkipReason !== undefined)('LeaderElection lease (real redis-server)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let cluster: Cluster;
  let seq = 0;
  const newCluster = (): Cluster => (cluster = new Cluster(`siplb:test:lease:${++seq}`));

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = adminClient(redis.url);
  });
  afterEach(async () => {
    await cluster?.close();
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('elects exactly one leader among three nodes and keeps it while renewals succeed', async () => {
    const c = newCluster();
    const nodes = ['a', 'b', 'c'].map((n) => c.add(n, redis.url));
    c.startSampling();
    await Promise.all(nodes.map((n) => n.node.start()));
    const leader = await waitFor(() => c.leader(), 2000, 'one leader');
    await sleep(4 * T.renewIntervalMs + T.leaseTtlMs); // several renewals and more than a TTL
    expect(c.violations).toEqual([]);
    expect(c.leader()).toBe(leader);
    expect(leader.node.leaderChanges).toBe(1);
    for (const n of nodes) {
      if (n !== leader) {
        expect(n.node.role).toBe('follower');
        expect(n.node.leaderChanges).toBe(0);
        expect(n.node.fencingToken).toBeUndefined();
      }
    }
    expect(await admin.get(c.key)).toBe(leader.node.owner);
    expect(Number(await admin.get(`${c.key}:fence`))).toBe(leader.node.fencingToken);
    expect(leader.node.owner).toMatch(new RegExp(`^${leader.name}:${process.pid}:[0-9a-f]{12}$`));
    expect(leader.node.leaseRemainingMs).toBeGreaterThan(0);
    expect(leader.node.leaseRemainingMs).toBeLessThanOrEqual(T.leaseTtlMs);
  });

  it('stop() releases the lease: the follower takes over within one poll interval, not a TTL', async () => {
    const c = newCluster();
    const a = c.add('a', redis.url);
    const b = c.add('b', redis.url);
    c.startSampling();
    await a.node.start();
    expect(a.node.isLeader()).toBe(true);
    await b.node.start();
    expect(b.node.role).toBe('follower');
    await sleep(T.renewIntervalMs + Math.random() * POLL_MS); // any phase of b's poll cycle

    const t0 = now();
    const stopping = a.node.stop();
    expect(a.node.isLeader()).toBe(false); // stops claiming before the release round trip
    await stopping;
    await a.node.stop(); // idempotent
    const acquired = await waitFor(() => b.next('leader', t0, 'acquired'), T.leaseTtlMs, 'b to take over');
    const takeover = acquired.t - t0;
    console.info(`takeover after stop(): ${takeover.toFixed(1)} ms (poll ${POLL_MS} ms, ttl ${T.leaseTtlMs} ms)`);
    // Released, not expired: without the release b could only take over once the lease expired,
    // at the earliest a TTL after a's last renewal (which was at most one renew interval ago).
    expect(takeover).toBeLessThan(T.leaseTtlMs - T.renewIntervalMs);
    expect(a.next('follower', t0)?.reason).toBe('released');
    expect(a.node.leaderChanges).toBe(2);
    expect(c.violations).toEqual([]);
    await expect(a.node.start()).rejects.toThrow(/stopped/);
  });

  it('fencing tokens strictly increase across hand-overs and across a restart without persistence', async () => {
    const c = newCluster();
    const tokens: number[] = [];
    const a = c.add('a', redis.url);
    await a.node.start();
    tokens.push(a.node.fencingToken!);
    // Hand the lease around a few times: each acquisition by any node gets a larger token.
    let holder = a;
    for (let i = 0; i < 4; i++) {
      const next = c.add(`n${i}`, redis.url);
      await next.node.start();
      const t0 = now();
      await holder.node.stop();
      await waitFor(() => next.next('leader', t0), 2 * T.leaseTtlMs, `n${i} to take over`);
      tokens.push(next.node.fencingToken!);
      holder = next;
    }

    // Restart Redis without persistence: the lease and the fence counter are gone.
    await admin.set('restart-marker', '1');
    const pidBefore = redis.pid;
    const t0 = now();
    await redis.restart();
    expect(redis.pid).not.toBe(pidBefore);
    const stepDown = await waitFor(() => holder.next('follower', t0), 3 * T.leaseTtlMs, 'the leader to notice the restart');
    const back = await waitFor(() => c.leader(), 5 * T.leaseTtlMs, 'a leader after the restart');
    tokens.push(back.node.fencingToken!);
    expect(await admin.get('restart-marker')).toBeNull(); // the data really was lost

    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    for (const t of tokens) expect(Number.isSafeInteger(t)).toBe(true);
    console.info(`tokens: ${tokens.join(' < ')}; step-down on restart: ${stepDown.reason}`);
  });

  it('a node that starts while Redis is unreachable stays follower and reports errors', async () => {
    const c = newCluster();
    const n = c.add('x', 'redis://127.0.0.1:1'); // nothing listens on port 1
    const t0 = now();
    await n.node.start();
    expect(now() - t0).toBeLessThan(3000);
    expect(n.node.role).toBe('follower');
    await waitFor(() => n.errors.length > 0, 2000, 'a connection error');
    expect(n.errors[0]!.code).toBe('SIPLB_ERR_HA_LEASE');
  });

  it('accepts a createClient factory that passes the lease options and rejects one that drops them', async () => {
    const c = newCluster();
    const good = new LeaderElection({ ...T, key: c.key, createClient: (o) => new Redis(redis.url, o) });
    await good.start();
    expect(good.isLeader()).toBe(true);
    await good.stop();

    const bad = new LeaderElection({ ...T, key: c.key, createClient: () => new Redis(redis.url, { lazyConnect: true }) });
    const err: unknown = await bad.start().catch((e: unknown) => e);
    expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_CONFIG_INVALID');
    expect(String(err)).toMatch(/enableOfflineQueue/);
    await bad.stop();
  });
});

describe('LeaderElection options', () => {
  it('refuses timings where a healthy leader could not renew before its deadline', () => {
    expect(() => new LeaderElection({ redisUrl: 'redis://x', leaseTtlMs: 1000, renewIntervalMs: 900, commandTimeoutMs: 150 })).toThrow(
      /renewIntervalMs \(900\) \+ commandTimeoutMs \(150\)/,
    );
    expect(() => new LeaderElection({ redisUrl: 'redis://x', leaseTtlMs: 0 })).toThrow(/leaseTtlMs/);
    expect(() => new LeaderElection({})).toThrow(/redisUrl/);
  });
});
