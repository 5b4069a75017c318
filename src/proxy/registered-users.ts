/**
 * @module proxy/registered-users
 * Users that registered through siplb recently: the address-of-record user of every REGISTER
 * relayed (its To URI, RFC 3261 §10.2), kept for one default registration lifetime (3600 s,
 * §10.2.1.1) after the last REGISTER, plus a margin. Lets the balancer send a call to such a user
 * to the registrar that holds the binding, while calls to any other number spread by Call-ID.
 * A user that unregisters (Expires: 0) simply ages out: hashing its calls by user stays correct.
 * Bounded: when full, the oldest entry goes. Memory of one node only; see README "Registrars".
 */
import { AffinityTable } from '../balance/affinity.js';

/** Default registration lifetime (RFC 3261 §10.2.1.1: 3600 s) plus a minute for late refreshes. */
export const REGISTERED_TTL_MS = 3_660_000;

export class RegisteredUsers {
  readonly #table: AffinityTable;

  constructor(maxEntries: number, ttlMs = REGISTERED_TTL_MS) {
    this.#table = new AffinityTable({ ttlMs, maxEntries });
  }

  note(user: string, nowMs: number): void {
    this.#table.set(user, '', nowMs);
  }

  has(user: string, nowMs: number): boolean {
    return this.#table.get(user, nowMs) !== undefined;
  }

  sweep(nowMs: number): void {
    this.#table.sweep(nowMs);
  }

  get size(): number {
    return this.#table.size;
  }
}
