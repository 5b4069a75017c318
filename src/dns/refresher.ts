/**
 * @module dns/refresher
 * Keeps the members of every DNS backend entry fresh: resolves each name, asks again when its
 * TTL (clamped to dns.minTtl..dns.maxTtl) runs out, and reports a changed member set through
 * `onChange`. A failed lookup keeps the last good set (a DNS outage must not empty the backend
 * list under running traffic), is retried after dns.minTtl, counted, and logged once per change
 * between ok and failing, never once per retry.
 */
import type { Logger } from 'pino';
import type { DnsBackendConfig, FixedBackendConfig } from '../config/schema.js';
import { membersOf, refreshDelayMs, sameBackends, type DnsAnswer } from './members.js';
import type { DnsLookup } from './resolver.js';

/** One DNS entry and its last answer, for GET /status, `siplb status` and metrics (admin/dto.ts DnsNameView). */
export interface DnsEntryStatus {
  /** The entry's id: the prefix of its members' ids. */
  readonly id: string;
  readonly kind: 'srv' | 'host';
  readonly name: string;
  /** pending: never answered yet; ok: the last lookup succeeded; failing: it failed, the last good set stays. */
  readonly state: 'pending' | 'ok' | 'failing';
  /** Ids of the backends the last good answer gave. */
  readonly members: readonly string[];
  /** TTL of the last good answer, in seconds. */
  readonly ttlSeconds: number | null;
  /** Seconds between lookups now: the TTL clamped to dns.minTtl..dns.maxTtl (dns.minTtl after a failure). */
  readonly refreshSeconds: number | null;
  /** Wall clock of the last lookup, good or not. */
  readonly lastRefresh: string | null;
  /** Wall clock of the last good answer. */
  readonly lastGood: string | null;
  readonly lastError: string | null;
  /** Failed lookups since start. */
  readonly failures: number;
}

interface EntryState {
  entry: DnsBackendConfig;
  /** Serialized entry: a reload that leaves it alone keeps its state. */
  readonly key: string;
  answer: DnsAnswer | undefined;
  members: FixedBackendConfig[];
  state: DnsEntryStatus['state'];
  lastError: string | null;
  failures: number;
  lastRefreshAt: number | null;
  lastGoodAt: number | null;
  delayMs: number | null;
  timer: NodeJS.Timeout | undefined;
  /** Bumped when the entry is dropped or the node stops: a lookup in flight then changes nothing. */
  gen: number;
}

export interface RefresherOptions {
  lookup: DnsLookup;
  minTtlMs: number;
  maxTtlMs: number;
  readonly logger: Logger;
  /** Called after a lookup changed the members of an entry. */
  readonly onChange: () => void;
  /** Wall clock in ms. @default Date.now */
  readonly now?: () => number;
}

const nameOf = (e: DnsBackendConfig): string => (e.kind === 'srv' ? e.name : e.host);

export class DnsRefresher {
  readonly #opts: RefresherOptions;
  readonly #now: () => number;
  #entries = new Map<string, EntryState>();
  #running = false;

  constructor(opts: RefresherOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** New resolver settings (reload): the next lookups use them. */
  setResolver(lookup: DnsLookup, minTtlMs: number, maxTtlMs: number): void {
    this.#opts.lookup = lookup;
    this.#opts.minTtlMs = minTtlMs;
    this.#opts.maxTtlMs = maxTtlMs;
  }

  /**
   * The entries of the running config. An entry whose name, port and settings are unchanged keeps
   * its answer and timer; a changed or new one is resolved at once (when running).
   */
  setEntries(entries: readonly DnsBackendConfig[]): void {
    const next = new Map<string, EntryState>();
    for (const entry of entries) {
      const key = JSON.stringify(entry);
      const old = this.#entries.get(entry.id);
      if (old !== undefined && old.key === key) {
        old.entry = entry; // same content, the new config's object
        next.set(entry.id, old);
        continue;
      }
      if (old !== undefined) this.#drop(old);
      const st: EntryState = {
        entry, key, answer: undefined, members: [], state: 'pending', lastError: null, failures: old?.failures ?? 0,
        lastRefreshAt: null, lastGoodAt: null, delayMs: null, timer: undefined, gen: 0,
      };
      next.set(entry.id, st);
      if (this.#running) void this.#refresh(st);
    }
    for (const [id, old] of this.#entries) if (!next.has(id)) this.#drop(old);
    this.#entries = next;
  }

  /** Resolve every entry once (so the node starts with its members), then keep them fresh. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await Promise.all([...this.#entries.values()].map((st) => this.#refresh(st, false)));
    if ([...this.#entries.values()].some((st) => st.members.length > 0)) this.#opts.onChange();
  }

  stop(): void {
    this.#running = false;
    for (const st of this.#entries.values()) this.#drop(st);
  }

  /** The members of each entry (by entry id) from its last good answer. */
  members(): Map<string, readonly FixedBackendConfig[]> {
    return new Map([...this.#entries].map(([id, st]) => [id, st.members]));
  }

  status(): DnsEntryStatus[] {
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return [...this.#entries.values()].map((st) => ({
      id: st.entry.id,
      kind: st.entry.kind,
      name: nameOf(st.entry),
      state: st.state,
      members: st.members.map((m) => m.id),
      ttlSeconds: st.answer?.ttlSeconds ?? null,
      refreshSeconds: st.delayMs === null ? null : st.delayMs / 1000,
      lastRefresh: iso(st.lastRefreshAt),
      lastGood: iso(st.lastGoodAt),
      lastError: st.lastError,
      failures: st.failures,
    }));
  }

  #drop(st: EntryState): void {
    st.gen++;
    if (st.timer !== undefined) clearTimeout(st.timer);
    st.timer = undefined;
  }

  async #refresh(st: EntryState, notify = true): Promise<void> {
    const gen = st.gen;
    const { entry } = st;
    const name = nameOf(entry);
    let answer: DnsAnswer;
    try {
      answer = entry.kind === 'srv' ? await this.#opts.lookup.srv(entry.name) : await this.#opts.lookup.host(entry.host);
    } catch (err) {
      if (gen !== st.gen || !this.#running) return;
      const message = err instanceof Error ? err.message : String(err);
      st.failures++;
      st.lastRefreshAt = this.#now();
      st.lastError = message;
      if (st.state !== 'failing') {
        this.#opts.logger.warn({ name, error: message, members: st.members.length }, 'DNS lookup failed: the last good set of backends stays in use');
      }
      st.state = 'failing';
      this.#schedule(st, this.#opts.minTtlMs);
      return;
    }
    if (gen !== st.gen || !this.#running) return;
    if (st.state === 'failing') this.#opts.logger.info({ name }, 'DNS lookup answers again');
    st.state = 'ok';
    st.answer = answer;
    st.lastError = null;
    st.lastRefreshAt = st.lastGoodAt = this.#now();
    const members = membersOf(entry, answer);
    const changed = !sameBackends(st.members, members);
    if (changed) st.members = members;
    this.#schedule(st, refreshDelayMs(answer.ttlSeconds, this.#opts.minTtlMs, this.#opts.maxTtlMs));
    if (changed && notify) this.#opts.onChange();
  }

  #schedule(st: EntryState, delayMs: number): void {
    if (st.timer !== undefined) clearTimeout(st.timer);
    st.delayMs = delayMs;
    st.timer = setTimeout(() => {
      st.timer = undefined;
      void this.#refresh(st);
    }, delayMs);
    st.timer.unref();
  }
}
