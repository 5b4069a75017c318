/** RateLimitedLog (ha/rate-limited-log.ts): an outage that repeats every few ms logs a few lines, not thousands. */
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../../src/ha/rate-limited-log.js';

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
  } as unknown as Logger;
  return { lines, log };
}

describe('RateLimitedLog', () => {
  it('logs the first failure at once, then at most one per interval with the count left out', () => {
    const { lines, log } = recorder();
    let now = 1000;
    const r = new RateLimitedLog(log, 10_000, () => now);
    r.failure('redis', { err: 'ECONNREFUSED' }, 'redis down');
    for (let i = 0; i < 5; i++) {
      now += 100;
      r.failure('redis', { err: 'ECONNREFUSED' }, 'redis down');
    }
    expect(lines).toEqual([{ level: 'warn', obj: { err: 'ECONNREFUSED', topic: 'redis' }, msg: 'redis down' }]);
    now = 1000 + 9_999;
    r.failure('redis', {}, 'redis down');
    expect(lines).toHaveLength(1); // still inside the interval
    now = 1000 + 10_000;
    r.failure('redis', {}, 'redis down');
    expect(lines[1]).toEqual({ level: 'warn', obj: { topic: 'redis', suppressed: 6 }, msg: 'redis down' });
    now += 10_000;
    r.failure('redis', {}, 'redis down');
    expect(lines[2]!.obj).toEqual({ topic: 'redis' }); // nothing left out since the last line: no count
  });

  it('logs the first success after a failure once at info, with what was left out, and then starts afresh', () => {
    const { lines, log } = recorder();
    let now = 0;
    const r = new RateLimitedLog(log, 10_000, () => now);
    r.success('redis', {}, 'redis back'); // never failed: nothing to say
    expect(lines).toEqual([]);
    r.failure('redis', {}, 'redis down');
    now = 5;
    r.failure('redis', {}, 'redis down');
    r.success('redis', { ms: 5 }, 'redis back');
    r.success('redis', {}, 'redis back');
    expect(lines.map((l) => [l.level, l.obj])).toEqual([
      ['warn', { topic: 'redis' }],
      ['info', { ms: 5, topic: 'redis', suppressed: 1 }],
    ]);
    // After the recovery a new outage is reported at once.
    now = 6;
    r.failure('redis', {}, 'redis down');
    expect(lines).toHaveLength(3);
    r.success('redis', {}, 'redis back');
    expect(lines[3]!.obj).toEqual({ topic: 'redis' });
  });

  it('keeps topics apart, and the interval defaults to 10 s', () => {
    const { lines, log } = recorder();
    let now = 0;
    const r = new RateLimitedLog(log, undefined, () => now);
    r.failure('a', {}, 'a down');
    r.failure('b', {}, 'b down');
    now = 9_999;
    r.failure('a', {}, 'a down');
    now = 10_000;
    r.failure('b', {}, 'b down');
    expect(lines.map((l) => l.obj)).toEqual([{ topic: 'a' }, { topic: 'b' }, { topic: 'b' }]);
  });
});
