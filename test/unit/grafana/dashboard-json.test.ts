/**
 * grafana/dashboards/siplb.json is generated from grafana/dashboard.ts and must stay equal to it.
 * Regenerate: SIPLB_WRITE_DASHBOARD=1 npx vitest run test/unit/grafana/dashboard-json.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboard } from '../../../grafana/dashboard.js';

const GRAFANA = path.resolve(import.meta.dirname, '../../../grafana');
const JSON_FILE = path.join(GRAFANA, 'dashboards/siplb.json');

if (process.env.SIPLB_WRITE_DASHBOARD === '1') writeFileSync(JSON_FILE, `${JSON.stringify(dashboard, null, 2)}\n`);

describe('grafana/dashboards/siplb.json', () => {
  it('equals the dashboard generated from grafana/dashboard.ts (regenerate with SIPLB_WRITE_DASHBOARD=1)', () => {
    const onDisk = JSON.parse(readFileSync(JSON_FILE, 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(dashboard)));
  });

  it('has unique panel ids, a $node variable, and the panels an operator needs during failover', () => {
    const all = dashboard.panels.flatMap((p) => [p, ...('panels' in p ? p.panels : [])]);
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'node']);
    const titles = all.map((p) => p.title);
    for (const t of ['Backend health', 'New calls/s per backend', 'Probe RTT p50 / p95', 'Health transitions', 'Failovers/s',
      'Active calls per backend', 'Role per node', 'Leader changes', 'Drops/s by reason', 'Rejects/s by reason', 'CPU', 'Memory', 'Event-loop lag']) {
      expect(titles).toContain(t);
    }
    expect(all.find((p) => p.title === 'Backend health')?.type).toBe('state-timeline');
  });

  it('the provisioning files point at the dashboard folder and a Prometheus data source', () => {
    const dashboards = readFileSync(path.join(GRAFANA, 'provisioning/dashboards/siplb.yaml'), 'utf8');
    expect(dashboards).toContain('path: /var/lib/grafana/dashboards/siplb');
    const ds = readFileSync(path.join(GRAFANA, 'provisioning/datasources/prometheus.yaml'), 'utf8');
    expect(ds).toContain('type: prometheus');
  });
});
