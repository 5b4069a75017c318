import { describe, expect, it } from 'vitest';
import { BacklogMeter, LIBUV_READ_BATCH } from '../../../src/transport/backlog-meter.js';

function meter(): { m: BacklogMeter; at: (ms: number) => void } {
  let now = 0;
  return { m: new BacklogMeter(() => now), at: (ms) => (now = ms) };
}

describe('BacklogMeter', () => {
  it('reads 0 while every batch ends short of libuv\'s limit (the queue emptied each time)', () => {
    const { m, at } = meter();
    for (let t = 0; t < 1000; t += 10) {
      at(t);
      m.batchEnded(LIBUV_READ_BATCH - 1);
    }
    expect(m.takeLongestMs()).toBe(0);
  });

  it('measures a run of full batches up to the first short one, and forgets it once read', () => {
    const { m, at } = meter();
    at(100);
    m.batchEnded(LIBUV_READ_BATCH);
    at(150);
    m.batchEnded(LIBUV_READ_BATCH);
    at(180);
    m.batchEnded(3); // the queue emptied here
    at(300);
    m.batchEnded(LIBUV_READ_BATCH);
    at(320);
    m.batchEnded(1);
    expect(m.takeLongestMs()).toBe(80);
    expect(m.takeLongestMs()).toBe(0);
  });

  it('counts a run still going when read, and keeps counting it from its start', () => {
    const { m, at } = meter();
    at(1000);
    m.batchEnded(LIBUV_READ_BATCH);
    at(1100);
    expect(m.takeLongestMs()).toBe(100);
    at(1250);
    m.batchEnded(LIBUV_READ_BATCH);
    expect(m.takeLongestMs()).toBe(250);
  });
});
