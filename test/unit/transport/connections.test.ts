import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionTable, type Clock, type CloseReason } from '../../../src/transport/connections.js';

const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

describe('ConnectionTable', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function table(limits = {}): { t: ConnectionTable; expired: Array<[number, CloseReason]>; add: (ip?: string, port?: number) => ReturnType<ConnectionTable['add']> } {
    const t = new ConnectionTable({ firstByteMs: 5000, messageMs: 10_000, idleMs: 60_000, connectMs: 3000, ...limits }, fakeClock);
    const expired: Array<[number, CloseReason]> = [];
    const add = (ip = '10.0.0.1', port = 40000): ReturnType<ConnectionTable['add']> => {
      const e = t.add('tcp', 'in', ip, port, (r) => {
        expired.push([e.id, r]);
        t.remove(e, r);
      });
      return e;
    };
    return { t, expired, add };
  }

  it('gives monotonic ids, never reused, across tables', () => {
    const a = table();
    const b = table();
    const e1 = a.add();
    a.t.remove(e1, 'peer');
    const e2 = b.add();
    const e3 = a.add();
    expect(e2.id).toBeGreaterThan(e1.id);
    expect(e3.id).toBeGreaterThan(e2.id);
  });

  it('finds a connection by id and by remote address, and forgets it on remove', () => {
    const { t, add } = table();
    const e = add('10.0.0.9', 5070);
    expect(t.get(e.id)).toBe(e);
    expect([...(t.byRemote('10.0.0.9:5070') ?? [])]).toEqual([e]);
    t.alias(e, 'gw.example:5070');
    expect([...(t.byRemote('gw.example:5070') ?? [])]).toEqual([e]);
    t.remove(e, 'peer');
    expect(t.get(e.id)).toBeUndefined();
    expect(t.byRemote('10.0.0.9:5070')).toBeUndefined();
    expect(t.byRemote('gw.example:5070')).toBeUndefined();
  });

  it('caps inbound connections per IP and in total, and counts refusals', () => {
    const { t, add } = table({ maxPerIp: 2, maxConnections: 3 });
    add('10.0.0.1', 1);
    add('10.0.0.1', 2);
    expect(t.admit('10.0.0.1', false)).toBe('per-ip-cap');
    expect(t.admit('10.0.0.2', false)).toBeUndefined();
    const e = add('10.0.0.2', 1);
    expect(t.admit('10.0.0.3', false)).toBe('total-cap');
    t.remove(e, 'peer');
    expect(t.admit('10.0.0.3', false)).toBeUndefined();
    expect(t.stats().refused).toEqual({ 'total-cap': 1, 'per-ip-cap': 1, 'tls-handshake-cap': 0 });
  });

  it('caps TLS handshakes in flight', () => {
    const { t } = table({ maxTlsHandshakes: 1 });
    t.handshakeStarted();
    expect(t.admit('10.0.0.1', true)).toBe('tls-handshake-cap');
    expect(t.admit('10.0.0.1', false)).toBeUndefined();
    t.handshakeEnded();
    expect(t.admit('10.0.0.1', true)).toBeUndefined();
  });

  it('closes a connection that sends nothing within the first-byte deadline', () => {
    const { expired, add } = table();
    const e = add();
    vi.advanceTimersByTime(4999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([[e.id, 'first-byte-timeout']]);
  });

  it('closes a connection whose started message is not completed in time, even while bytes dribble in', () => {
    const { t, expired, add } = table();
    const e = add();
    t.activity(e, true, true); // first byte, message started at 0
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(1000);
      t.activity(e, true, true);
    }
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(expired).toEqual([[e.id, 'message-timeout']]);
  });

  it('restarts the message deadline on a busy connection whose reads keep ending mid-message', () => {
    const { t, expired, add } = table();
    const e = add();
    t.activity(e, true, true);
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(1000);
      t.activity(e, true, true, true); // a message completed, the next one started in the same read
    }
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(expired).toEqual([[e.id, 'message-timeout']]);
  });

  it('closes an idle connection after the idle lifetime, counted from its last activity', () => {
    const { t, expired, add } = table();
    const e = add();
    t.activity(e, true, false);
    vi.advanceTimersByTime(30_000);
    t.activity(e, false, false); // a write keeps it alive too
    vi.advanceTimersByTime(59_999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([[e.id, 'idle']]);
    expect(t.stats().closed).toEqual({ idle: 1 });
  });

  it('gives an outbound connection its connect deadline, then the idle one', () => {
    const { t } = table();
    const reasons: CloseReason[] = [];
    const a = t.add('tls', 'out', '127.0.0.1', 5061, (r) => {
      reasons.push(r);
      t.remove(a, r);
    });
    vi.advanceTimersByTime(3000);
    expect(reasons).toEqual(['connect-timeout']);
    const b = t.add('tls', 'out', '127.0.0.1', 5061, (r) => {
      reasons.push(r);
      t.remove(b, r);
    });
    t.connected(b);
    vi.advanceTimersByTime(59_999);
    expect(reasons).toEqual(['connect-timeout']);
    vi.advanceTimersByTime(1);
    expect(reasons).toEqual(['connect-timeout', 'idle']);
  });

  it('counts open connections by transport and direction', () => {
    const { t, add } = table();
    const a = add();
    add();
    const o = t.add('tls', 'out', '127.0.0.1', 5061, () => {});
    expect(t.stats().open).toEqual({ 'tcp/in': 2, 'tls/out': 1 });
    t.remove(a, 'peer');
    t.remove(o, 'peer');
    expect(t.stats().open).toEqual({ 'tcp/in': 1, 'tls/out': 0 });
    expect(t.stats().accepted).toBe(2);
  });
});
