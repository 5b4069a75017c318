/**
 * @module transport/backlog-meter
 * How long the UDP socket's receive queue stayed non-empty, read from the size of libuv's read
 * batches. When a datagram socket is readable libuv reads it until the kernel says EAGAIN or
 * until it has read {@link LIBUV_READ_BATCH} datagrams, whichever comes first, and only then
 * returns to its loop (libuv src/unix/udp.c, uv__udp_recvmsg). So a batch shorter than that
 * proves the queue was empty when it ended, and a run of full batches means the queue never
 * emptied in between: the node is behind. This is the one signal that tells "busy but keeping
 * up" (a loop near 100 % on a shared CPU, which still empties its queue) from "falling behind"
 * (the queue only grows until the kernel drops datagrams) — without reading /proc per datagram.
 */

/** Datagrams libuv reads per readable event before it yields to the rest of the loop. */
export const LIBUV_READ_BATCH = 32;

export class BacklogMeter {
  readonly #now: () => number;
  /** When the current run of full batches began (-1: the queue emptied at the last batch). */
  #since = -1;
  #longest = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** One read batch ended after `count` datagrams. */
  batchEnded(count: number): void {
    if (count >= LIBUV_READ_BATCH) {
      if (this.#since < 0) this.#since = this.#now();
      return;
    }
    if (this.#since >= 0) {
      this.#longest = Math.max(this.#longest, this.#now() - this.#since);
      this.#since = -1;
    }
  }

  /** Forget any run in progress (measurement paused: nothing will end it). */
  reset(): void {
    this.#since = -1;
    this.#longest = 0;
  }

  /** The longest time (ms) the queue stayed non-empty since the last call, a run still going included. */
  takeLongestMs(): number {
    let longest = this.#longest;
    if (this.#since >= 0) longest = Math.max(longest, this.#now() - this.#since);
    this.#longest = 0;
    return longest;
  }
}
