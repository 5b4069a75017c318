/**
 * @module balance/backend-counts
 * Per-backend counts of things in progress (calls, pending INVITEs), kept as cells: whoever counts
 * one holds its backend's cell and hands it back on release, so the end of a call needs no map
 * lookup. A backend with nothing counted has no cell (the map holds only backends in use).
 */

/** One backend's count; the value a call's slot holds. */
export interface BackendCount {
  readonly backendId: string;
  n: number;
}

export class BackendCounts {
  readonly #byId = new Map<string, BackendCount>();

  /** One more against `backendId`; the cell to pass to {@link release}. */
  add(backendId: string): BackendCount {
    let count = this.#byId.get(backendId);
    if (count === undefined) this.#byId.set(backendId, (count = { backendId, n: 0 }));
    count.n++;
    return count;
  }

  /** One fewer in `count`; its cell goes at zero. */
  release(count: BackendCount): void {
    if (--count.n <= 0) this.#byId.delete(count.backendId);
  }

  /** How many are counted against `backendId` (0 for unknown ids). */
  of(backendId: string): number {
    return this.#byId.get(backendId)?.n ?? 0;
  }
}
