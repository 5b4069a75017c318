/**
 * @module security/policy
 * The abuse-protection decision for one request from a source that is not a backend (Kamailio's
 * pike + secfilter + permissions, OpenSIPS's ratelimit, in one place). In order:
 * 1. a scanner's User-Agent → dropped silently (scanners map networks by what answers);
 * 2. a source in `trustedSources` → passes, exempt from the rate limit;
 * 3. a source blocked for flooding → dropped silently until its block ends;
 * 4. the per-source token bucket on new (out-of-dialog) requests: over it → 503 with Retry-After
 *    (RFC 3261 §21.5.4: a well-behaved client backs off); a source that sends on regardless, more
 *    than `burst` refused requests in a row, is blocked for `blockFor` and dropped silently, so
 *    siplb stops spending replies on it (and a spoofed source cannot use it as a reflector);
 * 5. with a non-empty `trustedSources`, any other source → 403 (or silence, `untrusted: drop`).
 * Pure: no sockets, timers or logs; the time is passed in. A passing request from a known source
 * allocates nothing.
 */
import { CidrSet } from './cidr.js';
import { SignatureMatcher } from './signatures.js';
import { REFUSAL_REASONS, SourceTable, type RefusalReason } from './source-table.js';
import { take, type BucketRate } from './token-bucket.js';

export type UntrustedAction = 'reject' | 'drop';

export interface SecurityOptions {
  /** CIDRs allowed to start calls; empty: every source. */
  readonly trustedSources: readonly string[];
  readonly untrusted: UntrustedAction;
  readonly rateLimit: {
    readonly enabled: boolean;
    readonly perSecond: number;
    readonly burst: number;
    /** ms */
    readonly blockFor: number;
  };
  readonly scanners: { readonly enabled: boolean; readonly userAgents: readonly string[] };
  /** Most source addresses remembered at once. */
  readonly maxSources: number;
  /** Length of the top-offenders list. */
  readonly topOffenders: number;
}

export type Verdict = 'pass' | 'reject-untrusted' | 'drop-untrusted' | 'reject-rate-limited' | 'drop-flood' | 'drop-blocked' | 'drop-scanner';

const REASON_OF: Readonly<Record<Exclude<Verdict, 'pass'>, RefusalReason>> = {
  'reject-untrusted': 'untrusted',
  'drop-untrusted': 'untrusted',
  'reject-rate-limited': 'rate-limited',
  'drop-flood': 'flood',
  'drop-blocked': 'blocked',
  'drop-scanner': 'scanner',
};

export function reasonOf(v: Exclude<Verdict, 'pass'>): RefusalReason {
  return REASON_OF[v];
}

/** One entry of the top-offenders view (GET /status, `siplb status`). */
export interface Offender {
  readonly address: string;
  readonly refused: number;
  readonly lastReason: RefusalReason;
  /** Seconds of block left; 0 when not blocked. */
  readonly blockedSeconds: number;
  /** Seconds since its last refused request. */
  readonly lastSeenSecondsAgo: number;
}

/** Where the User-Agent value lies in the datagram; start < 0 when the request has none. */
export interface UserAgentSpan {
  readonly buf: Uint8Array;
  readonly start: number;
  readonly end: number;
}

export class SecurityPolicy {
  #opts!: SecurityOptions;
  #trusted!: CidrSet;
  #scanners!: SignatureMatcher;
  #rate!: BucketRate;
  #table: SourceTable;
  readonly #counts: Record<RefusalReason, number> = { untrusted: 0, 'rate-limited': 0, flood: 0, blocked: 0, scanner: 0 };

  constructor(opts: SecurityOptions) {
    this.#table = new SourceTable(opts.maxSources);
    this.reconfigure(opts);
  }

