/**
 * The HA role logic of LeaderElection (ha/leader-election.ts) over a fake lease store and fake
 * timers: who leads, when a leader steps down (always before Redis could hand the lease to
 * another node), and how a follower takes over. The same behaviours against a real redis-server
 * are in test/integration/ha/lease.test.ts; here each fault is exact and instant.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import { LeaderElection } from '../../../src/ha/leader-election.js';
import type { Role, RoleChange } from '../../../src/ha/role.js';
import { FakeLeaseServer } from '../../helpers/core/fake-lease-redis.js';

// leader-election.ts reads the clock from node:perf_hooks, whose `performance` vitest's fake
// timers do not replace (only the global one): route it to the global, which they do.
vi.mock('node:perf_hooks', () => ({ performance: { now: () => globalThis.performance.now() } }));

const TTL = 3000;
const RENEW = 1000;
const CMD_TIMEOUT = 500;
const MARGIN = Math.ceil(TTL * 0.01) + 2;

let nodes: LeaderElection[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  // A release sent into a hung store times out on the fake clock: run it out.
  const stopped = Promise.all(nodes.map((n) => n.stop()));
  await vi.advanceTimersByTimeAsync(2 * CMD_TIMEOUT);
  await stopped;
  nodes = [];
  vi.useRealTimers();
});

function node(server: FakeLeaseServer, nodeId: string) {
  const n = new LeaderElection({ createClient: (o) => server.client(o), nodeId, key: 'k', leaseTtlMs: TTL, renewIntervalMs: RENEW, commandTimeoutMs: CMD_TIMEOUT });
  nodes.push(n);
  const changes: (RoleChange & { at: number })[] = [];
  const errors: string[] = [];
  n.onRoleChange((_role: Role, c) => void changes.push({ ...c, at: performance.now() }));
  n.onError((e) => void errors.push(e.message));
  return { n, changes, errors };
}

/** Let promise chains and nextTick listeners run, then move the fake clock. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('LeaderElection over a fake lease store', () => {
  it('takes the free lease on start with a fencing token, and keeps it while renewals succeed', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    await advance(0);
    expect(a.n.role).toBe('leader');
    expect(a.n.fencingToken).toBe(server.fence);
    expect(a.changes).toMatchObject([{ role: 'leader', previous: 'follower', reason: 'acquired', fencingToken: server.fence }]);
    await advance(10 * TTL);
    expect(a.n.role).toBe('leader');
    expect(a.n.leaderChanges).toBe(1);
    expect(server.holder()).toBe(a.n.owner);
    expect(server.log.filter((l) => l.startsWith('renew')).length).toBeGreaterThanOrEqual(29);
  });

  it('keeps a second node follower while the first holds the lease; hands over on stop within one poll', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    const b = node(server, 'b');
    await a.n.start();
    await b.n.start();
    await advance(5 * RENEW);
    expect([a.n.role, b.n.role]).toEqual(['leader', 'follower']);
    expect(b.n.fencingToken).toBeUndefined();
    const firstToken = a.n.fencingToken!;
    const stoppedAt = performance.now();
    await a.n.stop();
    await advance(0);
    expect(a.changes.at(-1)).toMatchObject({ role: 'follower', reason: 'released', fencingToken: firstToken });
    await advance(RENEW);
    expect(b.n.role).toBe('leader');
    expect(b.changes[0]!.at - stoppedAt).toBeLessThanOrEqual(RENEW);
    expect(b.n.fencingToken!).toBeGreaterThan(firstToken);
  });

  it('takes over from a crashed leader as soon as its lease expires in Redis, not a poll later', async () => {
    const server = new FakeLeaseServer();
    // A leader that died: its value stays until the TTL runs out.
    server.steal('dead-node', 1700);
    const b = node(server, 'b');
    await b.n.start();
    expect(b.n.role).toBe('follower');
    await advance(1700 + 1);
    expect(b.n.role).toBe('leader');
    expect(b.changes[0]!.at).toBeLessThanOrEqual(1702);
  });

  it('steps down before its lease could expire in Redis when Redis stops answering', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    await advance(RENEW / 2);
    server.hang();
    // Sample the role every ms until the store would let someone else in.
    const expiresAt = server.expiresAt();
    let leaderUntil = 0;
    while (performance.now() < expiresAt + 10) {
      if (a.n.isLeader()) leaderUntil = performance.now();
      await advance(1);
    }
    expect(a.n.role).toBe('follower');
    expect(leaderUntil).toBeLessThan(expiresAt - MARGIN + 1);
    // Whichever comes first: giving up on renewals, or the local deadline itself.
    expect(['renew-failed', 'deadline']).toContain(a.changes.at(-1)?.reason);
    expect(a.errors.some((e) => /timed out.*commandTimeoutMs=500/.test(e))).toBe(true);
  });

  it("steps down when Redis says the lease is someone else's", async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    server.steal('intruder', 60_000);
    await advance(RENEW);
    expect(a.n.role).toBe('follower');
    expect(a.changes.at(-1)).toMatchObject({ reason: 'lost' });
  });

  it('steps down with redis-down while disconnected, and tries again at once when the connection is back', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    await advance(100);
    server.down();
    await advance(TTL);
    expect(a.n.role).toBe('follower');
    expect(a.changes.at(-1)).toMatchObject({ reason: 'redis-down' });
    server.steal('x', 1); // expired a ms later: the lease is free
    await advance(5);
    const before = server.log.length;
    server.up();
    await advance(0);
    expect(server.log.slice(before)).toEqual([`acquire ${a.n.owner}`]);
    expect(a.n.role).toBe('leader');
  });

  it('reclaims its own value after a renewal that ran on Redis but whose answer was lost', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    const t1 = a.n.fencingToken!;
    await advance(RENEW / 2);
    server.hangAfterRun();
    await advance(TTL); // renewals time out here, but each extended the value in the store
    expect(a.n.role).toBe('follower');
    expect(server.holder()).toBe(a.n.owner);
    server.answer();
    await advance(RENEW);
    expect(a.n.role).toBe('leader');
    expect(a.n.fencingToken!).toBeGreaterThan(t1);
  });

  it('leads at most one node at every instant among three sharing one store, through a hang and a recovery', async () => {
    const server = new FakeLeaseServer();
    const all = ['a', 'b', 'c'].map((id) => node(server, id));
    await Promise.all(all.map((x) => x.n.start()));
    let maxLeaders = 0;
    for (let t = 0; t < 6 * TTL; t++) {
      if (t === TTL) server.hang();
      if (t === 2 * TTL) server.answer();
      maxLeaders = Math.max(maxLeaders, all.filter((x) => x.n.isLeader()).length);
      await advance(1);
    }
    expect(maxLeaders).toBe(1);
    expect(all.filter((x) => x.n.isLeader())).toHaveLength(1);
  });

  it('reports a role listener that throws as an error and still tells the other listeners', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    a.n.onRoleChange(() => {
      throw new Error('listener bug');
    });
    await a.n.start();
    await advance(0);
    expect(a.changes).toHaveLength(1);
    expect(a.errors.some((e) => e.includes('listener bug'))).toBe(true);
  });

  it('cannot start again after stop; stop is idempotent and releases the lease', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.start();
    await Promise.all([a.n.stop(), a.n.stop()]);
    expect(server.holder()).toBeUndefined();
    expect(server.log.filter((l) => l.startsWith('release'))).toHaveLength(1);
    await expect(a.n.start()).rejects.toSatisfy(isSiplbError);
  });

  it('refuses a client that would queue or resend lease commands', async () => {
    const server = new FakeLeaseServer();
    const n = new LeaderElection({ createClient: () => server.client({}), nodeId: 'a', key: 'k' });
    nodes.push(n);
    await expect(n.start()).rejects.toThrow(/enableOfflineQueue must be false/);
  });

  it.each([
    [{ leaseTtlMs: 0 }, /leaseTtlMs/],
    [{ renewIntervalMs: 2900 }, /must be below/],
    [{ key: '' }, /"key"/],
    [{ nodeId: '' }, /"nodeId"/],
    [{}, /redisUrl/],
  ])('rejects unusable options %j', (opts, msg) => {
    const server = new FakeLeaseServer();
    const withClient = 'nodeId' in opts || 'key' in opts || 'leaseTtlMs' in opts || 'renewIntervalMs' in opts;
    expect(() => new LeaderElection({ nodeId: 'a', ...(withClient ? { createClient: (o) => server.client(o) } : {}), ...opts })).toThrow(msg);
  });
});
