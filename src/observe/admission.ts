/**
 * @module observe/admission
 * Overload detection and admission control for new calls. A saturated UDP server in Node does
 * not show it as timer lag (libuv returns to its loop every few datagrams) but as event-loop
 * utilization near 1 and, past that, as datagrams the kernel drops from the socket's full receive
 * queue — silently, for calls and in-dialog requests alike. Every 250 ms this measures both (ELU
 * from perf_hooks; the socket's drop counter from /proc/net/udp on Linux) and adapts the share of
 * new INVITEs admitted: ×0.7 per saturated window (down to 5 %), +10 % per window that keeps up.
 * A kernel drop is saturation at once; high utilization only when sustained (1 s), and not in the
 * first seconds after start, when JIT compilation keeps a healthy node busy.
 * A shed call gets a stateless 503 with Retry-After, which costs a fraction of a forwarded call,
 * so the node spends its capacity on calls it can complete and on every call already running.
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface AdmissionOptions {
  readonly enabled: boolean;
  /** Event-loop utilization above which a window counts as saturated. @default 0.9 */
  readonly maxUtilization: number;
  /** UDP port of the SIP socket, to read its kernel drop counter. */
  readonly port: number;
  /** @default 250 */
  readonly windowMs?: number;
  /**
   * Windows in a row above `maxUtilization` before utilization alone counts as saturation
   * (kernel drops count at once). @default 4 (1 s)
   */
  readonly sustainWindows?: number;
  /** After start, utilization is ignored this long: JIT warm-up is not overload. @default 3000 */
  readonly startupGraceMs?: number;
  /** Called when shedding starts or stops. */
  readonly onChange?: (shedding: boolean, state: AdmissionState) => void;
}

export interface AdmissionState {
  readonly admitFraction: number;
  readonly utilization: number;
  readonly kernelDrops: number;
}

const MIN_ADMIT = 0.05;

/**
 * Drops counter (last column) of the UDP socket bound to `port`, from /proc/net/udp and udp6
 * (local_address is `HEXIP:HEXPORT`). Undefined where /proc is not readable.
 */
export function readKernelDrops(port: number): number | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let total: number | undefined;
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
      total = (total ?? 0) + Number(cols[cols.length - 1]);
    }
  }
  return total;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  #admit = 1;
  #acc = 0;
  #utilization = 0;
  #drops = 0;
  #lastDrops: number | undefined;
  #lastElu: EventLoopUtilization | undefined;
  #timer: NodeJS.Timeout | undefined;
  #shedding = false;
  #busyWindows = 0;
  #graceUntil = 0;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (!this.#opts.enabled || this.#timer) return;
    this.#lastElu = performance.eventLoopUtilization();
    this.#lastDrops = readKernelDrops(this.#opts.port);
    this.#graceUntil = performance.now() + (this.#opts.startupGraceMs ?? 3000);
    this.#timer = setInterval(() => this.#window(), this.#opts.windowMs ?? 250);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
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

  /** True while new calls are being shed: the node is saturated. */
  get shedding(): boolean {
    return this.#shedding;
  }

  state(): AdmissionState {
    return { admitFraction: this.#admit, utilization: this.#utilization, kernelDrops: this.#drops };
  }

  /**
   * One measurement window; exposed for tests with injected readings. `inGrace`: utilization
   * is not trusted yet (start-up).
   */
  update(utilization: number, newDrops: number, inGrace = false): void {
    this.#utilization = utilization;
    this.#drops += newDrops;
    this.#busyWindows = !inGrace && utilization > this.#opts.maxUtilization ? this.#busyWindows + 1 : 0;
    const saturated = newDrops > 0 || this.#busyWindows >= (this.#opts.sustainWindows ?? 4);
    this.#admit = saturated ? Math.max(MIN_ADMIT, this.#admit * 0.7) : Math.min(1, this.#admit + 0.1);
    const shedding = this.#admit < 1;
    if (shedding !== this.#shedding) {
      this.#shedding = shedding;
      this.#opts.onChange?.(shedding, this.state());
    }
  }

  #window(): void {
    const elu = performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = performance.eventLoopUtilization();
    const drops = readKernelDrops(this.#opts.port);
    const newDrops = drops !== undefined && this.#lastDrops !== undefined ? Math.max(0, drops - this.#lastDrops) : 0;
    this.#lastDrops = drops;
    this.update(elu.utilization, newDrops, performance.now() < this.#graceUntil);
  }
}
