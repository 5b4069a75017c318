/**
 * @module api/control
 * The node's control API, a neutral contract: the shapes the admin HTTP API serves, the CLI reads
 * and the metrics collectors scrape (all type-only), and the
 * in-process control interface the app implements and the admin server calls.
 */
import type { ConfigIssue } from '../config/errors.js';
import type { DnsEntryStatus } from '../dns/refresher.js';
import type { RuntimeFacts } from '../runtime/node-version.js';
import type { FlowView } from '../observe/flow-counters.js';

export type { FlowView } from '../observe/flow-counters.js';

export type Role = 'standalone' | 'leader' | 'follower';
export type HealthName = 'up' | 'failing' | 'down' | 'recovering';
export type AdminStateName = 'enabled' | 'disabled' | 'draining';

export interface BackendView {
  readonly id: string;
  /** `host:port`. */
  readonly address: string;
  readonly weight: number;
  /** Priority tier (`backends[].priority`): new calls go to the lowest tier that has an eligible backend. */
  readonly priority: number;
  readonly health: HealthName;
  readonly admin: AdminStateName;
  /** May take new calls now (health serving, admin enabled, no Retry-After hold). */
  readonly eligible: boolean;
  /** RTT of the last answered probe in ms, or null before the first. */
  readonly lastRttMs: number | null;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Established dialogs on this backend (INVITE 2xx seen, BYE not yet). */
  readonly activeCalls: number;
  /** INVITEs sent and not yet finally answered. */
  readonly pendingInvites: number;
  /** Draining and no active calls or pending INVITEs left. */
  readonly drained: boolean;
  /** When health last changed (ISO 8601). */
  readonly since: string;
  /** Why health last changed: 'start', 'probe-ok', 'probe-timeout', 'status-503', 'blamed-status', 'failover', 'admin', ... */
  readonly reason: string;
  /** Retry-After hold end (ISO 8601), or null. */
  readonly holdUntil: string | null;
}

/** Overload control (`overload.*`): what share of new calls the node admits, and why. */
export interface OverloadView {
  readonly enabled: boolean;
  /** New calls are being shed with 503 + Retry-After. */
  readonly shedding: boolean;
  /** Shedding, or busy for a second: the node's own late answers are not held against backends. */
  readonly saturated: boolean;
  /** Share of new INVITEs admitted (1 = all). */
  readonly admitFraction: number;
  /** Longest time (ms) the SIP socket's receive queue stayed non-empty in the last window. */
  readonly queueDelayMs: number;
  /** Datagrams the kernel dropped from the SIP socket's full receive queue since start. */
  readonly kernelDrops: number;
  /** Event-loop utilization in the last window (0..1). */
  readonly utilization: number;
}

export interface ConnectionsView {
  /** Open now, by `tcp/in`, `tcp/out`, `tls/in`, `tls/out`. */
  readonly open: Readonly<Record<string, number>>;
  readonly tlsHandshakesInFlight: number;
  readonly accepted: number;
  /** Refused at accept, by reason (total-cap, per-ip-cap, tls-handshake-cap). */
  readonly refused: Readonly<Record<string, number>>;
  /** Closed, by reason (peer, idle, first-byte-timeout, framing, tls-handshake, …). */
  readonly closed: Readonly<Record<string, number>>;
}

export interface StatusView {
  readonly nodeId: string;
  readonly version: string;
  /** The Node.js runtime this node runs on (Node version, V8, platform, arch, pid). */
  readonly runtime: RuntimeFacts;
  /** What carries the UDP sockets: the native accelerator or node:dgram (sip.udpEngine). */
  readonly udpEngine: 'native' | 'dgram';
  /** TCP and TLS connections, both ways: open now by `transport/direction`, and totals since start. */
  readonly connections: ConnectionsView;
  readonly role: Role;
  readonly uptimeSeconds: number;
  readonly listen: string;
  readonly advertise: string;
  readonly mode: string;
  /** The balancing settings in force: what a new request is hashed on, when failover and health blame apply. */
  readonly balance: BalanceView;
  readonly configFile: string | null;
  readonly backends: { readonly total: number; readonly eligible: number; readonly up: number; readonly down: number };
  readonly calls: { readonly active: number };
  readonly counters: { readonly dropped: Readonly<Record<string, number>>; readonly rejected: Readonly<Record<string, number>> };
  readonly overload: OverloadView;
  /** Abuse protection; absent from nodes older than it. */
  readonly security?: SecurityView;
  /** Backends from DNS (backends[].host / .srv), one per name; absent from nodes older than it. */
  readonly dns?: readonly DnsNameView[];
  /** Flow tokens (Path, Record-Route; RFC 5626); absent from nodes older than it. */
  readonly flows?: FlowView;
}

