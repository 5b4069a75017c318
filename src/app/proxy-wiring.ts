/**
 * @module app/proxy-wiring
 * Builds what the stateless proxy is given besides its tables: its options from the config, the
 * observer through which health checks and call tracking watch it, serial failover, and the
 * guarded entry point each listener calls.
 */
import type { Logger } from 'pino';
import type { CallTable } from '../balance/call-table.js';
import type { DialogTracker } from '../calls/dialog-tracker.js';
import type { Config } from '../config/schema.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { PassiveChecker } from '../health/passive.js';
import { responseOrigin } from '../health/response-origin.js';
import { RateLimitedLog } from '../ha/rate-limited-log.js';
import { channels } from '../observe/channels.js';
import type { ProxyContext, ProxyObserver, ProxyOptions } from '../proxy/context.js';
import { handleDatagram } from '../proxy/dispatcher.js';
import { resendRequest } from '../proxy/request-path.js';
import { SerialFailover, type FailoverOptions } from '../proxy/serial-failover.js';
import type { MessageClock } from '../runtime/message-clock.js';
import type { MessageHandler } from '../transport/contract.js';

export function proxyOptions(c: Config): ProxyOptions {
  return {
    defaultMaxForwards: c.sip.defaultMaxForwards,
    recordRoute: c.sip.recordRoute,
    answerOptions: c.sip.answerOptions,
    optionsReflectBackends: c.sip.optionsReflectBackends,
    noBackendRetryAfter: c.sip.noBackendRetryAfter,
    maxDatagramBytes: c.sip.maxDatagramBytes,
    udpMtu: c.sip.udpMtu,
  };
}

export function failoverOptions(c: Config): FailoverOptions {
  return {
    timeoutMs: c.failover.timeout,
    codes: new Set(c.failover.codes),
    relayed: c.failover.relayed,
    maxAttempts: c.failover.maxAttempts,
    rememberMs: c.balance.affinityTtl,
    methods: new Set(c.failover.methods),
  };
}

export interface ObserverDeps {
  readonly dialogs: DialogTracker;
  readonly passive: PassiveChecker;
  /** The proxy context, read late (it is built after the observer). */
  readonly ctx: () => ProxyContext;
  readonly log: Logger;
  readonly now: () => number;
}

/** Passive health checks and dialog tracking, plugged into the proxy. */
export function proxyObserver(deps: ObserverDeps): ProxyObserver {
  const { dialogs, passive } = deps;
  const oversizeLog = new RateLimitedLog(deps.log, 10_000, deps.now);
  return {
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
    localResponse: (res) => deps.ctx().failover?.absorbLocal(res) ?? false,
    // RFC 3261 §18.1.1 says 65535 bytes must be receivable: a lower cap that bites is worth a
    // line (rate-limited per outcome: a flood of large datagrams must not flood the log).
    oversize: (bytes, from, outcome) =>
      oversizeLog.failure(
        `oversize-${outcome}`,
        { bytes, from: `${from.address}:${from.port}`, outcome, cap: deps.ctx().options.maxDatagramBytes },
        'datagram over sip.maxDatagramBytes',
      ),
  };
}

/** Serial failover as the config says (undefined when off), reporting to health and metrics. */
export function failoverFactory(ctx: ProxyContext, passive: PassiveChecker, health: HealthMonitor, calls?: CallTable): (c: Config) => SerialFailover | undefined {
  return (c) =>
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
        }, calls)
      : undefined;
}

/**
 * The handler every listener calls: a bug costs one message, never the node. With a clock, the
 * time is read once as the message arrives and held until it is handled (runtime/message-clock.ts).
 */
export function guardedProxyHandler(ctx: ProxyContext, log: Logger, clock?: MessageClock): MessageHandler {
  let internalErrors = 0;
  return (buf, from) => {
    clock?.hold();
    try {
      handleDatagram(ctx, buf, from);
    } catch (err) {
      // Logged sparingly (first, then every 1000th).
      internalErrors++;
      if (internalErrors === 1 || internalErrors % 1000 === 0) {
        log.error({ err, count: internalErrors }, 'internal error while handling a message (dropped)');
      }
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'parse-error', detail: 'internal' });
    } finally {
      clock?.release();
    }
  };
}
