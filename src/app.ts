/**
 * @module app
 * Wires the layers into one running siplb node: `build(config, deps)` returns `{ start, stop }`
 * and has no side effects until `start()`. Only main.ts listens for signals and exits.
 */
import type { Logger } from 'pino';
import { AffinityTable } from './balance/call-load.js';
import { createBalancer } from './balance/index.js';
import type { Balancer } from './balance/balancer.js';
import { BackendRegistry } from './backends/registry.js';
import type { Config } from './config/schema.js';
import { RareEventCounters, type CounterSnapshot } from './observe/counters.js';
import { channels } from './observe/channels.js';
import type { ProxyContext } from './proxy/context.js';
import { handleDatagram } from './proxy/dispatcher.js';
import { routingKeyFor } from './proxy/routing-key.js';
import { SelfAddress } from './proxy/self.js';
import type { HostPort } from './transport/address.js';
import { UdpTransport } from './transport/udp.js';

export interface AppDeps {
  readonly logger: Logger;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
}

export interface App {
  readonly config: Config;
  readonly backends: BackendRegistry;
  /** Bind sockets and start timers. Resolves with the bound SIP address. */
  start(): Promise<HostPort>;
  /** Close sockets, stop timers. Idempotent. */
  stop(): Promise<void>;
  counters(): CounterSnapshot;
}

/** How often expired affinity entries are swept (coarse: one timer for all entries). */
const SWEEP_INTERVAL_MS = 1000;

export function build(config: Config, deps: AppDeps): App {
  const log = deps.logger;
  const now = deps.now ?? (() => performance.now());
  const backends = new BackendRegistry(config.backends);
  const balancer: Balancer = createBalancer(config.balance.mode, { vnodes: config.balance.vnodes });
  const affinity = new AffinityTable({ ttlMs: config.balance.affinityTtl, maxEntries: config.balance.affinityMaxEntries });
  const self = new SelfAddress(config.sip.advertise ?? config.sip.listen, config.sip.listen);
  const transportLog = log.child({ component: 'transport' });
  const transport = new UdpTransport({
    listen: config.sip.listen,
    maxDatagramBytes: config.sip.maxDatagramBytes,
    recvBufferBytes: config.sip.recvBufferBytes,
    sendBufferBytes: config.sip.sendBufferBytes,
    onSendError: (err) => {
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'send-error', detail: err.message });
      transportLog.debug({ err }, 'send failed');
    },
  });
  const ctx: ProxyContext = {
    sender: transport,
    backends,
    balancer: () => balancer,
    affinity,
    self,
    now,
    routingKey: routingKeyFor(config.balance.hashKey),
    options: {
      defaultMaxForwards: config.sip.defaultMaxForwards,
      recordRoute: config.sip.recordRoute,
      answerOptions: config.sip.answerOptions,
      noBackendRetryAfter: 5,
    },
    observer: {},
  };
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

  const counters = new RareEventCounters();
  let sweepTimer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;

  return {
    config,
    backends,
    async start() {
      const bound = await transport.start();
      started = true;
      sweepTimer = setInterval(() => affinity.sweep(now()), SWEEP_INTERVAL_MS);
      sweepTimer.unref();
      log.info(
        {
          listen: `${bound.host}:${bound.port}`,
          advertise: `${self.advertise.host}:${self.advertise.port}`,
          mode: config.balance.mode,
          backends: backends.all.map((b) => `${b.id}=${b.key}`),
          role: config.ha.redis ? 'ha' : 'standalone',
        },
        'siplb started',
      );
      return bound;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (sweepTimer) clearInterval(sweepTimer);
      counters.close();
      await transport.close();
      if (started) log.info('siplb stopped');
    },
    counters: () => counters.snapshot(),
  };
}
