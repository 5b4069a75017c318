/**
 * @module app/reload-plan
 * What a reload changes, decided from the two configs alone (pure): the lines `siplb reload`
 * prints, and which running parts must be rebuilt rather than updated in place. app.ts carries
 * the plan out; this module owns no state, so every case is a plain unit test.
 */
import type { Config } from '../config/schema.js';
import { changedKeys, describeChanges } from '../config/reload-policy.js';

export interface ReloadPlan {
  /** One line per change, e.g. `backend gw4 added`, `failover.codes: [503] → [503,408] (applied)`. */
  readonly changes: readonly string[];
  /** Serial failover turned on or off: the instance is rebuilt (its calls cleared); else updated in place. */
  readonly failover: 'rebuild' | 'update';
  /** Balancing mode or ring size changed: a new balancer (a ring keeps positions only for its own vnodes). */
  readonly rebuildBalancer: boolean;
}

export function planReload(prev: Config, next: Config): ReloadPlan {
  const changes: string[] = [];
  const before = new Set(prev.backends.map((b) => b.id));
  const after = new Set(next.backends.map((b) => b.id));
  for (const id of after) if (!before.has(id)) changes.push(`backend ${id} added`);
  for (const id of before) if (!after.has(id)) changes.push(`backend ${id} removed (its calls in progress go on by Record-Route)`);
  const keys = changedKeys(prev, next);
  // With backends added or removed those lines say it; otherwise a backends change is an edit.
  if (changes.length > 0) changes.push(...describeChanges(keys.filter((k) => k.path !== 'backends')));
  else changes.push(...describeChanges(keys).map((c) => (c.startsWith('backends') ? 'backend addresses or weights changed (applied)' : c)));
  return {
    changes,
    failover: prev.failover.enabled !== next.failover.enabled ? 'rebuild' : 'update',
    rebuildBalancer: prev.balance.mode !== next.balance.mode || prev.balance.vnodes !== next.balance.vnodes,
  };
}
