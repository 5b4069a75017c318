/**
 * @module health/monitor
 * Holds the health state machine of every backend and applies what probes, live traffic and the
 * operator say: each input goes through the pure state machine; each transition is logged once,
 * published for metrics, and pushed into the backend registry as eligibility for new calls, so a
 * down, disabled or draining backend stops taking new calls at once while its dialogs go on.
 */
import type { Logger } from 'pino';
import type { BackendRegistry } from '../backends/registry.js';
import { SiplbError } from '../errors.js';
import { channels } from '../observe/channels.js';
import {
  classifyProbe,
  eligibleForNewCalls,
  initialHealthState,
  passiveFailure,
  probeResult,
  retryAfter,
  setAdmin,
  type AdminState,
  type HealthState,
  type HealthStep,
  type HealthThresholds,
  type PassiveFailure,
  type ProbeResult,
  type StartMode,
} from './state-machine.js';

export interface BackendHealthView {
  readonly state: HealthState;
  readonly eligible: boolean;
  readonly lastRttMs: number | null;
}

export interface HealthMonitorOptions {
  readonly registry: BackendRegistry;
  readonly thresholdsFor: (backendId: string) => HealthThresholds;
  readonly startMode: StartMode;
  /** Monotonic ms. */
  readonly now: () => number;
  readonly logger: Logger;
  /** Called after an admin change (HA publishes it to the other nodes). */
  readonly onAdminChange?: (backendId: string, admin: AdminState) => void;
}

interface Entry {
  state: HealthState;
  lastRttMs: number | null;
  eligible: boolean;
}

export class HealthMonitor {
  readonly #opts: HealthMonitorOptions;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();

  constructor(opts: HealthMonitorOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'health' });
    this.sync();
  }

  /** Align with the registry after a reload: new backends start fresh, removed ones are forgotten. */
  sync(): void {
    const now = this.#opts.now();
    const ids = new Set(this.#opts.registry.all.map((b) => b.id));
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
    for (const id of ids) {
      if (this.#entries.has(id)) continue;
      const state = initialHealthState(this.#opts.startMode, now);
      const eligible = eligibleForNewCalls(state, now);
      this.#entries.set(id, { state, lastRttMs: null, eligible });
      this.#opts.registry.setEligible(id, eligible);
    }
  }

  view(id: string): BackendHealthView | undefined {
    const e = this.#entries.get(id);
    return e && { state: e.state, eligible: e.eligible, lastRttMs: e.lastRttMs };
  }

  probe(id: string, result: ProbeResult): void {
    const e = this.#entries.get(id);
    if (!e) return;
    if (result.kind === 'reply') e.lastRttMs = result.rttMs;
    const t = this.#opts.thresholdsFor(id);
    if (channels.probe.hasSubscribers) {
      const c = classifyProbe(result, t);
      channels.probe.publish({
        backend: id,
        result: c === 'probe-ok' ? 'ok' : c === 'probe-timeout' ? 'timeout' : c === 'probe-bad-code' ? 'bad-code' : c === 'probe-unreachable' ? 'unreachable' : 'slow',
        ...(result.kind === 'reply' ? { code: result.code, rttMs: result.rttMs } : result.kind === 'unreachable' ? { detail: result.reason } : {}),
      });
    }
    this.#apply(id, e, probeResult(e.state, result, this.#opts.now(), t));
  }

  passive(id: string, reason: PassiveFailure): void {
    const e = this.#entries.get(id);
    if (e) this.#apply(id, e, passiveFailure(e.state, reason, this.#opts.now(), this.#opts.thresholdsFor(id)));
  }

  retryAfter(id: string, seconds: number): void {
    const e = this.#entries.get(id);
    if (e) this.#apply(id, e, retryAfter(e.state, seconds, this.#opts.now(), this.#opts.thresholdsFor(id)));
  }

  /** Operator action. Admin state outranks probes (state machine rules). */
  setAdmin(id: string, admin: AdminState, origin: 'local' | 'remote' = 'local'): void {
    const e = this.#entries.get(id);
    if (!e) throw new SiplbError('SIPLB_ERR_UNKNOWN_BACKEND', `no backend '${id}' (see GET /backends for the configured ids)`);
    const from = e.state.admin;
    if (from === admin) return;
    this.#apply(id, e, setAdmin(e.state, admin));
    this.#log.info({ backend: id, from, to: admin, origin }, 'backend admin state changed');
    if (channels.adminChange.hasSubscribers) channels.adminChange.publish({ backend: id, from, to: admin });
    if (origin === 'local') this.#opts.onAdminChange?.(id, admin);
  }

  /** Re-evaluate time-based eligibility (a Retry-After hold ending). Called by a coarse tick. */
  tick(): void {
    const now = this.#opts.now();
    for (const [id, e] of this.#entries) {
      const eligible = eligibleForNewCalls(e.state, now);
      if (eligible !== e.eligible) this.#setEligible(id, e, eligible, 'retry-after-expired');
    }
  }

  #apply(id: string, e: Entry, step: HealthStep): void {
    if (step.state === e.state) return;
    e.state = step.state;
    const t = step.transition;
    if (t !== undefined && t.from !== t.to) {
      this.#log.info({ backend: id, from: t.from, to: t.to, reason: t.reason, eligible: t.eligible }, 'backend health changed');
      if (channels.healthTransition.hasSubscribers) {
        channels.healthTransition.publish({ backend: id, from: t.from, to: t.to, reason: t.reason, eligible: t.eligible });
      }
    }
    const eligible = eligibleForNewCalls(e.state, this.#opts.now());
    if (eligible !== e.eligible) this.#setEligible(id, e, eligible, t?.reason ?? 'admin');
  }

  #setEligible(id: string, e: Entry, eligible: boolean, reason: string): void {
    e.eligible = eligible;
    this.#opts.registry.setEligible(id, eligible);
    if (!eligible) {
      // Its new calls now go to the survivors on the ring: a ring failover.
      if (channels.failover.hasSubscribers) channels.failover.publish({ kind: 'ring', backend: id, reason });
      if (this.#opts.registry.candidates().length === 0) {
        this.#log.warn({ backend: id }, 'no backend can take new calls: new INVITEs get 503 with Retry-After');
      }
    }
  }
}
