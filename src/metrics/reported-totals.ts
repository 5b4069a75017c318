/**
 * @module metrics/reported-totals
 * Counters that mirror totals the node itself keeps (connections closed by reason, DNS failures
 * per name…), read from GET /status at scrape time: each label's counter is advanced by the
 * difference since the last scrape, so it never goes down and `rate()` works. Known labels are
 * exported at 0 from the first scrape; with `removeMissing`, a label the report no longer has
 * (a DNS name a reload removed) is dropped from the series.
 *
 * And one status read per scrape: several collectors read the same report, and prom-client runs
 * their collect() one after another within a scrape; {@link perScrape} reads once for all.
 */
import type { Counter } from 'prom-client';

export class ReportedTotals<L extends string> {
  readonly #counter: Counter<L>;
  readonly #label: L;
  readonly #seen = new Map<string, number>();

  constructor(counter: Counter<L>, label: L, known: readonly string[] = []) {
    this.#counter = counter;
    this.#label = label;
    for (const k of known) this.#zero(k);
  }

  sync(report: Iterable<readonly [string, number]>, removeMissing = false): void {
    const present = removeMissing ? new Set<string>() : undefined;
    for (const [k, v] of report) {
      present?.add(k);
      const before = this.#seen.get(k);
      if (before === undefined) this.#zero(k);
      if (v > (before ?? 0)) this.#counter.inc(this.#labels(k), v - (before ?? 0));
      this.#seen.set(k, v);
    }
    if (present === undefined) return;
    for (const k of [...this.#seen.keys()]) {
      if (!present.has(k)) {
        this.#counter.remove(this.#labels(k));
        this.#seen.delete(k);
      }
    }
  }

  #zero(k: string): void {
    this.#seen.set(k, this.#seen.get(k) ?? 0);
    this.#counter.inc(this.#labels(k), 0);
  }

  #labels(k: string): Partial<Record<L, string>> {
    return { [this.#label]: k } as Partial<Record<L, string>>;
  }
}

/** `read()` at most once per `windowMs` (one scrape), the value shared by every collector of it. */
export function perScrape<T>(read: () => T, windowMs = 200, now: () => number = () => performance.now()): () => T {
  let at = -Infinity;
  let value: T;
  return () => {
    const t = now();
    if (t - at > windowMs) {
      value = read();
      at = t;
    }
    return value;
  };
}
