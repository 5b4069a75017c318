/**
 * @module test/integration/ha/ha-node.test
 * `startHaNode` against a real redis-server: leadership with the role file and the leader
 * channel, admin state shared between two nodes, picked up after a restart, and Redis down
 * (nothing throws or hangs; a change made meanwhile reaches the others once Redis is back).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';
import { startHaNode } from '../../../src/ha/index.js';
import type { AdminStateName, HaNode } from '../../../src/ha/index.js';
import { channels } from '../../../src/observe/channels.js';
import type { LeaderEvent } from '../../../src/observe/channels.js';
import { redisSkipReason, startRedisServer } from '../../helpers/redis-server.js';
import type { RedisServer } from '../../helpers/redis-server.js';
import { captureLogger } from '../../helpers/capture-logger.js';

const BACKENDS = ['gw1', 'gw2', 'gw3'];
const RECONCILE_MS = 300;
/** A reconcile interval no test outlives: the periodic read is effectively off. */
const NO_RECONCILE_MS = 3_600_000;

interface Node {
  readonly id: string;
  readonly ha: HaNode;
  /** Admin state as the node's app would hold it (only remote changes and local ones made through set()). */
  readonly admin: Map<string, AdminStateName>;
  readonly applied: { backend: string; state: AdminStateName; at: number }[];
  readonly logs: Record<string, unknown>[];
  readonly roleFile: string;
  /** A local operator change: applied here, then published (what HealthMonitor + main.ts do). */
  set(backend: string, state: AdminStateName): void;
}

function configFor(nodeId: string, redisUrl: string, key: string, roleFile: string): Config {
  const v = validateConfig({
    node: { id: nodeId },
    sip: { listen: '127.0.0.1:0' },
    backends: BACKENDS.map((id, i) => ({ id, address: `127.0.0.1:${5100 + i}` })),
    ha: { redis: redisUrl, key, leaseTtl: '1s', renewInterval: '250ms', commandTimeout: '150ms', roleFile },
  });
  if (!v.ok) throw new Error(`bad test config: ${JSON.stringify(v.issues)}`);
  return v.config;
}

