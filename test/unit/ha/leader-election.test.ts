/**
 * The HA role logic of LeaderElection (ha/leader-election.ts) over a fake lease store and fake
 * timers: who leads, when a leader steps down (always before Redis could hand the lease to
 * another node), and how a follower takes over. The same behaviours against a real redis-server
 * are in test/integration/ha/lease.test.ts; here each fault is exact and instant.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import type { SiplbError } from '../../../src/errors.js';
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
    // As follower it polls a whole interval after the renewal that found the lease gone.
    const acquires = () => server.log.filter((l) => l.startsWith('acquire ')).length;
    const n = acquires();
    await advance(RENEW - 1);
    expect(acquires()).toBe(n);
    await advance(1);
    expect(acquires()).toBe(n + 1);
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
    expect(a.errors).toEqual(['lease role listener on "k" failed: listener bug']);
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

describe('LeaderElection over a fake lease store: edges', () => {
  const count = (server: FakeLeaseServer, op: string) => server.log.filter((l) => l.startsWith(`${op} `)).length;
  /** Node 'a', started on `server`: leader unless the lease is taken. */
  async function started(server: FakeLeaseServer) {
    const a = node(server, 'a');
    await a.n.start();
    return a;
  }

  it('reports how long its lease has left, its key, and 0 left as follower', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    expect(a.n.key).toBe('k');
    expect(a.n.leaseRemainingMs).toBe(0);
    await a.n.start();
    // Counted from the moment the acquire was sent, less the drift margin.
    expect(a.n.leaseRemainingMs).toBe(TTL - MARGIN);
    await advance(100);
    expect(a.n.leaseRemainingMs).toBe(TTL - MARGIN - 100);
    await advance(RENEW); // renewed at RENEW: counted from then
    expect(a.n.leaseRemainingMs).toBe(TTL - MARGIN - 100);
    server.steal('intruder', 60_000);
    await advance(RENEW);
    expect(a.n.leaseRemainingMs).toBe(0);
  });

  it('renews once per renewIntervalMs, and a follower polls once per poll interval', async () => {
    const server = new FakeLeaseServer();
    server.steal('other', 10 * TTL);
    const b = node(server, 'b');
    await b.n.start();
    await advance(5 * RENEW - 1);
    expect(count(server, 'acquire')).toBe(5); // at 0, RENEW, ..., 4·RENEW
    server.steal('x', 0);
    const a = node(server, 'a');
    await a.n.start();
    const renews = count(server, 'renew');
    await advance(10 * RENEW);
    expect(count(server, 'renew') - renews).toBe(10);
  });

  it('a follower whose acquire fails tries again a poll later, not at once', async () => {
    const server = new FakeLeaseServer();
    server.fail('acquire');
    const a = node(server, 'a');
    await a.n.start();
    await advance(3 * RENEW - 1);
    expect(a.errors).toHaveLength(3);
    expect(a.errors[0]).toBe('lease acquire on "k" failed: ERR injected failure of acquire');
  });

  it('a leader whose renewal fails once retries after a quarter of the renew interval and stays leader', async () => {
    const server = new FakeLeaseServer();
    const a = await started(server);
    server.fail('renew');
    await advance(RENEW); // the renewal at RENEW fails
    expect(count(server, 'renew')).toBe(0);
    expect(a.errors).toEqual(['lease renew on "k" failed: ERR injected failure of renew']);
    await advance(RENEW / 4 - 1);
    expect(a.errors).toHaveLength(1); // no retry storm
    server.heal('renew');
    await advance(1);
    expect(count(server, 'renew')).toBe(1);
    expect(a.n.role).toBe('leader');
    expect(a.changes).toHaveLength(1);
    // Counted from the retry that succeeded.
    expect(a.n.leaseRemainingMs).toBe(TTL - MARGIN);
  });

  it('gives up renewing once no further attempt could be confirmed before its deadline', async () => {
    const server = new FakeLeaseServer();
    const a = await started(server);
    server.fail('renew');
    // Deadline TTL - MARGIN; the last attempt is one that leaves more than CMD_TIMEOUT.
    await advance(TTL - MARGIN - CMD_TIMEOUT - 1);
    expect(a.n.role).toBe('leader');
    await advance(1);
    expect(a.n.role).toBe('follower');
    expect(a.changes.at(-1)).toMatchObject({ reason: 'renew-failed' });
    // Then it tries to acquire a poll interval after that last failed attempt, not before.
    await advance(RENEW - 1);
    expect(count(server, 'acquire')).toBe(1);
    await advance(1);
    expect(count(server, 'acquire')).toBe(2);
    expect(a.n.role).toBe('leader');
  });

  it('sends no lease command while disconnected, and reports no lease error for it', async () => {
    const server = new FakeLeaseServer();
    const a = await started(server);
    server.down();
    const sent = server.log.length;
    await advance(3 * TTL);
    expect(server.log.length).toBe(sent);
    expect(a.errors.filter((e) => !e.startsWith('lease connection on "k" failed'))).toEqual([]);
    expect(a.errors[0]).toBe('lease connection on "k" failed: Connection is closed.');
  });

  it('makes exactly one acquire attempt on start (the ready event does not add one)', async () => {
    const server = new FakeLeaseServer();
    server.steal('other', 10 * TTL);
    const a = node(server, 'a');
    await a.n.start();
    await a.n.start(); // already running: nothing more
    await advance(RENEW - 1);
    expect(count(server, 'acquire')).toBe(1);
    expect(server.clients).toHaveLength(1);
  });

  it('stop leaves no timer behind', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    const b = node(server, 'b');
    await a.n.start();
    await b.n.start();
    await Promise.all([a.n.stop(), b.n.stop()]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop while disconnected sends no release and just drops the connection', async () => {
    const server = new FakeLeaseServer();
    const a = await started(server);
    server.down();
    await a.n.stop();
    expect(count(server, 'release')).toBe(0);
    expect(server.clients[0]!.status).toBe('end');
    expect(a.errors.filter((e) => e.includes('release'))).toEqual([]);
  });

  it('stop reports a release that fails, and drops a connection whose QUIT fails', async () => {
    const server = new FakeLeaseServer();
    const a = await started(server);
    server.fail('release');
    server.fail('quit');
    await a.n.stop();
    expect(a.errors).toEqual(['lease release on "k" failed: ERR injected failure of release']);
    expect(server.clients[0]!.status).toBe('end');
    expect(a.n.role).toBe('follower');
  });

  it('errors carry the cause, the operation and the key; a timeout gets the commandTimeoutMs hint', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    const errs: SiplbError[] = [];
    a.n.onError((e) => void errs.push(e));
    await a.n.start();
    server.hang();
    await advance(RENEW + CMD_TIMEOUT);
    expect(errs[0]!.code).toBe('SIPLB_ERR_HA_LEASE');
    expect(errs[0]!.message).toBe('lease renew on "k" failed: Command timed out (no answer within commandTimeoutMs=500; raise it if Redis is slow but healthy)');
    expect((errs[0]!.cause as Error).message).toBe('Command timed out');
  });

  it('a removed listener hears nothing more', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    const roles: string[] = [];
    const errors: string[] = [];
    a.n.onRoleChange((r) => void roles.push(r))();
    a.n.onError((e) => void errors.push(e.message))();
    server.fail('acquire');
    await a.n.start();
    server.heal('acquire');
    await advance(RENEW);
    expect(a.n.role).toBe('leader');
    expect([roles, errors]).toEqual([[], []]);
    expect(a.changes).toHaveLength(1);
  });

  it('needs redisUrl or createClient, and with a URL connects nothing until start', () => {
    expect(() => new LeaderElection({ nodeId: 'a' })).toThrow('LeaderElection needs "redisUrl" or "createClient"; without Redis the node runs standalone');
    const n = new LeaderElection({ nodeId: 'a', redisUrl: 'redis://127.0.0.1:1' });
    expect(n.role).toBe('follower');
    expect(n.owner).toMatch(/^a:\d+:[0-9a-f]{12}$/);
  });

  it('refuses to start again after stop with an internal error', async () => {
    const server = new FakeLeaseServer();
    const a = node(server, 'a');
    await a.n.stop();
    await expect(a.n.start()).rejects.toMatchObject({ code: 'SIPLB_ERR_INTERNAL', message: 'LeaderElection was stopped; create a new instance' });
  });
});
