import { describe, expect, it } from 'vitest';
import { MessageClock, monotonicNow } from '../../../src/runtime/message-clock.js';

/** A clock source that counts its reads and advances 1 ms per read. */
function counting(): { read: () => number; reads: () => number } {
  let t = 0;
  let reads = 0;
  return {
    read: () => {
      reads++;
      return (t += 1);
    },
    reads: () => reads,
  };
}

describe('MessageClock', () => {
  it('reads afresh outside a message (timers, sweeps)', () => {
    const src = counting();
    const clock = new MessageClock(src.read);
    expect(clock.now()).toBe(1);
    expect(clock.now()).toBe(2);
    expect(src.reads()).toBe(2);
  });

  it('reads once per message and returns that time until the message is released', () => {
    const src = counting();
    const clock = new MessageClock(src.read);
    clock.hold();
    expect([clock.now(), clock.now(), clock.now()]).toEqual([1, 1, 1]);
    expect(src.reads()).toBe(1);
    clock.release();
    expect(clock.now()).toBe(2);
    clock.hold();
    expect(clock.now()).toBe(3);
    clock.release();
  });

  it('keeps the outer time through a nested hold and releases only at the outermost', () => {
    const src = counting();
    const clock = new MessageClock(src.read);
    clock.hold();
    clock.hold();
    expect(clock.now()).toBe(1);
    clock.release();
    expect(clock.now()).toBe(1);
    clock.release();
    expect(clock.now()).toBe(2);
  });

  it('ignores a release without a hold', () => {
    const src = counting();
    const clock = new MessageClock(src.read);
    clock.release();
    clock.hold();
    expect(clock.now()).toBe(1);
    clock.release();
    expect(clock.now()).toBe(2);
  });

  it('defaults to the monotonic performance clock', () => {
    const clock = new MessageClock();
    const before = monotonicNow();
    const t = clock.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(monotonicNow()).toBeGreaterThanOrEqual(t);
  });
});
