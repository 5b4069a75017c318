/**
 * HEALTH_TRANSITIONS lists exactly the health changes the state machine can report: a
 * breadth-first walk over every input (probe results, passive failures, Retry-After, admin
 * changes) from both start modes, for fall and rise of 1..3, collects the (from, to, reason)
 * triples it reports and compares them with the table the metrics export at zero.
 */
import { describe, expect, it } from 'vitest';
import { HEALTH_TRANSITIONS } from '../../../src/health/transitions.js';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  initialHealthState,
  passiveFailure,
  probeResult,
  retryAfter,
  setAdmin,
  type HealthState,
  type HealthStep,
  type HealthThresholds,
} from '../../../src/health/state-machine.js';

const STEP_MS = 1000;

function explore(t: HealthThresholds): Set<string> {
  const inputs: ((s: HealthState, now: number) => HealthStep)[] = [
    (s, now) => probeResult(s, { kind: 'reply', code: 200, rttMs: 1 }, now, t),
    (s, now) => probeResult(s, { kind: 'reply', code: 200, rttMs: 50 }, now, t),
    (s, now) => probeResult(s, { kind: 'reply', code: 500, rttMs: 1 }, now, t),
    (s, now) => probeResult(s, { kind: 'timeout' }, now, t),
    (s, now) => probeResult(s, { kind: 'unreachable', reason: 'tls-handshake' }, now, t),
    (s, now) => passiveFailure(s, 'invite-timeout', now, t),
    (s, now) => passiveFailure(s, 'status-503', now, t),
    (s, now) => passiveFailure(s, 'failover', now, t),
    (s, now) => retryAfter(s, 1.5, now, t),
    (s) => setAdmin(s, 'enabled'),
    (s) => setAdmin(s, 'disabled'),
    (s) => setAdmin(s, 'draining'),
  ];
  const found = new Set<string>();
  const key = (s: HealthState, now: number): string =>
    [s.health, s.admin, s.failStreak, s.okStreak, Math.max(0, s.holdUntilMs - now)].join('|');
  const queue: [HealthState, number][] = [
    [initialHealthState('up', 0), 0],
    [initialHealthState('probe-first', 0), 0],
  ];
  const seen = new Set(queue.map(([s, n]) => key(s, n)));
  // Bounded: a state is (health, admin, streaks ≤ 3, hold ≤ 2 steps), a few hundred at most.
  for (let i = 0; i < queue.length && i < 100_000; i++) {
    const [state, now] = queue[i]!;
    const next = now + STEP_MS;
    for (const input of inputs) {
      const step = input(state, next);
      const tr = step.transition;
      if (tr !== undefined && tr.from !== tr.to) found.add(`${tr.from}>${tr.to}:${tr.reason}`);
      const k = key(step.state, next);
      if (!seen.has(k)) {
        seen.add(k);
        queue.push([step.state, next]);
      }
    }
  }
  return found;
}

describe('HEALTH_TRANSITIONS', () => {
  it('is exactly the set of health changes the state machine reports for fall and rise 1..3', () => {
    const found = new Set<string>();
    for (const fall of [1, 2, 3]) {
      for (const rise of [1, 2, 3]) {
        for (const k of explore({ ...DEFAULT_HEALTH_THRESHOLDS, fall, rise, maxRttMs: 10 })) found.add(k);
      }
    }
    const table = HEALTH_TRANSITIONS.map((t) => `${t.from}>${t.to}:${t.reason}`);
    expect(new Set(table).size).toBe(table.length);
    expect([...found].sort()).toEqual([...table].sort());
  });
});
