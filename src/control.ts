/**
 * @module control
 * The in-process control surface of a running node (AdminControl): status, backends with health
 * and admin state, admin changes, reload, leader view. The admin HTTP API and the metrics
 * collectors read the node only through this.
 */
import type { ActivityView, AdminControl, AdminStateName, BackendView, BalanceView, LeaderView, OverloadView, ReloadView, Role, SecurityView, StatusView } from './api/control.js';
import type { App } from './app.js';
import type { Config } from './config/schema.js';
import type { ConfigIssue } from './config/errors.js';
import { SiplbError } from './errors.js';
import { channels } from './observe/channels.js';
import type { RecentActivity } from './observe/recent.js';
import { runtimeFacts } from './runtime/facts.js';
import { formatListen } from './config/address.js';
import { hostportText } from './transport/address.js';

export const VERSION = '0.1.0';

export interface LeaderSource {
  role(): Role;
  fencingToken(): number | null;
  leaderChanges(): number;
}

export const STANDALONE: LeaderSource = { role: () => 'standalone', fencingToken: () => null, leaderChanges: () => 0 };

export interface ControlDeps {
  readonly app: App;
  readonly configFile: string | null;
  /** Re-reads and validates the config file (main.ts passes the loader with its overrides). */
  readonly loadConfig: () => Promise<{ ok: true; config: Config } | { ok: false; issues: ConfigIssue[] }>;
  leader: LeaderSource;
  /** Monotonic ms → wall clock conversion for `since` fields. */
  readonly now: () => number;
  /** Recent transitions, RTTs and calls/s for GET /activity; without it the activity is empty. */
  readonly recent?: RecentActivity;
}

function overloadView(app: App): OverloadView {
  const a = app.admission;
  const st = a.state();
  return {
    enabled: a.enabled,
    shedding: a.shedding,
    saturated: a.saturated,
    admitFraction: Math.round(st.admitFraction * 1000) / 1000,
    queueDelayMs: Math.round(st.queueDelayMs),
    kernelDrops: st.kernelDrops,
    utilization: Math.round(st.utilization * 1000) / 1000,
  };
}

/** The effective balancing, failover and blame settings of a config. */
export function balanceView(c: Config): BalanceView {
  const f = c.failover;
  return {
    mode: c.balance.mode,
    hashKeys: { ...c.balance.hashKey },
    failoverOn: f.enabled && f.maxAttempts > 1 ? ['timeout', ...f.codes] : [],
    failoverMaxAttempts: f.enabled ? f.maxAttempts : 1,
    failoverRelayed: f.relayed,
    failoverMethods: f.enabled && f.maxAttempts > 1 ? [...f.methods] : [],
    failback: c.balance.failback,
    blameOn: c.passive.enabled ? ['timeout', ...c.passive.blameCodes] : [],
    blameRelayed: c.passive.blameRelayed,
  };
}

