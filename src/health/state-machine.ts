/**
 * @module health/state-machine
 * The pure health state machine of one backend: probe replies, passive failures, Retry-After
 * holds and the admin state in, a new immutable state and at most one transition out. No I/O,
 * no timers, no clock: callers pass a monotonic `nowMs`. Imports nothing.
 *
 * Health has four states, the product of two facts: does the backend take traffic, and was the
 * last result a success? This splits Kamailio's "trying" in the two cases that matter:
 *
 * | Health       | takes traffic | last result     | Kamailio            |
 * |--------------|---------------|-----------------|---------------------|
 * | `up`         | yes           | success or none | active (AP)         |
 * | `failing`    | yes           | failure (< fall)| trying (TP)         |
 * | `down`       | no            | failure         | inactive (IP)       |
 * | `recovering` | no            | success (< rise) or none yet | inactive, counting up |
 *
 * Rules (hysteresis as in Kamailio's probing/inactive thresholds and HAProxy's fall/rise):
 * - `fall` consecutive failures take a serving backend down; fewer leave it `failing`, still
 *   serving. A success returns a `failing` backend to `up` and resets the failure count.
 * - `rise` consecutive successes bring a backend that is not serving back `up`; fewer leave it
 *   `recovering`. Any failure while recovering sends it back `down` and resets the count.
 * - A reply counts as a success only if `okCodes(code)` and, when `maxRttMs` is set, its RTT is
 *   at most `maxRttMs`. A locally generated timeout is always a failure, whatever `okCodes`
 *   says: a stack that turns a timeout into a local 408 would otherwise make a dead backend look
 *   alive when 408 is listed (the Kamailio ds_ping_reply_codes trap).
 * - Passive failures seen on real traffic (INVITE timeout, 503, failover) count like failed
 *   probes.
 * - A 503 with Retry-After takes the backend down at once and holds it out of service until
 *   `nowMs + seconds`: successes during the hold are ignored (RFC 3261 §21.5.4: do not forward
 *   other requests to that server for the Retry-After duration). After the hold it returns as
 *   any down backend does, after `rise` successful probes.
 * - Admin state outranks health: only an `enabled` backend is eligible for new calls;
 *   `draining` keeps its existing calls but gets no new ones; `disabled` gets nothing. Probes go
 *   on in every admin state, so re-enabling returns a backend to whatever its health is.
 *
 * A transition is reported only when the health or the eligibility for new calls changes, so
 * events fire once per change. When nothing changes at all the input state object itself is
 * returned, so callers can skip work with `next === prev`.
 */

export type Health = 'up' | 'failing' | 'down' | 'recovering';
export type AdminState = 'enabled' | 'disabled' | 'draining';
/** 'up': assume up until probes say otherwise; 'probe-first': take no calls before `rise` successes. */
export type StartMode = 'up' | 'probe-first';

export type ProbeResult =
  | { readonly kind: 'reply'; readonly code: number; readonly rttMs: number }
  | { readonly kind: 'timeout' }
  /** The probe could not be sent over a stream: connect refused or timed out, TLS handshake failed. */
  | { readonly kind: 'unreachable'; readonly reason: string };

export type PassiveFailure = 'invite-timeout' | 'status-503' | 'blamed-status' | 'failover';

export type TransitionReason =
  | 'probe-ok'
  | 'probe-timeout'
  | 'probe-bad-code'
  | 'probe-slow'
  | 'probe-unreachable'
  | PassiveFailure
  | 'retry-after'
  | 'admin';

export interface HealthThresholds {
  /** Consecutive failures that take a serving backend down. @default 3 */
  readonly fall: number;
  /** Consecutive successes that bring a backend back up. @default 2 */
  readonly rise: number;
  /** Which reply codes count as alive (see reply-policy.ts). @default any 2xx */
  readonly okCodes: (code: number) => boolean;
  /** A reply slower than this counts as a failure; undefined: no limit. @default undefined */
  readonly maxRttMs: number | undefined;
  /** Retry-After values above this are capped, against a backend asking for days. @default 3600 */
  readonly maxRetryAfterSeconds?: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  fall: 3,
  rise: 2,
  okCodes: (code: number) => code >= 200 && code < 300,
  maxRttMs: undefined,
  maxRetryAfterSeconds: 3600,
});

export interface HealthState {
  readonly health: Health;
  readonly admin: AdminState;
  /** Consecutive failures, capped at `fall`. */
  readonly failStreak: number;
  /** Consecutive successes, capped at `rise`. */
  readonly okStreak: number;
  /** End of a Retry-After hold (monotonic ms); 0 when none was ever set. */
  readonly holdUntilMs: number;
  /** When `health` last changed (monotonic ms). */
  readonly sinceMs: number;
  /** Why `health` last changed; 'start' until the first change. */
  readonly reason: TransitionReason | 'start';
}

export interface HealthTransition {
  readonly from: Health;
  readonly to: Health;
  readonly wasEligible: boolean;
  readonly eligible: boolean;
  readonly reason: TransitionReason;
}

export interface HealthStep {
  readonly state: HealthState;
  /** Present only when health or eligibility for new calls changed. */
  readonly transition: HealthTransition | undefined;
}

export function initialHealthState(start: StartMode, nowMs: number, admin: AdminState = 'enabled'): HealthState {
  return Object.freeze({
    health: start === 'up' ? 'up' : 'recovering',
    admin,
    failStreak: 0,
    okStreak: 0,
    holdUntilMs: 0,
    sinceMs: nowMs,
    reason: 'start',
  });
}

