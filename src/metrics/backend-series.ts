/**
 * @module metrics/backend-series
 * Which series a per-backend metric holds for each backend, so that the backend set read at
 * scrape time can (a) create a newly configured backend's known label sets at zero, so `rate()`
 * and the dashboard read 0 rather than "no data" before its first event, and (b) remove every
 * series of a backend that a reload took away, which would otherwise stay exported, frozen, for
 * as long as the process runs. Scrape-time bookkeeping only: nothing here runs per packet.
 */
export type LabelSet = Readonly<Record<string, string>>;

export interface BackendSeriesOptions {
  /** The label sets a backend has from its first scrape (each includes its backend label). */
  readonly zeros: (backend: string) => readonly LabelSet[];
  /** Create one series at zero (Counter: `inc(labels, 0)`; Histogram: `zero(labels)`). */
  readonly create: (labels: LabelSet) => void;
  /** Remove one series (`metric.remove(labels)`). */
  readonly remove: (labels: LabelSet) => void;
}

function keyOf(labels: LabelSet): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}

export class BackendSeries {
  readonly #opts: BackendSeriesOptions;
  /** backend → label-set key → labels, for every series created for it (at zero or by counting). */
  readonly #held = new Map<string, Map<string, LabelSet>>();
  readonly #zeroed = new Set<string>();

  constructor(opts: BackendSeriesOptions) {
    this.#opts = opts;
  }

  /** Record a series that counting created, so a reload that removes `backend` removes it too. */
  note(backend: string, labels: LabelSet): void {
    let sets = this.#held.get(backend);
    if (sets === undefined) this.#held.set(backend, (sets = new Map()));
    const key = keyOf(labels);
    if (!sets.has(key)) sets.set(key, labels);
  }

  /** Align with the backends configured now (call from the metric's `collect`). */
  sync(backends: readonly string[]): void {
    const want = new Set(backends);
    for (const [id, sets] of this.#held) {
      if (want.has(id)) continue;
      for (const labels of sets.values()) this.#opts.remove(labels);
      this.#held.delete(id);
      this.#zeroed.delete(id);
    }
    for (const id of want) {
      if (this.#zeroed.has(id)) continue;
      this.#zeroed.add(id);
      for (const labels of this.#opts.zeros(id)) {
        // A series counting already created is left alone (a histogram's zero() would wipe it).
        if (this.#held.get(id)?.has(keyOf(labels)) === true) continue;
        this.#opts.create(labels);
        this.note(id, labels);
      }
    }
  }
}
