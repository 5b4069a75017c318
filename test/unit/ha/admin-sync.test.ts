/**
 * Shared admin state (ha/admin-sync.ts) over the fake Redis of test/helpers/core/fake-lease-redis
 * and fake timers: what a node writes, which remote changes it applies (only newer ones, only
 * for backends it has, never its own), what it keeps pending while Redis is away or refuses,
 * and what it logs. The Lua script and real pub/sub run against a redis-server in
 * test/integration/ha/ha-node.test.ts; here each fault is exact and instant.
 */
import type { RedisOptions } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import { AdminSync, DEFAULT_ADMIN_SYNC_OPTIONS, isAdminStateName } from '../../../src/ha/admin-sync.js';
import type { AdminStateName, AdminSyncOptions } from '../../../src/ha/admin-sync.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { FakeLeaseServer } from '../../helpers/core/fake-lease-redis.js';

const KEY = 'siplb:admin';
const CMD_TIMEOUT = 200;
const RECONCILE = 1000;

let syncs: AdminSync[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  const stopped = Promise.all(syncs.map((s) => s.stop()));
  await vi.advanceTimersByTimeAsync(2 * CMD_TIMEOUT);
  await stopped;
  syncs = [];
  vi.useRealTimers();
});

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

interface Node {
  readonly sync: AdminSync;
  readonly applied: [string, AdminStateName][];
  readonly logs: Record<string, unknown>[];
  readonly options: RedisOptions[];
}

function node(server: FakeLeaseServer, origin: string, extra: Partial<AdminSyncOptions> = {}, backends = ['gw1', 'gw2']): Node {
  const applied: [string, AdminStateName][] = [];
  const logs: Record<string, unknown>[] = [];
  const options: RedisOptions[] = [];
  const o: AdminSyncOptions = {
    createClient: (o) => {
      options.push(o);
      return server.client(o);
    },
    key: KEY,
    origin,
    commandTimeoutMs: CMD_TIMEOUT,
    reconcileIntervalMs: RECONCILE,
    logger: captureLogger(logs),
    apply: (id, state) => void applied.push([id, state]),
    backendIds: () => backends,
    ...extra,
  };
  // `{ key: undefined }` in extra means "leave the option out" (to reach the defaults).
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete (o as unknown as Record<string, unknown>)[k];
  const sync = new AdminSync(o);
  syncs.push(sync);
  return { sync, applied, logs, options };
}

const msgs = (n: Node, level?: number) => n.logs.filter((l) => level === undefined || l.level === level).map((l) => l.msg);
const WARN = 40;
const INFO = 30;

function stamp(state: string, seq: string | number, origin = 'other'): string {
  return JSON.stringify({ state, seq, origin });
}