/** Where DNS-derived backends came from: one configured host or SRV name and its last answer. */
export type DnsNameView = DnsEntryStatus;

/** Abuse protection at a glance: settings, refusals by reason, the worst sources. */
export interface SecurityView {
  readonly trustedSources: number;
  readonly untrusted: 'reject' | 'drop';
  readonly rateLimit: { readonly enabled: boolean; readonly perSecond: number; readonly burst: number; readonly blockForSeconds: number };
  readonly scannerSignatures: number;
  /** Source addresses remembered now (bounded by security.maxSources). */
  readonly trackedSources: number;
  /** Requests refused since start, by reason: untrusted, rate-limited, flood, blocked, scanner. */
  readonly refused: Readonly<Record<string, number>>;
  /** The sources with the most refused requests (security.topOffenders at most), most first. */
  readonly topOffenders: readonly OffenderView[];
}

export interface OffenderView {
  readonly address: string;
  readonly refused: number;
  readonly lastReason: string;
  /** Seconds of block left; 0 when not blocked. */
  readonly blockedSeconds: number;
  readonly lastSeenSecondsAgo: number;
}

export interface BalanceView {
  readonly mode: string;
  /** Hash key per request kind (used in mode "hash" only). */
  readonly hashKeys: { readonly register: string; readonly registered: string; readonly other: string };
  /** What sends an INVITE to the next backend: 'timeout' and final response codes; empty when off. */
  readonly failoverOn: readonly (number | 'timeout')[];
  readonly failoverMaxAttempts: number;
  /** Whether failover codes count when the backend only relayed them. */
  readonly failoverRelayed: boolean;
  /** Out-of-dialog non-INVITE methods that fail over too (failover.methods); empty when failover is off. */
  readonly failoverMethods: readonly string[];
  /** Where devices go once a failed backend returns (balance.failback). */
  readonly failback: 'hold-registrations' | 'immediate';
  /** What counts against a backend's health from live traffic; empty when passive checks are off. */
  readonly blameOn: readonly (number | 'timeout')[];
  /** Whether blamed codes count when the backend only relayed them. */
  readonly blameRelayed: boolean;
}

export interface LeaderView {
  readonly role: Role;
  readonly nodeId: string;
  readonly isLeader: boolean;
  readonly fencingToken: number | null;
  readonly leaderChanges: number;
}

export type ReloadView =
  | { readonly ok: true; readonly changes: readonly string[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** One recent health or admin state change (GET /activity). */
export interface TransitionView {
  /** ISO 8601. */
  readonly at: string;
  readonly backend: string;
  /** 'health': probes or traffic; 'admin': an operator (API, CLI, status page, another HA node). */
  readonly kind: 'health' | 'admin';
  readonly from: string;
  readonly to: string;
  /** 'probe-timeout', 'probe-ok', 'status-503', ... for health; 'operator' for admin. */
  readonly reason: string;
}

/** The recent past of one backend (GET /activity). */
export interface BackendActivityView {
  readonly id: string;
  /** New calls per second sent to it, averaged over the last 5 complete seconds. */
  readonly callsPerSecond: number;
  /** Probe results of the last minutes, oldest first: [wall-clock ms, RTT ms or null for a timeout]. */
  readonly rtt: readonly (readonly [number, number | null])[];
}

/** Body of `GET /activity`: what the status page draws beyond GET /backends. */
export interface ActivityView {
  /** Newest last; at most 50. */
  readonly transitions: readonly TransitionView[];
  readonly backends: readonly BackendActivityView[];
}

/** Body of every error answer of the admin API. */
export interface AdminErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** What the admin server may do to a running node. Implemented in app.ts. */
export interface AdminControl {
  status(): StatusView;
  backends(): readonly BackendView[];
  /** Throws SiplbError('SIPLB_ERR_UNKNOWN_BACKEND') for an unknown id. */
  setAdminState(id: string, state: AdminStateName): BackendView;
  reload(): Promise<ReloadView>;
  leader(): LeaderView;
  /** Overload control now (also part of status()). */
  overload(): OverloadView;
  /** Recent transitions, probe RTTs and calls/s (the status page). */
  activity(): ActivityView;
}

/**
 * Body of `POST /reload` when the new configuration is invalid (HTTP 422): the failed
 * ReloadView and an AdminErrorBody with code SIPLB_ERR_CONFIG_INVALID, so both a reader of
 * ReloadView and a generic error handler understand it.
 */
export type ReloadFailedBody = Extract<ReloadView, { ok: false }> & AdminErrorBody;

/** Body of `POST /backends/:id/state`. */
export interface SetAdminStateBody {
  readonly state: AdminStateName;
}

/** Body of `GET /healthz`. */
export interface HealthzView {
  readonly ok: true;
}
