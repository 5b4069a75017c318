/**
 * @module observe/admission
 * Overload detection and admission control for new calls. A UDP server in Node that cannot keep
 * up shows it neither as timer lag (libuv returns to its loop every 32 datagrams) nor reliably as
 * event-loop utilization (a node that shares its CPU runs near 100 % while still emptying its
 * queue), but as a receive queue that no longer empties — and past that, as datagrams the kernel
 * drops from the full queue, silently, for calls and in-dialog requests alike. Every window
 * (100 ms) this reads the longest time the SIP socket's queue stayed non-empty (from libuv's read
 * batches, transport/backlog-meter), the queue's size and drop counter (/proc/net/udp on Linux)
 * and the utilization, and adapts the share of new INVITEs admitted:
 * - behind — the queue has not emptied for `maxQueueDelayMs` (1 s by default: its oldest requests
 *   are then past their senders' retransmission timer T1), or it holds half its buffer (the kernel
 *   drops at full),
 *   or the kernel dropped datagrams: ×0.7, down to 5 % — unless the queue is already shrinking
 *   after an earlier cut (then hold: what is queued was sent before the cut, and cutting again
 *   would shed calls the node can serve);
 * - keeping up: +4 % per window (+40 %/s) back to 100 %.
 * Shorter backlogs are what the queue is for: a node on a shared CPU falls behind for a fraction of
 * a second and catches up, and shedding then would turn away calls it can serve.
 * A shed call gets a stateless 503 with Retry-After, which costs a fraction of a forwarded call,
 * so the node spends its capacity on calls it can complete and on every call already running.
 * Separately, utilization above `maxUtilization` for a second (or shedding) marks the node
 * `saturated`: its own lateness is then no evidence against a backend (passive health and
 * serial failover hold their timeouts).
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface AdmissionOptions {
  readonly enabled: boolean;
  /** Event-loop utilization above which, sustained for `sustainMs`, the node counts as saturated. @default 0.9 */
  readonly maxUtilization: number;
  /** The SIP socket's queue staying non-empty this long (ms) means the node is behind (config default 1000). */
  readonly maxQueueDelayMs: number;
  /** UDP port of the SIP socket, to read its queue and drop counter. */
  readonly port: number;
  /** The longest time (ms) the SIP socket's queue stayed non-empty since the last call. */
  readonly backlogMs: () => number;
  /**
   * Turns the backlog measurement on (utilization of the last window above {@link WATCH_UTILIZATION})
   * or off: a queue that stays non-empty keeps the loop busy, so an idle loop needs no measuring.
   */
  readonly watchBacklog?: (on: boolean) => void;
  /** The SIP socket's receive buffer size (SO_RCVBUF as the kernel reports it), if known. */
  readonly queueLimitBytes?: () => number | undefined;
  /** @default 100 */
  readonly windowMs?: number;
  /** How long utilization must stay above `maxUtilization` to count as saturation. @default 1000 */
  readonly sustainMs?: number;
  /** After start, queue delay is ignored this long: JIT warm-up is not overload. @default 3000 */
  readonly startupGraceMs?: number;
  /** Called when shedding starts or stops. */
  readonly onChange?: (shedding: boolean, state: AdmissionState) => void;
  /** Called after every window with its readings (for trace logging). */
  readonly onWindow?: (reading: AdmissionReading, state: AdmissionState) => void;
  /** Monotonic milliseconds, the clock {@link Admission.lateSince} is asked in. @default performance.now */
  readonly now?: () => number;
}

export interface AdmissionState {
  readonly admitFraction: number;
  readonly utilization: number;
  /** Longest time (ms) the SIP socket's queue stayed non-empty in the last window. */
  readonly queueDelayMs: number;
  readonly kernelDrops: number;
}

/** One window's readings. */
export interface AdmissionReading {
  readonly utilization: number;
  readonly backlogMs: number;
  /** Datagrams the kernel dropped from the SIP socket's queue during the window. */
  readonly newDrops: number;
  /** Bytes in the SIP socket's receive queue now (undefined where /proc is not readable). */
  readonly queueBytes: number | undefined;
}

const MIN_ADMIT = 0.05;
const CUT = 0.7;
/** Share of new calls given back per second of keeping up. */
const RECOVERY_PER_S = 0.4;
/** A queue filled to this share of its buffer is about to drop datagrams: behind, whatever its age. */
const QUEUE_FULL = 0.5;
/** A queue below this share of its size one window earlier is draining. */
const DRAINING = 0.95;
/** Utilization above which the backlog is measured in the next window. */
export const WATCH_UTILIZATION = 0.5;
/** Windows between reads of /proc while the queue keeps emptying (drops need a full queue first). */
const IDLE_READ_EVERY = 10;

export interface SocketQueue {
  /** Bytes waiting in the receive queue (rx_queue). */
  readonly queueBytes: number;
  /** Datagrams dropped because the queue was full (drops). */
  readonly drops: number;
}

/**
 * The receive queue and drop counter of the UDP socket bound to `port`, from /proc/net/udp and
 * udp6 (`local_address` is `HEXIP:HEXPORT`, `tx_queue:rx_queue` in hex, drops last). Undefined
 * where /proc is not readable or nothing is bound there.
 */
