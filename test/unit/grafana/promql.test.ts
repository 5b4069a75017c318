/**
 * Every dashboard expression parses as PromQL (@prometheus-io/lezer-promql, the parser of the
 * Prometheus UI), once Grafana's variables are substituted; and every query selects $node.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { dashboardExprs, substitute } from './exprs.js';

function parseErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`error at ${n.from}: …${expr.slice(Math.max(0, n.from - 10), n.to + 10)}…`);
    },
  });
  return errors;
}

const exprs = dashboardExprs();

describe('dashboard PromQL', () => {
  it('has an expression for every panel that shows data', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(20);
  });

  it.each(exprs.map((e) => [e.where, e.expr]))('%s parses', (_, expr) => {
    const e = substitute(expr);
    expect(e).not.toContain('$');
    expect(parseErrors(e)).toEqual([]);
  });

  it.each(exprs.map((e) => [e.where, e.expr]))('%s selects node=~"$node" in every selector', (_, expr) => {
    const selectors = expr.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}/g) ?? [];
    expect(selectors.length).toBeGreaterThan(0);
    for (const s of selectors) expect(s).toContain('node=~"$node"');
  });

  it('the parser does catch errors (guard against a vacuous test)', () => {
    expect(parseErrors('sum by (backend) (rate(x[5m])')).not.toEqual([]);
    expect(parseErrors('rate(x{a="b"}[$__rate_interval])')).not.toEqual([]);
  });
});
