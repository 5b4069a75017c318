/**
 * @module config/reload-policy
 * What a reload does with each config key: applied to the running node at once, or kept until a
 * restart (the key sizes a table, binds a socket, or is read once at start). Every key of the
 * schema falls under exactly one rule (a test walks the schema), so `siplb reload` can say for
 * every change which one it was, instead of "no changes" for a key it quietly applied or ignored.
 * Pure: compares two validated configs.
 */
import type { Config } from './schema.js';

export type ReloadEffect = 'applied' | 'restart';

/** Longest matching prefix wins. Order does not matter. */
const RULES: ReadonlyArray<readonly [prefix: string, effect: ReloadEffect]> = [
  ['node', 'restart'],
  ['sip', 'restart'],
  // WebSocket allowlists, heartbeat and caps are read when the listeners are built (app/ws-listeners.ts).
  ['sip.ws', 'restart'],
  ['backends', 'applied'],
  // DNS backends (backends[].host / .srv, split out after validation) and the resolver settings:
  // re-resolved at once with the new settings (src/dns).
  ['dnsBackends', 'applied'],
  ['dns', 'applied'],
  ['balance.mode', 'applied'],
  ['balance.hashKey', 'applied'],
  ['balance.vnodes', 'applied'],
  ['balance.failback', 'applied'],
  // Sizes and lifetimes of the Call-ID tables, fixed when they are built.
  ['balance.affinityTtl', 'restart'],
  ['balance.affinityMaxEntries', 'restart'],
  ['health', 'applied'],
  // Read when the prober and its socket are built, or when a backend is first seen.
  ['health.startState', 'restart'],
  ['health.fromUri', 'restart'],
  ['health.userAgent', 'restart'],
  ['health.source', 'restart'],
  ['passive', 'applied'],
  ['failover', 'applied'],
  ['dialogs', 'restart'],
  ['overload', 'restart'],
  // Rebuilt in place: remembered sources, blocks and counts stay (security/policy.ts reconfigure).
  ['security', 'applied'],
  // Sizes the source table, fixed when it is built.
  ['security.maxSources', 'restart'],
  ['admin', 'restart'],
  ['ha', 'restart'],
  ['log', 'restart'],
  // The key ring and node map are read once at build (app/flow-wiring.ts).
  ['flow', 'restart'],
];

/** Keys whose values are secrets: a change is reported, the values never (reload output, logs). */
const SECRET_KEYS: ReadonlySet<string> = new Set(['admin.token', 'flow.keys']);

/** The effect of changing the key at `path` (dotted; list items are compared as a whole). */
export function reloadEffect(path: string): ReloadEffect {
  let best: (typeof RULES)[number] | undefined;
  for (const r of RULES) {
    if ((path === r[0] || path.startsWith(`${r[0]}.`)) && (best === undefined || r[0].length > best[0].length)) best = r;
  }
  // A key no rule names is safest reported as needing a restart (the policy test prevents it).
  return best?.[1] ?? 'restart';
}

export interface KeyChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
  readonly effect: ReloadEffect;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf key whose value differs; lists (backends, codes) compare as one value. */
export function changedKeys(prev: Config, next: Config): KeyChange[] {
  const out: KeyChange[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path === '' ? k : `${path}.${k}`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, from: a, to: b, effect: reloadEffect(path) });
  };
  walk(prev, next, '');
  return out;
}

const show = (v: unknown): string => (v === undefined ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v));

/** One line per changed key, e.g. `balance.hashKey.other: call-id → to-user (applied)`. */
export function describeChanges(changes: readonly KeyChange[]): string[] {
  return changes.map((c) => {
    const what =
      c.path === 'backends' || c.path === 'dnsBackends' ? 'backends' : SECRET_KEYS.has(c.path) ? `${c.path}: changed (secret, not shown)` : `${c.path}: ${show(c.from)} → ${show(c.to)}`;
    return c.effect === 'applied' ? `${what} (applied)` : `${what}: needs a restart to take effect`;
  });
}
