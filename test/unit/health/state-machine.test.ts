import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileReplyCodes } from '../../../src/health/reply-policy.js';
import {
  classifyProbe,
  DEFAULT_HEALTH_THRESHOLDS,
  eligibleForNewCalls,
  initialHealthState,
  passiveFailure,
  probeResult,
  retryAfter,
  setAdmin,
  takesTraffic,
  type HealthState,
  type HealthStep,
  type HealthThresholds,
  type HealthTransition,
  type ProbeResult,
} from '../../../src/health/state-machine.js';

const T: HealthThresholds = { fall: 3, rise: 2, okCodes: compileReplyCodes(['2xx', 404]), maxRttMs: 500 };
const OK: ProbeResult = { kind: 'reply', code: 200, rttMs: 20 };
const BAD: ProbeResult = { kind: 'reply', code: 503, rttMs: 20 };
const TIMEOUT: ProbeResult = { kind: 'timeout' };

/** Drives a backend through inputs with the fake clock, collecting every transition. */
class Driver {
  state: HealthState;
  readonly transitions: HealthTransition[] = [];
  constructor(start: 'up' | 'probe-first', readonly t: HealthThresholds = T) {
    this.state = initialHealthState(start, Date.now());
  }
  #apply(s: HealthStep): HealthStep {
    this.state = s.state;
    if (s.transition) this.transitions.push(s.transition);
    return s;
  }
  probe(r: ProbeResult, times = 1): HealthStep {
    let s: HealthStep = { state: this.state, transition: undefined };
    for (let i = 0; i < times; i++) {
      vi.advanceTimersByTime(2000); // one probe interval
      s = this.#apply(probeResult(this.state, r, Date.now(), this.t));
    }
    return s;
  }
  passive(reason: 'invite-timeout' | 'status-503' | 'failover'): HealthStep {
    return this.#apply(passiveFailure(this.state, reason, Date.now(), this.t));
  }
  retryAfter(seconds: number): HealthStep {
    return this.#apply(retryAfter(this.state, seconds, Date.now(), this.t));
  }
  admin(a: 'enabled' | 'disabled' | 'draining'): HealthStep {
    return this.#apply(setAdmin(this.state, a));
  }
  get eligible(): boolean {
    return eligibleForNewCalls(this.state, Date.now());
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('initial state', () => {
  it("'up' takes calls at once", () => {
    const d = new Driver('up');
    expect(d.state).toMatchObject({ health: 'up', admin: 'enabled', sinceMs: 1_000_000, reason: 'start' });
    expect(d.eligible).toBe(true);
    expect(Object.isFrozen(d.state)).toBe(true);
  });

  it("'probe-first' is recovering: no calls before `rise` successes", () => {
    const d = new Driver('probe-first');
    expect(d.state.health).toBe('recovering');
    expect(d.eligible).toBe(false);
    d.probe(OK);
    expect([d.state.health, d.eligible, d.transitions.length]).toEqual(['recovering', false, 0]);
    d.probe(OK);
    expect([d.state.health, d.eligible]).toEqual(['up', true]);
    expect(d.transitions).toEqual([{ from: 'recovering', to: 'up', wasEligible: false, eligible: true, reason: 'probe-ok' }]);
  });

  it("'probe-first' goes down on a first failure", () => {
    const d = new Driver('probe-first');
    d.probe(TIMEOUT);
    expect(d.state.health).toBe('down');
    expect(d.transitions).toEqual([{ from: 'recovering', to: 'down', wasEligible: false, eligible: false, reason: 'probe-timeout' }]);
  });
});

describe('fall and rise', () => {
  it('needs `fall` consecutive failures to go down, serving while failing', () => {
    const d = new Driver('up');
    d.probe(BAD);
    expect([d.state.health, d.eligible, takesTraffic(d.state.health)]).toEqual(['failing', true, true]);
    d.probe(BAD);
    expect(d.state.health).toBe('failing');
    d.probe(BAD);
    expect([d.state.health, d.eligible]).toEqual(['down', false]);
    expect(d.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['up>failing', 'failing>down']);
    expect(d.state.sinceMs).toBe(Date.now());
  });

  it('a success resets the failure count', () => {
    const d = new Driver('up');
    d.probe(BAD, 2);
    d.probe(OK);
    expect(d.state.health).toBe('up');
    d.probe(BAD, 2);
    expect(d.state.health).toBe('failing'); // counting from zero again
    d.probe(BAD);
    expect(d.state.health).toBe('down');
  });

  it('needs `rise` consecutive successes to come back; a failure restarts the count', () => {
    const d = new Driver('up');
    d.probe(TIMEOUT, 3);
    d.probe(OK);
    expect([d.state.health, d.eligible]).toEqual(['recovering', false]);
    d.probe(TIMEOUT);
    expect(d.state.health).toBe('down');
    d.probe(OK);
    expect(d.state.health).toBe('recovering');
    d.probe(OK);
    expect([d.state.health, d.eligible]).toEqual(['up', true]);
    expect(d.transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'up>failing:probe-timeout',
      'failing>down:probe-timeout',
      'down>recovering:probe-ok',
      'recovering>down:probe-timeout',
      'down>recovering:probe-ok',
      'recovering>up:probe-ok',
    ]);
  });

  it('fall = rise = 1 flips on every result', () => {
    const d = new Driver('up', { ...T, fall: 1, rise: 1 });
    d.probe(BAD);
    expect(d.state.health).toBe('down');
    d.probe(OK);
    expect(d.state.health).toBe('up');
    expect(d.transitions.map((t) => t.to)).toEqual(['down', 'up']);
  });

  it('emits each transition exactly once, and returns the same object when nothing changes', () => {
    const d = new Driver('up');
    d.probe(OK, 5);
    expect(d.transitions).toEqual([]);
    const steady = d.state;
    expect(probeResult(steady, OK, Date.now(), T).state).toBe(steady);
    d.probe(TIMEOUT, 10);
    expect(d.transitions.map((t) => t.to)).toEqual(['failing', 'down']);
    const down = d.state;
    expect(probeResult(down, TIMEOUT, Date.now(), T)).toEqual({ state: down, transition: undefined });
    d.probe(OK, 10);
    expect(d.transitions.map((t) => t.to)).toEqual(['failing', 'down', 'recovering', 'up']);
  });
});

