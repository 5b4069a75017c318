/**
 * @module proxy/serial-failover
 * Serial failover of initial INVITEs (what Kamailio does with ds_next_dst in a failure route):
 * when the chosen backend sends no response at all within `timeoutMs` (below the caller's first
 * retransmission at T1 = 500 ms, RFC 3261 §17.1.1.2), or answers with one of `codes`, the INVITE
 * goes on to the next candidate, at most `maxAttempts` times, and the caller never sees the failed
 * attempt. Each new target is a new client transaction with its own branch (§16.6 step 8).
 * Late responses from an abandoned branch are absorbed: a provisional one gets that branch
 * CANCELled (§9.1), a non-2xx final one is ACKed (§17.1.1.3) so the backend stops retransmitting.
 *
 * Once a provisional response other than 100 has been relayed to the caller, the call belongs to
 * that branch: the caller has seen an early dialog (a ring, maybe early media) from it, so a
 * later failure is the call's outcome and goes to the caller (RFC 3261 §16.7: a proxy forwards
 * 101-199 at once, and the eventual final response of the branch decides the call). Trying another
 * backend then would ring the callee a second time and keep the caller waiting twice as long.
 * A 100 only says the backend itself got the INVITE (§16.7 step 5 treats it as hop-by-hop; no
 * early dialog exists), so it only stops the no-response timer.
 *
 * Out-of-dialog non-INVITE requests of `methods` (REGISTER, MESSAGE, SUBSCRIBE by default) fail
 * over by the same rules: a device's REGISTER or keep-alive MESSAGE must not time out against a
 * dead backend when another could answer it. A non-INVITE transaction cannot be CANCELled (§9.1:
 * "a CANCEL ... SHOULD NOT be sent to cancel non-INVITE requests") and its final response is not
 * ACKed (§17.1.2), so an abandoned non-INVITE branch is simply forgotten: its late responses are
 * absorbed until the transaction lifetime ends, so the caller never gets two final responses.
 * One entry per Call-ID: a new non-INVITE transaction (a higher CSeq, e.g. the next keep-alive)
 * replaces the entry of the previous one; an INVITE's entry is never replaced by a non-INVITE.
 *
 * This is the one piece of per-call state on the request path; it lives only until the request's
 * final response (and, for a request that did fail over, until the transaction lifetime ends so
 * its CANCEL, ACK and retransmissions still get the right branch).
 */
import type { MessageSource } from '../transport/contract.js';
import { CallTable, type CallLane } from '../balance/call-table.js';
import { hashString } from '../balance/hash.js';
import { bestTier } from '../balance/tiers.js';
import type { Backend } from '../backends/registry.js';
import type { NameAddr, SipRequest, SipResponse, Via } from '../sip/message.js';
import { BufferSlabs } from '../sip/buffer-slabs.js';
import { parseSip } from '../sip/index.js';
import { computeBranch } from './branch.js';
import type { ProxyContext } from './context.js';
import type { Failover, FailoverOptions } from './failover-contract.js';
import { buildAck, buildCancel } from './hop-requests.js';

/** The forwarding the proxy does; injected to keep this module free of the request path. */
export type ResendRequest = (req: SipRequest, from: MessageSource, vias: readonly Via[], backend: Backend, removeRoutes: readonly NameAddr[], mf: number | undefined, attempt: number) => void;

interface Abandoned {
  readonly backend: Backend;
  readonly viaLine: string;
  cancelled: boolean;
  /** When the branch was abandoned: it is remembered for the transaction lifetime (rememberMs). */
  readonly at: number;
}

/**
 * The request a call keeps for a later attempt, a CANCEL or an ACK (until its final response, or
 * for the transaction lifetime once it failed over). The transport reuses a datagram's memory
 * once its handler returns (transport/contract.ts MessageHandler), and the parsed request, its
 * Vias and Routes still read those bytes: the call keeps a copy of its own, exactly the
 * request's size, and parses it again only when it is needed (rarely: a failover, or an
 * abandoned branch's answer). Same bytes, same offsets: the Routes to remove are found again by
 * their line and start.
 */
interface KeptRequest {
  readonly bytes: Buffer;
  /** [fieldIndex, span start] of each Route value the forwarded request leaves out. */
  readonly removeAt: readonly number[];
  parsed: { readonly req: SipRequest; readonly vias: readonly Via[]; readonly removeRoutes: readonly NameAddr[] } | undefined;
}

