/**
 * Every PromQL expression of the dashboard (panel targets and annotations) with where it sits,
 * and the substitution of Grafana's variables by values Prometheus accepts.
 */
import { dashboard } from '../../../grafana/dashboard.js';

export interface DashboardExpr {
  readonly where: string;
  readonly expr: string;
}

interface AnyPanel {
  readonly title?: string;
  readonly targets?: readonly Record<string, unknown>[];
  readonly panels?: readonly AnyPanel[];
}

export function dashboardExprs(): DashboardExpr[] {
  const out: DashboardExpr[] = [];
  const visit = (p: AnyPanel): void => {
    for (const t of p.targets ?? []) out.push({ where: `${p.title ?? '?'} / ${String(t.refId)}`, expr: String(t.expr) });
    for (const c of p.panels ?? []) visit(c);
  };
  for (const p of dashboard.panels as readonly AnyPanel[]) visit(p);
  for (const a of dashboard.annotations.list) out.push({ where: `annotation ${a.name}`, expr: String((a.target as { expr: string }).expr) });
  return out;
}

/** Grafana's macros and the node variable as Prometheus sees them after Grafana interpolates them. */
export function substitute(expr: string, vars: { node?: string; rateInterval?: string; range?: string } = {}): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval ?? '1m')
    .replaceAll('$__interval', vars.rateInterval ?? '1m')
    .replaceAll('$__range', vars.range ?? '1h')
    .replaceAll('$node', vars.node ?? '.*');
}
