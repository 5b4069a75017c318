/**
 * @module cli/exit-codes
 * The exit codes of `siplb`, one place. Scripts branch on them, so a code never changes meaning.
 * 64 is EX_USAGE of sysexits(3).
 */
export const EXIT = {
  /** The command did what was asked (probe: a 2xx reply). */
  OK: 0,
  /** Runtime failure (start: the node could not run; probe: a non-2xx final reply). */
  RUNTIME: 1,
  /** Invalid configuration (check-config, start, and reload when the node refuses the new file). */
  CONFIG: 2,
  /** The admin API could not be reached (connection refused, timeout, DNS). */
  UNREACHABLE: 3,
  /** The admin API answered with an error (4xx/5xx), e.g. 401 wrong token, 404 unknown backend. */
  REFUSED: 4,
  /** `probe`: no final reply before --timeout. */
  PROBE_TIMEOUT: 5,
  /** Bad command line: unknown command or option, missing argument, malformed value. */
  USAGE: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
