/**
 * @module node
 * Starts one siplb node from a validated config: the app (SIP socket, probes, proxy), its control
 * surface, the metrics registry, the admin HTTP API and, when `ha.redis` is set, the HA node
 * (leader lease, keepalived role file, shared admin state). `siplb start` (main.ts) and
 * `siplb demo` both run a node through here, so the demo exercises the production code path.
 * No signals and no exit here: the caller owns the process.
 */
import type { Logger } from 'pino';
import { startAdminServer, type AdminServer } from './admin/index.js';
import type { AdminControl } from './api/control.js';
import { build, type App } from './app.js';
import { warmUpProxy } from './app/warm-up.js';
import { holdChannelsActive } from './observe/channel-hold.js';
import type { Config } from './config/schema.js';
import { createControl, STANDALONE, type ControlDeps } from './control.js';
import type { HaNode } from './ha/ha-node.js';
import type { FlowSync } from './ha/flow-sync.js';
import { SwappableFlowSettings } from './flow/swappable-settings.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { RecentActivity } from './observe/recent.js';
import type { HostPort } from './transport/address.js';

export interface NodeDeps {
  readonly logger: Logger;
  /** Shown by `GET /status`; null when the config did not come from a file. */
  readonly configFile: string | null;
  /** Re-reads and validates the configuration on reload (SIGHUP, `POST /reload`). */
  readonly loadConfig: ControlDeps['loadConfig'];
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
}

export interface RunningNode {
  readonly app: App;
  readonly control: AdminControl;
  readonly metrics: Metrics;
  readonly admin: AdminServer;
  /** The bound SIP address (the kernel's port when sip.listen has port 0). */
  readonly sip: HostPort;
  /**
   * HA first (release the lease, lower the keepalived weight while SIP still answers), then the
   * SIP socket and timers, the admin API, the metrics subscriptions. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Builds and starts a node. Rejects when a socket cannot be bound (or HA cannot start), after
 * closing whatever it had opened.
 */
export async function startNode(config: Config, deps: NodeDeps): Promise<RunningNode> {
  const { logger } = deps;
  const now = deps.now ?? ((): number => performance.now());
  // ── HA (only with ha.redis): leader lease, keepalived role file, admin state shared through Redis ──
  let ha: HaNode | undefined;
  let flowSync: FlowSync | undefined;
  // Before any socket is bound and before the metrics subscribe to the proxy's channels (app/warm-up.ts),
  // with every channel held active until they have (observe/channel-hold.ts).
  // Only an optimisation: a node whose warm-up fails starts cold rather than not at all.
  const releaseChannels = config.sip.warmUpCalls > 0 ? holdChannelsActive() : (): void => {};
  if (config.sip.warmUpCalls > 0) {
    try {
      const w = warmUpProxy(config, config.sip.warmUpCalls, now);
      logger.info({ calls: w.calls, completed: w.completed, messages: w.messages, ms: w.ms }, 'proxy hot path compiled by synthetic calls (sip.warmUpCalls)');
    } catch (err) {
      logger.warn({ err }, 'proxy warm-up failed (sip.warmUpCalls): starting without it');
    }
  }
  const app = build(config, { logger, now, onAdminChange: (id, state) => ha?.publishAdmin(id, state) });
  if (config.ha.redis !== undefined) {
    // ioredis is loaded only by nodes that use HA (~20 MB RSS a standalone node does not need).
    const { startHaNode } = await import('./ha/ha-node.js');
    ha = await startHaNode({
      config,
      logger,
      backendIds: () => app.backends.all.map((b) => b.id),
      applyRemoteAdmin: (id, state) => {
        if (app.health.view(id)) app.health.setAdmin(id, state, 'remote'); // ids this node lacks are ignored
      },
    });
    // Flow-token keys and node map shared through Redis (no flow.keys configured), before SIP starts.
    if (app.flowSettings instanceof SwappableFlowSettings) {
      const { startFlowSync } = await import('./ha/flow-sync.js');
      flowSync = await startFlowSync({
        redisUrl: config.ha.redis,
        key: config.ha.key,
        commandTimeoutMs: config.ha.commandTimeout,
        settings: app.flowSettings,
        ownAddress: app.flowSettings.ownAddress() ?? config.sip.advertise ?? config.sip.listen[0]!,
        logger,
      });
    }
  }
  // ── end HA ──
  // Recent transitions and probe RTTs for the status page (GET /activity).
  const recent = new RecentActivity();
  const control = createControl({
    app,
    configFile: deps.configFile,
    loadConfig: deps.loadConfig,
    leader: ha?.leader ?? STANDALONE,
    now,
    recent,
  });
  // Metrics subscribe to the core's channels from here on; the admin API serves them.
  const metrics = createMetrics({ control, nodeId: config.node.id });
  let sip: HostPort;
  let admin: AdminServer;
  try {
    sip = await app.start();
    admin = await startAdminServer({
      listen: config.admin.listen,
      token: config.admin.token,
      socket: config.admin.socket === undefined ? undefined : { path: config.admin.socket, mode: Number.parseInt(config.admin.socketMode, 8) },
      control,
      metrics: metrics.registry,
      logger,
    });
    if (config.admin.token === undefined && config.admin.socket === undefined) {
      logger.warn(
        { component: 'admin' },
        'admin API has neither admin.token nor admin.socket: it will refuse every state change (disable, drain, reload over HTTP); set admin.socket (e.g. /run/siplb/admin.sock) or admin.token',
      );
    }
  } catch (err) {
    releaseChannels();
    await flowSync?.stop();
    await ha?.stop(); // HA
    await app.stop();
    metrics.close();
    recent.close();
    throw err;
  }
  // The metrics, the activity log and the app's own handlers have subscribed: the hold can go.
  releaseChannels();

  let stopping: Promise<void> | undefined;
  return {
    app,
    control,
    metrics,
    admin,
    sip,
    stop() {
      stopping ??= (flowSync?.stop() ?? Promise.resolve())
        .then(() => ha?.stop())
        .then(() => app.stop())
        .then(() => admin.close())
        .then(() => {
          metrics.close();
          recent.close();
        });
      return stopping;
    },
  };
}