type Maybe<T> = T | undefined | false | null;
async function waitUntil<T>(what: string, probe: () => Maybe<T> | Promise<Maybe<T>>, timeoutMs = 3000): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(redisSkipReason !== undefined)('startHaNode against a real redis-server', () => {
  let redis: RedisServer;
  let dir: string;
  let key: string;
  let keySeq = 0;
  const nodes: Node[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'siplb-ha-node-'));
  });
  afterAll(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.ha.stop()));
    if (!(await redisAnswers())) await redis.restart();
  });

  const redisAnswers = async (): Promise<boolean> => {
    const c = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };

  const newKey = (): string => {
    key = `siplb:test:${process.pid}:${++keySeq}`;
    return key;
  };

  async function startNode(id: string, k = key, reconcileMs = RECONCILE_MS): Promise<Node> {
    const admin = new Map<string, AdminStateName>();
    const applied: Node['applied'] = [];
    const logs: Record<string, unknown>[] = [];
    const roleFile = join(dir, `${k.replaceAll(':', '_')}-${id}.role`);
    const ha = await startHaNode({
      config: configFor(id, redis.url, k, roleFile),
      logger: captureLogger(logs),
      backendIds: () => BACKENDS,
      applyRemoteAdmin: (backend, state) => {
        admin.set(backend, state);
        applied.push({ backend, state, at: performance.now() });
      },
      adminReconcileIntervalMs: reconcileMs,
    });
    const node: Node = {
      id,
      ha,
      admin,
      applied,
      logs,
      roleFile,
      set: (backend, state) => {
        admin.set(backend, state);
        ha.publishAdmin(backend, state);
      },
    };
    nodes.push(node);
    return node;
  }

  const stopNode = async (n: Node): Promise<void> => {
    nodes.splice(nodes.indexOf(n), 1);
    await n.ha.stop();
  };

  const hash = async (): Promise<Record<string, string>> => {
    const c = new Redis(redis.url);
    try {
      return await c.hgetall(`${key}:admin`);
    } finally {
      c.disconnect();
    }
  };

  it('elects one leader, writes the role file, logs and publishes each change once, and writes follower on stop', async () => {
    newKey();
    const events: LeaderEvent[] = [];
    const onLeader = (m: unknown): void => void events.push(m as LeaderEvent);
    diagnosticsChannel.subscribe(channels.leader.name, onLeader);
    try {
      const a = await startNode('A');
      expect(a.ha.leader.role()).toBe('leader'); // start() waited for the first attempt
      const b = await startNode('B');
      expect(b.ha.leader.role()).toBe('follower');
      expect(b.ha.leader.fencingToken()).toBeNull();
      const token = a.ha.leader.fencingToken();
      expect(token).toBeGreaterThan(0);
      expect(a.ha.leader.leaderChanges()).toBe(1);
      // The leader weight is written after the role change, not before start() returns (the
      // follower weight written at start is): wait for it rather than race the write.
      await waitUntil('A role file 50', async () => (await readFile(a.roleFile, 'utf8')) === '50\n');
      expect(await readFile(b.roleFile, 'utf8')).toBe('0\n');
      expect(events).toEqual([{ role: 'leader', nodeId: 'A', fencingToken: token, reason: 'acquired' }]);
      const changes = a.logs.filter((l) => l['msg'] === 'HA role changed');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ component: 'ha', role: 'leader', previous: 'follower', reason: 'acquired' });

      // A stops: it releases the lease, its file says follower, B takes over at once.
      await stopNode(a);
      expect(await readFile(a.roleFile, 'utf8')).toBe('0\n');
      await waitUntil('B leader', () => b.ha.leader.role() === 'leader', 2000);
      await waitUntil('B role file 50', async () => (await readFile(b.roleFile, 'utf8')) === '50\n');
      expect(events.map((e) => `${e.nodeId}:${e.role}:${e.reason}`)).toEqual(['A:leader:acquired', 'A:follower:released', 'B:leader:acquired']);
    } finally {
      diagnosticsChannel.unsubscribe(channels.leader.name, onLeader);
    }
  });

  it('delivers an admin change by pub/sub alone: with the periodic read off, the other node still applies it', async () => {
    newKey();
    // Reconcile an hour away: the only path from A to B within this test is the pub/sub message.
    const a = await startNode('A', key, NO_RECONCILE_MS);
    const b = await startNode('B', key, NO_RECONCILE_MS);
    a.set('gw1', 'disabled');
    await waitUntil('B sees gw1 disabled by pub/sub', () => b.admin.get('gw1') === 'disabled');
    b.set('gw2', 'draining');
    await waitUntil('A sees gw2 draining by pub/sub', () => a.admin.get('gw2') === 'draining');
    expect(a.applied.map((x) => `${x.backend}=${x.state}`)).toEqual(['gw2=draining']);
    expect(b.applied.map((x) => `${x.backend}=${x.state}`)).toEqual(['gw1=disabled']);
  });

  it('shares admin changes between two nodes in both directions, without echoing them back across reconcile rounds', async () => {
    newKey();
    const a = await startNode('A');
    const b = await startNode('B');
    a.set('gw1', 'disabled');
    await waitUntil('B sees gw1 disabled', () => b.admin.get('gw1') === 'disabled');
    b.set('gw2', 'draining');
    await waitUntil('A sees gw2 draining', () => a.admin.get('gw2') === 'draining');
    a.set('gw1', 'enabled');
    await waitUntil('B sees gw1 enabled', () => b.admin.get('gw1') === 'enabled');
    // Several reconcile rounds later nothing was applied twice and no node got its own change back.
    await new Promise((r) => setTimeout(r, RECONCILE_MS * 3));
    expect(a.applied.map((x) => `${x.backend}=${x.state}`)).toEqual(['gw2=draining']);
    expect(b.applied.map((x) => `${x.backend}=${x.state}`)).toEqual(['gw1=disabled', 'gw1=enabled']);
    const h = await hash();
    expect(Object.keys(h).sort()).toEqual(['gw1', 'gw2']);
    expect(JSON.parse(h['gw1']!)).toMatchObject({ state: 'enabled' });
  });

  it('converges when two nodes change the same backend at the same moment', async () => {
    newKey();
    const a = await startNode('A');
    const b = await startNode('B');
    for (let i = 0; i < 20; i++) {
      a.set('gw3', i % 2 === 0 ? 'disabled' : 'draining');
      b.set('gw3', i % 2 === 0 ? 'enabled' : 'disabled');
    }
    // Polled against the hash each time: writes may still be landing when the first poll runs.
    await waitUntil('both nodes hold the state Redis holds', async () => {
      const raw = (await hash())['gw3'];
      const final = raw === undefined ? undefined : (JSON.parse(raw) as { state: AdminStateName }).state;
      return final !== undefined && a.admin.get('gw3') === final && b.admin.get('gw3') === final;
    }, RECONCILE_MS * 6);
  });

  it('a restarted node applies the shared states while it starts, before it takes traffic', async () => {
    newKey();
    const a = await startNode('A');
    const b = await startNode('B');
    a.set('gw1', 'disabled');
    b.set('gw3', 'draining');
    await waitUntil('both changes in Redis', async () => Object.keys(await hash()).length === 2);
    await stopNode(b);
    a.set('gw2', 'draining'); // while B is away
    await waitUntil('gw2 in Redis', async () => (await hash())['gw2'] !== undefined);
    const b2 = await startNode('B');
    // startHaNode resolved: the states are already applied.
    expect(Object.fromEntries(b2.admin)).toEqual({ gw1: 'disabled', gw2: 'draining', gw3: 'draining' });
    // The restarted A (new process, new origin) also gets back its own earlier changes.
    await stopNode(a);
    const a2 = await startNode('A');
    expect(Object.fromEntries(a2.admin)).toEqual({ gw1: 'disabled', gw2: 'draining', gw3: 'draining' });
  });

  it('ignores ids this node lacks and malformed messages', async () => {
    newKey();
    const a = await startNode('A');
    const c = new Redis(redis.url);
    try {
      await c.publish(`${key}:admin`, 'not json');
      await c.publish(`${key}:admin`, JSON.stringify({ backend: 'gw1', state: 'exploded', seq: '9', origin: 'x' }));
      await c.publish(`${key}:admin`, JSON.stringify({ backend: 'gw9', state: 'disabled', seq: '9', origin: 'x' }));
      await c.hset(`${key}:admin`, 'gw9', JSON.stringify({ state: 'disabled', seq: '9', origin: 'x' }), 'gw2', '{oops');
      await c.publish(`${key}:admin`, JSON.stringify({ backend: 'gw1', state: 'draining', seq: '10', origin: 'x' }));
    } finally {
      c.disconnect();
    }
    await waitUntil('the valid message', () => a.admin.get('gw1') === 'draining');
    await new Promise((r) => setTimeout(r, RECONCILE_MS * 2));
    expect(Object.fromEntries(a.admin)).toEqual({ gw1: 'draining' });
    expect(a.logs.some((l) => String(l['msg']).includes('malformed'))).toBe(true);
  });

  it('with Redis down: publishAdmin neither throws nor waits, the lease steps down, and the change reaches the others once Redis is back', async () => {
    newKey();
    const a = await startNode('A');
    const b = await startNode('B');
    expect(a.ha.leader.role()).toBe('leader');
    redis.kill('SIGKILL');
    await redis.exited();

    // publishAdmin is synchronous and returns nothing to await: it cannot wait on a dead Redis.
    // What can go wrong is a throw (no connection) or an unhandled rejection from the write.
    for (let i = 0; i < 1000; i++) {
      expect(() => a.set('gw1', i % 2 === 0 ? 'draining' : 'disabled')).not.toThrow();
    }
    expect(a.ha.publishAdmin('gw3', 'enabled')).toBeUndefined();
    expect(a.admin.get('gw1')).toBe('disabled'); // local state holds
    await waitUntil('A steps down by its own clock', () => a.ha.leader.role() === 'follower', 2000);
    await waitUntil('A role file 0', async () => (await readFile(a.roleFile, 'utf8')) === '0\n');
    expect(b.ha.leader.role()).toBe('follower');

    // Rate-limited: an outage of ~1 s logs a handful of warnings, not one per reconnect attempt.
    await new Promise((r) => setTimeout(r, 800));
    const warnings = a.logs.filter((l) => l['level'] === 40);
    expect(warnings.length).toBeLessThan(12);

    // Redis back (empty: no persistence): A writes its pending change, B applies it; one leader.
    await redis.restart();
    await waitUntil('B sees the change made during the outage', () => b.admin.get('gw1') === 'disabled', 5000);
    expect(JSON.parse((await hash())['gw1']!)).toMatchObject({ state: 'disabled' });
    await waitUntil('one leader again', () => [a, b].filter((n) => n.ha.leader.role() === 'leader').length === 1, 5000);
    expect(a.logs.some((l) => String(l['msg']).includes('is back'))).toBe(true);

    // stop() with Redis down again does not hang either.
    redis.kill('SIGKILL');
    await redis.exited();
    const s0 = performance.now();
    await Promise.all([stopNode(a), stopNode(b)]);
    expect(performance.now() - s0).toBeLessThan(1000);
    expect(await readFile(a.roleFile, 'utf8')).toBe('0\n');
    expect(await readFile(b.roleFile, 'utf8')).toBe('0\n');
  });

  it('starts without Redis at all, within the bounded wait, as follower', async () => {
    newKey();
    redis.kill('SIGTERM');
    await redis.exited();
    const t0 = performance.now();
    const a = await startNode('A');
    const spent = performance.now() - t0;
    expect(spent).toBeLessThan(150 * 2 + 1000 + 300);
    expect(a.ha.leader.role()).toBe('follower');
    a.set('gw2', 'disabled');
    await redis.restart();
    await waitUntil('A leader once Redis is up', () => a.ha.leader.role() === 'leader', 5000);
    await waitUntil('pending change written', async () => (await hash())['gw2'] !== undefined, 3000);
  });
});
