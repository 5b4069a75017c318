/**
 * @module main
 * The composition root of a running node: load and validate the config, build the app, start it,
 * and stop it cleanly on SIGTERM/SIGINT (sockets closed, exit 0). Returns the exit code; the CLI
 * entry is what calls process.exit with it.
 */
import { build } from './app.js';
import { formatIssues } from './config/errors.js';
import { loadConfigFile, type ConfigOverrides } from './config/load.js';
import { createControl, STANDALONE } from './control.js';
import { startHaNode, type HaNode } from './ha/ha-node.js';
import { createLogger } from './log.js';
import { startAdminServer, type AdminServer } from './admin/index.js';
import { createMetrics } from './metrics/registry.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

export interface StartOptions extends ConfigOverrides {
  readonly config: string;
}

export async function runStart(opts: StartOptions): Promise<number> {
  const { config: file, ...overrides } = opts;
  const loaded = await loadConfigFile(file, overrides);
  if (!loaded.ok) {
    process.stderr.write(`${formatIssues(file, loaded.issues)}\n`);
    process.stderr.write(`siplb: refusing to start: ${loaded.issues.length} problem(s) in ${file}\n`);
    return EXIT_CONFIG;
  }
  const config = loaded.config;
  const logger = createLogger({ level: config.log.level, base: { node: config.node.id } });
  const now = (): number => performance.now();
  // ── HA (only with ha.redis): leader lease, keepalived role file, admin state shared through Redis ──
  let ha: HaNode | undefined;
  const app = build(config, { logger, now, onAdminChange: (id, state) => ha?.publishAdmin(id, state) });
  if (config.ha.redis !== undefined) {
    ha = await startHaNode({
      config,
      logger,
      backendIds: () => app.backends.all.map((b) => b.id),
      applyRemoteAdmin: (id, state) => {
        if (app.health.view(id)) app.health.setAdmin(id, state, 'remote'); // ids this node lacks are ignored
      },
    });
  }
  // ── end HA ──
  const control = createControl({
    app,
    configFile: file,
    loadConfig: () => loadConfigFile(file, overrides),
    leader: ha?.leader ?? STANDALONE,
    now,
  });
  // Metrics subscribe to the core's channels from here on; the admin API serves them.
  const metrics = createMetrics({ control, nodeId: config.node.id });
  let admin: AdminServer | undefined;
  // SIGHUP: re-read and apply the config file; a bad file is refused and the running config stays.
  const onHup = (): void => {
    void control.reload();
  };
  process.on('SIGHUP', onHup);
  try {
    await app.start();
    admin = await startAdminServer({ listen: config.admin.listen, token: config.admin.token, control, metrics: metrics.registry, logger });
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.off('SIGHUP', onHup);
    await ha?.stop(); // HA
    await app.stop();
    metrics.close();
    return EXIT_RUNTIME;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      process.off('SIGHUP', onHup);
      // HA first: release the lease and lower the keepalived weight while SIP still answers.
      (ha?.stop() ?? Promise.resolve())
        .then(() => app.stop())
        .then(() => admin?.close())
        .then(() => metrics.close())
        .then(
        () => resolve(EXIT_OK),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(EXIT_RUNTIME);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
