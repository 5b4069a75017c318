/**
 * @module ha/role
 * The HA role of one siplb node and the one place it changes. Pure: no I/O, no timers, no
 * logger. `RoleState.setRole()` reports a transition once, to the listener it was given, and
 * ignores a "change" to the role it already has, so listeners (pino, metrics, the keepalived
 * role file) see transitions only.
 */

/**
 * - `standalone`: no Redis configured; this node serves on its own (the app decides this, not
 *   the lease).
 * - `leader`: this node holds the Redis lease and its local deadline has not passed.
 * - `follower`: Redis is configured and this node does not (provably) hold the lease.
 */
export type Role = 'standalone' | 'leader' | 'follower';

/**
 * Why the role changed.
 * - `acquired`: the lease was taken (fresh, or reclaimed while our own value was still in Redis).
 * - `renew-failed`: renewals failed (timed out or errored) and too little of the lease was left
 *   for another attempt to complete before the local deadline.
 * - `deadline`: the local lease deadline passed with no confirmed renewal (the timer fired, no
 *   waiting for Redis).
 * - `lost`: Redis answered that someone else owns the lease (or it expired there).
 * - `released`: `stop()` gave the lease up.
 * - `redis-down`: as `renew-failed`/`deadline`, but the connection to Redis was down at the time.
 */
export type RoleChangeReason = 'acquired' | 'renew-failed' | 'deadline' | 'lost' | 'released' | 'redis-down';

/** What a listener learns about one transition. */
export interface RoleChange {
  readonly role: Role;
  readonly previous: Role;
  readonly reason: RoleChangeReason;
  /**
   * On `acquired`, the fencing token of the new lease; on a step-down, the token of the lease
   * just given up; `undefined` where no lease was involved.
   */
  readonly fencingToken: number | undefined;
}

export type RoleListener = (change: RoleChange) => void;

/** Holds the current role; `setRole()` is the only way to change it. */
export class RoleState {
  #role: Role;
  #transitions = 0;
  readonly #onChange: RoleListener;

  constructor(initial: Role, onChange: RoleListener) {
    this.#role = initial;
    this.#onChange = onChange;
  }

  get role(): Role {
    return this.#role;
  }

  /** Number of transitions reported so far. */
  get transitions(): number {
    return this.#transitions;
  }

  /**
   * Moves to `role`. Returns `true` and reports the transition when the role changed; returns
   * `false` and reports nothing when the node already had that role.
   */
  setRole(role: Role, reason: RoleChangeReason, fencingToken?: number): boolean {
    const previous = this.#role;
    if (previous === role) return false;
    this.#role = role;
    this.#transitions += 1;
    this.#onChange({ role, previous, reason, fencingToken });
    return true;
  }
}
