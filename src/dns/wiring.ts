/**
 * @module dns/wiring
 * Backends from DNS, wired into a node: app.ts hands every config it is about to run with (the
 * first one and each reload) to `effective`, which adds the members of the DNS entries to
 * `backends`; when a lookup changes the members, `reapply` runs the same path as a reload, so
 * the backend registry, balancer, prober targets and health follow exactly as they do for an
 * edited file (members that stay keep their ids and ring positions; calls in progress go on).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { backendList } from './members.js';
import { DnsRefresher, type DnsEntryStatus } from './refresher.js';
import { createResolver, type DnsLookup } from './resolver.js';

export interface DnsBackends {
  /** The config to run with: `file` with the current DNS members appended to its backends. */
  effective(file: Config): Config;
  /** Resolve every name once, then keep them fresh. */
  start(): Promise<void>;
  stop(): void;
  status(): DnsEntryStatus[];
}

export interface DnsDeps {
  readonly logger: Logger;
  /** Apply a config the way a reload does (app.applyConfig); it calls `effective` on it. */
  readonly reapply: (file: Config) => string[];
  /** The lookup for given dns settings (tests). @default createResolver */
  readonly lookup?: (dns: Config['dns']) => DnsLookup;
}

const resolverFor = (dns: Config['dns']): DnsLookup => createResolver({ servers: dns.servers });

export function buildDnsBackends(initial: Config, deps: DnsDeps): DnsBackends {
  const log = deps.logger.child({ component: 'dns' });
  const makeLookup = deps.lookup ?? resolverFor;
  let file = initial;
  let dnsKey = JSON.stringify(initial.dns);
  let shadowedKey = '';
  const refresher = new DnsRefresher({
    lookup: makeLookup(initial.dns),
    minTtlMs: initial.dns.minTtl,
    maxTtlMs: initial.dns.maxTtl,
    logger: log,
    onChange: () => {
      const changes = deps.reapply(file);
      log.info({ changes }, 'DNS answer changed the backends (applied like a reload)');
    },
  });
  refresher.setEntries(initial.dnsBackends);

  return {
    effective(next) {
      file = next;
      const key = JSON.stringify(next.dns);
      if (key !== dnsKey) {
        dnsKey = key;
        refresher.setResolver(makeLookup(next.dns), next.dns.minTtl, next.dns.maxTtl);
      }
      refresher.setEntries(next.dnsBackends);
      if (next.dnsBackends.length === 0) return next;
      const { backends, shadowed } = backendList(next.backends, next.dnsBackends, refresher.members());
      const sk = shadowed.join(',');
      if (sk !== shadowedKey) {
        shadowedKey = sk;
        if (shadowed.length > 0) log.warn({ members: shadowed }, 'DNS members left out: their address (or id) is already another backend');
      }
      return { ...next, backends };
    },
    start: () => refresher.start(),
    stop: () => refresher.stop(),
    status: () => refresher.status(),
  };
}
