/**
 * @module config/errors
 * Turns schema issues into operator messages: for every issue, where (`backends[1].address`),
 * what is wrong, and which change fixes it. The schema decides what is invalid; this module
 * decides how to say so. Pure.
 */

import type { z } from 'zod';
import { formatDuration, MAX_TIMER_MS } from './duration.js';
import { allowedKeys, listFields, schemaAt } from './introspect.js';
import type { ConfigPath } from './introspect.js';
import { ConfigSchema } from './schema.js';
import type { ConfigRule, FieldMeta } from './fields.js';
import { closest, findRename } from './suggest.js';

/** One problem in a configuration, ready to show an operator. */
export interface ConfigIssue {
  /** Where: `health.interval`, `backends[1].address`, `(root)` for the document, `(file)` for the file. */
  readonly path: string;
  /** What is wrong, e.g. "unknown key 'intervall'". */
  readonly reason: string;
  /** The change that fixes it, e.g. "did you mean 'interval'?". */
  readonly fix: string;
  /** 1-based position in the file, when the loader could locate the key. */
  readonly line?: number;
  readonly column?: number;
}

const DURATION_FIX = 'use e.g. "500ms", "2s" or a number of milliseconds';
const ADDRESS_FIX = 'use host:port, e.g. 127.0.0.1:5071 or [2001:db8::1]:5060';
const SEE_EXAMPLE = 'see deploy/siplb.example.yaml for every key with an example';