export function readSocketQueue(port: number): SocketQueue | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let queueBytes = 0;
  let drops = 0;
  let found = false;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !(cols[1] ?? '').endsWith(hexPort)) continue;
      found = true;
      queueBytes += parseInt((cols[4] ?? '').split(':')[1] ?? '0', 16) || 0;
      drops += Number(cols[cols.length - 1]) || 0;
    }
  }
  return found ? { queueBytes, drops } : undefined;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  #admit = 1;
  #acc = 0;
  #utilization = 0;
  #queueDelayMs = 0;
  #drops = 0;
  #lastDrops: number | undefined;
  #lastQueueBytes: number | undefined;
  #lastElu: EventLoopUtilization | undefined;
  #timer: NodeJS.Timeout | undefined;
  #shedding = false;
  #busyMs = 0;
  #graceUntil = 0;
  #idleWindows = 0;
  /** When the last window that found the node saturated or losing datagrams ended; -Infinity: never. */
  #lateAt = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? ((): number => performance.now());
  }

  start(): void {
    if (!this.#opts.enabled) {
      this.#opts.watchBacklog?.(false);
      return;
    }
    if (this.#timer) return;
    this.#lastElu = performance.eventLoopUtilization();
    this.#lastDrops = readSocketQueue(this.#opts.port)?.drops;
    this.#opts.backlogMs();
    this.#graceUntil = performance.now() + (this.#opts.startupGraceMs ?? 3000);
    this.#timer = setInterval(() => this.#window(), this.#windowMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get #windowMs(): number {
    return this.#opts.windowMs ?? 100;
  }

  /** Whether to admit one new call. Deterministic spreading of the admitted share (no Math.random). */
  admit(): boolean {
    if (this.#admit >= 1) return true;
    this.#acc += this.#admit;
    if (this.#acc >= 1) {
      this.#acc -= 1;
      return true;
    }
    return false;
  }

  get enabled(): boolean {
    return this.#opts.enabled;
  }

  /** True while new calls are being shed: the node is behind. */
  get shedding(): boolean {
    return this.#shedding;
  }

  /** True while the node is shedding or has been busy for a while: its own lateness blames no backend. */
  get saturated(): boolean {
    return this.#shedding || this.#busyMs >= (this.#opts.sustainMs ?? 1000);
  }

  state(): AdmissionState {
    return { admitFraction: this.#admit, utilization: this.#utilization, queueDelayMs: this.#queueDelayMs, kernelDrops: this.#drops };
  }

  /**
   * One measurement window; exposed for tests with injected readings. `inGrace`: queue delay and
   * utilization are not trusted yet (start-up); kernel drops always are.
   */
  update(r: AdmissionReading, inGrace = false): void {
    this.#utilization = r.utilization;
    this.#queueDelayMs = r.backlogMs;
    this.#drops += r.newDrops;
    this.#busyMs = !inGrace && r.utilization > this.#opts.maxUtilization ? this.#busyMs + this.#windowMs : 0;
    const limit = this.#opts.queueLimitBytes?.();
    const nearlyFull = limit !== undefined && r.queueBytes !== undefined && r.queueBytes >= limit * QUEUE_FULL;
    const behind = r.newDrops > 0 || nearlyFull || (!inGrace && r.backlogMs >= this.#opts.maxQueueDelayMs);
    const last = this.#lastQueueBytes;
    if (r.queueBytes !== undefined) this.#lastQueueBytes = r.queueBytes;
    // After a cut, a queue that shrinks is one the node is working off: the datagrams in it were
    // sent before the cut, and cutting again would shed calls the node can serve. A queue that
    // stands still or grows gets the next cut, and so does every kernel drop.
    const draining = r.newDrops === 0 && this.#admit < 1 && r.queueBytes !== undefined && last !== undefined && r.queueBytes < last * DRAINING;
    if (behind) {
      if (!draining) this.#admit = Math.max(MIN_ADMIT, this.#admit * CUT);
    } else {
      this.#admit = Math.min(1, this.#admit + (RECOVERY_PER_S * this.#windowMs) / 1000);
    }
    this.#opts.onWindow?.(r, this.state());
    const shedding = this.#admit < 1;
    if (shedding !== this.#shedding) {
      this.#shedding = shedding;
      this.#opts.onChange?.(shedding, this.state());
    }
    if (this.saturated || r.newDrops > 0) this.#lateAt = this.#now();
  }

  /**
   * Whether the node is saturated now or was (or lost datagrams in the kernel) at any time since
   * `t` (monotonic ms, the `now` clock). An answer due in that time may have been handled late or
   * dropped here: its absence is then no evidence against a backend. Passive health and serial
   * failover ask this when a timeout fires — asking only "saturated now?" blamed every backend at
   * once for INVITEs whose 100 Trying the node itself dropped in an overload that had just ended.
   */
  lateSince(t: number): boolean {
    return this.saturated || this.#lateAt >= t;
  }

  #window(): void {
    const elu = performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = performance.eventLoopUtilization();
    const backlogMs = this.#opts.backlogMs();
    this.#opts.watchBacklog?.(elu.utilization > WATCH_UTILIZATION);
    // Reading /proc costs ~0.25 ms: only when the queue held datagrams, and now and then for drops.
    let q: SocketQueue | undefined;
    if (backlogMs > 0 || ++this.#idleWindows >= IDLE_READ_EVERY) {
      this.#idleWindows = 0;
      q = readSocketQueue(this.#opts.port);
    }
    let newDrops = 0;
    if (q !== undefined) {
      newDrops = this.#lastDrops !== undefined ? Math.max(0, q.drops - this.#lastDrops) : 0;
      this.#lastDrops = q.drops;
    }
    this.update({ utilization: elu.utilization, backlogMs, newDrops, queueBytes: q?.queueBytes }, performance.now() < this.#graceUntil);
  }
}
