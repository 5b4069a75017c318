/**
 * @module config/cross-field
 * Rules that span several keys: unique backends, probe timeout below interval (also per
 * backend, after overrides), a token off loopback, lease timing, an advertise address for a
 * wildcard listener. Pure.
 *
 * These run even when other parts of the document are invalid, so one pass reports every
 * problem; each rule first checks that the keys it reads parsed cleanly.
 */

import type { z } from 'zod';
import { formatAddress, formatListen, isLoopbackHost, isWildcardHost, sameAddress } from './address.js';
import type { Address } from './address.js';
import { formatDuration } from './duration.js';
import type { FixedBackendConfig } from './backend-entries.js';
import { parseSrvName } from './backend-names.js';
import type { ConfigBody, HealthThresholds } from './body-schema.js';

type Path = readonly PropertyKey[];
type Ctx = z.core.$RefinementCtx<ConfigBody>;

/** The thresholds that apply to one backend: its overrides over the global health values. */
export function effectiveHealth(health: HealthThresholds, backend: Pick<FixedBackendConfig, 'health'>): HealthThresholds {
  const b = backend.health;
  return {
    interval: b.interval ?? health.interval,
    timeout: b.timeout ?? health.timeout,
    fall: b.fall ?? health.fall,
    rise: b.rise ?? health.rise,
    okCodes: b.okCodes ?? health.okCodes,
    maxRtt: b.maxRtt ?? health.maxRtt,
  };
}

function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export function checkCrossField(cfg: ConfigBody, ctx: Ctx): void {
  if (typeof cfg !== 'object' || cfg === null) return; // the root itself failed; nothing to relate
  // An unknown key does not spoil its siblings' values; every other issue does.
  const spoiled = ctx.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => i.path ?? []);
  const ok = (...paths: Path[]): boolean => paths.every((p) => !spoiled.some((s) => overlaps(s, p)));
  const add = (path: PropertyKey[], message: string, params: Record<string, unknown>): void => {
    ctx.addIssue({ code: 'custom', path, message, params });
  };

  checkListeners(cfg, ok, add);

  checkBackends(cfg, ok, add);

  if (ok(['health', 'interval'], ['health', 'timeout']) && cfg.health.timeout >= cfg.health.interval) {
    add(['health', 'timeout'], `timeout ${formatDuration(cfg.health.timeout)} is not below interval ${formatDuration(cfg.health.interval)}`, {
      rule: 'timeout-not-below-interval',
      timeoutPath: 'health.timeout',
      intervalPath: 'health.interval',
      interval: cfg.health.interval,
    });
  }

  if (ok(['dns', 'minTtl'], ['dns', 'maxTtl']) && cfg.dns.maxTtl < cfg.dns.minTtl) {
    add(['dns', 'maxTtl'], `maxTtl ${formatDuration(cfg.dns.maxTtl)} is below minTtl ${formatDuration(cfg.dns.minTtl)}`, {
      rule: 'max-ttl-below-min-ttl',
      minTtl: cfg.dns.minTtl,
    });
  }

  if (ok(['admin', 'listen'], ['admin', 'token']) && !isLoopbackHost(cfg.admin.listen.host) && cfg.admin.token === undefined) {
    add(['admin', 'token'], `admin.listen ${formatAddress(cfg.admin.listen)} is not a loopback address, so the admin API needs a token`, {
      rule: 'admin-token-required',
    });
  }

  const ha = cfg.ha;
  if (ok(['ha', 'leaseTtl'], ['ha', 'renewInterval']) && ha.renewInterval * 2 >= ha.leaseTtl) {
    add(['ha', 'renewInterval'], `renewInterval ${formatDuration(ha.renewInterval)} is not below half of leaseTtl ${formatDuration(ha.leaseTtl)}`, {
      rule: 'renew-interval-too-long',
      leaseTtl: ha.leaseTtl,
    });
  }
  if (ok(['ha', 'renewInterval'], ['ha', 'commandTimeout']) && ha.commandTimeout >= ha.renewInterval) {
    add(['ha', 'commandTimeout'], `commandTimeout ${formatDuration(ha.commandTimeout)} is not below renewInterval ${formatDuration(ha.renewInterval)}`, {
      rule: 'command-timeout-too-long',
      renewInterval: ha.renewInterval,
    });
  }
}

/** One listener per transport; a wildcard needs sip.advertise; tls: and wss: need the certificate files. */
function checkListeners(
  cfg: ConfigBody,
  ok: (...paths: Path[]) => boolean,
  add: (path: PropertyKey[], message: string, params: Record<string, unknown>) => void,
): void {
  if (!ok(['sip', 'listen'])) return;
  const seen = new Set<string>();
  cfg.sip.listen.forEach((l, i) => {
    const at = cfg.sip.listen.length === 1 ? ['sip', 'listen'] : ['sip', 'listen', i];
    if (seen.has(l.transport)) {
      add(at, `a second ${l.transport} listener ${formatListen(l)}`, { rule: 'listen-duplicate-transport', transport: l.transport });
    }
    seen.add(l.transport);
  });
  const wildcard = cfg.sip.listen.find((l) => isWildcardHost(l.host));
  if (wildcard !== undefined && ok(['sip', 'advertise']) && cfg.sip.advertise === undefined) {
    add(['sip', 'advertise'], `sip.listen ${formatAddress(wildcard)} is a wildcard address, which cannot go into Via or Record-Route`, {
      rule: 'advertise-required',
      port: wildcard.port,
    });
  }
  const secure = (['tls', 'wss'] as const).filter((t) => seen.has(t));
  if (secure.length > 0 && ok(['sip', 'tls']) && (cfg.sip.tls.cert === undefined || cfg.sip.tls.key === undefined)) {
    add(['sip', 'tls', cfg.sip.tls.cert === undefined ? 'cert' : 'key'], `a ${secure.join(': and ')}: listener needs a certificate and its key`, { rule: 'tls-files-required' });
  }
}

