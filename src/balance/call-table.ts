/**
 * @module balance/call-table
 * One record per Call-ID for every per-call concern (call affinity, active-call accounting,
 * dialog endings), instead of one Map per concern: a call costs one hash-table insertion, one
 * removal, and one lookup per message rather than several of each (each concern's Map hashed
 * and probed the same Call-ID again).
 *
 * A concern owns a {@link CallLane}: one slot in every record (holding a value and a time) plus
 * its own order of those slots, oldest first, for expiry and for evicting the oldest when its
 * bound is reached. That order is an append-only queue with lazy deletion: filling a slot appends
 * an entry (record, time, value) and stamps the record's slot with the entry's position, the
 * record's only word for that lane; clearing or refilling the slot leaves the
 * old entry behind, stale (the slot no longer carries its stamp), and it is skipped when it
 * reaches the head. Every concern gives its entries times that never decrease (the same TTL from
 * a clock that never goes back), so queue order is time order and an expiry sweep stops at the
 * first live entry, as with a Map's insertion order. The queue is rebuilt from its live entries
 * once the stale ones outnumber them, so its length stays within twice the live count (plus a
 * constant) whatever the lifetimes.
 *
 * A record exists while at least one lane holds a slot in it.
 *
 * Pure: Call-IDs are opaque keys, times are passed in; no clock, no timers.
 */

/** Positions are stamped modulo 2^30 so they stay small integers (V8 Smis) on a process that runs for years. */
const STAMP_MASK = 0x3fff_ffff;
const EMPTY = -1;
/** Stale entries tolerated in a queue beyond its live ones before it is rebuilt. */
const COMPACT_SLACK = 1024;

/**
 * One call's record, a single array (one allocation, no pointer to follow per slot):
 * `[callId, lanes holding a slot, stamp of lane 0 (or -1), value of lane 0, stamp of lane 1, …]`.
 */
export type CallRecord = unknown[];

const KEY = 0;
const HELD = 1;

/** The Call-ID a record is for. */
export function callIdOf(r: CallRecord): string {
  return r[KEY] as string;
}

export class CallTable {
  readonly #map = new Map<string, CallRecord>();
  readonly #template: unknown[] = ['', 0];
  /** The last Call-ID looked up and its record (undefined: none): a message's concerns look its Call-ID up one after another. */
  #lastKey: string | undefined = undefined;
  #last: CallRecord | undefined = undefined;