const NO_ROUTES: readonly number[] = [];

/**
 * The copies are carved from 64 KiB slabs (sip/buffer-slabs.ts): an ArrayBuffer and a malloc per
 * INVITE cost ~2 000 instructions (callgrind), a view on a slab ~60 ns. A slab lives while any copy
 * in it does; most calls drop theirs within milliseconds (the final response), a call that failed
 * over keeps it for the transaction lifetime, with its slab. Large requests, rare, get a buffer of
 * their own.
 */
const keptSlabs = new BufferSlabs(64 * 1024, 8 * 1024);

function copyOf(src: Buffer): Buffer {
  const out = keptSlabs.alloc(src.length);
  out.set(src);
  return out;
}

function keep(req: SipRequest, removeRoutes: readonly NameAddr[]): KeptRequest {
  const bytes = copyOf(req.buf);
  let removeAt: readonly number[] = NO_ROUTES;
  if (removeRoutes.length > 0) removeAt = removeRoutes.flatMap((r) => [r.fieldIndex, r.span.start]);
  return { bytes, removeAt, parsed: undefined };
}

/** The kept request parsed (once); undefined cannot happen (the same bytes parsed before) but is not trusted blindly. */
function parsedKept(k: KeptRequest): KeptRequest['parsed'] {
  if (k.parsed !== undefined) return k.parsed;
  const p = parseSip(k.bytes);
  if (!p.ok || p.msg.kind !== 'request') return undefined;
  const req = p.msg;
  const vias = req.vias();
  if (vias === undefined || vias.length === 0) return undefined;
  const at = k.removeAt;
  const removeRoutes: NameAddr[] = [];
  if (at.length > 0) {
    for (const r of req.routes() ?? []) {
      for (let i = 0; i < at.length; i += 2) if (r.fieldIndex === at[i] && r.span.start === at[i + 1]) removeRoutes.push(r);
    }
  }
  return (k.parsed = { req, vias, removeRoutes });
}

/** The abandoned branches of a call that has none (never written: see #next). */
const NONE_ABANDONED: ReadonlyMap<string, Abandoned> = new Map();

interface Call {
  readonly callId: string;
  /** An INVITE transaction (CANCEL/ACK on abandoned branches, Timer C pins) or a non-INVITE one. */
  readonly invite: boolean;
  readonly method: string;
  /** CSeq number: tells a retransmission from the next transaction of the same Call-ID. */
  readonly seq: number;
  /** Its own copy of the request (see {@link KeptRequest}); dropped when no longer needed. */
  kept: KeptRequest | undefined;
  from: MessageSource | undefined;
  readonly mf: number | undefined;
  attempt: number;
  backend: Backend;
  readonly tried: string[];
  branch: string;
  /** Made on the first abandoned branch: most calls never fail over, and share {@link NONE_ABANDONED}. */
  abandoned: ReadonlyMap<string, Abandoned>;
  answered: boolean;
  /** A 101-199 of the current branch was relayed to the caller: no more failover (§16.7). */
  early: boolean;
  cancelled: boolean;
  done: boolean;
  /** When the no-response timer of the current attempt fires (performance.now() ms); {@link NOT_ARMED}: it does not. */
  deadline: number;
  /** Where the call's latest entry in the waiting queue is (counted from the queue's first entry ever). */
  queued: number;
}

/** The lane of each call table (one per table, so a failover rebuilt on reload takes over the same slot). */
const lanes = new WeakMap<CallTable, CallLane<Call>>();

const NOT_ARMED = -1;
/** The waiting queue is compacted once this many entries at its head are spent. */
const QUEUE_COMPACT = 1024;

export interface FailoverHooks {
  /**
   * A backend failed an attempt: publish, forget its pending INVITE, and blame it when `reason` is
   * 'timeout' (a response code is judged by the passive checker's blame rules, not here).
   */
  onFailover(failed: Backend, callId: string, reason: string): void;
  /** Whether `res` was generated by `backend` itself rather than relayed from downstream. */
  isOwnResponse(backend: Backend, res: SipResponse): boolean;
}

export type { FailoverOptions } from './failover-contract.js';

