/**
 * @module app
 * Wires the layers into one running siplb node: `build(config, deps)` returns an App and has no
 * side effects until `start()`. Only main.ts listens for signals and exits.
 *
 * One SIP message: a listener (app/listeners.ts) → proxy/dispatcher (parse, route, forward) → the
 * transport hub, which sends over the target's transport. Beside it: the prober (app/probing.ts)
 * sends OPTIONS from a socket of its own; passive checks and dialog tracking watch what the proxy
 * relays (app/proxy-wiring.ts); overload control watches the UDP queue (app/admission-wiring.ts);
 * a coarse one-second tick expires affinity entries, unanswered INVITEs, stale dialogs and
 * Retry-After holds. A reload is planned by app/reload-plan.ts (pure) and carried out here.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import process from 'node:process';
import type { Logger } from 'pino';
import { CallLoad } from './balance/call-load.js';
import { CallTable } from './balance/call-table.js';
import { createBalancer } from './balance/index.js';
import type { Balancer } from './balance/balancer.js';
import { BackendRegistry } from './backends/registry.js';
import { DialogTracker } from './calls/dialog-tracker.js';
import type { Config } from './config/schema.js';
import { HealthMonitor } from './health/monitor.js';
import { PassiveChecker, type PassiveOptions } from './health/passive.js';
import type { Prober } from './health/prober.js';
import { thresholdsCache } from './health/thresholds.js';
import { channels } from './observe/channels.js';
import type { Admission } from './observe/admission.js';
import { SecurityPolicy } from './security/policy.js';
import { securityOptions } from './config/security-options.js';
import { RareEventCounters, type CounterSnapshot } from './observe/counters.js';
import type { ProxyContext } from './proxy/context.js';
import { CallAffinity } from './proxy/call-affinity.js';
import { perKindRoutingKey } from './proxy/routing-key.js';
import { RegisteredUsers } from './proxy/registered-users.js';
import { RegistrationAffinity } from './proxy/registration-affinity.js';
import { RateLimitedLog } from './ha/rate-limited-log.js';
import type { DropEvent } from './observe/channels.js';
import { SelfAddress } from './proxy/self.js';
import type { HostPort } from './transport/address.js';
import type { ConnectionStats } from './transport/connections.js';
import { buildListeners } from './app/listeners.js';
import { chooseUdpEngine } from './transport/udp-factory.js';
import type { UdpEngine } from './transport/udp-endpoint.js';
import { buildProbing } from './app/probing.js';
import { planReload } from './app/reload-plan.js';
import { buildAdmission, warnIfBuffersCapped } from './app/admission-wiring.js';
import { failoverFactory, failoverOptions, guardedProxyHandler, proxyObserver, proxyOptions } from './app/proxy-wiring.js';
import { buildDnsBackends, type DnsBackends } from './dns/wiring.js';
import { buildFlowSettings } from './app/flow-wiring.js';
import type { FlowSettings } from './flow/settings.js';
import { FlowCounters, type FlowView } from './observe/flow-counters.js';
import { MessageClock } from './runtime/message-clock.js';

export interface AppDeps {
  readonly logger: Logger;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
  readonly onAdminChange?: ConstructorParameters<typeof HealthMonitor>[0]['onAdminChange']; // local admin changes, for HA to share
}

/** The running node's parts, for the control surface (admin API, CLI, HA) and tests. */
export interface App {
  /** The config in force (replaced by a successful reload). */
  config(): Config;
  readonly backends: BackendRegistry;
  readonly health: HealthMonitor;
  readonly passive: PassiveChecker;
  readonly dialogs: DialogTracker;
  readonly prober: Prober;
  /** Overload control: its state for status and metrics. */
  readonly admission: Admission;
  /** Abuse protection: refusal counts and top offenders for status. */
  readonly security: SecurityPolicy;
  /** Backends from DNS (backends[].host / .srv): where they came from, for status and metrics. */
  readonly dns: Pick<DnsBackends, 'status'>;
  readonly logger: Logger;
  readonly startedAt: number;
  /** What carries the UDP sockets (sip.udpEngine as resolved at build). */
  readonly udpEngine: UdpEngine;
  /** Bind sockets and start timers. Resolves with the bound SIP address. */
  start(): Promise<HostPort>;
  /** Close sockets, stop timers. Idempotent. */
  stop(): Promise<void>;
  /**
   * Apply a new validated config without dropping calls: backends added/removed, thresholds,
   * balancing mode. Returns what changed, and what needs a restart to take effect.
   */
  applyConfig(next: Config): string[];
  /** Re-read the TLS certificate, key and CA files; rejects (keeping the old ones) when unusable. */
  reloadCertificates(): Promise<void>;
  /** Stream connections (TCP, TLS): open, accepted, refused, closed by reason. */
  connectionStats(): ConnectionStats;
  counters(): CounterSnapshot;
  /** Flow tokens: node id, key ids, Paths added, deliveries, relays, 403s and 430s. */
  flows(): FlowView;
  /** What the proxy reads flow tokens and the node map through (swappable when HA shares them). */
  readonly flowSettings: FlowSettings;
}

