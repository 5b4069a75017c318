/**
 * RecentActivity, the status page's memory: transitions with reasons from the health and admin
 * channels, probe RTT samples per backend (timeouts as null), new calls per second over complete
 * seconds, bounded rings, forgetting removed backends, and silence after close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../../../src/observe/channels.js';
import { RecentActivity } from '../../../src/observe/recent.js';
import { Ring } from '../../../src/observe/ring.js';

const open: RecentActivity[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

function recent(now: { t: number }, opts: { maxTransitions?: number; maxRttSamples?: number } = {}): RecentActivity {
  const r = new RecentActivity({ now: () => now.t, ...opts });
  open.push(r);
  return r;
}

describe('Ring', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const r = new Ring<number>(3);
    expect(r.toArray()).toEqual([]);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe('RecentActivity', () => {
  it('records health and admin transitions with reasons, bounded', () => {
    const now = { t: 1_700_000_000_000 };
    const r = recent(now, { maxTransitions: 3 });
    channels.healthTransition.publish({ backend: 'gw1', from: 'up', to: 'failing', reason: 'probe-timeout', eligible: true });
    now.t += 1000;
    channels.healthTransition.publish({ backend: 'gw1', from: 'failing', to: 'down', reason: 'probe-timeout', eligible: false });
    channels.adminChange.publish({ backend: 'gw2', from: 'enabled', to: 'draining' });
    channels.healthTransition.publish({ backend: 'gw1', from: 'down', to: 'recovering', reason: 'probe-ok', eligible: false });
    expect(r.transitions()).toEqual([
      { at: now.t, backend: 'gw1', kind: 'health', from: 'failing', to: 'down', reason: 'probe-timeout' },
      { at: now.t, backend: 'gw2', kind: 'admin', from: 'enabled', to: 'draining', reason: 'operator' },
      { at: now.t, backend: 'gw1', kind: 'health', from: 'down', to: 'recovering', reason: 'probe-ok' },
    ]);
  });

  it('keeps probe RTT samples per backend, a timeout as null, bounded', () => {
    const now = { t: 1000 };
    const r = recent(now, { maxRttSamples: 2 });
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 0.5 });
    now.t = 2000;
    channels.probe.publish({ backend: 'gw1', result: 'timeout' });
    now.t = 3000;
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 0.7 });
    expect(r.rtt('gw1')).toEqual([{ at: 2000, ms: null }, { at: 3000, ms: 0.7 }]);
    expect(r.rtt('gw9')).toEqual([]);
  });

  it('counts new calls (balancer-dispatched INVITEs only) per second over the last 5 complete seconds', () => {
    const now = { t: 10_000 };
    const r = recent(now);
    for (let s = 0; s < 5; s++) {
      now.t = 10_000 + s * 1000 + 500;
      for (let i = 0; i < 4; i++) channels.requestForwarded.publish({ method: 'INVITE', backend: 'gw1', via: 'new' });
      channels.requestForwarded.publish({ method: 'INVITE', backend: 'gw1', via: 'affinity' });
      channels.requestForwarded.publish({ method: 'BYE', backend: 'gw1', via: 'routed' });
    }
    now.t = 15_000; // seconds 10..14 complete
    expect(r.callsPerSecond('gw1')).toBe(4);
    now.t = 17_000; // 12..16: three seconds of 4
    expect(r.callsPerSecond('gw1')).toBeCloseTo(12 / 5);
    now.t = 60_000;
    expect(r.callsPerSecond('gw1')).toBe(0);
    expect(r.callsPerSecond('gw2')).toBe(0);
  });

  it('forgets removed backends and stops listening after close()', () => {
    const now = { t: 1000 };
    const r = recent(now);
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 1 });
    channels.probe.publish({ backend: 'gw2', result: 'ok', code: 200, rttMs: 1 });
    r.retain(new Set(['gw1']));
    expect(r.rtt('gw2')).toEqual([]);
    expect(r.rtt('gw1')).toHaveLength(1);
    r.close();
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 1 });
    channels.healthTransition.publish({ backend: 'gw1', from: 'up', to: 'down', reason: 'retry-after', eligible: false });
    expect(r.rtt('gw1')).toHaveLength(1);
    expect(r.transitions()).toEqual([]);
  });
});
