/**
 * @module cli/io
 * Where a CLI command writes and leaves its exit code. Its own module so that commands and the
 * program that dispatches to them both read it without importing each other.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Where a finished command leaves its exit code. */
  setExitCode(code: number): void;
  /** Output is a terminal: `demo` may redraw its table in place. @default false */
  readonly tty?: boolean;
}
