/**
 * @module proxy/failover-contract
 * Serial failover as the rest of the proxy sees it: its options and the calls the request path,
 * the response path and app.ts make on it. ./serial-failover.ts implements it; ./context.ts holds
 * one, so neither of the two imports the other's module for its type.
 */
import type { Backend } from '../backends/registry.js';
import type { NameAddr, SipRequest, SipResponse, Via } from '../sip/message.js';
import type { MessageSource } from '../transport/contract.js';

export interface FailoverOptions {
  /** ms without any response before the next backend is tried. @default 400 */
  readonly timeoutMs: number;
  /**
   * Final responses that move the INVITE to the next backend, as long as no provisional response
   * other than 100 came first. A timeout (no response at all within `timeoutMs`) always does.
   * @default 503
   */
  readonly codes: ReadonlySet<number>;
  /**
   * Also fail over on a failure code the backend only relayed from downstream (see
   * health/response-origin.ts). Off by default: another proxy would mostly reach the same
   * downstream, which has already seen this very request and may reject the copy as merged
   * (RFC 3261 §8.2.2.2: same From tag, Call-ID and CSeq → 482). @default false
   */
  readonly relayed: boolean;
  /** Further backends tried at most. @default 2 */
  readonly maxAttempts: number;
  /** How long a failed-over call's branch is remembered (transaction lifetime). @default 32000 */
  readonly rememberMs: number;
  /** Non-INVITE methods whose out-of-dialog requests fail over too. @default REGISTER, MESSAGE, SUBSCRIBE */
  readonly methods: ReadonlySet<string>;
}

/** Serial failover of initial INVITEs and covered non-INVITEs (./serial-failover.ts). */
export interface Failover {
  /** Whether out-of-dialog requests of this non-INVITE method fail over. */
  covers(method: string): boolean;
  /** A new transaction was just sent to `backend` with the branch of `attemptOf(req)`. */
  begin(req: SipRequest, from: MessageSource, vias: readonly Via[], backend: Backend, removeRoutes: readonly NameAddr[], mf: number | undefined, sentBranch?: string): void;
  /** The attempt whose branch a request of this call must use (0 for a new transaction). */
  attemptOf(req: SipRequest): number;
  /** Whether this call's INVITE waits on the no-response timer of its current attempt (which moves it on). */
  awaiting(callId: string): boolean;
  /** The caller gave up (CANCEL): no further attempts. */
  cancelled(callId: string): void;
  /** A response with one of our Vias on top; false when it must not be relayed to the caller. */
  onResponse(res: SipResponse): boolean;
  /** A response addressed to siplb itself (the 200 to one of our CANCELs); true if consumed. */
  absorbLocal(res: SipResponse): boolean;
  /** Forget calls past the transaction lifetime. */
  sweep(): void;
  /** Forget every call (failover turned off). */
  clear(): void;
  /** A reload changed the options. */
  setOptions(opts: FailoverOptions): void;
}