/** One coarse tick for every low-precision deadline (STYLE: undici's shared timers). */
const TICK_MS = 1000;

function passiveOptions(c: Config): PassiveOptions {
  return {
    enabled: c.passive.enabled,
    inviteTimeoutMs: c.passive.inviteTimeout,
    consecutive503: c.passive.consecutive503,
    blameCodes: new Set(c.passive.blameCodes),
    blameRelayed: c.passive.blameRelayed,
    honorRetryAfter: c.passive.honorRetryAfter,
    maxRetryAfterMs: c.passive.maxRetryAfter,
  };
}

export function build(initial: Config, deps: AppDeps): App {
  const log = deps.logger;
  // One clock read per message: held by the handler below for the message's duration (runtime/message-clock.ts).
  const clock = new MessageClock(deps.now);
  const now = clock.now;
  // A DNS answer that changes the members is applied like a reload of the file (src/dns/wiring.ts).
  const dns = buildDnsBackends(initial, { logger: deps.logger, reapply: (file) => app.applyConfig(file) });
  let config = dns.effective(initial);

  const backends = new BackendRegistry(config.backends);
  // One record per Call-ID for affinity, call load and dialog endings (balance/call-table.ts).
  const calls = new CallTable();
  const callLoad = new CallLoad({ maxEntries: config.dialogs.maxEntries, maxCallDurationMs: config.dialogs.maxCallDuration }, calls);
  const dialogs = new DialogTracker(callLoad, now, { maxRemembered: config.dialogs.maxEntries });
  // Least-connections counts a call from its INVITE (pending) to its BYE, as Kamailio does, so a
  // burst of ringing calls is not placed by the tie-break alone.
  const load = { active: (id: string): number => callLoad.active(id) + passive.pendingInvites(id) };
  const makeBalancer = (c: Config): Balancer => createBalancer(c.balance.mode, { vnodes: c.balance.vnodes, load });
  const affinity = new CallAffinity({ ttlMs: config.balance.affinityTtl, maxEntries: config.balance.affinityMaxEntries, calls });
  const registeredUsers = new RegisteredUsers(config.balance.affinityMaxEntries);
  const makeRegistrations = (c: Config): RegistrationAffinity =>
    new RegistrationAffinity(registeredUsers, c.balance.failback, c.balance.hashKey.registered !== 'call-id');
  const primary = config.sip.listen[0]!;
  const self = new SelfAddress(config.sip.advertise ?? primary, config.sip.listen);

  const health = new HealthMonitor({
    registry: backends,
    thresholdsFor: thresholdsCache(() => config),
    startMode: config.health.startState,
    now,
    logger: log,
    onAdminChange: deps.onAdminChange,
  });
  const passive = new PassiveChecker(passiveOptions(config), health, now, calls);
  let balancer = makeBalancer(config);

  const engine = chooseUdpEngine(config.sip.udpEngine);
  if (engine.fallbackReason !== undefined) log.child({ component: 'transport' }).info(`UDP on node:dgram: ${engine.fallbackReason}`);
  const listeners = buildListeners(config, log, engine);
  const transport = listeners.udp;
  const probing = buildProbing({ config, advertiseHost: self.advertise.host, health, passive, now, log, engine });
  const prober = probing.prober;

  const proxyLog = log.child({ component: 'proxy' });
  const observer = proxyObserver({ dialogs, passive, ctx: () => ctx, log: proxyLog, now });

  // Abuse protection (security/): consulted for every request from a non-backend source.
  const security = new SecurityPolicy(securityOptions(config.security));
  const flowSettings = buildFlowSettings(config, log);
  const ctx: ProxyContext = {
    sender: listeners.sender,
    backends,
    balancer: () => balancer,
    affinity,
    self,
    now,
    routingKey: perKindRoutingKey(config.balance.hashKey, registeredUsers, now),
    options: proxyOptions(config),
    observer,
    admission: undefined,
    failover: undefined,
    registrations: makeRegistrations(config),
    security,
    flow: { settings: flowSettings, directory: listeners.sender },
  };
  const admission = buildAdmission(config, transport, log, now);
  if (config.overload.enabled) {
    ctx.admission = {
      admit: () => admission.admit(),
      lateSince: (t) => admission.lateSince(t),
      retryAfterSeconds: config.overload.retryAfter,
    };
  }
  const makeFailover = failoverFactory(ctx, passive, health, calls);
  ctx.failover = makeFailover(config);
  listeners.onMessage(guardedProxyHandler(ctx, proxyLog, clock));

  // A response without Via cannot be relayed anywhere: a peer's bug, logged (rate-limited) so an
  // operator can find the sender, besides its own drop reason in the metrics.
  const noViaLog = new RateLimitedLog(proxyLog, 10_000, now);
  const onDrop = (m: unknown): void => {
    const d = m as DropEvent;
    if (d.reason === 'no-via') noViaLog.failure('no-via', { from: d.detail }, 'dropped a SIP message without any Via header (nowhere to send it)');
  };

  const counters = new RareEventCounters();
  const flowCounters = new FlowCounters();
  const drained = new Set<string>();
  const tick = (): void => {
    const t = now();
    affinity.sweep(t);
    registeredUsers.sweep(t);
    passive.sweep((sentAt) => admission.lateSince(sentAt));
    ctx.failover?.sweep();
    dialogs.expire();
    health.tick();
    for (const b of backends.all) {
      const isDrained = health.view(b.id)?.state.admin === 'draining' && dialogs.active(b.id) === 0 && passive.pendingInvites(b.id) === 0;
      if (isDrained && !drained.has(b.id)) {
        drained.add(b.id);
        log.info({ backend: b.id }, 'backend drained: no active calls left');
      } else if (!isDrained) drained.delete(b.id);
    }
  };
  let tickTimer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;

  const app: App = {
    config: () => config,
    backends,
    health,
    passive,
    dialogs,
    prober,
    admission,
    security,
    dns,
    logger: log,
    startedAt: Date.now(),
    udpEngine: listeners.udpEngine,
    async start() {
      await dns.start(); // the first calls find the DNS backends already there
      const bound = await listeners.start();
      warnIfBuffersCapped(log, config, transport);
      await probing.start();
      started = true;
      diagnosticsChannel.subscribe(channels.drop.name, onDrop);
      admission.start();
      tickTimer = setInterval(tick, TICK_MS);
      tickTimer.unref();
      log.info(
        {
          listen: listeners.bound(),
          advertise: `${self.advertise.host}:${self.advertise.port}`,
          mode: config.balance.mode,
          backends: backends.all.map((b) => `${b.id}=${b.key}`),
          role: config.ha.redis ? 'ha' : 'standalone',
          nodejs: process.version,
        },
        'siplb started',
      );
      return bound;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (tickTimer) clearInterval(tickTimer);
      dns.stop();
      admission.stop();
      ctx.failover?.clear();
      counters.close();
      flowCounters.close();
      diagnosticsChannel.unsubscribe(channels.drop.name, onDrop);
      await listeners.close();
      await probing.stop();
      if (started) log.info('siplb stopped');
    },
    applyConfig(file) {
      const next = dns.effective(file);
      const plan = planReload(config, next);
      config = next;
      backends.replace(next.backends);
      health.sync();
      passive.setOptions(passiveOptions(next));
      probing.setTargets(next);
      if (plan.failover === 'rebuild') {
        ctx.failover?.clear();
        ctx.failover = makeFailover(next);
      } else ctx.failover?.setOptions(failoverOptions(next));
      if (plan.rebuildBalancer) balancer = makeBalancer(next);
      ctx.routingKey = perKindRoutingKey(next.balance.hashKey, registeredUsers, now);
      ctx.registrations = makeRegistrations(next);
      security.reconfigure(securityOptions(next.security));
      return [...plan.changes];
    },
    counters: () => counters.snapshot(),
    flowSettings,
    flows: () => {
      const ring = flowSettings.ring();
      return flowCounters.snapshot({ nodeId: flowSettings.nodeId(), keyIds: ring.ids, signingKeyId: ring.signing.id });
    },
    async reloadCertificates() {
      await listeners.reloadCertificates();
      await probing.reloadCertificates();
    },
    connectionStats: () => listeners.connectionStats(),
  };
  return app;
}