  /** A new concern's lane; `opts.max` bounds its slots (the caller decides what happens at the bound). */
  lane<V = string>(opts: { max?: number } = {}): CallLane<V> {
    const at = this.#template.length;
    this.#template.push(EMPTY);
    for (const r of this.#map.values()) r.push(EMPTY);
    return new CallLane<V>(this, at, opts.max ?? Infinity);
  }

  find(key: string): CallRecord | undefined {
    if (key === this.#lastKey) return this.#last;
    const r = this.#map.get(key);
    // Misses too: a new call's INVITE is looked up by several concerns before one records it.
    this.#lastKey = key;
    this.#last = r;
    return r;
  }

  /** @internal for lanes */
  ensure(key: string): CallRecord {
    let r = this.find(key);
    if (r === undefined) {
      r = this.#template.slice();
      r[KEY] = key;
      this.#map.set(key, r);
      this.#lastKey = key;
      this.#last = r;
    }
    return r;
  }

  /** @internal for lanes: a record no lane holds any more goes. */
  release(r: CallRecord): void {
    if ((r[HELD] as number) > 0) return;
    this.#map.delete(r[KEY] as string);
    if (this.#lastKey === r[KEY]) this.#last = undefined; // a cached miss now
  }

  /** Records held (calls some concern still remembers). */
  get size(): number {
    return this.#map.size;
  }
}

/** A concern's slot in every record; `V`: what the slot holds. */
export class CallLane<V = string> {
  readonly #table: CallTable;
  /** Index of this lane's stamp in a record. */
  readonly #at: number;
  readonly max: number;
  #count = 0;
  /**
   * The queue: records, and the times and values of their entries, `#head` to `#tail`; a record
   * `undefined` once consumed, a value `undefined` once its slot is cleared or refilled (so a
   * stale entry keeps no value alive). Values live here rather than in the record: a record then
   * costs one word per lane, and only live entries hold a value. The arrays are reused (written
   * in place, compacted in place), never shrunk, so a lane in steady state allocates nothing.
   */
  readonly #recs: (CallRecord | undefined)[] = [];
  readonly #times: number[] = [];
  readonly #vals: (V | undefined)[] = [];
  #head = 0;
  #tail = 0;
  /** Stamp of the queue's index 0. */
  #base = 0;

  /** @internal made by {@link CallTable.lane} */
  constructor(table: CallTable, at: number, max: number) {
    this.#table = table;
    this.#at = at;
    this.max = max;
  }

  /** Slots filled. */
  get size(): number {
    return this.#count;
  }

  /** The record of `key` when this lane holds a slot in it. */
  find(key: string): CallRecord | undefined {
    const r = this.#table.find(key);
    return r !== undefined && (r[this.#at] as number) !== EMPTY ? r : undefined;
  }

  has(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** Where the live entry of `r` is in the queue. */
  #index(r: CallRecord): number {
    return ((r[this.#at] as number) - this.#base) & STAMP_MASK;
  }

  /** The value in the slot of `r` (which must be filled). */
  value(r: CallRecord): V | undefined {
    return this.#vals[this.#index(r)];
  }

  /** The time of the slot of `r` (which must be filled). */
  time(r: CallRecord): number {
    return this.#times[this.#index(r)]!;
  }

  /**
   * Fill (or refill, moving it to the newest end) the slot of `key`. `time` must not be below
   * the lane's previous ones. The bound is the caller's: see {@link full} and {@link oldest}.
   */
  put(key: string, value: V | undefined, time: number): void {
    const r = this.#table.ensure(key);
    if ((r[this.#at] as number) === EMPTY) {
      this.#count++;
      r[HELD] = (r[HELD] as number) + 1;
    } else {
      this.#vals[this.#index(r)] = undefined; // its entry goes stale
    }
    this.#compactIfSparse();
    const i = this.#tail++;
    r[this.#at] = (this.#base + i) & STAMP_MASK;
    if (i < this.#recs.length) {
      this.#recs[i] = r;
      this.#times[i] = time;
      this.#vals[i] = value;
    } else {
      this.#recs.push(r);
      this.#times.push(time);
      this.#vals.push(value);
    }
  }

  get full(): boolean {
    return this.#count >= this.max;
  }

  /** Empty the slot of `r` (no-op when empty); the record goes when no lane holds it. */
  clear(r: CallRecord): void {
    if ((r[this.#at] as number) === EMPTY) return;
    this.#vals[this.#index(r)] = undefined;
    r[this.#at] = EMPTY;
    this.#count--;
    r[HELD] = (r[HELD] as number) - 1;
    this.#table.release(r);
  }

  delete(key: string): boolean {
    const r = this.find(key);
    if (r === undefined) return false;
    this.clear(r);
    return true;
  }

  /** The record whose slot was filled longest ago (stale entries at the head are dropped on the way). */
  oldest(): CallRecord | undefined {
    const recs = this.#recs;
    while (this.#head < this.#tail) {
      const r = recs[this.#head]!;
      if ((r[this.#at] as number) === ((this.#base + this.#head) & STAMP_MASK)) return r;
      recs[this.#head++] = undefined;
    }
    this.#head = this.#tail = 0;
    return undefined;
  }

  /**
   * Before an entry is appended: when the stale entries (consumed or superseded) outnumber the
   * live ones by more than the slack, move the live ones to the front, in order, restamped.
   */
  #compactIfSparse(): void {
    const tail = this.#tail;
    if (tail - this.#count <= this.#count + COMPACT_SLACK) return;
    const recs = this.#recs;
    const times = this.#times;
    const vals = this.#vals;
    const at = this.#at;
    let j = 0;
    for (let i = this.#head; i < tail; i++) {
      const r = recs[i];
      recs[i] = undefined;
      if (r === undefined || (r[at] as number) !== ((this.#base + i) & STAMP_MASK)) continue;
      r[at] = (this.#base + j) & STAMP_MASK;
      recs[j] = r;
      times[j] = times[i]!;
      const v = vals[i];
      vals[i] = undefined;
      vals[j++] = v;
    }
    this.#head = 0;
    this.#tail = j;
  }
}
