/**
 * @module config/validate
 * The one place a configuration is checked: raw document in, deep-frozen `Config` or the full
 * list of issues out. Nothing downstream re-validates. Pure: never throws for bad input.
 */

import { toConfigIssues } from './errors.js';
import type { ConfigIssue } from './errors.js';
import { ConfigSchema } from './schema.js';
import type { Config } from './schema.js';

export type ValidateResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Freezes `value` and everything reachable from it; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates a parsed document (from YAML, JSON or code). On success every default is filled,
 * durations are integer milliseconds, addresses are `{ host, port }`, and the result is frozen.
 * `node.id` stays '' when unset: filling it from the host name is the loader's job.
 */
export function validateConfig(raw: unknown): ValidateResult {
  const r = ConfigSchema.safeParse(raw);
  if (r.success) return { ok: true, config: deepFreeze(r.data) };
  return { ok: false, issues: toConfigIssues(r.error.issues, raw) };
}
