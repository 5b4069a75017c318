/**
 * startHaNode (ha/ha-node.ts) over the fake Redis of test/helpers/core/fake-lease-redis and fake
 * timers: the role file follows the lease (follower at start and on stop, whatever happened
 * before), the leader channel and the log say why a role changed, the leader source reads the
 * election, admin changes go through AdminSync, and a Redis that does not answer does not hold
 * start up beyond commandTimeout×2 + 1 s. The same node against a real redis-server is
 * test/integration/ha/ha-node.test.ts.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';
import { isSiplbError } from '../../../src/errors.js';
import { startHaNode } from '../../../src/ha/ha-node.js';
import type { AdminStateName, HaNode, HaNodeOptions } from '../../../src/ha/index.js';
import type { LeaderEvent } from '../../../src/observe/channels.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { FakeLeaseServer } from '../../helpers/core/fake-lease-redis.js';

// leader-election.ts reads the clock from node:perf_hooks; route it to the faked global.
vi.mock('node:perf_hooks', () => ({ performance: { now: () => globalThis.performance.now() } }));

const TTL = 1000;
const RENEW = 250;
const CMD = 150;
const START_WAIT = CMD * 2 + 1000;

let dir: string;
let seq = 0;
let running: HaNode[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'siplb-ha-node-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  // setImmediate stays real: the role file is written with real fs calls, awaited below.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
});
afterEach(async () => {
  const stopped = Promise.all(running.map((n) => n.stop()));
  await vi.advanceTimersByTimeAsync(4 * CMD);
  await stopped;
  running = [];
  vi.useRealTimers();
});

function config(nodeId: string, roleFile: string | undefined, redis: string | null = 'redis://127.0.0.1:1'): Config {
  const v = validateConfig({
    node: { id: nodeId },
    sip: { listen: '127.0.0.1:0' },
    backends: [{ id: 'gw1', address: '127.0.0.1:5100' }, { id: 'gw2', address: '127.0.0.1:5101' }],
    ha: { ...(redis === null ? {} : { redis }), key: 'siplb:t', leaseTtl: `${TTL}ms`, renewInterval: `${RENEW}ms`, commandTimeout: `${CMD}ms`, ...(roleFile === undefined ? {} : { roleFile }) },
  });
  if (!v.ok) throw new Error(`bad test config: ${JSON.stringify(v.issues)}`);
  return v.config;
}

interface Started {
  readonly ha: HaNode;
  readonly logs: Record<string, unknown>[];
  readonly applied: [string, AdminStateName][];
  readonly roleFile: string;
  readonly options: RedisOptions[];
}

async function start(server: FakeLeaseServer, nodeId: string, extra: Partial<HaNodeOptions> & { roleFile?: string | null } = {}): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const applied: [string, AdminStateName][] = [];
  const options: RedisOptions[] = [];
  const roleFile = join(dir, `role-${++seq}`);
  const { roleFile: rf, ...rest } = extra;
  const ha = await startHaNode({
    config: config(nodeId, rf === null ? undefined : (rf ?? roleFile)),
    logger: captureLogger(logs),
    applyRemoteAdmin: (id, state) => void applied.push([id, state]),
    backendIds: () => ['gw1', 'gw2'],
    createClient: (o) => {
      options.push(o);
      return server.client(o);
    },
    adminReconcileIntervalMs: 500,
    ...rest,
  });
  running.push(ha);
  return { ha, logs, applied, roleFile: rf ?? roleFile, options };
}

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/**
 * Waits on real I/O (setImmediate turns; the fake clock does not move) until `done()` holds, for
 * at most 10 s of real time: a bound for a stuck write, not a speed check. False when it never did.
 */