  /** Applies new options (config reload); remembered sources, blocks and counts stay. */
  reconfigure(opts: SecurityOptions): void {
    this.#opts = opts;
    this.#trusted = new CidrSet(opts.trustedSources);
    this.#scanners = new SignatureMatcher(opts.scanners.enabled ? opts.scanners.userAgents : []);
    this.#rate = { perSecond: opts.rateLimit.perSecond, burst: opts.rateLimit.burst };
  }

  /**
   * Whether `check` looks at `newRequest`. Telling an in-dialog request from a new one means
   * parsing the To header; callers skip that when the rate limit is off.
   */
  get limitsNewRequests(): boolean {
    return this.#opts.rateLimit.enabled;
  }

  /** Retry-After seconds in the 503 of a rate-limited request: when the next token is due. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(1 / this.#rate.perSecond));
  }

  /**
   * The verdict for one request from `ip` (not a backend). `newRequest`: out of dialog (no To tag)
   * and not an ACK, so it counts against the rate limit; in-dialog requests only meet the scanner,
   * block and trust checks.
   */
  check(ip: string, ua: Uint8Array | undefined, uaStart: number, uaEnd: number, newRequest: boolean, nowMs: number): Verdict {
    const o = this.#opts;
    if (ua !== undefined && this.#scanners.size > 0 && this.#scanners.matches(ua, uaStart, uaEnd)) return this.#refuse(ip, 'drop-scanner', nowMs);
    const listed = this.#trusted.size > 0;
    if (listed && this.#trusted.has(ip)) return 'pass';
    // Nothing remembered yet (no limit, nothing refused): skip hashing the address.
    const known = this.#table.size === 0 ? undefined : this.#table.get(ip);
    if (known !== undefined && known.blockedUntil > nowMs) return this.#refuse(ip, 'drop-blocked', nowMs);
    if (o.rateLimit.enabled && newRequest) {
      const s = known ?? this.#table.obtain(ip, this.#rate, nowMs);
      if (take(s, this.#rate, nowMs)) s.strikes = 0;
      else if (++s.strikes > this.#rate.burst) {
        s.strikes = 0;
        s.blockedUntil = nowMs + o.rateLimit.blockFor;
        return this.#refuse(ip, 'drop-flood', nowMs);
      } else return this.#refuse(ip, 'reject-rate-limited', nowMs);
    }
    if (listed) return this.#refuse(ip, o.untrusted === 'reject' ? 'reject-untrusted' : 'drop-untrusted', nowMs);
    return 'pass';
  }

  #refuse(ip: string, v: Exclude<Verdict, 'pass'>, nowMs: number): Verdict {
    const reason = REASON_OF[v];
    this.#counts[reason]++;
    const s = this.#table.obtain(ip, this.#rate, nowMs);
    s.refused++;
    s.lastReason = reason;
    s.lastRefusedAt = nowMs;
    return v;
  }

  /** Refused requests since start, by reason (every reason present, at 0 too). */
  counts(): Readonly<Record<RefusalReason, number>> {
    return { ...this.#counts };
  }

  /** Source addresses remembered now (bounded by maxSources). */
  get trackedSources(): number {
    return this.#table.size;
  }

  /** The sources with the most refused requests, most first (at most `topOffenders`). */
  offenders(nowMs: number): Offender[] {
    const out: Offender[] = [];
    for (const [address, s] of this.#table.entries()) {
      if (s.refused === 0 || s.lastReason === undefined) continue;
      out.push({
        address,
        refused: s.refused,
        lastReason: s.lastReason,
        blockedSeconds: s.blockedUntil > nowMs ? Math.ceil((s.blockedUntil - nowMs) / 1000) : 0,
        lastSeenSecondsAgo: Math.max(0, Math.round((nowMs - s.lastRefusedAt) / 1000)),
      });
    }
    out.sort((a, b) => b.refused - a.refused || (a.address < b.address ? -1 : 1));
    return out.slice(0, this.#opts.topOffenders);
  }
}

export { REFUSAL_REASONS };
export type { RefusalReason };