export class SerialFailover implements Failover {
  #opts: FailoverOptions;
  readonly #ctx: ProxyContext;
  readonly #resend: ResendRequest;
  readonly #hooks: FailoverHooks;
  /** Per call, timed when it started; lane order is start order, so the sweep stops at the first young entry. */
  readonly #calls: CallLane<Call>;
  /**
   * The no-response timers: one `setTimeout` for all calls instead of one per INVITE (a Timeout
   * object, a closure and a timer-list insertion and removal per call). Every attempt is armed
   * with the same `timeoutMs`, so arm order is deadline order: the calls wait in a queue, the
   * one timer fires for the queue's head, and a call answered, cancelled or moved on meanwhile
   * is skipped when its turn comes (its `deadline` no longer matches its queue entry).
   */
  readonly #waiting: (Call | undefined)[] = [];
  readonly #waitingUntil: number[] = [];
  #head = 0;
  /** Entries compacted off the queue's front so far: a call's `queued` minus this is its index. */
  #base = 0;
  #timer: NodeJS.Timeout | undefined;
  #expiring = false;

  /** `calls`: the call table shared with the other per-call concerns (a table of its own if absent). */
  constructor(opts: FailoverOptions, ctx: ProxyContext, resend: ResendRequest, hooks: FailoverHooks, calls: CallTable = new CallTable()) {
    let lane = lanes.get(calls);
    if (lane === undefined) lanes.set(calls, (lane = calls.lane()));
    this.#calls = lane;
    this.#opts = opts;
    this.#ctx = ctx;
    this.#resend = resend;
    this.#hooks = hooks;
  }

  setOptions(opts: FailoverOptions): void {
    this.#opts = opts;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** Whether out-of-dialog requests of this non-INVITE method fail over. */
  covers(method: string): boolean {
    return this.#opts.methods.has(method);
  }

  /**
   * An initial INVITE, or an out-of-dialog request of a covered method, was just sent to
   * `backend` with the branch of `attemptOf(req)` (0 for a new transaction); `sentBranch`: that
   * branch for attempt 0 when the caller just computed it for the send (not hashed again).
   */
  begin(req: SipRequest, from: MessageSource, vias: readonly Via[], backend: Backend, removeRoutes: readonly NameAddr[], mf: number | undefined, sentBranch?: string): void {
    const callId = req.callId();
    const invite = req.method === 'INVITE';
    const seq = req.cseq().seq;
    const known = this.#get(callId);
    if (known !== undefined) {
      // The INVITE machinery keeps its entry; a retransmission keeps the running transaction.
      if (known.invite || (known.method === req.method && known.seq === seq)) return;
      this.#disarm(known); // replaced below
    }
    // Branches the previous non-INVITE transaction of this Call-ID abandoned stay absorbed: their
    // late answers must not reach the caller after it has moved on (the next keep-alive).
    let abandoned: ReadonlyMap<string, Abandoned> = NONE_ABANDONED;
    if (known !== undefined && known.abandoned.size > 0) {
      const cutoff = this.#ctx.now() - this.#opts.rememberMs;
      const kept = new Map<string, Abandoned>();
      for (const [b, a] of known.abandoned) if (a.at > cutoff) kept.set(b, a);
      if (kept.size > 0) abandoned = kept;
    }
    const call: Call = {
      callId,
      invite,
      method: req.method,
      seq,
      kept: keep(req, removeRoutes),
      from,
      mf,
      attempt: 0,
      backend,
      tried: [backend.id],
      branch: sentBranch ?? computeBranch(req, vias[0]!, 0),
      abandoned,
      answered: false,
      early: false,
      cancelled: false,
      done: false,
      deadline: NOT_ARMED,
      queued: -1,
    };
    this.#calls.put(callId, call, this.#ctx.now());
    this.#arm(call);
  }

  /**
   * The attempt whose branch a request of this call must use: the INVITE's current one for its
   * retransmissions, CANCEL and ACK; for a non-INVITE, the current one only for a retransmission
   * of the same transaction (a new CSeq is a new transaction, attempt 0).
   */
  attemptOf(req: SipRequest): number {
    const c = this.#get(req.callId());
    if (c === undefined) return 0;
    if (c.invite) return c.attempt;
    return c.method === req.method && c.seq === req.cseq().seq ? c.attempt : 0;
  }

  /** Whether this call's INVITE waits on the no-response timer of its current attempt. */
  awaiting(callId: string): boolean {
    const c = this.#get(callId);
    return c !== undefined && c.invite && c.deadline !== NOT_ARMED;
  }

  /** The caller gave up (CANCEL): no further attempts. */
  cancelled(callId: string): void {
    const c = this.#get(callId);
    if (c?.invite !== true) return;
    c.cancelled = true;
    this.#disarm(c);
  }

  /**
   * A response to an INVITE with one of our Vias on top. Returns false when it must not be
   * relayed to the caller (an abandoned branch, or a failure we are failing over from).
   */
  onResponse(res: SipResponse): boolean {
    const c = this.#get(res.callId());
    if (c === undefined || c.method !== res.cseq().method) return true;
    const branch = res.topVia().branch;
    if (branch !== c.branch) {
      const a = branch === undefined ? undefined : c.abandoned.get(branch);
      if (a !== undefined) this.#absorbAbandoned(c, a, res);
      return a === undefined; // not ours to judge: relay
    }
    c.answered = true;
    this.#disarm(c);
    if (res.status > 100 && res.status < 200) c.early = true;
    if (res.status < 200 || c.done) return true;
    if (res.status >= 300 && !c.cancelled && !c.early && this.#opts.codes.has(res.status) && (this.#opts.relayed || this.#hooks.isOwnResponse(c.backend, res))) {
      const failed = c.backend;
      const viaLine = this.#viaLine(c);
      if (this.#next(c, `status-${res.status}`)) {
        // §17.1.1.3: a non-2xx final response to an INVITE is ACKed; a non-INVITE one never is.
        if (c.invite) this.#ctx.sender.send(buildAck(parsedKept(c.kept!)!.req, viaLine, res), failed);
        return false;
      }
    }
    this.#finish(c);
    return true;
  }

  /** A response addressed to siplb itself: the 200 to one of our CANCELs. True if consumed. */
  absorbLocal(res: SipResponse): boolean {
    if (res.cseq().method !== 'CANCEL') return false;
    const c = this.#get(res.callId());
    const b = res.topVia().branch;
    return c !== undefined && b !== undefined && c.abandoned.has(b);
  }

  /** Forget calls past the transaction lifetime. Coarse tick. */
  sweep(): void {
    const cutoff = this.#ctx.now() - this.#opts.rememberMs;
    for (let r = this.#calls.oldest(); r !== undefined && this.#calls.time(r) <= cutoff; r = this.#calls.oldest()) {
      this.#disarm(this.#calls.value(r)!);
      this.#calls.clear(r);
    }
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let r = this.#calls.oldest(); r !== undefined; r = this.#calls.oldest()) {
      this.#calls.value(r)!.deadline = NOT_ARMED;
      this.#calls.clear(r);
    }
    this.#base += this.#waiting.length;
    this.#waiting.length = 0;
    this.#waitingUntil.length = 0;
    this.#head = 0;
  }

