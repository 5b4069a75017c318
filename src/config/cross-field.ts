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
import { formatAddress, isLoopbackHost, isWildcardHost, sameAddress } from './address.js';
import type { Address } from './address.js';
import { formatDuration } from './duration.js';
import type { BackendConfig, ConfigBody, HealthThresholds } from './body-schema.js';

type Path = readonly PropertyKey[];
type Ctx = z.core.$RefinementCtx<ConfigBody>;

/** The thresholds that apply to one backend: its overrides over the global health values. */
export function effectiveHealth(health: HealthThresholds, backend: Pick<BackendConfig, 'health'>): HealthThresholds {
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

  if (ok(['sip', 'listen'], ['sip', 'advertise']) && isWildcardHost(cfg.sip.listen.host) && cfg.sip.advertise === undefined) {
    add(['sip', 'advertise'], `sip.listen ${formatAddress(cfg.sip.listen)} is a wildcard address, which cannot go into Via or Record-Route`, {
      rule: 'advertise-required',
      port: cfg.sip.listen.port,
    });
  }

  checkBackends(cfg, ok, add);

  if (ok(['health', 'interval'], ['health', 'timeout']) && cfg.health.timeout >= cfg.health.interval) {
    add(['health', 'timeout'], `timeout ${formatDuration(cfg.health.timeout)} is not below interval ${formatDuration(cfg.health.interval)}`, {
      rule: 'timeout-not-below-interval',
      timeoutPath: 'health.timeout',
      intervalPath: 'health.interval',
      interval: cfg.health.interval,
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

function checkBackends(
  cfg: ConfigBody,
  ok: (...paths: Path[]) => boolean,
  add: (path: PropertyKey[], message: string, params: Record<string, unknown>) => void,
): void {
  if (!Array.isArray(cfg.backends)) return; // per-element guards below cover partly invalid lists
  const ids = new Map<string, number>();
  const addrs: Array<{ address: Address; index: number }> = [];
  const self: Address[] = [];
  if (ok(['sip', 'listen'])) self.push(cfg.sip.listen);
  if (ok(['sip', 'advertise']) && cfg.sip.advertise !== undefined) self.push(cfg.sip.advertise);
  const healthOk = ok(['health', 'interval'], ['health', 'timeout']);

  cfg.backends.forEach((b, i) => {
    if (ok(['backends', i, 'id'])) {
      const first = ids.get(b.id);
      if (first === undefined) ids.set(b.id, i);
      else {
        add(['backends', i, 'id'], `duplicate backend id '${b.id}' (first used at backends[${first}].id)`, {
          rule: 'duplicate-backend-id',
          id: b.id,
        });
      }
    }
    if (ok(['backends', i, 'address'])) {
      const text = formatAddress(b.address);
      const first = addrs.find((a) => sameAddress(a.address, b.address));
      if (first !== undefined) {
        add(['backends', i, 'address'], `duplicate backend address ${text} (first used at backends[${first.index}].address)`, {
          rule: 'duplicate-backend-address',
        });
      } else addrs.push({ address: b.address, index: i });
      if (self.some((s) => sameAddress(s, b.address))) {
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
