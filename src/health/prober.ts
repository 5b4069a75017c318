/**
 * @module health/prober
 * Active health checks: one OPTIONS per backend per interval, each its own transaction with its
 * own timeout, matched to its reply by branch (and Call-ID) when the reply comes back to the
 * socket the probe left from. Probes of different backends are spread over the interval, not
 * sent in a burst. Over UDP a probe is retransmitted as RFC 3261 §17.1.2.2 Timer E says (T1,
 * doubling, capped at T2) until its timeout (Timer F) — a locally generated timeout is a failure.
 */
import { randomBytes } from 'node:crypto';
import type { SipResponse } from '../sip/message.js';
import type { HostPort } from '../transport/address.js';
import { isStream, type MessageSender, type SendTarget, type Transport } from '../transport/contract.js';
import { buildOptionsPing, probeCallId, PROBE_BRANCH_PREFIX } from './options-ping.js';
import type { ProbeResult } from './state-machine.js';

/** RFC 3261 §17.1.1.1 timer values. */
const T1_MS = 500;
const T2_MS = 4000;

export interface ProbeTarget {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The backend's transport: the probe goes over it (a failed connection or handshake is a failure). */
  readonly transport: Transport;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface ProberOptions {
  readonly sender: MessageSender;
  /** Our Via sent-by: the address of the socket probes leave from (replies come back there). */
  readonly via: HostPort;
  readonly fromUri: string;
  readonly userAgent: string;
  /** Monotonic ms. */
  readonly now: () => number;
  readonly onResult: (id: string, result: ProbeResult) => void;
  /** Every final reply matched to a probe of `id` (passive checks learn the backend's own Server from it). */
  readonly onReply?: (id: string, res: SipResponse) => void;
}

interface InFlight {
  readonly targetId: string;
  readonly branch: string;
  readonly callId: string;
  readonly sentAt: number;
  readonly buf: Buffer;
  readonly to: SendTarget;
  retransmitEvery: number;
  retransmitTimer: NodeJS.Timeout | undefined;
  deadline: NodeJS.Timeout;
}

interface Scheduled {
  target: ProbeTarget;
  timer: NodeJS.Timeout | undefined;
}

export class Prober {
  readonly #opts: ProberOptions;
  #via: HostPort;
  readonly #scheduled = new Map<string, Scheduled>();
  readonly #inflight = new Map<string, InFlight>();
  readonly #idPrefix = randomBytes(4).toString('hex');
  #seq = 0;
  #running = false;

  constructor(opts: ProberOptions) {
    this.#opts = opts;
    this.#via = opts.via;
  }

  /** The sent-by of probe Vias, once the probe socket is bound (port 0 in config). */
  setVia(via: HostPort): void {
    this.#via = via;
  }

