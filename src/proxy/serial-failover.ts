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
 * This is the one piece of per-call state on the request path; it lives only until the INVITE's
 * final response (and, for a call that did fail over, until the transaction lifetime ends so its
 * CANCEL and ACK still get the right branch).
 */
import type { RemoteInfo } from 'node:dgram';
import { hashString } from '../balance/hash.js';
import { bestTier } from '../balance/tiers.js';
import type { Backend } from '../backends/registry.js';
import type { NameAddr, SipRequest, SipResponse, Via } from '../sip/message.js';
import { computeBranch } from './branch.js';
import type { ProxyContext } from './context.js';
import { buildAck, buildCancel } from './hop-requests.js';

export interface FailoverOptions {
  /** ms without any response before the next backend is tried. @default 400 */
  readonly timeoutMs: number;
  /** Final responses that move the INVITE to the next backend. @default 503, 408, 500 */
  readonly codes: ReadonlySet<number>;
  /** Further backends tried at most. @default 2 */
  readonly maxAttempts: number;
  /** How long a failed-over call's branch is remembered (transaction lifetime). @default 32000 */
  readonly rememberMs: number;
}

/** The forwarding the proxy does; injected to keep this module free of the request path. */
export type ResendInvite = (req: SipRequest, from: RemoteInfo, vias: readonly Via[], backend: Backend, removeRoute: NameAddr | undefined, mf: number | undefined, attempt: number) => void;

interface Abandoned {
  readonly backend: Backend;
  readonly viaLine: string;
  cancelled: boolean;
}

interface Call {
  readonly callId: string;
  req: SipRequest | undefined;
  from: RemoteInfo | undefined;
  vias: readonly Via[] | undefined;
  readonly removeRoute: NameAddr | undefined;
  readonly mf: number | undefined;
  attempt: number;
  backend: Backend;
  readonly tried: string[];
  branch: string;
  readonly abandoned: Map<string, Abandoned>;
  answered: boolean;
  cancelled: boolean;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly startedAt: number;
}

export interface FailoverHooks {
  /** A backend failed an attempt: count it as a passive failure, publish, forget its pending INVITE. */
  onFailover(failed: Backend, callId: string, reason: string): void;
}

export class SerialFailover {
  #opts: FailoverOptions;
  readonly #ctx: ProxyContext;
  readonly #resend: ResendInvite;
  readonly #hooks: FailoverHooks;
  /** Call-ID → call; Map order is start order, so the sweep stops at the first young entry. */
  readonly #calls = new Map<string, Call>();

