/**
 * Issue 19 item 4, "every series from the first scrape": a freshly started siplb (the built
 * binary, the shipped config with its three backends, ports moved to free ones, nothing listening
 * on the backend ports, no SIP traffic) already exports every metric the shipped Grafana
 * dashboard queries, for every configured backend where the metric has a backend label. The list
 * of metrics is derived from grafana/dashboards/siplb.json by parsing its PromQL, not written
 * down here. Then a reload that adds a backend and removes one: the new one has its series at
 * the next scrape, the removed one has none.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dashboardMetricNames } from '../helpers/dashboard-metrics.js';
import { freePorts } from '../helpers/ports.js';
import { REPO, startSiplb, type SiplbProcess } from '../helpers/siplb.js';

let lb: SiplbProcess | undefined;
afterEach(async () => {
  await lb?.stop();
  lb = undefined;
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Sample lines of the Prometheus text format (comments skipped). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) throw new Error(`unexpected exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels });
  }
  return out;
}

/** Dashboard metrics missing from a scrape, and per-backend metrics missing a configured backend. */
function missing(text: string, backends: readonly string[]): string[] {
  const all = samples(text);
  const out: string[] = [];
  for (const name of dashboardMetricNames()) {
    const mine = all.filter((s) => s.name === name);
    if (mine.length === 0) {
      out.push(name);
      continue;
    }
    if (!mine.some((s) => 'backend' in s.labels)) continue;
    for (const b of backends) if (!mine.some((s) => s.labels.backend === b)) out.push(`${name}{backend="${b}"}`);
  }
  return out;
}

describe('metrics from the first scrape', () => {
  it('the dashboard query list is derived from the JSON and covers the panels that said "No data"', () => {
    const names = dashboardMetricNames();
    for (const n of ['siplb_requests_forwarded_total', 'siplb_responses_forwarded_total', 'siplb_requests_rejected_total', 'siplb_health_transitions_total', 'siplb_build_info']) {
      expect(names).toContain(n);
    }
  });

  it('a fresh node with no traffic exports every metric the dashboard queries; a reload adds and removes backend series', async () => {
    const shipped = parse(readFileSync(`${REPO}/config/siplb.yaml`, 'utf8')) as Record<string, unknown>;
    const [sipPort, adminPort, ...backendPorts] = await freePorts(6);
    const backends = (shipped['backends'] as { id: string; weight: number }[]).map((b, i) => ({ ...b, address: `127.0.0.1:${backendPorts[i]}` }));
    const sock = path.join(mkdtempSync(path.join(tmpdir(), 'siplb-scrape-')), 'admin.sock');
    const config = { ...shipped, sip: { listen: `127.0.0.1:${sipPort}` }, backends, admin: { listen: `127.0.0.1:${adminPort}`, socket: sock } };
    lb = await startSiplb(config);
    const base = `http://127.0.0.1:${adminPort}`;
    const ids = backends.map((b) => b.id);
    expect(ids).toEqual(['gw1', 'gw2', 'gw3']);

    const first = await (await fetch(`${base}/metrics`)).text();
    expect(missing(first, ids)).toEqual([]);

    // Reload: gw3 out, gw4 in.
    const next = { ...config, backends: [...backends.slice(0, 2), { id: 'gw4', address: `127.0.0.1:${backendPorts[3]}`, weight: 1 }] };
    writeFileSync(lb.configFile, stringify(next));
    // A state change: through the admin socket (over TCP it would need a token).
    const viaSocket = new Agent({ connect: { socketPath: sock } });
    const r = await request('http://localhost/reload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', dispatcher: viaSocket });
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    await viaSocket.close();
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(missing(after, ['gw1', 'gw2', 'gw4'])).toEqual([]);
    expect(samples(after).filter((s) => s.labels.backend === 'gw3').map((s) => s.name)).toEqual([]);
  }, 30_000);
});