describe('AdminSync over a fake Redis', () => {
  it('connects two clients with the lease-safe options, subscribes, then reads and applies the hash', async () => {
    const server = new FakeLeaseServer();
    server.hset(KEY, 'gw1', stamp('disabled', '5'));
    server.hset(KEY, 'gw9', stamp('draining', '6')); // not a backend of this node
    const a = node(server, 'A', { reconnectCapMs: 400 });
    await a.sync.start();
    expect(a.options).toHaveLength(2);
    for (const o of a.options) {
      expect(o).toMatchObject({ commandTimeout: CMD_TIMEOUT, enableOfflineQueue: false, lazyConnect: true });
      // The reconnect backoff is capped by reconnectCapMs (never above it, whatever the attempt).
      expect(o.retryStrategy!(30) as number).toBeLessThanOrEqual(400);
      expect(o.retryStrategy!(30) as number).toBeGreaterThanOrEqual(200);
    }
    await advance(0);
    expect(server.adminLog[0]).toBe(`subscribe ${KEY}`);
    expect(server.adminLog).toContain('hgetall');
    expect(a.applied).toEqual([['gw1', 'disabled']]);
    expect(server.clients.map((c) => c.status)).toEqual(['ready', 'ready']);
    expect(server.clients[1]!.channels.has(KEY)).toBe(true);
  });

  it('defaults: reconcile every 5 s, reconnect backoff capped at 1 s', async () => {
    expect(DEFAULT_ADMIN_SYNC_OPTIONS).toEqual({ reconcileIntervalMs: 5000, reconnectCapMs: 1000 });
    const server = new FakeLeaseServer();
    const a = node(server, 'A', { reconcileIntervalMs: undefined });
    await a.sync.start();
    expect(a.options[0]!.retryStrategy!(30) as number).toBeGreaterThan(400);
    expect(a.options[0]!.retryStrategy!(30) as number).toBeLessThanOrEqual(1000);
    await advance(0);
    const reads = () => server.adminLog.filter((l) => l === 'hgetall').length;
    const r0 = reads();
    await advance(4999);
    expect(reads()).toBe(r0);
    await advance(1);
    expect(reads()).toBe(r0 + 1);
  });

  it('shares a local change: written with its origin and seq, applied by the other node, not re-applied by the writer', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    const b = node(server, 'B');
    await a.sync.start();
    await b.sync.start();
    a.sync.publish('gw2', 'draining');
    expect(a.sync.pendingCount).toBe(1);
    await advance(0);
    expect(a.sync.pendingCount).toBe(0);
    expect(server.stamped(KEY, 'gw2')).toMatchObject({ state: 'draining', origin: 'A', seq: String(Date.now() * 1000) });
    expect(b.applied).toEqual([['gw2', 'draining']]);
    expect(a.applied).toEqual([]);
    // A reconcile re-reads the same seq: nothing is applied twice.
    await Promise.all([a.sync.reconcile(), b.sync.reconcile()]);
    expect(b.applied).toHaveLength(1);
    expect(a.applied).toEqual([]);
  });

  it('applies a remote change only when its seq is above the last one seen for that backend', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '100', origin: 'B' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'enabled', seq: '100', origin: 'C' })); // same seq: old news
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'enabled', seq: '99', origin: 'C' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw2', state: 'draining', seq: '1', origin: 'C' })); // another backend: its own count
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'draining', seq: '101', origin: 'C' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw3', state: 'draining', seq: '500', origin: 'C' })); // not ours
    await advance(0);
    expect(a.applied).toEqual([
      ['gw1', 'disabled'],
      ['gw2', 'draining'],
      ['gw1', 'draining'],
    ]);
    // The hash holding an older value than what pub/sub brought changes nothing.
    server.hset(KEY, 'gw1', stamp('enabled', '101'));
    await a.sync.reconcile();
    expect(a.applied).toHaveLength(3);
  });

  it.each([
    ['not JSON', '{oops'],
    ['no backend', stamp('disabled', '5')],
    ['a numeric backend', JSON.stringify({ backend: 1, state: 'disabled', seq: '5', origin: 'B' })],
    ['an unknown state', JSON.stringify({ backend: 'gw1', state: 'off', seq: '5', origin: 'B' })],
    ['a numeric seq', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: 5, origin: 'B' })],
    ['a seq with a sign', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '-5', origin: 'B' })],
    ['a seq of 17 digits', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '12345678901234567', origin: 'B' })],
    ['a seq with a suffix', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '5x', origin: 'B' })],
    ['an empty seq', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '', origin: 'B' })],
    ['no origin', JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '5' })],
    ['null', 'null'],
    ['a string', '"gw1"'],
  ])('ignores and logs a message with %s', async (_what, message) => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.publish(KEY, message);
    await advance(0);
    expect(a.applied).toEqual([]);
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([{ topic: 'malformed', msg: 'admin state: ignored a malformed message on the admin channel' }]);
  });

  it('accepts a seq of 16 digits', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'disabled', seq: '1234567890123456', origin: 'B' }));
    await advance(0);
    expect(a.applied).toEqual([['gw1', 'disabled']]);
  });

  it('ignores and logs a malformed hash value, naming the backend; applies the good ones', async () => {
    const server = new FakeLeaseServer();
    server.hset(KEY, 'gw1', '{broken');
    server.hset(KEY, 'gw2', JSON.stringify({ state: 'disabled', seq: '7', origin: 'B' }));
    const a = node(server, 'A');
    await a.sync.start();
    expect(a.applied).toEqual([['gw2', 'disabled']]);
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([{ topic: 'malformed', backend: 'gw1', msg: 'admin state: ignored a malformed value in the Redis hash' }]);
    server.hset(KEY, 'gw1', JSON.stringify({ state: 'disabled', seq: '7', origin: 5 }));
    await a.sync.reconcile();
    expect(a.applied).toEqual([['gw2', 'disabled']]);
  });

  it('keeps a change pending while Redis is down, and writes it before reading the hash once the connection is back', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    const b = node(server, 'B');
    await a.sync.start();
    await b.sync.start();
    await advance(0);
    server.down();
    await advance(0);
    expect(msgs(a, WARN)).toEqual(
      expect.arrayContaining([
        'admin state: Redis connection failed; admin changes stay local until it is back',
        'admin state: Redis subscriber connection failed',
      ]),
    );
    a.sync.publish('gw1', 'disabled');
    // The hash says otherwise, newer than anything A saw: A's change must still win.
    server.hset(KEY, 'gw1', stamp('enabled', Date.now() * 1000 + 5, 'C'));
    await advance(3 * RECONCILE);
    expect(a.sync.pendingCount).toBe(1);
    expect(server.adminLog.filter((l) => l.startsWith('adminSet'))).toEqual([]);
    const before = server.adminLog.length;
    server.up();
    await advance(0);
    const after = server.adminLog.slice(before);
    expect(after.indexOf('adminSet gw1 disabled')).toBeGreaterThanOrEqual(0);
    expect(after.indexOf('adminSet gw1 disabled')).toBeLessThan(after.indexOf('hgetall'));
    expect(a.sync.pendingCount).toBe(0);
    expect(server.stamped(KEY, 'gw1')).toMatchObject({ state: 'disabled', origin: 'A' });
    expect(a.applied).toEqual([]);
    expect(b.applied.at(-1)).toEqual(['gw1', 'disabled']);
    expect(msgs(a, INFO)).toEqual(
      expect.arrayContaining(['admin state: Redis connection is back', 'admin state: Redis subscriber connection is back']),
    );
  });

  it('logs a refused write with the backend and state, keeps it pending, and retries it at the next reconcile', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.fail('adminSet');
    a.sync.publish('gw2', 'disabled');
    await advance(0);
    expect(a.sync.pendingCount).toBe(1);
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([
      { topic: 'write', backend: 'gw2', state: 'disabled', err: { message: 'ERR injected failure of adminSet' }, msg: 'admin state: could not share an admin change through Redis; it holds on this node and is retried' },
    ]);
    // Not written, so the hash is not read either (it could undo the local change).
    const reads = server.adminLog.filter((l) => l === 'hgetall').length;
    await a.sync.reconcile();
    expect(server.adminLog.filter((l) => l === 'hgetall').length).toBe(reads);
    server.heal('adminSet');
    await advance(RECONCILE);
    expect(a.sync.pendingCount).toBe(0);
    expect(server.stamped(KEY, 'gw2')).toMatchObject({ state: 'disabled', origin: 'A' });
    expect(msgs(a, INFO)).toContain('admin state: sharing admin changes works again');
    expect(server.adminLog.filter((l) => l === 'hgetall').length).toBe(reads + 1);
  });

  it('writes only the newest of several pending changes of one backend, and every backend', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.down();
    a.sync.publish('gw1', 'disabled');
    a.sync.publish('gw2', 'draining');
    a.sync.publish('gw1', 'draining');
    expect(a.sync.pendingCount).toBe(2);
    server.up();
    await advance(0);
    expect(server.adminLog.filter((l) => l.startsWith('adminSet'))).toEqual(['adminSet gw1 draining', 'adminSet gw2 draining']);
    expect(a.sync.pendingCount).toBe(0);
  });

  it('keeps a newer local change pending when an older one of the same backend is confirmed', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.hang();
    a.sync.publish('gw1', 'disabled'); // its write hangs
    await advance(10);
    a.sync.publish('gw1', 'enabled'); // made while the first is in flight
    server.answer();
    await advance(CMD_TIMEOUT); // the first write times out; the second goes through
    expect(server.stamped(KEY, 'gw1')).toMatchObject({ state: 'enabled', origin: 'A' });
    expect(a.sync.pendingCount).toBe(0);
  });

  it('while its own change of a backend is pending, applies a remote one only if Redis ran it after ours', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.fail('adminSet');
    a.sync.publish('gw1', 'disabled');
    a.sync.publish('gw2', 'disabled');
    await advance(0);
    // Remote changes arrive meanwhile: gw1 stamped far in the future (so after ours), gw2 in the past.
    const future = Date.now() * 1000 + 60_000_000;
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'draining', seq: String(future - 1), origin: 'B' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'enabled', seq: String(future), origin: 'B' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw1', state: 'draining', seq: String(future - 2), origin: 'B' }));
    server.publish(KEY, JSON.stringify({ backend: 'gw2', state: 'draining', seq: '3', origin: 'B' }));
    await advance(0);
    expect(a.applied).toEqual([]);
    server.heal('adminSet');
    await a.sync.reconcile();
    // gw1: ours got seq = now, below the deferred one: the newest deferred remote wins.
    // gw2: ours ran after the remote one: the remote change is dropped.
    expect(a.applied).toEqual([['gw1', 'enabled']]);
  });

  it('logs a failed hash read, and its recovery once', async () => {
    const server = new FakeLeaseServer();
    server.hset(KEY, 'gw1', stamp('disabled', '5'));
    server.fail('hgetall');
    const a = node(server, 'A');
    await a.sync.start();
    expect(a.applied).toEqual([]);
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([{ topic: 'read', err: { message: 'ERR injected failure of hgetall' }, msg: 'admin state: could not read the shared admin states from Redis' }]);
    server.heal('hgetall');
    await advance(RECONCILE);
    expect(a.applied).toEqual([['gw1', 'disabled']]);
    await advance(RECONCILE);
    expect(msgs(a, INFO).filter((m) => m === 'admin state: reading shared admin states works again')).toHaveLength(1);
  });

  it('logs a refused SUBSCRIBE and still picks changes up by reconciling', async () => {
    const server = new FakeLeaseServer();
    server.fail('subscribe');
    const a = node(server, 'A');
    await a.sync.start();
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([{ topic: 'subscribe', err: { message: 'ERR injected failure of subscribe' }, msg: 'admin state: SUBSCRIBE failed; remote changes arrive with the next reconcile' }]);
    server.adminSet(KEY, 'gw2', 'draining', 'B', KEY);
    await advance(0);
    expect(a.applied).toEqual([]);
    await advance(RECONCILE);
    expect(a.applied).toEqual([['gw2', 'draining']]);
  });

  it('pings the subscriber connection at every reconcile while it is up (so a dead one is noticed)', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    const pings: string[] = [];
    const sub = server.clients[1]!;
    const ping = sub.ping.bind(sub);
    sub.ping = () => {
      pings.push(sub.status);
      return ping();
    };
    const cmd = server.clients[0]!;
    cmd.ping = () => {
      pings.push('cmd');
      return ping();
    };
    await advance(2 * RECONCILE);
    expect(pings).toEqual(['ready', 'ready']);
    server.fail('ping');
    await advance(RECONCILE); // a failed ping is left to socketTimeout: no unhandled rejection
    server.down();
    await advance(RECONCILE);
    expect(pings).toEqual(['ready', 'ready', 'ready']);
  });

  it('logs an apply that throws and goes on with the next backend', async () => {
    const server = new FakeLeaseServer();
    server.hset(KEY, 'gw1', stamp('disabled', '5'));
    server.hset(KEY, 'gw2', stamp('draining', '5'));
    const applied: string[] = [];
    const a = node(server, 'A', {
      apply: (id) => {
        applied.push(id);
        if (id === 'gw1') throw new Error('no such backend any more');
      },
    });
    await a.sync.start();
    expect(applied).toEqual(['gw1', 'gw2']);
    expect(a.logs.filter((l) => l.level === WARN)).toMatchObject([{ backend: 'gw1', state: 'disabled', msg: 'admin state: could not apply a shared admin change' }]);
  });

  it('logs an internal error of a queued step instead of rejecting', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A', {
      backendIds: () => {
        throw new Error('bug');
      },
    });
    await a.sync.start();
    await expect(a.sync.reconcile()).resolves.toBeUndefined();
    const errors = a.logs.filter((l) => l.level === 50);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatchObject({ err: { message: 'bug' }, msg: 'admin state: internal error' });
  });

  it('starts even when Redis is unreachable, and catches up once it is back', async () => {
    const server = new FakeLeaseServer();
    server.hset(KEY, 'gw1', stamp('draining', '9'));
    server.down();
    const a = node(server, 'A');
    await a.sync.start();
    expect(a.applied).toEqual([]);
    a.sync.publish('gw2', 'disabled');
    expect(a.sync.pendingCount).toBe(1);
    server.up();
    await advance(0);
    expect(a.applied).toEqual([['gw1', 'draining']]);
    expect(a.sync.pendingCount).toBe(0);
    expect(server.clients[1]!.channels.has(KEY)).toBe(true);
  });

  it('stop closes both connections, drops pending changes and ignores everything after; idempotent; no restart', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    server.hang();
    a.sync.publish('gw1', 'disabled'); // in flight when stop begins: stop waits for it
    const stopping = Promise.all([a.sync.stop(), a.sync.stop()]);
    await advance(CMD_TIMEOUT);
    await stopping;
    expect(server.clients.map((c) => c.status)).toEqual(['end', 'end']);
    server.answer();
    a.sync.publish('gw2', 'draining');
    expect(a.sync.pendingCount).toBe(1); // the one that was pending, not the new one
    server.clients[1]!.emit('message', KEY, JSON.stringify({ backend: 'gw2', state: 'draining', seq: '5', origin: 'B' }));
    await a.sync.reconcile();
    await a.sync.start();
    await advance(2 * RECONCILE);
    expect(a.applied).toEqual([]);
    expect(server.clients).toHaveLength(2);
    expect(server.adminLog.filter((l) => l.startsWith('adminSet'))).toEqual([]);
  });

  it('stop sends QUIT on a ready connection and drops one that is not ready, or whose QUIT fails', async () => {
    for (const quitFails of [false, true]) {
      const server = new FakeLeaseServer();
      const a = node(server, 'A');
      await a.sync.start();
      const [cmd, sub] = server.clients;
      sub!.status = 'reconnecting';
      if (quitFails) server.fail('quit');
      const calls: string[] = [];
      for (const [name, c] of [['cmd', cmd!], ['sub', sub!]] as const) {
        const [d, q] = [c.disconnect.bind(c), c.quit.bind(c)];
        c.disconnect = () => {
          calls.push(`${name} disconnect`);
          d();
        };
        c.quit = () => {
          calls.push(`${name} quit`);
          return q();
        };
      }
      await a.sync.stop();
      expect(calls.sort()).toEqual(quitFails ? ['cmd disconnect', 'cmd quit', 'sub disconnect'] : ['cmd quit', 'sub disconnect']);
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  it('a local change made while an earlier one of the same backend is being written is written after it', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await advance(0);
    const cmd = server.clients[0]!;
    const set = cmd.siplbAdminSet.bind(cmd);
    let first = true;
    cmd.siplbAdminSet = (...args: Parameters<typeof set>) => {
      const r = set(...args);
      if (first) a.sync.publish('gw1', 'enabled'); // the operator changes it again meanwhile
      first = false;
      return r;
    };
    a.sync.publish('gw1', 'disabled');
    await advance(0);
    expect(server.adminLog.filter((l) => l.startsWith('adminSet'))).toEqual(['adminSet gw1 disabled', 'adminSet gw1 enabled']);
    expect(server.stamped(KEY, 'gw1')).toMatchObject({ state: 'enabled' });
    expect(a.sync.pendingCount).toBe(0);
  });

  it('a second start is a no-op; stop before start does nothing', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    await a.sync.start();
    await a.sync.start();
    expect(server.clients).toHaveLength(2);
    const b = node(server, 'B');
    await b.sync.stop();
    expect(server.clients).toHaveLength(2);
  });

  it('stopped while connecting: starts no timer and reads nothing', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'A');
    const starting = a.sync.start();
    const stopped = a.sync.stop();
    await starting;
    await stopped;
    const log = [...server.adminLog];
    await advance(3 * RECONCILE);
    expect(server.adminLog).toEqual(log);
    expect(log.filter((l) => l === 'hgetall')).toEqual([]);
  });

  it('needs redisUrl or createClient', () => {
    const logs: Record<string, unknown>[] = [];
    const make = () =>
      new AdminSync({ key: KEY, origin: 'A', commandTimeoutMs: 100, logger: captureLogger(logs), apply: () => undefined, backendIds: () => [] });
    expect(make).toThrow(/AdminSync needs "redisUrl" or "createClient"/);
    try {
      make();
    } catch (err) {
      expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_CONFIG_INVALID');
    }
    // With a URL it builds lazily-connecting clients: constructing connects nothing.
    expect(() => new AdminSync({ redisUrl: 'redis://127.0.0.1:1', key: KEY, origin: 'A', commandTimeoutMs: 100, logger: captureLogger(logs), apply: () => undefined, backendIds: () => [] })).not.toThrow();
  });

  it('knows the three admin state names', () => {
    expect(['enabled', 'disabled', 'draining'].every(isAdminStateName)).toBe(true);
    expect([undefined, 'Enabled', 'down', 1, null].some(isAdminStateName)).toBe(false);
  });
});
