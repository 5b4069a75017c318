import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Admission, readSocketQueue, type AdmissionOptions, type AdmissionReading } from '../../../src/observe/admission.js';

function admitted(a: Admission, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (a.admit()) k++;
  return k;
}

function admission(extra: Partial<AdmissionOptions> = {}): Admission {
  return new Admission({ enabled: true, maxUtilization: 0.9, maxQueueDelayMs: 50, port: 0, backlogMs: () => 0, ...extra });
}

/** A window's readings: a node that keeps up, unless overridden. */
function reading(r: Partial<AdmissionReading> = {}): AdmissionReading {
  return { utilization: 0.5, backlogMs: 0, newDrops: 0, queueBytes: 0, ...r };
}

describe('Admission', () => {
  it('admits every call while the node keeps up', () => {
    const a = admission();
    a.update(reading());
    expect(admitted(a, 1000)).toBe(1000);
  });

  it('sheds nothing for a busy node that still empties its queue, but counts it saturated after a second', () => {
    const a = admission();
    for (let i = 0; i < 9; i++) a.update(reading({ utilization: 0.99, backlogMs: 20 }));
    expect(a.saturated).toBe(false);
    a.update(reading({ utilization: 0.99, backlogMs: 20 }));
    expect(a.saturated).toBe(true);
    expect(a.shedding).toBe(false);
    expect(admitted(a, 1000)).toBe(1000);
    a.update(reading());
    expect(a.saturated).toBe(false);
  });

  it('remembers when it was last saturated or lost datagrams: lateSince(t) looks back to t', () => {
    let t = 0;
    const a = admission({ now: () => t });
    a.update(reading());
    expect(a.lateSince(0)).toBe(false);
    t = 1000;
    a.update(reading({ newDrops: 5 })); // kernel drops: behind, shedding
    expect(a.lateSince(500)).toBe(true);
    let lastLate = t;
    for (let i = 0; i < 20; i++) {
      t += 100;
      a.update(reading());
      if (a.shedding) lastLate = t; // the share recovers by 4 % a window
    }
    expect(lastLate).toBeGreaterThan(1000);
    expect(a.shedding).toBe(false);
    expect(a.saturated).toBe(false);
    // Back to normal, but whatever was sent up to the end of the last late window may have been lost here.
    expect(a.lateSince(lastLate)).toBe(true);
    expect(a.lateSince(lastLate + 1)).toBe(false);
    expect(a.lateSince(t)).toBe(false);
  });

  it('lateSince is true for any t while saturated now', () => {
    const a = admission({ now: () => 0 });
    for (let i = 0; i < 10; i++) a.update(reading({ utilization: 0.99, backlogMs: 20 }));
    expect(a.saturated).toBe(true);
    expect(a.lateSince(Number.POSITIVE_INFINITY)).toBe(true);
  });

  it('ignores queue delay and utilization during start-up grace, but not kernel drops', () => {
    const a = admission();
    for (let i = 0; i < 20; i++) a.update(reading({ utilization: 1, backlogMs: 500, queueBytes: 100_000 }), true);
    expect(a.state().admitFraction).toBe(1);
    expect(a.saturated).toBe(false);
    a.update(reading({ newDrops: 3 }), true);
    expect(a.shedding).toBe(true);
  });

  it('shrinks the admitted share while the queue stays non-empty, down to 5 %, and reports the change once', () => {
    const changes: boolean[] = [];
    const a = admission({ onChange: (s) => changes.push(s) });
    a.update(reading({ backlogMs: 49 }));
    expect(a.state().admitFraction).toBe(1);
    a.update(reading({ backlogMs: 60, queueBytes: 200_000 }));
    expect(a.state().admitFraction).toBeCloseTo(0.7);
    expect(a.state().queueDelayMs).toBe(60);
    expect(a.saturated).toBe(true);
    // Floating-point accumulation may land one short of the exact share.
    expect(Math.abs(admitted(a, 1000) - 700)).toBeLessThanOrEqual(1);
    for (let i = 0; i < 30; i++) a.update(reading({ backlogMs: 100, queueBytes: 200_000 }));
    expect(a.state().admitFraction).toBe(0.05);
    expect(Math.abs(admitted(a, 1000) - 50)).toBeLessThanOrEqual(1);
    expect(changes).toEqual([true]);
  });

  it('holds the admitted share while the queue drains after a cut, and cuts again when it stops draining', () => {
    const a = admission();
    a.update(reading({ backlogMs: 100, queueBytes: 400_000 }));
    expect(a.state().admitFraction).toBeCloseTo(0.7);
    a.update(reading({ backlogMs: 100, queueBytes: 250_000 })); // draining: hold
    a.update(reading({ backlogMs: 100, queueBytes: 150_000 })); // draining: hold
    expect(a.state().admitFraction).toBeCloseTo(0.7);
    a.update(reading({ backlogMs: 100, queueBytes: 148_000 })); // no longer shrinking: cut
    expect(a.state().admitFraction).toBeCloseTo(0.49);
  });

  it('sheds before the kernel drops: a queue filled to half its buffer is behind, however young', () => {
    const a = admission({ queueLimitBytes: () => 1_000_000 });
    a.update(reading({ backlogMs: 10, queueBytes: 400_000 }));
    expect(a.shedding).toBe(false);
    a.update(reading({ backlogMs: 10, queueBytes: 600_000 }));
    expect(a.state().admitFraction).toBeCloseTo(0.7);
  });

  it('counts kernel receive-queue drops as being behind, even with a draining queue and low utilization', () => {
    const a = admission();
    a.update(reading({ backlogMs: 100, queueBytes: 400_000 }));
    a.update(reading({ utilization: 0.3, newDrops: 12, queueBytes: 100 }));
    expect(a.state().admitFraction).toBeCloseTo(0.49);
    expect(a.state().kernelDrops).toBe(12);
  });

  it('recovers by itself once the load drops', () => {
    const changes: boolean[] = [];
    const a = admission({ onChange: (s) => changes.push(s) });
    for (let i = 0; i < 10; i++) a.update(reading({ utilization: 1, backlogMs: 300, queueBytes: 500_000 }));
    for (let i = 0; i < 30; i++) a.update(reading({ utilization: 0.4 }));
    expect(a.state().admitFraction).toBe(1);
    expect(admitted(a, 100)).toBe(100);
    expect(changes).toEqual([true, false]);
    expect(a.saturated).toBe(false);
  });
});

describe.skipIf(!existsSync('/proc/net/udp'))('readSocketQueue', () => {
  it('reads the queue and drop counter of a bound UDP socket', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    try {
      expect(readSocketQueue(s.address().port)).toEqual({ queueBytes: 0, drops: 0 });
    } finally {
      s.close();
    }
  });
  it('sees datagrams waiting in a socket\'s queue before it reads them', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    // A synchronous lookup, so that send() reaches the kernel before this tick ends.
    const lookup = ((host: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, host, 4)) as unknown as dgram.SocketOptions['lookup'];
    const c = dgram.createSocket({ type: 'udp4', lookup });
    await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
    try {
      // Loopback delivers during send(); the receiving socket cannot read before this tick yields.
      for (let i = 0; i < 5; i++) c.send(Buffer.alloc(500), s.address().port, '127.0.0.1');
      expect(readSocketQueue(s.address().port)?.queueBytes).toBeGreaterThan(0);
    } finally {
      c.close();
      s.close();
    }
  });
  it('is undefined for a port nobody bound', () => {
    expect(readSocketQueue(1)).toBeUndefined();
  });
});
