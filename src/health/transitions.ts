/**
 * @module health/transitions
 * Every health transition the state machine (./state-machine.ts) can report, as (from, to,
 * reason) triples. Metrics export these at zero for each backend from the first scrape, so a
 * dashboard panel over `siplb_health_transitions_total` reads 0 instead of "no data" on a quiet
 * node. A unit test drives the state machine over every input to keep this list exact.
 * Pure: imports types only.
 */
import type { Health, PassiveFailure, TransitionReason } from './state-machine.js';

export interface HealthTransitionLabels {
  readonly from: Health;
  readonly to: Health;
  readonly reason: TransitionReason;
}

/** Failures of probes and of live traffic: each counts as one failed probe. */
const FAILURES: readonly TransitionReason[] = [
  'probe-timeout', 'probe-bad-code', 'probe-slow', 'probe-unreachable', ...(['invite-timeout', 'status-503', 'failover'] satisfies PassiveFailure[]),
];

function build(): readonly HealthTransitionLabels[] {
  const out: HealthTransitionLabels[] = [];
  // A failure: up → failing (fewer than fall), up → down (fall 1), failing → down, recovering → down.
  for (const reason of FAILURES) {
    for (const [from, to] of [['up', 'failing'], ['up', 'down'], ['failing', 'down'], ['recovering', 'down']] as const) {
      out.push({ from, to, reason });
    }
  }
  // A 503 with Retry-After takes any serving or recovering backend down at once.
  for (const from of ['up', 'failing', 'recovering'] as const) out.push({ from, to: 'down', reason: 'retry-after' });
  // Successes: back to up, or counting up towards rise.
  for (const [from, to] of [['failing', 'up'], ['recovering', 'up'], ['down', 'recovering'], ['down', 'up']] as const) {
    out.push({ from, to, reason: 'probe-ok' });
  }
  return Object.freeze(out.map((t) => Object.freeze(t)));
}

/** Health changes (from ≠ to) the state machine reports. Admin changes alter eligibility only, never health. */
export const HEALTH_TRANSITIONS: readonly HealthTransitionLabels[] = build();
