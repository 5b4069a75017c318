/**
 * Metrics: channel events become counters, the control becomes gauges at scrape time, two
 * registries live side by side, and close() stops counting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../../../src/observe/channels.js';
import { createMetrics, type Metrics } from '../../../src/metrics/registry.js';
import { backendView, fakeControl } from '../admin/fake-control.js';

const open: Metrics[] = [];
function metrics(nodeId = 'lb-a', control = fakeControl(), defaultMetrics = false): Metrics {
  const m = createMetrics({ control, nodeId, defaultMetrics });
  open.push(m);
  return m;
}
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

/**
 * The value of one series in the exposition text, or undefined when absent. `series` is written
 * like `name{a="1",b="2"}`; label order does not matter (prom-client orders them per type).
 */
function sample(text: string, series: string): number | undefined {
  const key = (s: string): string => {
    const i = s.indexOf('{');
    if (i === -1) return s;
    const labels = s.slice(i + 1, s.lastIndexOf('}')).match(/[a-z_]+="[^"]*"/g) ?? [];
    return `${s.slice(0, i)}{${[...labels].sort().join(',')}}`;
  };
  const want = key(series);
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const sp = line.lastIndexOf(' ');
    if (key(line.slice(0, sp)) === want) return Number(line.slice(sp + 1));
  }
  return undefined;
}

