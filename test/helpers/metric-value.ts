/**
 * @module test/helpers/metric-value
 * One value from a running siplb's GET /metrics (Prometheus text format).
 */

/** The value of the series `name` whose labels include every `labels` pair (any order; every series has `node`). */
export async function metricValue(adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  // The admin API comes up just after SIP (which startSiplb waits for): not yet up reads as NaN.
  const text = await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text(), () => '');
  const hit = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return hit === undefined ? Number.NaN : Number(hit.slice(hit.lastIndexOf(' ') + 1));
}
