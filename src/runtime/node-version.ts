/**
 * @module runtime/node-version
 * The Node.js release siplb runs on, and the check that refuses an older one. Pure: the CLI entry
 * passes `process.versions.node` and decides what to do with the answer.
 *
 * Node.js 24 LTS is the floor: Node 20 reached end of life on 2026-04-30 (no security fixes for a
 * daemon that parses untrusted datagrams), and later work needs what 22.12+ added (dgram
 * `reusePort`). package.json `engines` says the same; a unit test keeps the two in step.
 */

/** Lowest Node.js major siplb starts on. */
export const MIN_NODE_MAJOR = 24;

/** The refusal line for a Node.js older than MIN_NODE_MAJOR, or null when `version` is new enough. */
export function nodeVersionProblem(version: string): string | null {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return null;
  return `siplb: needs Node.js ${MIN_NODE_MAJOR} LTS or newer, this is Node.js ${version} (install Node.js ${MIN_NODE_MAJOR}, or run through npm, which uses the Node ${MIN_NODE_MAJOR} that npm ci installed in node_modules/.bin)`;
}

/** What a running node reports about its runtime (GET /status, `siplb status`, the start log line). */
export interface RuntimeFacts {
  /** `process.version`, e.g. `v24.22.3`. */
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly pid: number;
}