/** `['backends', 1, 'address']` → `backends[1].address`; `[]` → `(root)`. */
export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Path with every list index written `[]`, as in the rename table and the field list. */
function pattern(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? '[]' : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function valueAt(raw: unknown, path: ConfigPath): unknown {
  let cur = raw;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function received(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${show(v)}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function exampleText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** "use e.g. …" from the documentation of the key, or a pointer to the reference file. */
function exampleFix(meta: Partial<FieldMeta>, key: PropertyKey | undefined): string {
  if (meta.kind === 'duration') return DURATION_FIX;
  if (meta.kind === 'address') return ADDRESS_FIX;
  if (meta.hint !== undefined) return meta.hint;
  if (meta.example !== undefined) {
    return typeof key === 'string' ? `use e.g. ${key}: ${exampleText(meta.example)}` : `use e.g. ${exampleText(meta.example)}`;
  }
  return SEE_EXAMPLE;
}

type Issue = z.core.$ZodIssue;
type Draft = { path: ConfigPath; reason: string; fix: string };

/** Every key of the schema, by name, for "this key belongs elsewhere". */
let keyIndex: Map<string, string[]> | undefined;
function pathsOfKey(key: string): string[] {
  if (keyIndex === undefined) {
    keyIndex = new Map();
    for (const f of listFields(ConfigSchema)) {
      const name = f.path.slice(f.path.search(/[^.[\]]+$/));
      keyIndex.set(name, [...(keyIndex.get(name) ?? []), f.path]);
    }
  }
  return keyIndex.get(key) ?? [];
}

function unknownKey(parent: ConfigPath, key: string): Draft {
  const path = [...parent, key];
  const rename = findRename(pattern(parent), key);
  if (rename !== undefined) {
    const index = parent.find((p): p is number => typeof p === 'number');
    const target = index === undefined ? rename.use : rename.use.replace('[]', `[${index}]`);
    const note = rename.note === undefined ? '' : ` (${rename.note})`;
    return { path, reason: `'${key}' was renamed to '${target}'`, fix: `use ${target} instead${note}` };
  }
  const allowed = allowedKeys(ConfigSchema, parent);
  const near = closest(key, allowed);
  if (near !== undefined) return { path, reason: `unknown key '${key}'`, fix: `did you mean '${near}'?` };
  const elsewhere = pathsOfKey(key).filter((p) => p !== pattern(path));
  if (elsewhere.length > 0) {
    return { path, reason: `unknown key '${key}'`, fix: `move it: '${key}' belongs at ${elsewhere.join(' or ')}` };
  }
  const list = allowed.length > 0 ? `; allowed keys: ${allowed.join(', ')}` : '';
  return { path, reason: `unknown key '${key}'`, fix: `remove it${list}` };
}

function typeIssue(path: ConfigPath, expected: readonly string[], value: unknown, meta: Partial<FieldMeta>, leaf?: z.ZodType): Draft {
  const key = path[path.length - 1];
  if (path.length === 0) {
    return {
      path,
      reason: `expected a mapping of sections (backends, sip, health, …), received ${received(value)}`,
      fix: 'start the file with top-level keys such as "backends:"; ' + SEE_EXAMPLE,
    };
  }
  if (value === undefined) {
    return { path, reason: `missing required key '${String(key)}'`, fix: exampleFix(meta, key) };
  }
  // z.int() reports "expected number" for a string; say "whole number" where only one fits.
  const isInt = (leaf as { isInt?: unknown } | undefined)?.isInt === true;
  const want = [...new Set(expected.map((e) => (e === 'number' && isInt ? 'int' : e)))].map(typeName).join(' or ');
  const fix = meta.kind === undefined && meta.example === undefined && meta.hint === undefined ? `use ${want}` : exampleFix(meta, key);
  return { path, reason: `expected ${want}, received ${received(value)}`, fix };
}

function rangeFix(leaf: z.ZodType): string | undefined {
  const { minValue, maxValue } = leaf as unknown as { minValue?: number | null; maxValue?: number | null };
  if (typeof minValue === 'number' && typeof maxValue === 'number') {
    return `use a whole number from ${minValue} to ${maxValue}`;
  }
  return undefined;
}

function sizeIssue(issue: Issue & { code: 'too_small' | 'too_big' }, value: unknown, meta: Partial<FieldMeta>, leaf: z.ZodType | undefined): Draft {
  const path = issue.path;
  const small = issue.code === 'too_small';
  const bound = Number(small ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  switch (issue.origin) {
    case 'array':
    case 'set':
      return small
        ? { path, reason: `needs at least ${bound} item${bound === 1 ? '' : 's'}, found ${Array.isArray(value) ? value.length : 0}`, fix: meta.hint ?? `add items; ${SEE_EXAMPLE}` }
        : { path, reason: `allows at most ${bound} items`, fix: 'remove items' };
    case 'string':
      return {
        path,
        reason: small ? `too short: at least ${bound} characters required` : `too long: at most ${bound} characters allowed`,
        fix: meta.hint ?? (small ? `use at least ${bound} characters` : `use at most ${bound} characters`),
      };
    default:
      return {
        path,
        reason: `${show(value)} is ${small ? 'below the minimum' : 'above the maximum'} ${bound}`,
        fix: (leaf && rangeFix(leaf)) ?? (small ? `use ${bound} or more` : `use ${bound} or less`),
      };
  }
}

type Params = Record<string, unknown>;
const num = (p: Params, k: string): number => Number(p[k]);
const str = (p: Params, k: string): string => String(p[k]);

/** The fix for each rule behind a `custom` issue. */
const RULE_FIXES: Record<ConfigRule, (p: Params) => string> = {
  duration: () => DURATION_FIX,
  'duration-range': (p) =>
    num(p, 'max') === MAX_TIMER_MS
      ? `use at least ${formatDuration(num(p, 'min'))} and at most ${formatDuration(MAX_TIMER_MS)} (about 24.8 days, the longest Node timer)`
      : `use a duration from ${formatDuration(num(p, 'min'))} to ${formatDuration(num(p, 'max'))}`,
  address: () => ADDRESS_FIX,
  listen: () => 'use [udp:|tcp:|tls:|ws:|wss:]host:port, e.g. tcp:0.0.0.0:5060 (a bare host:port is UDP), or a list of them',
  'listen-duplicate-transport': (p) => `keep one ${str(p, 'transport')} listener: siplb serves each transport on one address (bind a wildcard with sip.advertise for several interfaces)`,
  'tls-files-required': () => 'set sip.tls.cert and sip.tls.key to PEM files (or pass --tls-cert/--tls-key), or remove the tls:/wss: listener',
  'status-code': () => 'use a code 100..699, a class such as "2xx", or a range such as "200-299"',
  'redis-url': () => 'use redis://host:port/db, or rediss:// for TLS, e.g. redis://10.0.0.5:6379/0',
  'duplicate-backend-id': (p) => `give each backend its own id, e.g. rename this one to '${str(p, 'id')}-2'`,
  'duplicate-backend-address': () => 'remove the duplicate entry or correct its address; to send a backend more calls, raise its weight',
  'backend-is-self': () => 'point the backend at a SIP server, not at sip.listen or sip.advertise of siplb',
  'advertise-required': (p) => `set sip.advertise to the address clients reach siplb at (the VIP), e.g. 192.0.2.10:${num(p, 'port')}, or listen on that address`,
  'timeout-not-below-interval': (p) => {
    const interval = num(p, 'interval');
    return `lower ${str(p, 'timeoutPath')} below ${formatDuration(interval)} (e.g. ${formatDuration(Math.max(1, Math.floor(interval / 2)))}) or raise ${str(p, 'intervalPath')}`;
  },
  'hash-key-without-hash-mode': (p) => `remove balance.hashKey, or set balance.mode: hash to balance on ${str(p, 'hashKey')} (mode is '${str(p, 'mode')}')`,
  'admin-token-required': () =>
    'set admin.token to a random secret of at least 16 characters (e.g. the output of `openssl rand -hex 32`), or set admin.listen to a loopback address such as 127.0.0.1:8060',
  'renew-interval-too-long': (p) => {
    const ttl = num(p, 'leaseTtl');
    return `lower ha.renewInterval below ${formatDuration(Math.floor(ttl / 2))} (e.g. ${formatDuration(Math.max(1, Math.floor(ttl / 3)))}) or raise ha.leaseTtl`;
  },
  'command-timeout-too-long': (p) => `lower ha.commandTimeout below ${formatDuration(num(p, 'renewInterval'))} or raise ha.renewInterval`,
  'dns-name': () => 'use a DNS host name such as gw1.example.com; an IP address goes into address (host:port), and a numeric GB/T 28181 domain is no DNS name',
  'srv-name': () => 'use _sip._udp.<domain>, _sip._tcp.<domain> or _sips._tcp.<domain> (RFC 3263 §4.1), e.g. _sip._udp.gw.example.com',
  'dns-server': () => 'use an IP address with an optional port, e.g. 10.0.0.53, 10.0.0.53:5353 or [2001:db8::53]:5353',
  'backend-target-missing': () => 'give the backend one of address (e.g. "10.0.0.11:5060"), host (e.g. gw1.example.com) or srv (e.g. _sip._udp.gw.example.com)',
  'backend-target-conflict': (p) => `keep one of ${str(p, 'first')} and ${str(p, 'second')}: write a second backends[] entry for the other`,
  'backend-id-required': () => "add an id, e.g. id: gw1 (1 to 64 letters, digits, '_', '.' or '-')",
  'port-without-host': (p) => (str(p, 'kind') === 'address' ? 'remove port: address carries its port (host:port)' : 'remove port: the SRV records give the ports'),
  'srv-sets-weight': (p) => `remove ${str(p, 'key')}, or list the backends with host or address to set it yourself`,
  'srv-transport-conflict': (p) => `remove transport (the SRV name implies ${str(p, 'implied')}), or use the SRV name of the transport you want (_sip._udp, _sip._tcp, _sips._tcp)`,
  'max-ttl-below-min-ttl': (p) => `raise dns.maxTtl to at least ${formatDuration(num(p, 'minTtl'))} or lower dns.minTtl`,
};

function isRule(v: unknown): v is ConfigRule {
  return typeof v === 'string' && Object.hasOwn(RULE_FIXES, v);
}

function draftsFor(issue: Issue, raw: unknown): Draft[] {
  const path = issue.path;
  const value = valueAt(raw, path);
  const at = schemaAt(ConfigSchema, path);
  const meta = at?.meta ?? {};
  const key = path[path.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => unknownKey(path, k));
    case 'invalid_type':
      return [typeIssue(path, [issue.expected], value, meta, at?.leaf)];
    case 'invalid_union': {
      // A value of the right kind for one option (a name for the name option, a mapping for the
      // map option) is reported by that option's own issues, e.g. an unknown name with the
      // allowed ones; otherwise the kinds the options expect.
      // A list is reported by the list option's per-element issues (e.g. one bad listen address).
      const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
      const fitting = issue.errors.find(
        (errs) =>
          errs.length > 0 &&
          (isMap
            ? errs.every((e) => e.path.length > 0 || e.code === 'unrecognized_keys')
            : Array.isArray(value)
              ? errs.every((e) => e.path.length > 0)
              : typeof value === 'string' && errs.every((e) => e.path.length === 0 && (e.code === 'invalid_value' || e.code === 'custom'))),
      );
      if (fitting !== undefined) return fitting.flatMap((e) => draftsFor({ ...e, path: [...path, ...e.path] } as Issue, raw));
      const expected = issue.errors.flat().flatMap((e) => (e.code === 'invalid_type' ? [e.expected] : []));
      return [typeIssue(path, expected, value, meta)];
    }
    case 'too_small':
    case 'too_big':
      return [sizeIssue(issue, value, meta, at?.leaf)];
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const near = typeof value === 'string' ? closest(value, allowed) : undefined;
      const list = allowed.map((v) => `'${v}'`).join(', ');
      return [{ path, reason: `invalid value ${show(value)}`, fix: near !== undefined ? `did you mean '${near}'? allowed: ${list}` : `use one of ${list}` }];
    }
    case 'invalid_format':
      return [{ path, reason: `invalid value ${show(value)}`, fix: exampleFix(meta, key) }];
    case 'custom': {
      const params = (issue.params ?? {}) as Params;
      const rule = params['rule'];
      if (isRule(rule)) {
        const reason = rule === 'redis-url' ? `${issue.message} ${show(value)}` : issue.message;
        return [{ path, reason, fix: RULE_FIXES[rule](params) }];
      }
      return [{ path, reason: issue.message, fix: exampleFix(meta, key) }];
    }
    default:
      return [{ path, reason: issue.message, fix: exampleFix(meta, key) }];
  }
}

/**
 * One ConfigIssue per problem: an issue listing two unknown keys becomes two. `raw` is the
 * document as read, to quote the offending value.
 */
export function toConfigIssues(issues: readonly Issue[], raw: unknown): ConfigIssue[] {
  return issues.flatMap((i) => draftsFor(i, raw)).map((d) => ({ path: formatPath(d.path), reason: d.reason, fix: d.fix }));
}

/** One line per issue: `FILE: PATH: REASON (fix: FIX)`, with `FILE:LINE:` when the line is known. */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const where = i.line === undefined ? file : `${file}:${i.line}`;
      return `${where}: ${i.path}: ${i.reason} (fix: ${i.fix})`;
    })
    .join('\n');
}