describe('createMetrics', () => {
  it('counts forwarded requests by method and backend, and new calls only for balancer-dispatched INVITEs', async () => {
    const m = metrics();
    channels.requestForwarded.publish({ method: 'INVITE', backend: 'gw1', via: 'new' });
    channels.requestForwarded.publish({ method: 'INVITE', backend: 'gw1', via: 'affinity' });
    channels.requestForwarded.publish({ method: 'BYE', backend: 'gw1', via: 'routed' });
    channels.requestForwarded.publish({ method: 'XYZZY', backend: 'external', via: 'routed' });
    const t = await m.registry.metrics();
    expect(sample(t, 'siplb_requests_forwarded_total{method="INVITE",backend="gw1",node="lb-a"}')).toBe(2);
    expect(sample(t, 'siplb_requests_forwarded_total{method="BYE",backend="gw1",node="lb-a"}')).toBe(1);
    // Unknown methods collapse to 'other': a peer cannot mint series.
    expect(sample(t, 'siplb_requests_forwarded_total{method="other",backend="external",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_new_calls_total{backend="gw1",node="lb-a"}')).toBe(1);
    // Every configured backend has a new-calls series from the first scrape.
    expect(sample(t, 'siplb_new_calls_total{backend="gw2",node="lb-a"}')).toBe(0);
  });

  it('counts responses by class, drops, rejects, local replies, failovers, transitions, reloads, leader changes', async () => {
    const m = metrics();
    channels.responseForwarded.publish({ status: 180, method: 'INVITE', backend: 'gw1' });
    channels.responseForwarded.publish({ status: 200, method: 'INVITE', backend: 'gw1' });
    channels.responseForwarded.publish({ status: 503, method: 'INVITE', backend: 'gw2' });
    channels.drop.publish({ reason: 'parse-error' });
    channels.security.publish({ reason: 'scanner', action: 'drop' });
    channels.security.publish({ reason: 'scanner', action: 'drop' });
    channels.security.publish({ reason: 'rate-limited', action: 'reject' });
    channels.reject.publish({ reason: 'max-forwards', status: 483, method: 'INVITE' });
    channels.localReply.publish({ method: 'OPTIONS', status: 200 });
    channels.failover.publish({ kind: 'serial', backend: 'gw2', reason: 'status-503' });
    channels.healthTransition.publish({ backend: 'gw2', from: 'up', to: 'down', reason: 'probe-timeout', eligible: false });
    channels.adminChange.publish({ backend: 'gw1', from: 'enabled', to: 'draining' });
    channels.reload.publish({ ok: false });
    channels.leader.publish({ role: 'leader', nodeId: 'lb-a', fencingToken: 7, reason: 'acquired' });
    const t = await m.registry.metrics();
    expect(sample(t, 'siplb_responses_forwarded_total{class="1xx",backend="gw1",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_responses_forwarded_total{class="2xx",backend="gw1",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_responses_forwarded_total{class="5xx",backend="gw2",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_datagrams_dropped_total{reason="parse-error",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_datagrams_dropped_total{reason="overload",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_security_refused_total{reason="scanner",action="drop",node="lb-a"}')).toBe(2);
    expect(sample(t, 'siplb_security_refused_total{reason="rate-limited",action="reject",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_security_refused_total{reason="untrusted",action="drop",node="lb-a"}')).toBe(0); // every pair from the first scrape
    expect(sample(t, 'siplb_requests_rejected_total{reason="max-forwards",status="483",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_local_replies_total{method="OPTIONS",status="200",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_failovers_total{kind="serial",backend="gw2",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_failovers_total{kind="ring",backend="gw1",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_health_transitions_total{backend="gw2",from="up",to="down",reason="probe-timeout",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_admin_state_changes_total{backend="gw1",from="enabled",to="draining",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_config_reloads_total{result="failed",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_config_reloads_total{result="ok",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_leader_changes_total{node="lb-a"}')).toBe(1);
  });

  it('observes probe RTT in seconds and counts probe failures by result', async () => {
    const m = metrics();
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 0.3 });
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 40 });
    channels.probe.publish({ backend: 'gw2', result: 'timeout' });
    channels.probe.publish({ backend: 'gw2', result: 'bad-code', code: 404, rttMs: 1 });
    const t = await m.registry.metrics();
    expect(sample(t, 'siplb_probe_rtt_seconds_bucket{le="0.0005",backend="gw1",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_probe_rtt_seconds_bucket{le="0.05",backend="gw1",node="lb-a"}')).toBe(2);
    expect(sample(t, 'siplb_probe_rtt_seconds_sum{backend="gw1",node="lb-a"}')).toBeCloseTo(0.0403, 6);
    expect(sample(t, 'siplb_probe_failures_total{backend="gw2",result="timeout",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_probe_failures_total{backend="gw2",result="bad-code",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_probe_failures_total{backend="gw1",result="slow",node="lb-a"}')).toBe(0);
  });

  it('exports state gauges for every configured backend at scrape time, one series per state value', async () => {
    const control = fakeControl([backendView('gw1'), backendView('gw2', { health: 'down', eligible: false, admin: 'draining', drained: true, activeCalls: 0, pendingInvites: 0 })]);
    const m = metrics('lb-a', control);
    let t = await m.registry.metrics();
    expect(sample(t, 'siplb_backend_health_state{backend="gw2",state="down",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backend_health_state{backend="gw2",state="up",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_backend_health_state{backend="gw1",state="up",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backend_admin_state{backend="gw2",state="draining",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backend_eligible{backend="gw2",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_backend_drained{backend="gw2",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backend_active_calls{backend="gw1",node="lb-a"}')).toBe(3);
    expect(sample(t, 'siplb_backend_pending_invites{backend="gw1",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backends_configured{node="lb-a"}')).toBe(2);
    expect(sample(t, 'siplb_backends_up{node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_backends_eligible{node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_role{role="standalone",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_role{role="leader",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_fencing_token{node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_build_info{version="0.1.0",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_balance_info{mode="hash",hash_register="to-user",hash_registered="request-uri-user",hash_other="call-id",node="lb-a"}')).toBe(1);

    // A reload that removes gw2 and a leadership change show at the next scrape.
    control.list = [backendView('gw1')];
    control.role = 'leader';
    control.fencingToken = 42;
    t = await m.registry.metrics();
    expect(sample(t, 'siplb_backend_health_state{backend="gw2",state="down",node="lb-a"}')).toBeUndefined();
    expect(sample(t, 'siplb_backend_eligible{backend="gw2",node="lb-a"}')).toBeUndefined();
    expect(sample(t, 'siplb_role{role="leader",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_fencing_token{node="lb-a"}')).toBe(42);
  });

  it('exports overload control at scrape time: admitted share, shedding, queue delay, kernel drops as a counter', async () => {
    const control = fakeControl();
    const m = metrics('lb-a', control);
    let t = await m.registry.metrics();
    expect(sample(t, 'siplb_overload_admit_ratio{node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_overload_shedding{node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_overload_saturated{node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_sip_queue_delay_seconds{node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_event_loop_utilization{node="lb-a"}')).toBe(0.12);
    expect(sample(t, 'siplb_sip_kernel_drops_total{node="lb-a"}')).toBe(0);

    control.overloadView = { enabled: true, shedding: true, saturated: true, admitFraction: 0.49, queueDelayMs: 1250, kernelDrops: 328, utilization: 1 };
    t = await m.registry.metrics();
    expect(sample(t, 'siplb_overload_admit_ratio{node="lb-a"}')).toBe(0.49);
    expect(sample(t, 'siplb_overload_shedding{node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_overload_saturated{node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_sip_queue_delay_seconds{node="lb-a"}')).toBe(1.25);
    expect(sample(t, 'siplb_sip_kernel_drops_total{node="lb-a"}')).toBe(328);
    // A counter: it keeps its total when the node recovers.
    control.overloadView = { ...control.overloadView, shedding: false, saturated: false, admitFraction: 1, queueDelayMs: 0, kernelDrops: 330 };
    t = await m.registry.metrics();
    expect(sample(t, 'siplb_sip_kernel_drops_total{node="lb-a"}')).toBe(330);
    expect(sample(t, 'siplb_overload_shedding{node="lb-a"}')).toBe(0);
  });

  it('exports every known label set at 0 from the first scrape: methods × backends, classes, reasons, transitions', async () => {
    const m = metrics();
    const t = await m.registry.metrics();
    for (const backend of ['gw1', 'gw2', 'external']) {
      for (const method of ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'other']) {
        expect(sample(t, `siplb_requests_forwarded_total{method="${method}",backend="${backend}",node="lb-a"}`)).toBe(0);
      }
      for (const cls of ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx']) {
        expect(sample(t, `siplb_responses_forwarded_total{class="${cls}",backend="${backend}",node="lb-a"}`)).toBe(0);
      }
    }
    for (const [reason, status] of [['max-forwards', 483], ['loop', 482], ['relay', 403], ['no-backend', 503], ['overload', 503], ['parse-error', 400], ['bad-request', 400]] as const) {
      expect(sample(t, `siplb_requests_rejected_total{reason="${reason}",status="${status}",node="lb-a"}`)).toBe(0);
    }
    expect(sample(t, 'siplb_health_transitions_total{backend="gw1",from="up",to="failing",reason="probe-timeout",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_health_transitions_total{backend="gw2",from="recovering",to="up",reason="probe-ok",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_admin_state_changes_total{backend="gw1",from="enabled",to="draining",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_local_replies_total{method="OPTIONS",status="200",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw2",node="lb-a"}')).toBe(0);
    // Per-backend series are created for configured backends only.
    expect(t).not.toMatch(/siplb_new_calls_total\{backend="external"/);
  });

  it('a reload that adds a backend adds its zero series; one that removes a backend removes every series it had', async () => {
    const control = fakeControl();
    const m = metrics('lb-a', control);
    channels.requestForwarded.publish({ method: 'INVITE', backend: 'gw2', via: 'new' });
    channels.healthTransition.publish({ backend: 'gw2', from: 'up', to: 'failing', reason: 'probe-timeout', eligible: true });
    channels.probe.publish({ backend: 'gw2', result: 'ok', code: 200, rttMs: 2 });
    channels.probe.publish({ backend: 'gw2', result: 'timeout' });
    channels.failover.publish({ kind: 'serial', backend: 'gw2', reason: 'status-503' });
    let t = await m.registry.metrics();
    expect(sample(t, 'siplb_requests_forwarded_total{method="INVITE",backend="gw2",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw2",node="lb-a"}')).toBe(1);

    control.list = [backendView('gw1'), backendView('gw3')];
    t = await m.registry.metrics();
    expect(t).not.toMatch(/backend="gw2"/);
    expect(sample(t, 'siplb_requests_forwarded_total{method="INVITE",backend="gw3",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_new_calls_total{backend="gw3",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_health_transitions_total{backend="gw3",from="failing",to="down",reason="probe-timeout",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw3",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_failovers_total{kind="ring",backend="gw3",node="lb-a"}')).toBe(0);
    // gw1 and the external next hop keep what they counted.
    expect(sample(t, 'siplb_requests_forwarded_total{method="INVITE",backend="external",node="lb-a"}')).toBe(0);

    // Put back, gw2 starts again from zero (a counter reset, which rate() handles).
    control.list = [backendView('gw1'), backendView('gw2')];
    t = await m.registry.metrics();
    expect(sample(t, 'siplb_requests_forwarded_total{method="INVITE",backend="gw2",node="lb-a"}')).toBe(0);
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw2",node="lb-a"}')).toBe(0);
  });

  it('a probe observed before the first scrape is not wiped by the zero series', async () => {
    const m = metrics();
    channels.probe.publish({ backend: 'gw1', result: 'ok', code: 200, rttMs: 3 });
    const t = await m.registry.metrics();
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw1",node="lb-a"}')).toBe(1);
    expect(sample(t, 'siplb_probe_rtt_seconds_count{backend="gw2",node="lb-a"}')).toBe(0);
  });

  it('keeps two registries separate and labels each with its node', async () => {
    const a = metrics('lb-a');
    const b = metrics('lb-b');
    channels.drop.publish({ reason: 'size' });
    expect(sample(await a.registry.metrics(), 'siplb_datagrams_dropped_total{reason="size",node="lb-a"}')).toBe(1);
    b.close();
    channels.drop.publish({ reason: 'size' });
    expect(sample(await a.registry.metrics(), 'siplb_datagrams_dropped_total{reason="size",node="lb-a"}')).toBe(2);
    // Closed: unsubscribed and emptied.
    expect(await b.registry.metrics()).toBe('\n');
  });

  it('includes process and Node.js runtime metrics (CPU, memory, event-loop lag) by default', async () => {
    const m = metrics('lb-a', fakeControl(), true);
    const t = await m.registry.metrics();
    expect(t).toContain('process_cpu_seconds_total{node="lb-a"}');
    expect(t).toContain('process_resident_memory_bytes{node="lb-a"}');
    expect(t).toContain('nodejs_eventloop_lag_seconds{node="lb-a"}');
  });

  it('uses Prometheus naming: counters end in _total, no Call-ID label, every metric documented in README', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../src/metrics/README.md', import.meta.url), 'utf8');
    const m = metrics();
    const all = await m.registry.getMetricsAsJSON();
    for (const metric of all) {
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      expect(readme, `${metric.name} in src/metrics/README.md`).toContain(`\`${metric.name}\``);
      for (const v of metric.values) expect(Object.keys(v.labels)).not.toContain('call_id');
    }
  });
});
