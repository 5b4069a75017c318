/**
 * @module runtime/message-clock
 * The node's monotonic clock, read once per message (issue 20). Handling one datagram asks for
 * the time a dozen times (screening, routing key, passive checks, failover, affinity, dialogs):
 * while a message is being handled {@link MessageClock.now} returns the time taken when it
 * arrived; outside one (timers, sweeps) it reads the clock afresh. A message's handling is
 * synchronous and takes microseconds, so every deadline it sets is as accurate as before.
 *
 * `performance` comes from node:perf_hooks, not the global: the global is an accessor on
 * globalThis that misses V8's inline cache on every read.
 */
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds (performance.now()). */
export const monotonicNow = (): number => performance.now();

export class MessageClock {
  readonly #read: () => number;
  /**
   * The time held for the message being handled; valid while {@link #depth} > 0. A Float64Array
   * slot, not a number field: storing a fresh double in a long-lived object's field would box it
   * and pay the generational write barrier once per message.
   */
  readonly #held = new Float64Array(1);
  #depth = 0;

  constructor(read: () => number = monotonicNow) {
    this.#read = read;
  }

  /** The held time inside a message's handling, else a fresh reading. */
  readonly now = (): number => (this.#depth > 0 ? this.#held[0]! : this.#read());

  /** A message starts being handled: read the clock once (a nested hold keeps the outer time). */
  hold(): void {
    if (this.#depth++ === 0) this.#held[0] = this.#read();
  }

  /** The message's handling ended (call once per {@link hold}, in a finally). */
  release(): void {
    if (this.#depth > 0) this.#depth--;
  }
}