  /** Replace the probed set; unchanged targets keep their schedule. */
  setTargets(targets: readonly ProbeTarget[]): void {
    const keep = new Set(targets.map((t) => t.id));
    for (const [id, s] of this.#scheduled) {
      if (!keep.has(id)) {
        clearTimeout(s.timer);
        this.#scheduled.delete(id);
      }
    }
    targets.forEach((t, i) => {
      const s = this.#scheduled.get(t.id);
      const same = s && s.target.host === t.host && s.target.port === t.port && s.target.intervalMs === t.intervalMs && s.target.timeoutMs === t.timeoutMs;
      if (same) return;
      if (s) clearTimeout(s.timer);
      const entry: Scheduled = { target: t, timer: undefined };
      this.#scheduled.set(t.id, entry);
      if (this.#running) this.#schedule(entry, this.#offset(i, targets.length, t.intervalMs));
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const all = [...this.#scheduled.values()];
    all.forEach((s, i) => this.#schedule(s, this.#offset(i, all.length, s.target.intervalMs)));
  }

  stop(): void {
    this.#running = false;
    for (const s of this.#scheduled.values()) clearTimeout(s.timer);
    for (const f of this.#inflight.values()) this.#finish(f, undefined);
  }

  /** Probes in flight (for tests and status). */
  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Offer a response addressed to siplb itself. Returns true when it answered one of our probes
   * (provisional replies are absorbed: the transaction goes on until a final reply, §17.1.2.2).
   */
  /**
   * A stream transport could not reach host:port (connect refused or timed out, TLS handshake
   * failed): every probe in flight to it fails now with that reason instead of waiting for its
   * timeout, so the operator sees why (a certificate problem is not a dead gateway).
   */
  unreachable(transport: Transport, host: string, port: number, reason: string): void {
    for (const f of [...this.#inflight.values()]) {
      if (f.to.transport === transport && f.to.port === port && f.to.host === host) this.#finish(f, { kind: 'unreachable', reason });
    }
  }

  handleReply(res: SipResponse): boolean {
    const branch = res.topVia().branch;
    if (branch === undefined || !branch.startsWith(PROBE_BRANCH_PREFIX)) return false;
    const f = this.#inflight.get(branch);
    if (f === undefined || res.callId() !== f.callId) return true; // late or foreign: absorbed
    if (res.status < 200) return true;
    this.#opts.onReply?.(f.targetId, res);
    this.#finish(f, { kind: 'reply', code: res.status, rttMs: this.#opts.now() - f.sentAt });
    return true;
  }

  #offset(index: number, count: number, intervalMs: number): number {
    // Spread evenly, with a little jitter so two nodes started together do not probe in step.
    return Math.floor((index * intervalMs) / Math.max(1, count) + Math.random() * Math.min(50, intervalMs / 10));
  }

  #schedule(s: Scheduled, delayMs: number): void {
    s.timer = setTimeout(() => {
      if (!this.#running || this.#scheduled.get(s.target.id) !== s) return;
      this.#send(s.target.id, { transport: s.target.transport, host: s.target.host, port: s.target.port }, s.target.timeoutMs);
      this.#schedule(s, s.target.intervalMs);
    }, delayMs);
    s.timer.unref();
  }

  #send(targetId: string, to: SendTarget, timeoutMs: number): void {
    const id = `${this.#idPrefix}${(this.#seq++).toString(36)}`;
    const buf = buildOptionsPing({
      target: to,
      via: this.#via,
      fromUri: this.#opts.fromUri,
      userAgent: this.#opts.userAgent,
      id,
    });
    const branch = `${PROBE_BRANCH_PREFIX}${id}`;
    const f: InFlight = {
      targetId,
      branch,
      callId: probeCallId(id, this.#via),
      sentAt: this.#opts.now(),
      buf,
      to,
      retransmitEvery: T1_MS,
      retransmitTimer: undefined,
      deadline: setTimeout(() => this.#finish(f, { kind: 'timeout' }), timeoutMs),
    };
    f.deadline.unref();
    this.#inflight.set(branch, f);
    this.#opts.sender.send(buf, to);
    // Timer E retransmits over unreliable transports only (RFC 3261 §17.1.2.2); a stream delivers or fails.
    if (!isStream(to.transport)) this.#armRetransmit(f);
  }

  #armRetransmit(f: InFlight): void {
    f.retransmitTimer = setTimeout(() => {
      if (!this.#inflight.has(f.branch)) return;
      this.#opts.sender.send(f.buf, f.to);
      f.retransmitEvery = Math.min(f.retransmitEvery * 2, T2_MS);
      this.#armRetransmit(f);
    }, f.retransmitEvery);
    f.retransmitTimer.unref();
  }

  #finish(f: InFlight, result: ProbeResult | undefined): void {
    if (!this.#inflight.delete(f.branch)) return;
    clearTimeout(f.deadline);
    clearTimeout(f.retransmitTimer);
    if (result !== undefined && this.#running) this.#opts.onResult(f.targetId, result);
  }
}