describe('what counts as a success', () => {
  it('a reply code outside okCodes is a failure; one inside is a success', () => {
    expect(classifyProbe({ kind: 'reply', code: 404, rttMs: 1 }, T)).toBe('probe-ok');
    expect(classifyProbe({ kind: 'reply', code: 403, rttMs: 1 }, T)).toBe('probe-bad-code');
    expect(classifyProbe({ kind: 'reply', code: 200, rttMs: 1 }, DEFAULT_HEALTH_THRESHOLDS)).toBe('probe-ok');
    expect(classifyProbe({ kind: 'reply', code: 404, rttMs: 1 }, DEFAULT_HEALTH_THRESHOLDS)).toBe('probe-bad-code');
  });

  it('a reply slower than maxRttMs is a failure; no limit when undefined', () => {
    expect(classifyProbe({ kind: 'reply', code: 200, rttMs: 500 }, T)).toBe('probe-ok');
    expect(classifyProbe({ kind: 'reply', code: 200, rttMs: 501 }, T)).toBe('probe-slow');
    expect(classifyProbe({ kind: 'reply', code: 200, rttMs: 1e6 }, { ...T, maxRttMs: undefined })).toBe('probe-ok');
    const d = new Driver('up');
    d.probe({ kind: 'reply', code: 200, rttMs: 900 }, 3);
    expect(d.state).toMatchObject({ health: 'down', reason: 'probe-slow' });
  });

  it('a local timeout is always a failure, even when okCodes lists 408 (the Kamailio trap)', () => {
    const t408: HealthThresholds = { ...T, okCodes: compileReplyCodes(['2xx', 408]) };
    expect(classifyProbe({ kind: 'reply', code: 408, rttMs: 10 }, t408)).toBe('probe-ok'); // a real 408 reply
    expect(classifyProbe(TIMEOUT, t408)).toBe('probe-timeout');
    expect(classifyProbe(TIMEOUT, { ...t408, okCodes: () => true })).toBe('probe-timeout');
    const d = new Driver('up', { ...t408, okCodes: () => true });
    d.probe(TIMEOUT, 3);
    expect(d.state.health).toBe('down');
  });
});

describe('passive failures', () => {
  it('count like failed probes, and a probe success resets them', () => {
    const d = new Driver('up');
    d.passive('invite-timeout');
    d.passive('failover');
    expect(d.state.health).toBe('failing');
    d.probe(OK);
    expect(d.state.health).toBe('up');
    d.passive('status-503');
    d.passive('status-503');
    d.passive('invite-timeout');
    expect(d.state).toMatchObject({ health: 'down', reason: 'invite-timeout' });
    expect(d.transitions.at(-1)).toMatchObject({ from: 'failing', to: 'down', reason: 'invite-timeout' });
  });
});

