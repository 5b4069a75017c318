/**
 * @module config/fields
 * Building blocks of the config schema: value kinds with their own normal form (durations,
 * addresses, status-code patterns), the documentation attached to each key, and the names of
 * the rules behind custom issues. Pure: zod and sibling pure modules only.
 */

import { z } from 'zod';
import { parseAddress, parseListen } from './address.js';
import type { Address, ListenAddress } from './address.js';
import { MAX_TIMER_MS, formatDuration, parseDuration } from './duration.js';
import type { Milliseconds } from './duration.js';

/**
 * What the schema knows about one key, beyond its type. Read by ./errors.ts (examples, fix
 * hints) and by the test that checks every key is documented.
 */
export type FieldMeta = {
  /** Meaning, unit and default, in operator words. */
  description: string;
  /** A realistic value as written in YAML. */
  example?: unknown;
  /** Value kinds with their own error wording. */
  kind?: 'duration' | 'address';
  /** How to write a valid value, when an example alone does not say it. */
  hint?: string;
};

/** Names of the rules behind `custom` issues; ./errors.ts maps each to its fix. */
export type ConfigRule =
  | 'duration'
  | 'duration-range'
  | 'address'
  | 'listen'
  | 'listen-duplicate-transport'
  | 'tls-files-required'
  | 'status-code'
  | 'redis-url'
  | 'duplicate-backend-id'
  | 'duplicate-backend-address'
  | 'backend-is-self'
  | 'advertise-required'
  | 'timeout-not-below-interval'
  | 'hash-key-without-hash-mode'
  | 'admin-token-required'
  | 'renew-interval-too-long'
  | 'command-timeout-too-long'
  | 'dns-name'
  | 'srv-name'
  | 'dns-server'
  | 'backend-target-missing'
  | 'backend-target-conflict'
  | 'backend-id-required'
  | 'port-without-host'
  | 'srv-sets-weight'
  | 'srv-transport-conflict'
  | 'max-ttl-below-min-ttl';

export function doc<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta({ ...meta });
}

/** A duration in milliseconds, from a string with a unit or a number of milliseconds. */
export function duration(min: Milliseconds = 1, max: Milliseconds = MAX_TIMER_MS) {
  const schema = z.union([z.number(), z.string()]).transform((v, ctx): Milliseconds => {
    const ms = typeof v === 'number' ? (Number.isInteger(v) ? v : undefined) : parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', input: v, message: `invalid duration ${JSON.stringify(v)}`, params: { rule: 'duration' } });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      const message = `duration ${formatDuration(ms)} is out of range ${formatDuration(min)}..${formatDuration(max)}`;
      ctx.addIssue({ code: 'custom', input: v, message, params: { rule: 'duration-range', min, max } });
      return z.NEVER;
    }
    return ms;
  });
  return schema.meta({ kind: 'duration' });
}

/** `host:port` normalized to `{ host, port }`; port 0 (OS picks) only where `allowPortZero`. */
export function address(allowPortZero = false) {
  const schema = z.string().transform((v, ctx): Address => {
    const r = parseAddress(v, allowPortZero);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', input: v, message: `invalid address '${v}': ${r.reason}`, params: { rule: 'address', allowPortZero } });
      return z.NEVER;
    }
    return r.address;
  });
  return schema.meta({ kind: 'address' });
}

/**
 * `sip.listen`: one listener (`host:port`, `tcp:host:port`) or a list of them, normalised to a
 * list; port 0 lets the OS pick (tests).
 */
export function listenList() {
  const one = z.string().transform((v, ctx): ListenAddress => {
    const r = parseListen(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', input: v, message: `invalid listen address '${v}': ${r.reason}`, params: { rule: 'listen' } });
      return z.NEVER;
    }
    return r.listen;
  });
  return z.union([one.transform((l) => [l]), z.array(one).min(1).max(8)]).meta({ kind: 'listen' });
}

export function int(min: number, max: number) {
  return z.int().min(min).max(max);
}

// ── status codes for health.okCodes ────────────────────────────────────────────────────────

const STATUS_CLASS = /^[1-6]xx$/i;
const STATUS_RANGE = /^(\d{3})\s*-\s*(\d{3})$/;

/** 100..699, "2xx" or "200-299" (Kamailio's ds_ping_reply_codes, in our words). */
export function isOkCodePattern(v: number | string): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 100 && v <= 699;
  if (STATUS_CLASS.test(v)) return true;
  const m = STATUS_RANGE.exec(v);
  if (m === null) return false;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo >= 100 && hi <= 699 && lo <= hi;
}

export const okCode = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  if (!isOkCodePattern(v)) {
    ctx.addIssue({ code: 'custom', input: v, message: `invalid status code ${JSON.stringify(v)}`, params: { rule: 'status-code' } });
  }
});