/** Whether a backend in this health carries traffic (if admin allows). */
export function takesTraffic(health: Health): boolean {
  return health === 'up' || health === 'failing';
}

/** Whether a backend may receive new calls now: serving, enabled, and not in a Retry-After hold. */
export function eligibleForNewCalls(state: HealthState, nowMs: number): boolean {
  return takesTraffic(state.health) && state.admin === 'enabled' && nowMs >= state.holdUntilMs;
}

/** Classify one probe outcome: 'probe-ok' or the reason it failed. */
export function classifyProbe(result: ProbeResult, t: HealthThresholds): 'probe-ok' | 'probe-timeout' | 'probe-bad-code' | 'probe-slow' | 'probe-unreachable' {
  if (result.kind === 'timeout') return 'probe-timeout';
  if (result.kind === 'unreachable') return 'probe-unreachable';
  if (!t.okCodes(result.code)) return 'probe-bad-code';
  if (t.maxRttMs !== undefined && result.rttMs > t.maxRttMs) return 'probe-slow';
  return 'probe-ok';
}

/** Feed one active probe outcome. */
export function probeResult(state: HealthState, result: ProbeResult, nowMs: number, t: HealthThresholds): HealthStep {
  const reason = classifyProbe(result, t);
  if (reason !== 'probe-ok') return failure(state, reason, nowMs, t);
  // RFC 3261 §21.5.4: no traffic during a Retry-After hold, whatever probes say.
  if (nowMs < state.holdUntilMs) return { state, transition: undefined };
  return success(state, nowMs, t);
}

/** Feed a failure seen on real traffic; it counts like a failed probe. */
export function passiveFailure(state: HealthState, reason: PassiveFailure, nowMs: number, t: HealthThresholds): HealthStep {
  return failure(state, reason, nowMs, t);
}

/**
 * A 503 carrying Retry-After: down now, and held out of service until `nowMs + seconds`
 * (an existing longer hold is kept). Seconds are capped at `maxRetryAfterSeconds`. A value that
 * is not a positive finite number is treated as a 503 without Retry-After, which RFC 3261
 * §21.5.4 says to handle as a 500: a plain passive failure.
 */
export function retryAfter(state: HealthState, seconds: number, nowMs: number, t: HealthThresholds): HealthStep {
  if (!(seconds > 0) || !Number.isFinite(seconds)) return failure(state, 'status-503', nowMs, t);
  const cap = t.maxRetryAfterSeconds ?? DEFAULT_HEALTH_THRESHOLDS.maxRetryAfterSeconds ?? 3600;
  const holdUntilMs = Math.max(state.holdUntilMs, nowMs + Math.min(seconds, cap) * 1000);
  return step(state, { health: 'down', failStreak: fallOf(t), okStreak: 0, holdUntilMs }, 'retry-after', nowMs);
}

/** Change the admin state. Health and counters are kept. */
export function setAdmin(state: HealthState, admin: AdminState): HealthStep {
  if (admin === state.admin) return { state, transition: undefined };
  // Eligibility is compared without a clock: a hold implies `down`, so it cannot change the answer.
  return step(state, { admin }, 'admin', state.sinceMs);
}

function fallOf(t: HealthThresholds): number {
  return Math.max(1, Math.floor(t.fall));
}

function riseOf(t: HealthThresholds): number {
  return Math.max(1, Math.floor(t.rise));
}

function success(state: HealthState, nowMs: number, t: HealthThresholds): HealthStep {
  const rise = riseOf(t);
  const okStreak = Math.min(state.okStreak + 1, rise);
  const health: Health = takesTraffic(state.health) || okStreak >= rise ? 'up' : 'recovering';
  return step(state, { health, okStreak, failStreak: 0 }, 'probe-ok', nowMs);
}

function failure(state: HealthState, reason: TransitionReason, nowMs: number, t: HealthThresholds): HealthStep {
  const fall = fallOf(t);
  const failStreak = Math.min(state.failStreak + 1, fall);
  const health: Health = takesTraffic(state.health) && failStreak < fall ? 'failing' : 'down';
  return step(state, { health, failStreak, okStreak: 0 }, reason, nowMs);
}

type Changes = Partial<Pick<HealthState, 'health' | 'admin' | 'failStreak' | 'okStreak' | 'holdUntilMs'>>;

/** Apply changes; return the same object when nothing changed, and a transition when it matters. */
function step(prev: HealthState, changes: Changes, reason: TransitionReason, nowMs: number): HealthStep {
  const health = changes.health ?? prev.health;
  const admin = changes.admin ?? prev.admin;
  const failStreak = changes.failStreak ?? prev.failStreak;
  const okStreak = changes.okStreak ?? prev.okStreak;
  const holdUntilMs = changes.holdUntilMs ?? prev.holdUntilMs;
  const healthChanged = health !== prev.health;
  if (
    !healthChanged &&
    admin === prev.admin &&
    failStreak === prev.failStreak &&
    okStreak === prev.okStreak &&
    holdUntilMs === prev.holdUntilMs
  ) {
    return { state: prev, transition: undefined };
  }
  const next: HealthState = Object.freeze({
    health,
    admin,
    failStreak,
    okStreak,
    holdUntilMs,
    sinceMs: healthChanged ? nowMs : prev.sinceMs,
    reason: healthChanged ? reason : prev.reason,
  });
  const wasEligible = takesTraffic(prev.health) && prev.admin === 'enabled';
  const eligible = takesTraffic(health) && admin === 'enabled';
  const transition =
    healthChanged || wasEligible !== eligible ? { from: prev.health, to: health, wasEligible, eligible, reason } : undefined;
  return { state: next, transition };
}
