/**
 * @module metrics/tally
 * Hot-path counting for the per-message counters: prom-client hashes the label object on every
 * `inc`, which costs more than the rest of the bookkeeping together. A Tally2 counts in nested
 * Maps keyed by the two label values (no allocation once a pair has been seen) and hands the
 * accumulated deltas to prom-client when Prometheus scrapes (call `flush` from `collect`).
 * A pair's count is a cell of its own, kept across flushes: counting is two `Map` lookups and a
 * field increment, not two lookups and a `Map#set` per message (the label sets are bounded, so
 * keeping a zeroed cell per pair costs nothing that grows).
 */
interface Cell {
  n: number;
}

export class Tally2 {
  readonly #counts = new Map<string, Map<string, Cell>>();

  add(a: string, b: string, n = 1): void {
    let inner = this.#counts.get(a);
    if (inner === undefined) this.#counts.set(a, (inner = new Map()));
    const cell = inner.get(b);
    if (cell === undefined) inner.set(b, { n });
    else cell.n += n;
  }

  /** Calls `sink(a, b, delta)` for every pair counted since the last flush, then forgets them. */
  flush(sink: (a: string, b: string, delta: number) => void): void {
    for (const [a, inner] of this.#counts) {
      for (const [b, cell] of inner) {
        if (cell.n === 0) continue;
        const n = cell.n;
        cell.n = 0;
        sink(a, b, n);
      }
    }
  }
}