export function createControl(deps: ControlDeps): AdminControl {
  const { app } = deps;
  const wallClock = (monoMs: number): string => new Date(Date.now() - (deps.now() - monoMs)).toISOString();

  const backendView = (id: string): BackendView => {
    const b = app.backends.byId(id);
    const h = app.health.view(id);
    if (!b || !h) throw new SiplbError('SIPLB_ERR_UNKNOWN_BACKEND', `no backend '${id}' (see GET /backends for the configured ids)`);
    const activeCalls = app.dialogs.active(id);
    const pendingInvites = app.passive.pendingInvites(id);
    const s = h.state;
    return {
      id,
      address: b.key,
      weight: b.weight,
      priority: b.priority ?? 0,
      health: s.health,
      admin: s.admin,
      eligible: h.eligible,
      lastRttMs: h.lastRttMs === null ? null : Math.round(h.lastRttMs * 1000) / 1000,
      consecutiveFailures: s.failStreak,
      consecutiveSuccesses: s.okStreak,
      activeCalls,
      pendingInvites,
      drained: s.admin === 'draining' && activeCalls === 0 && pendingInvites === 0,
      since: wallClock(s.sinceMs),
      reason: s.reason,
      holdUntil: s.holdUntilMs > deps.now() ? wallClock(s.holdUntilMs) : null,
    };
  };

  let reloading: Promise<ReloadView> | undefined;
  const reload = async (): Promise<ReloadView> => {
    const r = await deps.loadConfig();
    if (!r.ok) {
      app.logger.error({ issues: r.issues }, 'config reload refused: the running config stays');
      if (channels.reload.hasSubscribers) channels.reload.publish({ ok: false });
      return { ok: false, issues: r.issues };
    }
    // Certificates are re-read on every reload (renewed in place, e.g. by certbot): new handshakes
    // get them, open connections stay up. Unusable files refuse the reload; the old ones stay.
    try {
      await app.reloadCertificates();
    } catch (err) {
      const issues: ConfigIssue[] = [{ path: 'sip.tls.cert', reason: (err as Error).message, fix: 'fix the certificate, key or CA file; the running certificate stays in use' }];
      app.logger.error({ issues }, 'config reload refused: the running config stays');
      if (channels.reload.hasSubscribers) channels.reload.publish({ ok: false });
      return { ok: false, issues };
    }
    const changes = app.applyConfig(r.config);
    app.logger.info({ changes }, 'config reloaded');
    if (channels.reload.hasSubscribers) channels.reload.publish({ ok: true });
    return { ok: true, changes };
  };

  const runtime = runtimeFacts();
  return {
    status(): StatusView {
      const c = app.config();
      const views = app.backends.all.map((b) => app.health.view(b.id));
      return {
        nodeId: c.node.id,
        version: VERSION,
        runtime,
        udpEngine: app.udpEngine,
        role: deps.leader.role(),
        uptimeSeconds: Math.round((Date.now() - app.startedAt) / 1000),
        listen: c.sip.listen.map(formatListen).join(', '),
        advertise: hostportText(c.sip.advertise ?? c.sip.listen[0]!),
        mode: c.balance.mode,
        balance: balanceView(c),
        configFile: deps.configFile,
        backends: {
          total: views.length,
          eligible: views.filter((v) => v?.eligible).length,
          up: views.filter((v) => v?.state.health === 'up' || v?.state.health === 'failing').length,
          down: views.filter((v) => v?.state.health === 'down' || v?.state.health === 'recovering').length,
        },
        calls: { active: app.dialogs.total },
        counters: app.counters(),
        overload: overloadView(app),
        security: securityView(app, c, deps.now()),
        ...(c.dnsBackends.length > 0 ? { dns: app.dns.status() } : {}),
        connections: app.connectionStats(),
        flows: app.flows(),
      };
    },
    backends: () => app.backends.all.map((b) => backendView(b.id)),
    setAdminState(id: string, state: AdminStateName): BackendView {
      app.health.setAdmin(id, state);
      return backendView(id);
    },
    reload(): Promise<ReloadView> {
      // Two reloads at once would race on the file: the second waits for the first.
      reloading = (reloading ?? Promise.resolve()).then(reload, reload);
      return reloading;
    },
    overload: () => overloadView(app),
    activity(): ActivityView {
      const recent = deps.recent;
      const ids = app.backends.all.map((b) => b.id);
      if (recent === undefined) return { transitions: [], backends: ids.map((id) => ({ id, callsPerSecond: 0, rtt: [] })) };
      const configured = new Set(ids);
      recent.retain(configured);
      return {
        transitions: recent.transitions().map((t) => ({ ...t, at: new Date(t.at).toISOString() })),
        backends: ids.map((id) => ({
          id,
          callsPerSecond: Math.round(recent.callsPerSecond(id) * 10) / 10,
          rtt: recent.rtt(id).map((r) => [r.at, r.ms === null ? null : Math.round(r.ms * 1000) / 1000] as const),
        })),
      };
    },
    leader(): LeaderView {
      const role = deps.leader.role();
      return {
        role,
        nodeId: app.config().node.id,
        isLeader: role === 'leader' || role === 'standalone',
        fencingToken: deps.leader.fencingToken(),
        leaderChanges: deps.leader.leaderChanges(),
      };
    },
  };
}

/** Abuse protection for GET /status; `nowMs` on the proxy's clock. */
function securityView(app: App, c: Config, nowMs: number): SecurityView {
  const s = c.security;
  return {
    trustedSources: s.trustedSources.length,
    untrusted: s.untrusted,
    rateLimit: { enabled: s.rateLimit.enabled, perSecond: s.rateLimit.perSecond, burst: s.rateLimit.burst, blockForSeconds: Math.round(s.rateLimit.blockFor / 1000) },
    scannerSignatures: s.scanners.enabled ? s.scanners.userAgents.length : 0,
    trackedSources: app.security.trackedSources,
    refused: app.security.counts(),
    topOffenders: app.security.offenders(nowMs),
  };
}