async function untilRealIo(done: () => boolean | Promise<boolean>): Promise<boolean> {
  const until = process.hrtime.bigint() + 10_000_000_000n;
  while (process.hrtime.bigint() < until) {
    if (await done()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/** Waits (on real I/O, not the fake clock) until the role file holds `weight`. */
async function roleFileSays(path: string, weight: string): Promise<void> {
  let last: string | undefined;
  const says = async (): Promise<boolean> => (last = await readFile(path, 'utf8').catch(() => undefined)) === `${weight}\n`;
  if (!(await untilRealIo(says))) throw new Error(`role file ${path} says ${JSON.stringify(last)}, not ${weight}`);
}

function leaderEvents(): { events: LeaderEvent[]; done: () => void } {
  const events: LeaderEvent[] = [];
  const fn = (m: unknown) => void events.push(m as LeaderEvent);
  diagnosticsChannel.subscribe('siplb:ha:leader', fn);
  return { events, done: () => diagnosticsChannel.unsubscribe('siplb:ha:leader', fn) };
}

/** A state another node left in the admin hash is applied exactly `ms` later (the periodic re-read). */
async function expectReadAfter(server: FakeLeaseServer, a: Started, ms: number): Promise<void> {
  server.hset('siplb:t:admin', 'gw1', JSON.stringify({ state: 'draining', seq: String(Date.now() * 1000 + 1), origin: 'n3' }));
  await advance(ms - 1);
  expect(a.applied.filter(([id]) => id === 'gw1')).toEqual([]);
  await advance(1);
  expect(a.applied.filter(([id]) => id === 'gw1')).toEqual([['gw1', 'draining']]);
}

/** Node n1 on `server`, once it leads and its role file says so. */
async function startLeader(server: FakeLeaseServer): Promise<Started> {
  const a = await start(server, 'n1');
  await advance(0);
  await roleFileSays(a.roleFile, '50');
  return a;
}

const byMsg = (logs: Record<string, unknown>[], msg: string) => logs.filter((l) => l.msg === msg);

describe('startHaNode over a fake Redis', () => {
  it('overwrites a leader weight left behind with the follower weight, then writes the leader weight once it leads', async () => {
    const server = new FakeLeaseServer();
    const path = join(dir, 'left-behind');
    await writeFile(path, '50\n');
    const ch = leaderEvents();
    try {
      const a = await start(server, 'n1', { roleFile: path });
      await advance(0);
      expect(a.ha.leader.role()).toBe('leader');
      expect(a.ha.leader.fencingToken()).toBe(server.fence);
      expect(a.ha.leader.leaderChanges()).toBe(1);
      await roleFileSays(path, '50');
      expect(ch.events).toEqual([{ role: 'leader', nodeId: 'n1', fencingToken: server.fence, reason: 'acquired' }]);
      expect(byMsg(a.logs, 'HA role changed')).toMatchObject([{ level: 30, component: 'ha', role: 'leader', previous: 'follower', reason: 'acquired', fencingToken: server.fence }]);
      expect(byMsg(a.logs, 'HA started')).toMatchObject([{ key: 'siplb:t', role: 'leader', roleFile: path }]);
    } finally {
      ch.done();
    }
  });

  it('writes the follower weight at start, before any Redis client exists, and keeps it while follower', async () => {
    const server = new FakeLeaseServer();
    server.steal('someone-else', 60_000); // this node stays follower throughout
    const path = join(dir, 'at-start');
    await writeFile(path, '50\n');
    const atClient: string[] = [];
    const a = await start(server, 'n2', {
      roleFile: path,
      createClient: (o) => {
        atClient.push(readFileSync(path, 'utf8'));
        return server.client(o);
      },
    });
    expect(atClient).toEqual(['0\n', '0\n', '0\n']);
    expect(a.ha.leader.role()).toBe('follower');
    expect(a.ha.leader.fencingToken()).toBeNull();
    expect(byMsg(a.logs, 'HA started')).toMatchObject([{ role: 'follower' }]);
    await advance(3 * RENEW);
    await roleFileSays(path, '0');
  });

  it('a leader that loses the lease says so at warn, on the channel, and in the role file', async () => {
    const server = new FakeLeaseServer();
    const ch = leaderEvents();
    try {
      const a = await startLeader(server);
      const token = a.ha.leader.fencingToken();
      server.steal('intruder', 60_000);
      await advance(RENEW);
      expect(a.ha.leader.role()).toBe('follower');
      expect(a.ha.leader.fencingToken()).toBeNull();
      expect(a.ha.leader.leaderChanges()).toBe(2);
      await roleFileSays(a.roleFile, '0');
      expect(ch.events.at(-1)).toEqual({ role: 'follower', nodeId: 'n1', fencingToken: token, reason: 'lost' });
      expect(byMsg(a.logs, 'HA role changed: no longer leader')).toMatchObject([{ level: 40, role: 'follower', previous: 'leader', reason: 'lost', fencingToken: token }]);
    } finally {
      ch.done();
    }
  });

  it('logs lease errors rate-limited at warn', async () => {
    const server = new FakeLeaseServer();
    const a = await start(server, 'n1');
    await advance(0);
    server.fail('renew');
    await advance(2 * RENEW);
    expect(byMsg(a.logs, 'Redis lease error')).toHaveLength(1);
    expect(byMsg(a.logs, 'Redis lease error')[0]).toMatchObject({ level: 40, topic: 'lease', err: { code: 'SIPLB_ERR_HA_LEASE' } });
  });

  it('stop releases the lease, logs the release at info, ends with the follower weight and closes every connection', async () => {
    const server = new FakeLeaseServer();
    const ch = leaderEvents();
    try {
      const a = await startLeader(server);
      const stopping = a.ha.stop();
      expect(a.ha.stop()).toBe(stopping);
      await stopping;
      running = running.filter((n) => n !== a.ha);
      expect(server.holder()).toBeUndefined();
      expect(await readFile(a.roleFile, 'utf8')).toBe('0\n');
      expect(server.clients.map((c) => c.status)).toEqual(['end', 'end', 'end']);
      expect(byMsg(a.logs, 'HA role changed')).toMatchObject([{ reason: 'acquired' }, { role: 'follower', reason: 'released' }]);
      expect(byMsg(a.logs, 'HA role changed: no longer leader')).toEqual([]);
      expect(ch.events.map((e) => e.reason)).toEqual(['acquired', 'released']);
      expect(byMsg(a.logs, 'HA stopped')).toHaveLength(1);
      expect(a.logs.at(-1)!.msg).toBe('HA stopped');
      expect(a.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
    } finally {
      ch.done();
    }
  });

  it('shares admin changes through the admin hash of <key>:admin, and applies the other node\'s', async () => {
    const server = new FakeLeaseServer();
    const a = await start(server, 'n1');
    const b = await start(server, 'n2');
    a.ha.publishAdmin('gw2', 'disabled');
    await advance(0);
    expect(server.stamped('siplb:t:admin', 'gw2')).toMatchObject({ state: 'disabled' });
    expect(b.applied).toEqual([['gw2', 'disabled']]);
    expect(a.applied).toEqual([]);
    // The admin part re-reads the hash every adminReconcileIntervalMs (a lost message is repaired).
    await expectReadAfter(server, a, 500);
  });

  it('re-reads admin state every 5 s by default', async () => {
    const server = new FakeLeaseServer();
    const a = await start(server, 'n1', { adminReconcileIntervalMs: undefined });
    await expectReadAfter(server, a, 5000);
  });

  it('gives its clients the configured timings: commandTimeout, and a reconnect cap of renewInterval', async () => {
    const server = new FakeLeaseServer();
    const a = await start(server, 'n1');
    expect(a.options).toHaveLength(3);
    for (const o of a.options) {
      expect(o.commandTimeout).toBe(CMD);
      expect(o.retryStrategy!(30) as number).toBeLessThanOrEqual(RENEW);
    }
  });

  it('does not wait for a Redis that never answers longer than commandTimeout×2 + 1 s', async () => {
    const server = new FakeLeaseServer();
    let resolved = false;
    const logs: Record<string, unknown>[] = [];
    const starting = startHaNode({
      config: config('n1', undefined),
      logger: captureLogger(logs),
      applyRemoteAdmin: () => undefined,
      backendIds: () => [],
      createClient: (o) => {
        const c = server.client(o);
        c.connect = () => new Promise<never>(() => undefined);
        return c;
      },
    }).then((ha) => {
      resolved = true;
      running.push(ha);
      return ha;
    });
    await advance(START_WAIT - 1);
    expect(resolved).toBe(false);
    await advance(1);
    expect(resolved).toBe(true);
    const ha = await starting;
    expect(ha.leader.role()).toBe('follower');
    expect(byMsg(logs, 'HA started')).toMatchObject([{ role: 'follower', roleFile: null }]);
  });

  it('logs an election that cannot start (a client that would queue lease commands) and still starts', async () => {
    const server = new FakeLeaseServer();
    const logs: Record<string, unknown>[] = [];
    const ha = await startHaNode({
      config: config('n1', undefined),
      logger: captureLogger(logs),
      applyRemoteAdmin: () => undefined,
      backendIds: () => [],
      createClient: (o) => server.client({ ...o, enableOfflineQueue: true }),
    });
    running.push(ha);
    expect(byMsg(logs, 'leader election did not start')).toMatchObject([{ level: 50, err: { message: expect.stringMatching(/enableOfflineQueue must be false/) } }]);
    expect(ha.leader.role()).toBe('follower');
  });

  it('logs a role file it cannot write, and goes on', async () => {
    const server = new FakeLeaseServer();
    const path = join(dir, 'no-such-dir', 'role');
    const a = await start(server, 'n1', { roleFile: path });
    await advance(0);
    expect(a.ha.leader.role()).toBe('leader');
    await untilRealIo(() => byMsg(a.logs, 'could not write the keepalived role file').length >= 2); // two failed real writes
    expect(byMsg(a.logs, 'could not write the keepalived role file')).toMatchObject([
      { level: 50, roleFile: path, role: 'follower' },
      { level: 50, roleFile: path, role: 'leader' },
    ]);
  });

  it('without a role file writes none', async () => {
    const server = new FakeLeaseServer();
    const a = await start(server, 'n1', { roleFile: null });
    await advance(0);
    expect(a.ha.leader.role()).toBe('leader');
    expect(byMsg(a.logs, 'HA started')).toMatchObject([{ roleFile: null }]);
    await expect(readFile(a.roleFile, 'utf8')).rejects.toThrow(/ENOENT/);
    await a.ha.stop();
    await expect(readFile(a.roleFile, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('needs ha.redis or createClient', async () => {
    const logs: Record<string, unknown>[] = [];
    const err = await startHaNode({ config: config('n1', undefined, null), logger: captureLogger(logs), applyRemoteAdmin: () => undefined, backendIds: () => [] }).catch((e: unknown) => e);
    expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_CONFIG_INVALID');
    expect((err as Error).message).toMatch(/startHaNode needs ha\.redis/);
  });
});