  constructor(opts: FailoverOptions, ctx: ProxyContext, resend: ResendInvite, hooks: FailoverHooks) {
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

  /** An initial INVITE was just sent to `backend` (attempt 0). */
  begin(req: SipRequest, from: RemoteInfo, vias: readonly Via[], backend: Backend, removeRoute: NameAddr | undefined, mf: number | undefined): void {
    const callId = req.callId();
    if (this.#calls.has(callId)) return;
    const call: Call = {
      callId,
      req,
      from,
      vias,
      removeRoute,
      mf,
      attempt: 0,
      backend,
      tried: [backend.id],
      branch: computeBranch(req, vias[0]!, 0),
      abandoned: new Map(),
      answered: false,
      cancelled: false,
      done: false,
      timer: undefined,
      startedAt: this.#ctx.now(),
    };
    this.#calls.set(callId, call);
    this.#arm(call);
  }

  /** The attempt whose branch requests of this call (INVITE retransmission, CANCEL, ACK) must use. */
  attemptOf(callId: string): number {
    return this.#calls.get(callId)?.attempt ?? 0;
  }

  /** The caller gave up (CANCEL): no further attempts. */
  cancelled(callId: string): void {
    const c = this.#calls.get(callId);
    if (!c) return;
    c.cancelled = true;
    clearTimeout(c.timer);
  }

  /**
   * A response to an INVITE with one of our Vias on top. Returns false when it must not be
   * relayed to the caller (an abandoned branch, or a failure we are failing over from).
   */
  onResponse(res: SipResponse): boolean {
    const c = this.#calls.get(res.callId());
    if (c === undefined) return true;
    const branch = res.topVia().branch;
    if (branch !== c.branch) {
      const a = branch === undefined ? undefined : c.abandoned.get(branch);
      if (a !== undefined) this.#absorbAbandoned(c, a, res);
      return a === undefined; // not ours to judge: relay
    }
    c.answered = true;
    clearTimeout(c.timer);
    if (res.status < 200 || c.done) return true;
    if (res.status >= 300 && !c.cancelled && this.#opts.codes.has(res.status)) {
      const failed = c.backend;
      const viaLine = this.#viaLine(c);
      if (this.#next(c, `status-${res.status}`)) {
        this.#ctx.sender.send(buildAck(c.req!, viaLine, res), failed.port, failed.host);
        return false;
      }
    }
    this.#finish(c);
    return true;
  }

  /** A response addressed to siplb itself: the 200 to one of our CANCELs. True if consumed. */
  absorbLocal(res: SipResponse): boolean {
    if (res.cseq().method !== 'CANCEL') return false;
    const c = this.#calls.get(res.callId());
    const b = res.topVia().branch;
    return c !== undefined && b !== undefined && c.abandoned.has(b);
  }

  /** Forget calls past the transaction lifetime. Coarse tick. */
  sweep(): void {
    const cutoff = this.#ctx.now() - this.#opts.rememberMs;
    for (const [id, c] of this.#calls) {
      if (c.startedAt > cutoff) break;
      clearTimeout(c.timer);
      this.#calls.delete(id);
    }
  }

  clear(): void {
    for (const c of this.#calls.values()) clearTimeout(c.timer);
    this.#calls.clear();
  }

  #viaLine(c: Call): string {
    return `${this.#ctx.self.viaLinePrefix}${c.branch}\r\n`;
  }

  #arm(c: Call): void {
    c.timer = setTimeout(() => {
      if (c.answered || c.cancelled || c.done) return;
      // A saturated node answers late itself: silence is no evidence against the backend, and a
      // second copy of the INVITE would only add load. Explicit failure codes still fail over.
      if (this.#ctx.admission?.saturated === true) return;
      if (!this.#next(c, 'timeout')) c.timer = undefined;
    }, this.#opts.timeoutMs);
    c.timer.unref();
  }

  /** Move the call to the next candidate. False when none is left or attempts are used up. */
  #next(c: Call, reason: string): boolean {
    if (c.req === undefined || c.attempt >= this.#opts.maxAttempts) return false;
    // The best priority tier with an untried eligible backend: the tier in use while it has one
    // left, then the next (a standby site takes the call rather than the caller getting the error).
    const candidates = bestTier(this.#ctx.backends.eligible().filter((b) => !c.tried.includes(b.id) && b.id !== c.backend.id));
    if (candidates.length === 0) return false;
    // Deterministic per call, spread over the survivors (ds_next_dst walks the set in order).
    const next = candidates[(hashString(c.callId, 0x0f41) + c.attempt) % candidates.length]!;
    const failed = c.backend;
    c.abandoned.set(c.branch, { backend: failed, viaLine: this.#viaLine(c), cancelled: false });
    this.#hooks.onFailover(failed, c.callId, reason);
    c.attempt++;
    c.tried.push(next.id);
    c.backend = next;
    c.branch = computeBranch(c.req, c.vias![0]!, c.attempt);
    c.answered = false;
    this.#ctx.affinity.pin(c.callId, next.id, this.#ctx.now(), true);
    this.#resend(c.req, c.from!, c.vias!, next, c.removeRoute, c.mf, c.attempt);
    this.#arm(c);
    return true;
  }

  #absorbAbandoned(c: Call, a: Abandoned, res: SipResponse): void {
    if (res.status < 200) {
      if (!a.cancelled && c.req !== undefined) {
        a.cancelled = true;
        this.#ctx.sender.send(buildCancel(c.req, a.viaLine), a.backend.port, a.backend.host);
      }
    } else if (res.status >= 300 && c.req !== undefined) {
      // Every retransmission of the final response gets its ACK (§17.1.1.2 Timer D absorbs them at a UAC).
      this.#ctx.sender.send(buildAck(c.req, a.viaLine, res), a.backend.port, a.backend.host);
    }
    // A 2xx from an abandoned branch after the caller was moved on cannot be merged statelessly:
    // it is dropped, as a stateless Kamailio would; the backend's dialog times out on its side.
  }

  #finish(c: Call): void {
    c.done = true;
    clearTimeout(c.timer);
    if (c.attempt === 0 && c.abandoned.size === 0) {
      this.#calls.delete(c.callId);
      return;
    }
    // Keep the attempt number for the ACK/CANCEL branch, drop the heavy references.
    if (c.abandoned.size === 0) {
      c.req = undefined;
      c.from = undefined;
      c.vias = undefined;
    }
  }
}
