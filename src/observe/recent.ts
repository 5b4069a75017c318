/**
 * @module observe/recent
 * The node's recent past, for the status page: the last health and admin transitions with their
 * reasons, each backend's probe RTTs over the last minutes, and its new calls per second. A
 * subscriber to the diagnostics channels like the metrics, with bounded rings (./ring.ts), so it
 * costs a Map lookup per new call and nothing per other packet. The control surface reads it;
 * it knows nothing of HTTP, and the core knows nothing of it.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  channels,
  type AdminChangeEvent,
  type HealthTransitionEvent,
  type ProbeEvent,
  type RequestForwardedEvent,
} from './channels.js';
import { Ring } from './ring.js';

export interface RecentTransition {
  /** Wall-clock ms. */
  readonly at: number;
  readonly backend: string;
  /** 'health': probes or traffic changed the health; 'admin': an operator changed the admin state. */
  readonly kind: 'health' | 'admin';
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export interface RttSample {
  /** Wall-clock ms. */
  readonly at: number;
  /** RTT of an answered probe in ms; null for a probe that timed out. */
  readonly ms: number | null;
}

export interface RecentOptions {
  /** Wall-clock ms. @default Date.now */
  readonly now?: () => number;
  /** Transitions kept. @default 50 */
  readonly maxTransitions?: number;
  /** Probe samples kept per backend: 5 minutes at the default 1 s probe interval. @default 300 */
  readonly maxRttSamples?: number;
  /** Seconds over which calls/s is averaged (complete seconds only). @default 5 */
  readonly rateWindowSeconds?: number;
}

/** New calls counted per second in a small ring of second buckets. */
class PerSecond {
  readonly #counts: number[];
  readonly #stamps: number[];
  constructor(slots: number) {
    this.#counts = new Array<number>(slots).fill(0);
    this.#stamps = new Array<number>(slots).fill(-1);
  }
  add(second: number): void {
    const i = second % this.#counts.length;
    if (this.#stamps[i] !== second) {
      this.#stamps[i] = second;
      this.#counts[i] = 0;
    }
    this.#counts[i]!++;
  }
  /** Mean per second over the `window` complete seconds before `second`. */
  rate(second: number, window: number): number {
    let n = 0;
    for (let s = second - window; s < second; s++) {
      const i = ((s % this.#counts.length) + this.#counts.length) % this.#counts.length;
      if (this.#stamps[i] === s) n += this.#counts[i]!;
    }
    return n / window;
  }
}

export class RecentActivity {
  readonly #now: () => number;
  readonly #maxRtt: number;
  readonly #window: number;
  readonly #transitions: Ring<RecentTransition>;
  readonly #rtt = new Map<string, Ring<RttSample>>();
  readonly #calls = new Map<string, PerSecond>();

  readonly #onTransition = (m: unknown): void => {
    const e = m as HealthTransitionEvent;
    this.#transitions.push({ at: this.#now(), backend: e.backend, kind: 'health', from: e.from, to: e.to, reason: e.reason });
  };
  readonly #onAdmin = (m: unknown): void => {
    const e = m as AdminChangeEvent;
    this.#transitions.push({ at: this.#now(), backend: e.backend, kind: 'admin', from: e.from, to: e.to, reason: 'operator' });
  };
  readonly #onProbe = (m: unknown): void => {
    const e = m as ProbeEvent;
    let ring = this.#rtt.get(e.backend);
    if (ring === undefined) this.#rtt.set(e.backend, (ring = new Ring(this.#maxRtt)));
    ring.push({ at: this.#now(), ms: e.rttMs ?? null });
  };
  readonly #onForward = (m: unknown): void => {
    const e = m as RequestForwardedEvent;
    if (e.via !== 'new' || e.method !== 'INVITE') return;
    let c = this.#calls.get(e.backend);
    if (c === undefined) this.#calls.set(e.backend, (c = new PerSecond(this.#window + 2)));
    c.add(Math.floor(this.#now() / 1000));
  };

  constructor(opts: RecentOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#maxRtt = opts.maxRttSamples ?? 300;
    this.#window = opts.rateWindowSeconds ?? 5;
    this.#transitions = new Ring(opts.maxTransitions ?? 50);
    diagnosticsChannel.subscribe(channels.healthTransition.name, this.#onTransition);
    diagnosticsChannel.subscribe(channels.adminChange.name, this.#onAdmin);
    diagnosticsChannel.subscribe(channels.probe.name, this.#onProbe);
    diagnosticsChannel.subscribe(channels.requestForwarded.name, this.#onForward);
  }

  /** The last transitions, oldest first. */
  transitions(): RecentTransition[] {
    return this.#transitions.toArray();
  }

  /** Probe samples of one backend, oldest first. */
  rtt(backend: string): RttSample[] {
    return this.#rtt.get(backend)?.toArray() ?? [];
  }

  /** New calls per second sent to `backend`, averaged over the last complete seconds. */
  callsPerSecond(backend: string): number {
    return this.#calls.get(backend)?.rate(Math.floor(this.#now() / 1000), this.#window) ?? 0;
  }

  /** Forget the samples of backends no longer configured (after a reload). */
  retain(backends: ReadonlySet<string>): void {
    for (const id of this.#rtt.keys()) if (!backends.has(id)) this.#rtt.delete(id);
    for (const id of this.#calls.keys()) if (!backends.has(id)) this.#calls.delete(id);
  }

  close(): void {
    diagnosticsChannel.unsubscribe(channels.healthTransition.name, this.#onTransition);
    diagnosticsChannel.unsubscribe(channels.adminChange.name, this.#onAdmin);
    diagnosticsChannel.unsubscribe(channels.probe.name, this.#onProbe);
    diagnosticsChannel.unsubscribe(channels.requestForwarded.name, this.#onForward);
  }
}