function checkBackends(
  cfg: ConfigBody,
  ok: (...paths: Path[]) => boolean,
  add: (path: PropertyKey[], message: string, params: Record<string, unknown>) => void,
): void {
  if (!Array.isArray(cfg.backends)) return; // per-element guards below cover partly invalid lists
  const ids = new Map<string, string>();
  const addrs: Array<{ address: Address; index: number }> = [];
  const self: Address[] = [];
  if (ok(['sip', 'listen'])) self.push(...cfg.sip.listen);
  if (ok(['sip', 'advertise']) && cfg.sip.advertise !== undefined) self.push(cfg.sip.advertise);
  const healthOk = ok(['health', 'interval'], ['health', 'timeout']);

  cfg.backends.forEach((b, i) => {
    checkEntryKind(b, i, ok, add);
    // An SRV entry without id names its members after the SRV name: that is its id here.
    const id = b.id ?? b.srv;
    const idKey = b.id !== undefined ? 'id' : 'srv';
    if (id !== undefined && ok(['backends', i, idKey])) {
      const first = ids.get(id);
      if (first === undefined) ids.set(id, `backends[${i}].${idKey}`);
      else {
        add(['backends', i, idKey], `duplicate backend id '${id}' (first used at ${first})`, {
          rule: 'duplicate-backend-id',
          id,
        });
      }
    }
    if (b.address !== undefined && ok(['backends', i, 'address'])) {
      const text = formatAddress(b.address);
      const address = b.address;
      const first = addrs.find((a) => sameAddress(a.address, address));
      if (first !== undefined) {
        add(['backends', i, 'address'], `duplicate backend address ${text} (first used at backends[${first.index}].address)`, {
          rule: 'duplicate-backend-address',
        });
      } else addrs.push({ address, index: i });
      if (self.some((s) => sameAddress(s, address))) {
        add(['backends', i, 'address'], `backend address ${text} is siplb's own SIP address: requests would loop`, {
          rule: 'backend-is-self',
        });
      }
    }
    const own = ['backends', i, 'health'];
    if (healthOk && ok([...own, 'interval'], [...own, 'timeout']) && (b.health.interval !== undefined || b.health.timeout !== undefined)) {
      const eff = effectiveHealth(cfg.health, b);
      if (eff.timeout >= eff.interval) {
        const key = b.health.timeout !== undefined ? 'timeout' : 'interval';
        const timeoutPath = b.health.timeout !== undefined ? pathText([...own, 'timeout']) : 'health.timeout';
        const intervalPath = b.health.interval !== undefined ? pathText([...own, 'interval']) : 'health.interval';
        add([...own, key], `effective timeout ${formatDuration(eff.timeout)} (${timeoutPath}) is not below effective interval ${formatDuration(eff.interval)} (${intervalPath})`, {
          rule: 'timeout-not-below-interval',
          timeoutPath,
          intervalPath,
          interval: eff.interval,
        });
      }
    }
  });
}

type Entry = ConfigBody['backends'][number];
const TARGET_KEYS = ['address', 'host', 'srv'] as const;

/** Exactly one of address, host, srv; the keys that go with it; an id where one is needed. */
function checkEntryKind(
  b: Entry,
  i: number,
  ok: (...paths: Path[]) => boolean,
  add: (path: PropertyKey[], message: string, params: Record<string, unknown>) => void,
): void {
  const at = (key: string): PropertyKey[] => ['backends', i, key];
  // A key that failed its own check still counts as given: the operator wrote it.
  const given = TARGET_KEYS.filter((k) => b[k] !== undefined || !ok(at(k)));
  if (given.length === 0) {
    add(['backends', i], `backends[${i}] has none of address, host or srv`, { rule: 'backend-target-missing' });
    return;
  }
  if (given.length > 1) {
    add(at(given[1] ?? 'srv'), `backends[${i}] has both ${given[0]} and ${given[1]}`, { rule: 'backend-target-conflict', first: given[0], second: given[1] });
    return;
  }
  const kind = given[0];
  if (kind !== 'srv' && b.id === undefined && ok(at('id'))) add(at('id'), "missing required key 'id'", { rule: 'backend-id-required', kind });
  if (kind !== 'host' && b.port !== undefined) add(at('port'), `port goes only with host (this entry has ${kind})`, { rule: 'port-without-host', kind });
  if (kind === 'srv') {
    for (const key of ['weight', 'priority'] as const) {
      if (b[key] !== undefined) add(at(key), `${key} is given by the SRV records of ${b.srv ?? 'the srv name'}`, { rule: 'srv-sets-weight', key });
    }
    const implied = b.srv === undefined ? undefined : parseSrvName(b.srv)?.transport;
    if (b.transport !== undefined && implied !== undefined && b.transport !== implied) {
      add(at('transport'), `transport ${b.transport} contradicts ${b.srv ?? ''}, which means ${implied}`, { rule: 'srv-transport-conflict', implied });
    }
  }
}
