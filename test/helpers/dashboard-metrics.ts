/**
 * The metric names the shipped Grafana dashboard queries, read from grafana/dashboards/siplb.json
 * (the file operators import) and found with the Prometheus UI's own PromQL parser
 * (@prometheus-io/lezer-promql): every `expr` anywhere in the JSON (panel targets, annotations)
 * and the selector inside each `label_values(...)` variable query.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { substitute } from '../unit/grafana/exprs.js';
import { REPO } from './siplb.js';

export const DASHBOARD_JSON = path.join(REPO, 'grafana/dashboards/siplb.json');

/** Every PromQL expression in the dashboard JSON, Grafana variables substituted. */
export function dashboardPromql(file = DASHBOARD_JSON): string[] {
  const out: string[] = [];
  const visit = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (key === 'expr') out.push(substitute(v));
      // Grafana's variable query `label_values(<series selector>, <label>)` wraps PromQL.
      const lv = key === 'query' ? /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(v.trim()) : null;
      if (lv) out.push(substitute(lv[1]!));
      return;
    }
    if (Array.isArray(v)) for (const x of v) visit(x, key);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(JSON.parse(readFileSync(file, 'utf8')) as unknown, '');
  return out;
}

/** The metric names selected by one PromQL expression. Throws on a parse error or a selector without a name. */
export function metricNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`PromQL parse error at ${n.from} in ${expr}`);
      if (n.name !== 'VectorSelector') return;
      const id = n.node.getChild('Identifier');
      if (id === null) throw new Error(`selector without a metric name in ${expr} (not supported here)`);
      names.push(expr.slice(id.from, id.to));
    },
  });
  return names;
}

/** Every metric name the dashboard queries, sorted, without duplicates. */
export function dashboardMetricNames(file = DASHBOARD_JSON): string[] {
  return [...new Set(dashboardPromql(file).flatMap(metricNames))].sort();
}
