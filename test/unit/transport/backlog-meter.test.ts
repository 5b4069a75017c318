import { describe, expect, it } from 'vitest';
import { BacklogMeter, LIBUV_READ_BATCH } from '../../../src/transport/backlog-meter.js';

/** A meter on a fake clock: `at` moves the clock, `batchAt` ends a read batch of `count` datagrams at `ms`. */
function meter(): { m: BacklogMeter; at: (ms: number) => void; batchAt: (ms: number, count: number) => void } {
  let now = 0;
  const m = new BacklogMeter(() => now);
  return {
    m,
    at: (ms) => (now = ms),
    batchAt: (ms, count) => {
      now = ms;
      m.batchEnded(count);
    },
  };
}

describe('BacklogMeter', () => {
  it('reads 0 while every batch ends short of libuv\'s limit (the queue emptied each time)', () => {
    const { m, batchAt } = meter();
    for (let t = 0; t < 1000; t += 10) batchAt(t, LIBUV_READ_BATCH - 1);
    expect(m.takeLongestMs()).toBe(0);
  });

  it('measures a run of full batches up to the first short one, and forgets it once read', () => {
    const { m, batchAt } = meter();
    batchAt(100, LIBUV_READ_BATCH);
    batchAt(150, LIBUV_READ_BATCH);
    batchAt(180, 3); // the queue emptied here
    batchAt(300, LIBUV_READ_BATCH);
    batchAt(320, 1);
    expect(m.takeLongestMs()).toBe(80);
    expect(m.takeLongestMs()).toBe(0);
  });

  it('counts a run still going when read, and keeps counting it from its start', () => {
    const { m, at, batchAt } = meter();
    batchAt(1000, LIBUV_READ_BATCH);
    at(1100);
    expect(m.takeLongestMs()).toBe(100);
    batchAt(1250, LIBUV_READ_BATCH);
    expect(m.takeLongestMs()).toBe(250);
  });
});
