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
 * Retry-After holds. A reload is planned by app/reload-plan.ts (pure), applied to the proxy core by
 * its reconfigure (app/proxy-core.ts) and to the probes here.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import process from 'node:process';
import type { Logger } from 'pino';
import type { BackendRegistry } from './backends/registry.js';
import type { DialogTracker } from './calls/dialog-tracker.js';
import type { Config } from './config/schema.js';
import type { HealthMonitor } from './health/monitor.js';
import type { PassiveChecker } from './health/passive.js';
import type { Prober } from './health/prober.js';
import { channels } from './observe/channels.js';
import type { Admission } from './observe/admission.js';
import type { SecurityPolicy } from './security/policy.js';
import { RareEventCounters, type CounterSnapshot } from './observe/counters.js';
import { RateLimitedLog } from './ha/rate-limited-log.js';
import type { DropEvent } from './observe/channels.js';
import type { HostPort } from './transport/address.js';
import type { ConnectionStats } from './transport/connections.js';
import { buildListeners } from './app/listeners.js';
import { chooseUdpEngine } from './transport/udp-factory.js';
import type { UdpEngine } from './transport/udp-endpoint.js';
import { buildProbing } from './app/probing.js';
import { planReload } from './app/reload-plan.js';
import { buildAdmission, warnIfBuffersCapped } from './app/admission-wiring.js';
import { buildDnsBackends, type DnsBackends } from './dns/wiring.js';
import { buildFlowSettings } from './app/flow-wiring.js';
import { buildProxyCore } from './app/proxy-core.js';
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

export function build(initial: Config, deps: AppDeps): App {
  const log = deps.logger;
  // One clock read per message: held by the handler below for the message's duration (runtime/message-clock.ts).
  const clock = new MessageClock(deps.now);
  const now = clock.now;
  // A DNS answer that changes the members is applied like a reload of the file (src/dns/wiring.ts).
  const dns = buildDnsBackends(initial, { logger: deps.logger, reapply: (file) => app.applyConfig(file) });
  let config = dns.effective(initial);

  const engine = chooseUdpEngine(config.sip.udpEngine);
  if (engine.fallbackReason !== undefined) log.child({ component: 'transport' }).info(`UDP on node:dgram: ${engine.fallbackReason}`);
  const listeners = buildListeners(config, log, engine);
  const transport = listeners.udp;
  const proxyLog = log.child({ component: 'proxy' });
  const flowSettings = buildFlowSettings(config, log);
  const core = buildProxyCore(config, {
    log: proxyLog,
    healthLog: log,
    clock,
    sender: listeners.sender,
    currentConfig: () => config,
    flow: { settings: flowSettings, directory: listeners.sender },
    onAdminChange: deps.onAdminChange,
  });
  const { backends, affinity, registeredUsers, health, passive, dialogs, self, security, ctx } = core;
  const probing = buildProbing({ config, advertiseHost: self.advertise.host, health, passive, now, log, engine });
  const prober = probing.prober;

  const admission = buildAdmission(config, transport, log, now);
  if (config.overload.enabled) {
    ctx.admission = {
      admit: () => admission.admit(),
      lateSince: (t) => admission.lateSince(t),
      retryAfterSeconds: config.overload.retryAfter,
    };
  }
  listeners.onMessage(core.handler);

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
      config = next; // before the core's: health reads its thresholds through currentConfig
      core.reconfigure(next, plan);
      probing.setTargets(next);
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