describe('admin state outranks health', () => {
  it('a disabled backend stays ineligible whatever the probes say; re-enabling returns it to its health', () => {
    const d = new Driver('up');
    const off = d.admin('disabled');
    expect(off.transition).toEqual({ from: 'up', to: 'up', wasEligible: true, eligible: false, reason: 'admin' });
    expect(d.eligible).toBe(false);
    d.probe(OK, 5);
    expect([d.state.health, d.eligible]).toEqual(['up', false]);
    // Probes go on while disabled: it goes down and recovers, never becoming eligible.
    d.probe(TIMEOUT, 3);
    d.probe(OK, 2);
    expect([d.state.health, d.eligible]).toEqual(['up', false]);
    expect(d.transitions.slice(1).every((t) => !t.eligible && !t.wasEligible)).toBe(true);
    const on = d.admin('enabled');
    expect(on.transition).toEqual({ from: 'up', to: 'up', wasEligible: false, eligible: true, reason: 'admin' });
    expect(d.eligible).toBe(true);
  });

  it('re-enabling a backend that went down while disabled keeps it out', () => {
    const d = new Driver('up');
    d.admin('disabled');
    d.probe(TIMEOUT, 3);
    expect(d.admin('enabled').transition).toBeUndefined(); // eligibility did not change
    expect([d.state.health, d.eligible]).toEqual(['down', false]);
  });

  it('draining takes no new calls; switching between draining and disabled is no transition', () => {
    const d = new Driver('up');
    expect(d.admin('draining').transition).toMatchObject({ wasEligible: true, eligible: false });
    expect(d.eligible).toBe(false);
    expect(takesTraffic(d.state.health)).toBe(true); // existing calls still run there
    expect(d.admin('disabled').transition).toBeUndefined();
    expect(d.state.admin).toBe('disabled');
    const same = d.state;
    expect(setAdmin(same, 'disabled').state).toBe(same);
  });
});

describe('Retry-After hold (RFC 3261 §21.5.4)', () => {
  it('takes the backend down at once, ignores successes during the hold, then needs `rise` probes', () => {
    const d = new Driver('up');
    const s = d.retryAfter(30);
    expect(s.transition).toEqual({ from: 'up', to: 'down', wasEligible: true, eligible: false, reason: 'retry-after' });
    expect(d.state.holdUntilMs).toBe(Date.now() + 30_000);
    d.probe(OK, 10); // 20 s of successful probes inside the hold
    expect([d.state.health, d.eligible]).toEqual(['down', false]);
    vi.advanceTimersByTime(10_000); // hold over
    expect(d.eligible).toBe(false); // still down until probes say otherwise
    d.probe(OK);
    expect(d.state.health).toBe('recovering');
    d.probe(OK);
    expect([d.state.health, d.eligible]).toEqual(['up', true]);
    expect(d.transitions.map((t) => t.to)).toEqual(['down', 'recovering', 'up']);
  });

  it('keeps the longer of two holds, and caps absurd values', () => {
    const d = new Driver('up');
    d.retryAfter(60);
    const until = d.state.holdUntilMs;
    vi.advanceTimersByTime(1000);
    expect(d.retryAfter(5).transition).toBeUndefined();
    expect(d.state.holdUntilMs).toBe(until);
    d.retryAfter(10 * 24 * 3600);
    expect(d.state.holdUntilMs).toBe(Date.now() + 3600_000);
    const capped = retryAfter(initialHealthState('up', 0), 9999, 0, { ...T, maxRetryAfterSeconds: 120 });
    expect(capped.state.holdUntilMs).toBe(120_000);
  });

  it('eligibility also checks the hold itself', () => {
    const held = { ...initialHealthState('up', 0), holdUntilMs: 5000 };
    expect(eligibleForNewCalls(held, 4999)).toBe(false);
    expect(eligibleForNewCalls(held, 5000)).toBe(true);
  });

  it('treats a missing or non-positive Retry-After as a plain 503 failure', () => {
    const d = new Driver('up');
    d.retryAfter(0);
    d.retryAfter(Number.NaN);
    expect(d.state).toMatchObject({ health: 'failing', failStreak: 2, holdUntilMs: 0, reason: 'status-503' });
  });

  it('failures during the hold keep it down without new transitions', () => {
    const d = new Driver('probe-first');
    d.retryAfter(10);
    d.probe(TIMEOUT, 2);
    expect(d.transitions.map((t) => t.to)).toEqual(['down']);
  });
});
