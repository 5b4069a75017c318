/**
 * @module log
 * The pino root logger. Components take a child at construction (`logger.child({ component })`),
 * never one per packet. Call-IDs and payloads are logged at debug only.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LevelWithSilent;
  /** Extra bindings on every line, e.g. the node id. */
  readonly base?: Record<string, unknown>;
  /** Destination stream; default stdout. Tests pass a memory stream. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { pid: process.pid, ...opts.base },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
