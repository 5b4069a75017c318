/**
 * @module app
 * Wires the layers into one running siplb node: `build(config, deps)` returns an App and has no
 * side effects until `start()`. Only main.ts listens for signals and exits.
 *
 * One UDP datagram: transport → proxy/dispatcher (parse, route, forward) → transport. Beside it:
 * the prober sends OPTIONS from the same socket and its replies come back through the proxy's
 * local-response hook; passive checks and dialog tracking watch what the proxy relays; a coarse
 * one-second tick expires affinity entries, unanswered INVITEs, stale dialogs and Retry-After holds.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { CallLoad } from './balance/call-load.js';
import { createBalancer } from './balance/index.js';
import type { Balancer } from './balance/balancer.js';
import { BackendRegistry } from './backends/registry.js';
import { DialogTracker } from './calls/dialog-tracker.js';
import { isWildcardHost } from './config/address.js';
import type { Config } from './config/schema.js';
import { HealthMonitor } from './health/monitor.js';
import { PassiveChecker, type PassiveOptions } from './health/passive.js';
import { responseOrigin } from './health/response-origin.js';
import { Prober } from './health/prober.js';
import { probeTargets, thresholdsCache } from './health/thresholds.js';
import { channels } from './observe/channels.js';
import { Admission, type AdmissionReading, type AdmissionState } from './observe/admission.js';
import { SecurityPolicy } from './security/policy.js';
import { securityOptions } from './config/security-options.js';
import { RareEventCounters, type CounterSnapshot } from './observe/counters.js';
import type { ProxyContext, ProxyObserver } from './proxy/context.js';
import { CallAffinity } from './proxy/call-affinity.js';
import { handleDatagram } from './proxy/dispatcher.js';
import { resendRequest } from './proxy/request-path.js';
import { SerialFailover, type FailoverOptions } from './proxy/serial-failover.js';
import { parseSip } from './sip/index.js';
import { perKindRoutingKey } from './proxy/routing-key.js';
import { RegisteredUsers } from './proxy/registered-users.js';
import { RegistrationAffinity } from './proxy/registration-affinity.js';
import { changedKeys, describeChanges } from './config/reload-policy.js';
import { RateLimitedLog } from './ha/rate-limited-log.js';
import type { DropEvent } from './observe/channels.js';
import { SelfAddress } from './proxy/self.js';
import type { HostPort } from './transport/address.js';
import { chooseUdpEngine } from './transport/udp-factory.js';
import type { UdpEndpoint, UdpEngine } from './transport/udp-endpoint.js';

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
  counters(): CounterSnapshot;
}

function failoverOptions(c: Config): FailoverOptions {
  return {
    timeoutMs: c.failover.timeout,
    codes: new Set(c.failover.codes),
    relayed: c.failover.relayed,
    maxAttempts: c.failover.maxAttempts,
    rememberMs: c.balance.affinityTtl,
    methods: new Set(c.failover.methods),
  };
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
  const now = deps.now ?? (() => performance.now());
  let config = initial;

  const backends = new BackendRegistry(config.backends);
  const callLoad = new CallLoad({ maxEntries: config.dialogs.maxEntries, maxCallDurationMs: config.dialogs.maxCallDuration });
  const dialogs = new DialogTracker(callLoad, now, { maxRemembered: config.dialogs.maxEntries });
  // Least-connections counts a call from its INVITE (pending) to its BYE, as Kamailio does, so a
  // burst of ringing calls is not placed by the tie-break alone.
  const load = { active: (id: string): number => callLoad.active(id) + passive.pendingInvites(id) };
  const makeBalancer = (c: Config): Balancer => createBalancer(c.balance.mode, { vnodes: c.balance.vnodes, load });
  const affinity = new CallAffinity({ ttlMs: config.balance.affinityTtl, maxEntries: config.balance.affinityMaxEntries });
  const registeredUsers = new RegisteredUsers(config.balance.affinityMaxEntries);
  const makeRegistrations = (c: Config): RegistrationAffinity =>
    new RegistrationAffinity(registeredUsers, c.balance.failback, c.balance.hashKey.registered !== 'call-id');
  const self = new SelfAddress(config.sip.advertise ?? config.sip.listen, config.sip.listen);

  const health = new HealthMonitor({
    registry: backends,
    thresholdsFor: thresholdsCache(() => config),
    startMode: config.health.startState,
    now,
    logger: log,
    onAdminChange: deps.onAdminChange,
  });
  const passive = new PassiveChecker(passiveOptions(config), health, now);
  let balancer = makeBalancer(config);

  const transportLog = log.child({ component: 'transport' });
  const udp = chooseUdpEngine(config.sip.udpEngine);
  if (udp.fallbackReason !== undefined) transportLog.info(`UDP on node:dgram: ${udp.fallbackReason}`);
  const transport = udp.create({
    listen: config.sip.listen,
    recvBufferBytes: config.sip.recvBufferBytes,
    sendBufferBytes: config.sip.sendBufferBytes,
    onSendError: (err) => {
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'send-error', detail: err.message });
      transportLog.debug({ err }, 'send failed');
    },
  });
  // Probes leave from a socket of their own (health.source, default: the listen host with a free
  // port). Their replies then never queue behind a flood on the SIP socket, where the kernel would
  // drop them with everything else and the node would mark every backend down (Kamailio's
  // overload failure mode). With a VIP shared by nodes, health.source names the node's own IP.
  const probeListen = config.health.source ?? { host: config.sip.listen.host, port: 0 };
  const probeSocket = udp.create({
    listen: probeListen,
    recvBufferBytes: 262_144,
    sendBufferBytes: 262_144,
  });
  probeSocket.watchBacklog(false); // only the SIP socket's queue drives overload control
  const probeViaHost = isWildcardHost(probeListen.host) ? self.advertise.host : probeListen.host;
  const prober = new Prober({
    sender: probeSocket,
    via: { host: probeViaHost, port: probeListen.port },
    fromUri: config.health.fromUri,
    userAgent: config.health.userAgent,
    now,
    onResult: (id, result) => health.probe(id, result),
    onReply: (id, res) => passive.probeReply(id, res),
  });
  prober.setTargets(probeTargets(config));
  probeSocket.onMessage((buf) => {
    const parsed = parseSip(buf);
    if (parsed.ok && parsed.msg.kind === 'response') prober.handleReply(parsed.msg);
  });

  const oversizeLog = new RateLimitedLog(log.child({ component: 'proxy' }), 10_000, now);
  const observer: ProxyObserver = {
    requestForwarded(req, backend, isNewCall) {
      dialogs.request(req);
      if (backend !== undefined && req.method === 'INVITE' && isNewCall) passive.inviteSent(backend, req);
      else if (req.method === 'CANCEL') passive.forget(req.callId());
    },
    response(res, from) {
      if (from !== undefined) passive.response(from, res);
      return true;
    },
    relayed: (res, from) => dialogs.response(from, res),
    // Probe replies come back to the probe socket; on the SIP socket a response with only our Via
    // is the 200 to a CANCEL serial failover sent.
    localResponse: (res) => ctx.failover?.absorbLocal(res) ?? false,
    // RFC 3261 §18.1.1 says 65535 bytes must be receivable: a lower cap that bites is worth a
    // line (rate-limited per outcome: a flood of large datagrams must not flood the log).
    oversize: (bytes, from, outcome) =>
      oversizeLog.failure(`oversize-${outcome}`, { bytes, from: `${from.address}:${from.port}`, outcome, cap: ctx.options.maxDatagramBytes }, 'datagram over sip.maxDatagramBytes'),
  };

  // Abuse protection (security/): consulted for every request from a non-backend source.
  const security = new SecurityPolicy(securityOptions(config.security));
  const ctx: ProxyContext = {
    sender: transport,
    backends,
    balancer: () => balancer,
    affinity,
    self,
    now,
    routingKey: perKindRoutingKey(config.balance.hashKey, registeredUsers, now),
    options: {
      defaultMaxForwards: config.sip.defaultMaxForwards,
      recordRoute: config.sip.recordRoute,
      answerOptions: config.sip.answerOptions,
      optionsReflectBackends: config.sip.optionsReflectBackends,
      noBackendRetryAfter: config.sip.noBackendRetryAfter,
      maxDatagramBytes: config.sip.maxDatagramBytes,
    },
    observer,
    admission: undefined,
    failover: undefined,
    registrations: makeRegistrations(config),
    security,
  };
  const admission = new Admission({
    enabled: config.overload.enabled,
    maxUtilization: config.overload.maxUtilization,
    maxQueueDelayMs: config.overload.maxQueueDelay,
    port: config.sip.listen.port,
    backlogMs: () => transport.takeBacklogMs(),
    watchBacklog: (on) => transport.watchBacklog(on),
    queueLimitBytes: () => transport.recvBufferBytes,
    onChange: (shedding, st) => {
      const fields = {
        admitFraction: Math.round(st.admitFraction * 100) / 100,
        utilization: Math.round(st.utilization * 100) / 100,
        queueDelayMs: Math.round(st.queueDelayMs),
        kernelDrops: st.kernelDrops,
      };
      if (shedding) log.warn(fields, 'overloaded: shedding new calls with 503');
      else log.info(fields, 'load back to normal: admitting every new call');
    },
    onWindow: log.isLevelEnabled('trace') ? traceAdmissionWindow(log) : undefined,
  });
  if (config.overload.enabled) {
    ctx.admission = {
      admit: () => admission.admit(),
      get saturated() {
        return admission.saturated;
      },
      retryAfterSeconds: config.overload.retryAfter,
    };
  }
  const makeFailover = (c: Config): SerialFailover | undefined =>
    c.failover.enabled
      ? new SerialFailover(failoverOptions(c), ctx, (...args) => resendRequest(ctx, ...args), {
          onFailover(failed, callId, reason) {
            passive.forget(callId);
            // Silence is the backend's own failure; a failure code is judged by the passive
            // checker's blame rules (a proxy relaying a gateway's 503 is not at fault).
            if (reason === 'timeout') health.passive(failed.id, 'failover');
            if (channels.failover.hasSubscribers) channels.failover.publish({ kind: 'serial', backend: failed.id, reason });
          },
          isOwnResponse: (b, res) => responseOrigin(res, passive.signatureOf(b.id)) === 'backend',
        })
      : undefined;
  ctx.failover = makeFailover(config);
  const proxyLog = log.child({ component: 'proxy' });
  let internalErrors = 0;
  transport.onMessage((buf, from) => {
    try {
      handleDatagram(ctx, buf, from);
    } catch (err) {
      // A bug must cost one datagram, never the node. Logged sparingly (first, then every 1000th).
      internalErrors++;
      if (internalErrors === 1 || internalErrors % 1000 === 0) {
        proxyLog.error({ err, count: internalErrors }, 'internal error while handling a datagram (dropped)');
      }
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'parse-error', detail: 'internal' });
    }
  });

  // A response without Via cannot be relayed anywhere: a peer's bug, logged (rate-limited) so an
  // operator can find the sender, besides its own drop reason in the metrics.
  const noViaLog = new RateLimitedLog(proxyLog, 10_000, now);
  const onDrop = (m: unknown): void => {
    const d = m as DropEvent;
    if (d.reason === 'no-via') noViaLog.failure('no-via', { from: d.detail }, 'dropped a SIP message without any Via header (nowhere to send it)');
  };

  const counters = new RareEventCounters();
  const drained = new Set<string>();
  const tick = (): void => {
    const t = now();
    affinity.sweep(t);
    registeredUsers.sweep(t);
    passive.sweep(admission.saturated);
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
    logger: log,
    startedAt: Date.now(),
    udpEngine: udp.engine,
    async start() {
      const bound = await transport.start();
      warnIfBuffersCapped(log, config, transport);
      // Port 0: the Via of probes must name the port the kernel picked.
      const src = await probeSocket.start();
      prober.setVia({ host: probeViaHost, port: src.port });
      started = true;
      diagnosticsChannel.subscribe(channels.drop.name, onDrop);
      admission.start();
      tickTimer = setInterval(tick, TICK_MS);
      tickTimer.unref();
      prober.start();
      log.info(
        {
          listen: `${bound.host}:${bound.port}`,
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
      prober.stop();
      admission.stop();
      ctx.failover?.clear();
      counters.close();
      diagnosticsChannel.unsubscribe(channels.drop.name, onDrop);
      await transport.close();
      await probeSocket.close();
      if (started) log.info('siplb stopped');
    },
    applyConfig(next) {
      const changes: string[] = [];
      const prev = config;
      const before = new Set(prev.backends.map((b) => b.id));
      const after = new Set(next.backends.map((b) => b.id));
      for (const id of after) if (!before.has(id)) changes.push(`backend ${id} added`);
      for (const id of before) if (!after.has(id)) changes.push(`backend ${id} removed (its calls in progress go on by Record-Route)`);
      const keys = changedKeys(prev, next);
      if (changes.length > 0) changes.push(...describeChanges(keys.filter((k) => k.path !== 'backends')));
      else changes.push(...describeChanges(keys).map((c) => (c.startsWith('backends') ? 'backend addresses or weights changed (applied)' : c)));

      config = next;
      backends.replace(next.backends);
      health.sync();
      passive.setOptions(passiveOptions(next));
      prober.setTargets(probeTargets(next));
      if (prev.failover.enabled !== next.failover.enabled) {
        ctx.failover?.clear();
        ctx.failover = makeFailover(next);
      } else ctx.failover?.setOptions(failoverOptions(next));
      if (prev.balance.mode !== next.balance.mode || prev.balance.vnodes !== next.balance.vnodes) balancer = makeBalancer(next);
      ctx.routingKey = perKindRoutingKey(next.balance.hashKey, registeredUsers, now);
      ctx.registrations = makeRegistrations(next);
      security.reconfigure(securityOptions(next.security));
      return changes;
    },
    counters: () => counters.snapshot(),
  };
  return app;
}

/** Trace logging of every admission window, with the CPU time the process got in it. */
function traceAdmissionWindow(log: Logger): (r: AdmissionReading, st: AdmissionState) => void {
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  return (r, st) => {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const cpuShare = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / Math.max(1, at - lastAt);
    lastCpu = cpu;
    lastAt = at;
    log.trace({ ...r, admitFraction: st.admitFraction, cpuShare: Math.round(cpuShare * 100) / 100 }, 'admission window');
  };
}

/**
 * Linux grants twice the SO_RCVBUF/SO_SNDBUF asked for (half is its own bookkeeping) but caps the
 * request at net.core.rmem_max/wmem_max — 208 KiB on a stock kernel, a few hundred datagrams. A
 * capped receive queue overflows in a burst (silent loss) and makes overload control shed early
 * (it sheds at half full), so say so once at start, with the fix.
 */
function warnIfBuffersCapped(log: Logger, config: Config, transport: UdpEndpoint): void {
  const check = (what: string, asked: number, granted: number | undefined, sysctl: string): void => {
    if (granted === undefined || granted / 2 >= asked) return;
    log.warn(
      { asked, granted: Math.floor(granted / 2), sysctl },
      `${what} capped by ${sysctl}: raise it to at least ${asked} (deploy/sysctl/99-siplb.conf) or bursts are lost in the kernel`,
    );
  };
  check('SIP socket receive buffer', config.sip.recvBufferBytes, transport.recvBufferBytes, 'net.core.rmem_max');
  check('SIP socket send buffer', config.sip.sendBufferBytes, transport.sendBufferBytes, 'net.core.wmem_max');
}
