/**
 * @module proxy/registered-users
 * Users that registered through siplb, in two bounded memories:
 * - *noted*: the address-of-record user of every REGISTER relayed (its To URI, RFC 3261 §10.2),
 *   kept for one default registration lifetime (3600 s, §10.2.1.1) after the last REGISTER, plus
 *   a margin. Lets the balancer hash a call to such a user the way it hashed the REGISTER
 *   (balance.hashKey.registered), while calls to any other number spread by Call-ID.
 * - *held*: which backend holds the AOR's bindings and until when, learnt from the registrar's 2xx
 *   (its Contact `expires`, §10.3 step 8; see sip/registration-expiry.ts). With
 *   `balance.failback: hold-registrations` the device's own requests and its refreshes go there
 *   while it is eligible (registration-affinity.ts): after a failover the AOR stays on the backend
 *   that took its REGISTER, not on the one the ring would pick once the first comes back and has no
 *   binding for it. A 2xx that lists no binding (`Expires: 0`, §10.2.2) forgets the AOR.
 * Keys are user parts, as in routing-key.ts. Both are bounded: when full, the entry refreshed
 * longest ago goes. Memory of one node only; see README "Registrars and hash keys".
 */
import { AffinityTable } from '../balance/affinity.js';

/** Default registration lifetime (RFC 3261 §10.2.1.1: 3600 s) plus a minute for late refreshes. */
export const REGISTERED_TTL_MS = 3_660_000;

export class RegisteredUsers {
  /** User → '' (only presence matters), one lifetime for all. */
  readonly #noted: AffinityTable;
  /** AOR → holding backend, each until the expiry its registrar's 2xx gave. */
  readonly #held: AffinityTable;

  constructor(maxEntries: number, ttlMs = REGISTERED_TTL_MS) {
    this.#noted = new AffinityTable({ ttlMs, maxEntries });
    this.#held = new AffinityTable({ maxEntries });
  }

  note(user: string, nowMs: number): void {
    this.#noted.set(user, '', nowMs);
  }

  has(user: string, nowMs: number): boolean {
    return this.#noted.get(user, nowMs) !== undefined;
  }

  /** `backendId` holds the bindings of `aor` until `expiresAtMs` (a registrar's 2xx said so). */
  hold(aor: string, backendId: string, expiresAtMs: number): void {
    this.#held.setUntil(aor, backendId, expiresAtMs);
  }

  /** The registrar's 2xx lists no binding of `aor` any more (deregistration, §10.2.2). */
  release(aor: string): void {
    this.#held.delete(aor);
  }

  /** The backend holding `aor`'s bindings, or undefined when none is known or it expired. */
  holder(aor: string, nowMs: number): string | undefined {
    return this.#held.get(aor, nowMs);
  }

  /**
   * Forget expired entries. Held entries are walked from the one refreshed longest ago and the
   * walk stops at the first live one: with one registration interval for most devices that is
   * expiry order, and an entry left behind a longer-lived one is still found expired by holder()
   * and bounded by maxEntries (balance/affinity.ts, setUntil).
   */
  sweep(nowMs: number): void {
    this.#noted.sweep(nowMs);
    this.#held.sweep(nowMs);
  }

  get size(): number {
    return this.#noted.size;
  }

  /** AORs with a known holder (expired ones included until swept). */
  get heldSize(): number {
    return this.#held.size;
  }
}
