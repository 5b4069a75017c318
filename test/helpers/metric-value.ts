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

/** The sum of every series of `name` (0 when it has none yet: a counter no event has touched). */
export async function metricSum(adminPort: number, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text());
  let sum = 0;
  for (const l of text.split('\n')) if (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) sum += Number(l.slice(l.lastIndexOf(' ') + 1));
  return sum;
}
