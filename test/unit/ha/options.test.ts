/**
 * The lease options (ha/options.ts) and the ioredis options a lease client must run with
 * (ha/redis-options.ts): defaults, the checks that refuse a lease that could not work, and the
 * reconnect backoff.
 */
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import { DEFAULT_LEADER_ELECTION_OPTIONS, driftMarginMs, resolveOptions } from '../../../src/ha/options.js';
import { assertLeaseSafe, leaseRedisOptions, reconnectBackoff } from '../../../src/ha/redis-options.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSiplbError(e) && e.code === 'SIPLB_ERR_CONFIG_INVALID') return e.message;
    throw e;
  }
  throw new Error('accepted');
}

describe('resolveOptions', () => {
  it('fills the defaults: 3 s lease renewed every second, polled as often, 500 ms per command, the host name', () => {
    expect(resolveOptions({})).toEqual({ key: 'siplb:leader', leaseTtlMs: 3000, renewIntervalMs: 1000, acquirePollIntervalMs: 1000, commandTimeoutMs: 500, nodeId: hostname() });
    expect(DEFAULT_LEADER_ELECTION_OPTIONS.key).toBe('siplb:leader');
    // The poll interval follows a changed renew interval unless set itself.
    expect(resolveOptions({ renewIntervalMs: 700 }).acquirePollIntervalMs).toBe(700);
    expect(resolveOptions({ renewIntervalMs: 700, acquirePollIntervalMs: 300 }).acquirePollIntervalMs).toBe(300);
    expect(resolveOptions({ key: 'k', nodeId: 'n1', leaseTtlMs: 10_000, commandTimeoutMs: 200 })).toMatchObject({ key: 'k', nodeId: 'n1', leaseTtlMs: 10_000, commandTimeoutMs: 200 });
  });

  it.each(['leaseTtlMs', 'renewIntervalMs', 'acquirePollIntervalMs', 'commandTimeoutMs'] as const)('refuses %s that is not a positive integer, naming it', (name) => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(refusal(() => resolveOptions({ [name]: bad }))).toContain(`"${name}" must be a positive integer of milliseconds, got ${String(bad)}`);
    }
  });

  it('refuses an empty key or node id', () => {
    expect(refusal(() => resolveOptions({ key: '' }))).toContain('"key" must not be empty');
    expect(refusal(() => resolveOptions({ nodeId: '' }))).toContain('"nodeId" must not be empty');
  });

  it('refuses a renew interval plus command timeout that reaches the lease lifetime less the drift margin', () => {
    // 3000 ms lease: margin 32 ms, so renew + timeout must stay below 2968.
    expect(driftMarginMs(3000)).toBe(32);
    expect(driftMarginMs(10_000)).toBe(102);
    expect(driftMarginMs(150)).toBe(4); // rounded up
    expect(() => resolveOptions({ renewIntervalMs: 2467, commandTimeoutMs: 500 })).not.toThrow();
    const msg = refusal(() => resolveOptions({ renewIntervalMs: 2468, commandTimeoutMs: 500 }));
    expect(msg).toContain('renewIntervalMs (2468) + commandTimeoutMs (500) must be below leaseTtlMs (3000) minus the drift margin (32)');
    expect(msg).toContain('raise leaseTtlMs or lower renewIntervalMs');
  });
});

describe('leaseRedisOptions', () => {
  it('never queues or resends a lease command, and bounds every wait', () => {
    const o = leaseRedisOptions({ commandTimeoutMs: 500, renewIntervalMs: 1000 });
    expect(o).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 500,
      socketTimeout: 1500,
      connectTimeout: 1000,
    });
    expect(leaseRedisOptions({ commandTimeoutMs: 800, renewIntervalMs: 1000 }).connectTimeout).toBe(1600);
    // The reconnect delay is capped at the renew interval (and never below the 50 ms base).
    const retry = o.retryStrategy as (n: number) => number;
    for (let n = 1; n < 40; n++) expect(retry(n)).toBeLessThanOrEqual(1000);
    const tiny = leaseRedisOptions({ commandTimeoutMs: 5, renewIntervalMs: 10 }).retryStrategy as (n: number) => number;
    expect(tiny(30)).toBeGreaterThanOrEqual(25);
  });
});

describe('reconnectBackoff', () => {
  it('doubles from 50 ms per attempt up to the cap, scaled into [0.5, 1) by the random factor', () => {
    const top = reconnectBackoff(1000, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 6, 20].map(top)).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    const bottom = reconnectBackoff(1000, () => 0);
    expect([1, 2, 3, 5, 6].map(bottom)).toEqual([25, 50, 100, 400, 500]);
    expect(bottom(0)).toBe(25); // attempt 0 is treated as the first
    expect(reconnectBackoff(1e12, () => 0)(100)).toBe(25 * 2 ** 16); // the exponent stops at 16
    expect(reconnectBackoff(1, () => 0)(1)).toBe(1); // never 0: ioredis would stop reconnecting
  });
});

describe('assertLeaseSafe', () => {
  const client = (options: Record<string, unknown>) => {
    const c = { options, disconnected: false, disconnect: () => void (c.disconnected = true) };
    return c;
  };
  it('accepts a client built with the lease options', () => {
    const c = client({ ...leaseRedisOptions({ commandTimeoutMs: 500, renewIntervalMs: 1000 }) });
    expect(() => assertLeaseSafe(c as unknown as Redis)).not.toThrow();
    expect(c.disconnected).toBe(false);
    expect(() => assertLeaseSafe(client({ enableOfflineQueue: false, commandTimeout: 1, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 }) as unknown as Redis)).not.toThrow();
  });
  it('refuses and disconnects a client that could queue or resend a lease command, listing each problem', () => {
    const c = client({ enableOfflineQueue: true, commandTimeout: 0, autoResendUnfulfilledCommands: true, maxRetriesPerRequest: 20 });
    const msg = refusal(() => assertLeaseSafe(c as unknown as Redis));
    expect(msg).toContain(
      'enableOfflineQueue must be false; commandTimeout must be set; autoResendUnfulfilledCommands must be false; maxRetriesPerRequest must be 0 or 1',
    );
    expect(msg).toContain('spread the options it is given into the client');
    expect(c.disconnected).toBe(true);
    expect(refusal(() => assertLeaseSafe(client({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: null }) as unknown as Redis))).toBe(
      'LeaderElection "createClient" returned a client that could renew a lease after losing it (commandTimeout must be set; maxRetriesPerRequest must be 0 or 1); spread the options it is given into the client',
    );
  });
});