  #get(callId: string): Call | undefined {
    const r = this.#calls.find(callId);
    return r === undefined ? undefined : this.#calls.value(r);
  }

  #viaLine(c: Call): string {
    return `${this.#ctx.self.viaPrefix(c.backend.transport)}${c.branch}\r\n`;
  }

  #arm(c: Call): void {
    // The timers' own clock (fake timers drive it in tests), not ctx.now, which may be another.
    c.deadline = performance.now() + this.#opts.timeoutMs;
    c.queued = this.#base + this.#waiting.length;
    this.#waiting.push(c);
    this.#waitingUntil.push(c.deadline);
    // While #expire runs it sets the timer itself, for the queue's first waiting call: arming
    // here too (a timed-out call moving on) would leave two timers running.
    if (this.#timer === undefined && !this.#expiring) this.#schedule(this.#opts.timeoutMs);
  }

  /** No timeout for `c` any more; its queue entry lets it go at once (an answered call is not kept ~timeoutMs longer). */
  #disarm(c: Call): void {
    if (c.deadline === NOT_ARMED) return;
    c.deadline = NOT_ARMED;
    const i = c.queued - this.#base;
    if (i >= this.#head && this.#waiting[i] === c) this.#waiting[i] = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#expire(), ms);
    this.#timer.unref();
  }

  /**
   * The shared timer fired: every call at the head of the queue whose deadline has come times
   * out. Entries of calls no longer waiting (answered, cancelled, moved on) are dropped whatever
   * their deadline, and the timer is set for the first call still waiting: under load nearly every
   * INVITE is answered within milliseconds, so the timer fires about once per `timeoutMs`, not
   * once per call (each firing is a loop wake-up, a Timeout and a timer-list insertion).
   */
  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const q = this.#waiting;
    const until = this.#waitingUntil;
    this.#expiring = true;
    try {
      while (this.#head < q.length) {
        const at = until[this.#head]!;
        const c = q[this.#head];
        const waiting = c !== undefined && c.deadline === at;
        // A timeout lowered by a reload leaves later deadlines behind earlier ones for a while:
        // those fire with the head, at most the old timeout late.
        if (waiting && at > now) {
          this.#schedule(Math.max(1, Math.ceil(at - now)));
          break;
        }
        q[this.#head++] = undefined; // let a finished call go
        if (waiting) this.#timedOut(c);
      }
    } finally {
      this.#expiring = false;
    }
    if (this.#head >= QUEUE_COMPACT || this.#head === q.length) {
      q.splice(0, this.#head);
      until.splice(0, this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  #timedOut(c: Call): void {
    const sentAt = c.deadline - this.#opts.timeoutMs;
    c.deadline = NOT_ARMED;
    if (c.answered || c.cancelled || c.done) return;
    // A node saturated (or losing datagrams) since the attempt left answers late or dropped the
    // answer itself: silence is no evidence against the backend, and a second copy of the INVITE
    // would only add load. Explicit failure codes still fail over.
    if (this.#ctx.admission?.lateSince(sentAt) === true) return;
    this.#next(c, 'timeout');
  }

  /** Move the call to the next candidate. False when none is left or attempts are used up. */
  #next(c: Call, reason: string): boolean {
    const kept = c.kept === undefined || c.attempt >= this.#opts.maxAttempts ? undefined : parsedKept(c.kept);
    if (kept === undefined) return false;
    // The best priority tier with an untried eligible backend: the tier in use while it has one
    // left, then the next (a standby site takes the call rather than the caller getting the error).
    const candidates = bestTier(this.#ctx.backends.eligible().filter((b) => !c.tried.includes(b.id) && b.id !== c.backend.id));
    if (candidates.length === 0) return false;
    // Deterministic per call, spread over the survivors (ds_next_dst walks the set in order).
    const next = candidates[(hashString(c.callId, 0x0f41) + c.attempt) % candidates.length]!;
    const failed = c.backend;
    const abandoned = c.abandoned === NONE_ABANDONED ? (c.abandoned = new Map<string, Abandoned>()) : (c.abandoned as Map<string, Abandoned>);
    abandoned.set(c.branch, { backend: failed, viaLine: this.#viaLine(c), cancelled: false, at: this.#ctx.now() });
    this.#hooks.onFailover(failed, c.callId, reason);
    c.attempt++;
    c.tried.push(next.id);
    c.backend = next;
    c.branch = computeBranch(kept.req, kept.vias[0]!, c.attempt);
    c.answered = false;
    c.early = false;
    this.#ctx.affinity.pin(c.callId, next.id, this.#ctx.now(), c.invite);
    this.#resend(kept.req, c.from!, kept.vias, next, kept.removeRoutes, c.mf, c.attempt);
    this.#arm(c);
    return true;
  }

  #absorbAbandoned(c: Call, a: Abandoned, res: SipResponse): void {
    // A non-INVITE branch is forgotten: no CANCEL (§9.1), no ACK (§17.1.2); its answer is absorbed.
    if (!c.invite) return;
    const req = c.kept === undefined ? undefined : parsedKept(c.kept)?.req;
    if (res.status < 200) {
      if (!a.cancelled && req !== undefined) {
        a.cancelled = true;
        this.#ctx.sender.send(buildCancel(req, a.viaLine), a.backend);
      }
    } else if (res.status >= 300 && req !== undefined) {
      // Every retransmission of the final response gets its ACK (§17.1.1.2 Timer D absorbs them at a UAC).
      this.#ctx.sender.send(buildAck(req, a.viaLine, res), a.backend);
    }
    // A 2xx from an abandoned branch after the caller was moved on cannot be merged statelessly:
    // it is dropped, as a stateless Kamailio would; the backend's dialog times out on its side.
  }

  #finish(c: Call): void {
    c.done = true;
    this.#disarm(c);
    if (c.attempt === 0 && c.abandoned.size === 0) {
      this.#calls.delete(c.callId);
      return;
    }
    // Keep the attempt number for the ACK/CANCEL branch, drop the heavy references (a non-INVITE
    // never needs its request again: its abandoned branches get no CANCEL or ACK).
    if (c.abandoned.size === 0 || !c.invite) {
      c.kept = undefined;
      c.from = undefined;
    }
  }
}
