/**
 * @module observe/counters
 * Always-on tallies of the rare paths (drops, rejects, local replies), by reason, for the admin
 * status and for tests. A subscriber to the channels: the forwarding path stays free of it.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { channels, type DropEvent, type RejectEvent } from './channels.js';

export interface CounterSnapshot {
  readonly dropped: Readonly<Record<string, number>>;
  readonly rejected: Readonly<Record<string, number>>;
}

export class RareEventCounters {
  readonly #dropped: Record<string, number> = {};
  readonly #rejected: Record<string, number> = {};
  readonly #onDrop = (m: unknown): void => {
    const r = (m as DropEvent).reason;
    this.#dropped[r] = (this.#dropped[r] ?? 0) + 1;
  };
  readonly #onReject = (m: unknown): void => {
    const r = (m as RejectEvent).reason;
    this.#rejected[r] = (this.#rejected[r] ?? 0) + 1;
  };

  constructor() {
    diagnosticsChannel.subscribe(channels.drop.name, this.#onDrop);
    diagnosticsChannel.subscribe(channels.reject.name, this.#onReject);
  }

  snapshot(): CounterSnapshot {
    return { dropped: { ...this.#dropped }, rejected: { ...this.#rejected } };
  }

  close(): void {
    diagnosticsChannel.unsubscribe(channels.drop.name, this.#onDrop);
    diagnosticsChannel.unsubscribe(channels.reject.name, this.#onReject);
  }
}
