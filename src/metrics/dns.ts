/**
 * @module metrics/dns
 * Series of the DNS backends (backends[].host / .srv), read at scrape time from GET /status's
 * `dns` list like the other gauges: one series per configured name from the first scrape, the
 * failure counter at 0 until a lookup fails, and gone once a reload removes the name.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AdminControl, DnsNameView } from '../api/control.js';
import { perScrape, ReportedTotals } from './reported-totals.js';

export function createDnsSeries(registry: Registry, control: AdminControl): void {
  const names = perScrape((): readonly DnsNameView[] => control.status().dns ?? []);
  // The node counts failures per name; the counter follows it (a name a reload removed goes).
  const failures: Counter<'name'> = new Counter({
    name: 'siplb_dns_lookup_failures_total',
    help: 'Failed DNS lookups of a backends[].host or backends[].srv name (the last good set of backends stays in use).',
    labelNames: ['name'] as const,
    registers: [registry],
    collect: () => failureTotals.sync(names().map((n) => [n.name, n.failures] as const), true),
  });
  const failureTotals = new ReportedTotals(failures, 'name');
  const perName = (name: string, help: string, value: (n: DnsNameView, nowMs: number) => number): void => {
    const g: Gauge<'name'> = new Gauge({
      name,
      help,
      labelNames: ['name'] as const,
      registers: [registry],
      collect: () => {
        g.reset();
        const t = Date.now();
        for (const n of names()) g.set({ name: n.name }, value(n, t));
      },
    });
  };
  perName('siplb_dns_last_good_age_seconds', 'Seconds since the last good DNS answer for the name (-1 before the first one): alert when it grows past a few TTLs.',
    (n, t) => (n.lastGood === null ? -1 : Math.max(0, (t - Date.parse(n.lastGood)) / 1000)));
  perName('siplb_dns_members', 'Backends the last good DNS answer for the name gave.', (n) => n.members.length);
}
