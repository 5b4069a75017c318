/**
 * @module main
 * The composition root of a running node: load and validate the config, start the node
 * (./node.ts: app, control, metrics, admin API, HA when configured), and stop it cleanly on
 * SIGTERM/SIGINT (sockets closed, exit 0). Returns the exit code; the CLI entry is what calls
 * process.exit with it.
 */
import { formatIssues } from './config/errors.js';
import { loadConfigFile, type ConfigOverrides } from './config/load.js';
import { createLogger } from './log.js';
import { startNode, type RunningNode } from './node.js';

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
  let node: RunningNode | undefined;
  // SIGHUP: re-read and apply the config file; a bad file is refused and the running config stays.
  // Installed before the start so a SIGHUP during startup does not kill the process (Node's default).
  const onHup = (): void => {
    void node?.control.reload();
  };
  process.on('SIGHUP', onHup);
  try {
    node = await startNode(config, { logger, configFile: file, loadConfig: () => loadConfigFile(file, overrides) });
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    process.off('SIGHUP', onHup);
    return EXIT_RUNTIME;
  }
  const running = node;

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      process.off('SIGHUP', onHup);
      // HA first: release the lease and lower the keepalived weight while SIP still answers.
      running.stop().then(
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
