/**
 * @module app/proxy-core
 * Builds the stateless proxy's core as a node runs it — backend registry, health monitor, call
 * table with affinity, call load and dialogs, passive checks, balancer, registration affinity,
 * abuse protection, serial failover — around a given sender and clock, with no socket, timer or
 * subscription of its own. app.ts builds the node's core here and applies a reload to it with
 * `reconfigure`; app/warm-up.ts builds a private one to compile the hot path before the node takes
 * traffic.
 */
import type { Logger } from 'pino';
import type { Balancer } from '../balance/balancer.js';
import { CallLoad } from '../balance/call-load.js';
import { CallTable } from '../balance/call-table.js';
import { createBalancer } from '../balance/index.js';
import { BackendRegistry } from '../backends/registry.js';
import { DialogTracker } from '../calls/dialog-tracker.js';
import { securityOptions } from '../config/security-options.js';
import type { Config } from '../config/schema.js';
import { HealthMonitor } from '../health/monitor.js';
import { PassiveChecker, type PassiveOptions } from '../health/passive.js';
import type { StartMode } from '../health/state-machine.js';
import { thresholdsCache } from '../health/thresholds.js';
import { CallAffinity } from '../proxy/call-affinity.js';
import type { FlowRouting, ProxyContext, RoutingKeyFn } from '../proxy/context.js';
import { RegisteredUsers } from '../proxy/registered-users.js';
import { RegistrationAffinity } from '../proxy/registration-affinity.js';
import { perKindRoutingKey } from '../proxy/routing-key.js';
import { SelfAddress } from '../proxy/self.js';
import type { MessageClock } from '../runtime/message-clock.js';
import { SecurityPolicy } from '../security/policy.js';
import type { MessageHandler, MessageSender } from '../transport/contract.js';
import { failoverFactory, failoverOptions, guardedProxyHandler, proxyObserver, proxyOptions } from './proxy-wiring.js';
import type { ReloadPlan } from './reload-plan.js';

export function passiveOptions(c: Config): PassiveOptions {
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

export interface ProxyCoreDeps {
  /** The proxy's own logger (component "proxy" in a node). */
  readonly log: Logger;
  /** Health transitions and the like; a node's root logger. @default `log` */
  readonly healthLog?: Logger;
  /** Held once per message by the handler (runtime/message-clock.ts). */
  readonly clock: MessageClock;
  readonly sender: MessageSender;
  /** The config whose thresholds health reads: a node's current one, replaced on reload. @default the build config */
  readonly currentConfig?: () => Config;
  readonly flow?: FlowRouting;
  /** How backends start before any probe. @default config.health.startState */
  readonly startMode?: StartMode;
  readonly onAdminChange?: ConstructorParameters<typeof HealthMonitor>[0]['onAdminChange'];
}

export interface ProxyCore {
  readonly backends: BackendRegistry;
  readonly calls: CallTable;
  readonly dialogs: DialogTracker;
  readonly affinity: CallAffinity;
  readonly registeredUsers: RegisteredUsers;
  readonly health: HealthMonitor;
  readonly passive: PassiveChecker;
  readonly self: SelfAddress;
  readonly security: SecurityPolicy;
  readonly ctx: ProxyContext;
  /** The entry point a listener calls with each datagram (errors caught and counted). */
  readonly handler: MessageHandler;
  /**
   * Applies a reload to the core: backends and their health, passive checks, serial failover
   * (rebuilt or updated as `plan` says), the balancer (rebuilt when `plan` says), routing keys,
   * registration affinity and abuse protection. Call it once `deps.currentConfig` returns `next`:
   * health reads its thresholds there.
   */
  reconfigure(next: Config, plan: ReloadPlan): void;
}

export function buildProxyCore(config: Config, deps: ProxyCoreDeps): ProxyCore {
  const now = deps.clock.now;
  const current = deps.currentConfig ?? ((): Config => config);
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
  const makeRoutingKey = (c: Config): RoutingKeyFn => perKindRoutingKey(c.balance.hashKey, registeredUsers, now);
  const self = new SelfAddress(config.sip.advertise ?? config.sip.listen[0]!, config.sip.listen);
  const health = new HealthMonitor({
    registry: backends,
    thresholdsFor: thresholdsCache(current),
    startMode: deps.startMode ?? config.health.startState,
    now,
    logger: deps.healthLog ?? deps.log,
    onAdminChange: deps.onAdminChange,
  });
  const passive = new PassiveChecker(passiveOptions(config), health, now, calls);
  let balancer = makeBalancer(config);
  const observer = proxyObserver({ dialogs, passive, ctx: () => ctx, log: deps.log, now });
  // Abuse protection (security/): consulted for every request from a non-backend source.
  const security = new SecurityPolicy(securityOptions(config.security));
  const ctx: ProxyContext = {
    sender: deps.sender,
    backends,
    balancer: () => balancer,
    affinity,
    self,
    now,
    routingKey: makeRoutingKey(config),
    options: proxyOptions(config),
    observer,
    admission: undefined,
    failover: undefined,
    registrations: makeRegistrations(config),
    security,
    flow: deps.flow,
  };
  const makeFailover = failoverFactory(ctx, passive, health, calls);
  ctx.failover = makeFailover(config);
  return {
    backends,
    calls,
    dialogs,
    affinity,
    registeredUsers,
    health,
    passive,
    self,
    security,
    ctx,
    handler: guardedProxyHandler(ctx, deps.log, deps.clock),
    reconfigure(next, plan) {
      backends.replace(next.backends);
      health.sync();
      passive.setOptions(passiveOptions(next));
      // Turned on or off: the old instance's timer is stopped and the calls it was watching are
      // forgotten; otherwise the running instance keeps its calls and takes the new options.
      if (plan.failover === 'rebuild') {
        ctx.failover?.clear();
        ctx.failover = makeFailover(next);
      } else ctx.failover?.setOptions(failoverOptions(next));
      if (plan.rebuildBalancer) balancer = makeBalancer(next);
      ctx.routingKey = makeRoutingKey(next);
      ctx.registrations = makeRegistrations(next);
      security.reconfigure(securityOptions(next.security));
    },
  };
}
