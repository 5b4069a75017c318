/**
 * @module grafana/dashboard
 * The siplb Grafana dashboard as typed data (`satisfies Dashboard` from @grafana/schema, so tsc
 * checks the shape). grafana/dashboards/siplb.json is generated from it and a test keeps the two
 * equal (regenerate: SIPLB_WRITE_DASHBOARD=1 npx vitest run test/unit/grafana/dashboard-json.test.ts).
 *
 * Laid out for an operator during a failover, top to bottom: who leads and how many backends
 * can take calls; each backend's health and admin state over time; where new calls go and how
 * fast probes answer; what failed over and what was dropped; the node process itself.
 * Every query selects `node=~"$node"`.
 */
import { MappingType, VariableRefresh, type Dashboard, type Panel, type RowPanel, type ValueMapping } from '@grafana/schema';

const DS = { type: 'prometheus', uid: '${datasource}' } as const;
const N = 'node=~"$node"';

interface Target {
  readonly expr: string;
  readonly legend: string;
}

let nextId = 1;
function targets(list: readonly Target[]): Record<string, unknown>[] {
  return list.map((t, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DS,
    expr: t.expr,
    legendFormat: t.legend,
    range: true,
  }));
}

function grid(x: number, y: number, w: number, h: number): Panel['gridPos'] {
  return { x, y, w, h };
}

function row(title: string, y: number): RowPanel {
  return { type: 'row', id: nextId++, title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] };
}

function timeseries(
  title: string,
  description: string,
  pos: Panel['gridPos'],
  list: readonly Target[],
  opts: { unit?: string; stacked?: boolean; bars?: boolean } = {},
): Panel {
  return {
    type: 'timeseries',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: pos,
    targets: targets(list),
    fieldConfig: {
      defaults: {
        unit: opts.unit ?? 'short',
        custom: {
          drawStyle: opts.bars ? 'bars' : 'line',
          fillOpacity: opts.stacked || opts.bars ? 60 : 10,
          lineWidth: 1,
          stacking: { mode: opts.stacked ? 'normal' : 'none', group: 'A' },
          showPoints: 'never',
        },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function stateTimeline(title: string, description: string, pos: Panel['gridPos'], list: readonly Target[], mappings: ValueMapping[]): Panel {
  return {
    type: 'state-timeline',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: pos,
    targets: targets(list),
    fieldConfig: { defaults: { mappings, custom: { fillOpacity: 80, lineWidth: 0 } }, overrides: [] },
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.85, legend: { showLegend: true, displayMode: 'list', placement: 'bottom' } },
  };
}

function stat(title: string, description: string, pos: Panel['gridPos'], list: readonly Target[], mappings: ValueMapping[] = []): Panel {
  return {
    type: 'stat',
    id: nextId++,
    title,
    description,
    datasource: DS,
    gridPos: pos,
    targets: targets(list),
    fieldConfig: { defaults: { mappings, unit: 'short' }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value_and_name' },
  };
}

/** Value → text and color, for enumerations encoded as numbers by the query. */
function states(entries: Record<string, readonly [text: string, color: string]>): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = {};
  Object.entries(entries).forEach(([v, [text, color]], index) => (options[v] = { text, color, index }));
  return [{ type: MappingType.ValueToText, options }];
}

/** Sum of `metric{state=s} * weight` per (node, backend): one number per enumeration value. */
function encode(metric: string, weights: Record<string, number>, by: string): string {
  return Object.entries(weights)
    .map(([state, w]) => `sum by (${by}) (${metric}{${N}, state="${state}"}) * ${w}`)
    .join(' + ');
}

const rate = (metric: string, by: string): string => `sum by (${by}) (rate(${metric}{${N}}[$__rate_interval]))`;

const panels: (Panel | RowPanel)[] = [
  row('Leadership and capacity', 0),
  stateTimeline(
    'Role per node',
    'HA role of each node over time: leader (holds the Redis lease and serves the VIP), follower, or standalone (no HA).',
    grid(0, 1, 12, 5),
    [{ expr: `sum by (node) (siplb_role{${N}, role="leader"}) * 2 + sum by (node) (siplb_role{${N}, role="follower"})`, legend: '{{node}}' }],
    states({ '0': ['standalone', 'blue'], '1': ['follower', 'yellow'], '2': ['leader', 'green'] }),
  ),
  stat('Eligible backends', 'Backends that may take new calls now, per node. 0 means every new call gets 503.', grid(12, 1, 4, 5), [
    { expr: `siplb_backends_eligible{${N}}`, legend: '{{node}}' },
  ]),
  stat('Leader changes', 'Role changes per node over the dashboard time range.', grid(16, 1, 4, 5), [
    { expr: `sum by (node) (increase(siplb_leader_changes_total{${N}}[$__range]))`, legend: '{{node}}' },
  ]),
  stat('Fencing token', 'Fencing token of the lease each node last held (0: none). After a split brain, the lower token is stale.', grid(20, 1, 4, 5), [
    { expr: `siplb_fencing_token{${N}}`, legend: '{{node}}' },
  ]),

  row('Backends', 6),
  stateTimeline(
    'Backend health',
    'Health state per backend: up, failing (missed probes, still serving), down, recovering (probes succeed, not yet rise).',
    grid(0, 7, 12, 7),
    [{ expr: encode('siplb_backend_health_state', { up: 3, recovering: 2, failing: 1 }, 'node, backend'), legend: '{{backend}} @ {{node}}' }],
    states({ '0': ['down', 'red'], '1': ['failing', 'orange'], '2': ['recovering', 'blue'], '3': ['up', 'green'] }),
  ),
  stateTimeline(
    'Backend admin state and eligibility',
    'Operator state per backend (enabled, draining, disabled) and whether it may take new calls.',
    grid(12, 7, 8, 7),
    [
      { expr: encode('siplb_backend_admin_state', { draining: 1, disabled: 2 }, 'node, backend'), legend: 'admin {{backend}} @ {{node}}' },
      { expr: `siplb_backend_eligible{${N}} + 10`, legend: 'eligible {{backend}} @ {{node}}' },
    ],
    states({ '0': ['enabled', 'green'], '1': ['draining', 'yellow'], '2': ['disabled', 'red'], '10': ['not eligible', 'red'], '11': ['eligible', 'green'] }),
  ),
  stat('Backend tier', 'Priority tier per backend (backends[].priority, lower preferred): new calls go only to the best tier with an eligible backend.', grid(20, 7, 4, 7), [
    { expr: `max by (backend) (siplb_backend_priority{${N}})`, legend: '{{backend}}' },
  ]),
  timeseries('New calls/s per backend', 'Initial INVITEs dispatched by the balancer, stacked: where new calls go during a failover.', grid(0, 14, 12, 8), [
    { expr: rate('siplb_new_calls_total', 'backend'), legend: '{{backend}}' },
  ], { unit: 'reqps', stacked: true }),
  timeseries('Active calls per backend', 'Established dialogs and INVITEs awaiting a final answer, per backend.', grid(12, 14, 12, 8), [
    { expr: `sum by (backend) (siplb_backend_active_calls{${N}})`, legend: '{{backend}} active' },
    { expr: `sum by (backend) (siplb_backend_pending_invites{${N}})`, legend: '{{backend}} pending INVITE' },
  ]),
  timeseries('Probe RTT p50 / p95', 'OPTIONS probe round-trip time per backend (histogram_quantile over the probe histogram).', grid(0, 22, 12, 8), [
    { expr: `histogram_quantile(0.5, sum by (backend, le) (rate(siplb_probe_rtt_seconds_bucket{${N}}[$__rate_interval])))`, legend: '{{backend}} p50' },
    { expr: `histogram_quantile(0.95, sum by (backend, le) (rate(siplb_probe_rtt_seconds_bucket{${N}}[$__rate_interval])))`, legend: '{{backend}} p95' },
  ], { unit: 's' }),
  timeseries('Probe failures/s', 'Failed OPTIONS probes per backend and result: timeout, bad-code (reply not in okCodes), slow (above maxRtt).', grid(12, 22, 12, 8), [
    { expr: rate('siplb_probe_failures_total', 'backend, result'), legend: '{{backend}} {{result}}' },
  ], { unit: 'reqps' }),

  row('Failover', 30),
  timeseries('Health transitions', 'Backend health changes per interval, by backend and new state.', grid(0, 31, 8, 8), [
    { expr: `sum by (backend, to) (increase(siplb_health_transitions_total{${N}}[$__rate_interval]))`, legend: '{{backend}} → {{to}}' },
  ], { bars: true }),
  timeseries('Failovers/s', 'New calls moved off a backend: serial (INVITE retried on another backend) or ring (backend left the hash ring).', grid(8, 31, 8, 8), [
    { expr: rate('siplb_failovers_total', 'kind, backend'), legend: '{{kind}} off {{backend}}' },
  ], { unit: 'reqps' }),
  stat('Config reloads', 'Reloads over the time range, ok and failed (a failed reload keeps the old config).', grid(16, 31, 8, 8), [
    { expr: `sum by (result) (increase(siplb_config_reloads_total{${N}}[$__range]))`, legend: '{{result}}' },
  ]),

  row('Traffic', 39),
  timeseries('Requests forwarded/s by method', 'SIP requests forwarded to a next hop.', grid(0, 40, 12, 8), [
    { expr: rate('siplb_requests_forwarded_total', 'method'), legend: '{{method}}' },
  ], { unit: 'reqps', stacked: true }),
  timeseries('Responses forwarded/s by class', 'SIP responses relayed upstream, by status class.', grid(12, 40, 12, 8), [
    { expr: rate('siplb_responses_forwarded_total', 'class'), legend: '{{class}}' },
  ], { unit: 'reqps', stacked: true }),
  timeseries('Drops/s by reason', 'Datagrams dropped without an answer.', grid(0, 48, 12, 8), [
    { expr: rate('siplb_datagrams_dropped_total', 'reason'), legend: '{{reason}}' },
  ], { unit: 'pps' }),
  timeseries('Rejects/s by reason', 'Requests answered with a stateless error (e.g. 483 max-forwards, 503 no-backend).', grid(12, 48, 12, 8), [
    { expr: rate('siplb_requests_rejected_total', 'reason, status'), legend: '{{status}} {{reason}}' },
  ], { unit: 'reqps' }),

  row('Node process', 56),
  timeseries('CPU', 'CPU time of the siplb process (1 = one core).', grid(0, 57, 8, 7), [
    { expr: `sum by (node) (rate(process_cpu_seconds_total{${N}}[$__rate_interval]))`, legend: '{{node}}' },
  ], { unit: 'percentunit' }),
  timeseries('Memory', 'Resident memory and V8 heap in use.', grid(8, 57, 8, 7), [
    { expr: `process_resident_memory_bytes{${N}}`, legend: '{{node}} RSS' },
    { expr: `nodejs_heap_size_used_bytes{${N}}`, legend: '{{node}} heap used' },
  ], { unit: 'bytes' }),
  timeseries('Event-loop lag', 'Node.js event-loop delay; a high p99 delays every datagram.', grid(16, 57, 8, 7), [
    { expr: `nodejs_eventloop_lag_p99_seconds{${N}}`, legend: '{{node}} p99' },
    { expr: `nodejs_eventloop_lag_mean_seconds{${N}}`, legend: '{{node}} mean' },
  ], { unit: 's' }),

  row('Overload', 64),
  timeseries('Admitted share of new calls', 'Share of new INVITEs overload control admits (1 = all; the rest get 503 with Retry-After), whether the node counts as saturated (its own late answers are then not held against backends), and event-loop utilization. Utilization alone sheds nothing: a busy node that empties its queue keeps up.', grid(0, 65, 8, 7), [
    { expr: `siplb_overload_admit_ratio{${N}}`, legend: '{{node}} admitted' },
    { expr: `siplb_overload_saturated{${N}}`, legend: '{{node}} saturated' },
    { expr: `siplb_event_loop_utilization{${N}}`, legend: '{{node}} loop utilization' },
  ], { unit: 'percentunit' }),
  timeseries('SIP receive queue delay', 'Longest time per 100 ms the SIP socket\'s receive queue stayed non-empty. The node is behind when it does not empty: shedding starts at overload.maxQueueDelay (1 s), or when the queue is half full.', grid(8, 65, 8, 7), [
    { expr: `siplb_sip_queue_delay_seconds{${N}}`, legend: '{{node}}' },
  ], { unit: 's' }),
  timeseries('Kernel drops and sheds/s', 'Datagrams lost in the kernel before siplb saw them (full receive queue), against new calls shed with 503.', grid(16, 65, 8, 7), [
    { expr: rate('siplb_sip_kernel_drops_total', 'node'), legend: '{{node}} kernel drops' },
    // `or … * 0`: a zero line per node until the first shed creates the series.
    { expr: `sum by (node) (rate(siplb_requests_rejected_total{${N}, reason="overload"}[$__rate_interval])) or sum by (node) (siplb_overload_shedding{${N}}) * 0`, legend: '{{node}} shed (503)' },
  ], { unit: 'pps' }),

  row('Abuse protection', 72),
  timeseries('Refused requests/s by reason', 'Requests from non-backend sources refused by abuse protection (security.*): scanner signatures, untrusted sources, rate-limited (503), flood (blocked now) and blocked (dropped while blocked); reject = answered, drop = silence. The worst sources are in `siplb status` (no per-IP series).', grid(0, 73, 24, 8), [
    { expr: rate('siplb_security_refused_total', 'reason, action'), legend: '{{reason}} ({{action}})' },
  ], { unit: 'reqps', stacked: true }),

  row('Stream transports (TCP, TLS, WebSocket)', 81),
  timeseries('Open connections', 'TCP, TLS and WebSocket (ws, wss) connections open now: in from clients, out to backends (sip.tcp caps them all).', grid(0, 82, 8, 8), [
    { expr: `sum by (transport, direction) (siplb_connections_open{${N}})`, legend: '{{transport}} {{direction}}' },
  ], { unit: 'short' }),
  timeseries('Connections closed/s by reason', 'Why connections end (idle, slowloris deadlines, framing errors, TLS handshakes, failed connects to backends), and connections refused at accept by cap.', grid(8, 82, 8, 8), [
    { expr: rate('siplb_connections_closed_total', 'reason'), legend: 'closed {{reason}}' },
    { expr: rate('siplb_connections_refused_total', 'reason'), legend: 'refused {{reason}}' },
  ], { unit: 'cps' }),
  timeseries('TLS failures, framing errors, size switches/s', 'Failed TLS handshakes by direction, stream input that could not be framed (RFC 3261 §18.3), and requests switched from UDP to TCP by size (RFC 3261 §18.1.1).', grid(16, 82, 8, 8), [
    { expr: rate('siplb_tls_handshake_failures_total', 'direction'), legend: 'tls {{direction}}' },
    { expr: rate('siplb_stream_framing_errors_total', 'reason'), legend: 'framing {{reason}}' },
    { expr: rate('siplb_transport_switches_total', 'from, to'), legend: 'switch {{from}} to {{to}}' },
  ], { unit: 'reqps' }),
  timeseries('WebSocket handshakes refused/s', 'WebSocket upgrades refused by reason (RFC 7118): no `sip` subprotocol, Origin or Host not in sip.ws allowlists, not a WebSocket request, malformed, too slow (sip.ws.handshakeTimeout), or over the sip.tcp caps.', grid(0, 90, 12, 8), [
    { expr: rate('siplb_ws_handshakes_refused_total', 'transport, reason'), legend: '{{transport}} {{reason}}' },
  ], { unit: 'cps' }),
  timeseries('WebSocket ping RTT p50 / p95', 'Round trip of the heartbeat Ping (every sip.ws.pingInterval) to its Pong; a client whose Pong does not come back by the next Ping is closed (closed reason ping-timeout).', grid(12, 90, 12, 8), [
    { expr: `histogram_quantile(0.5, sum by (transport, le) (rate(siplb_ws_ping_rtt_seconds_bucket{${N}}[$__rate_interval])))`, legend: '{{transport}} p50' },
    { expr: `histogram_quantile(0.95, sum by (transport, le) (rate(siplb_ws_ping_rtt_seconds_bucket{${N}}[$__rate_interval])))`, legend: '{{transport}} p95' },
  ], { unit: 's' }),

  row('Flows: Path and flow tokens (RFC 5626, RFC 3327)', 98),
  timeseries('Flow routing/s', 'Paths added to client REGISTERs, requests delivered to a client by its flow token, and requests relayed to the node holding the flow (flow.nodes or Redis).', grid(0, 99, 12, 8), [
    { expr: rate('siplb_path_added_total', 'transport'), legend: 'path added ({{transport}})' },
    { expr: rate('siplb_flow_delivered_total', 'transport'), legend: 'delivered ({{transport}})' },
    { expr: `sum(rate(siplb_flow_relayed_total{${N}}[$__rate_interval]))`, legend: 'relayed to another node' },
  ], { unit: 'reqps' }),
  timeseries('430 Flow Failed and token rejections/s', '430 Flow Failed (RFC 5626 §5.3: the client connection is gone, the token names an unknown node, or a relayed token is not ours) and 403 for tokens that fail the check (malformed, unknown key id, bad HMAC tag): a burst of 403s is forgery or a key not shared between nodes.', grid(12, 99, 12, 8), [
    { expr: rate('siplb_flow_failed_total', 'reason'), legend: '430 {{reason}}' },
    { expr: rate('siplb_flow_token_rejections_total', 'reason'), legend: '403 {{reason}}' },
  ], { unit: 'reqps' }),
];

/** A Prometheus query; DataQuery types only the common fields, so the Prometheus ones go through a variable. */
const leaderChangeQuery = { refId: 'leader', expr: `changes(siplb_leader_changes_total{${N}}[1m]) > 0` };

export const dashboard = {
  uid: 'siplb',
  title: 'siplb',
  description: 'siplb SIP load balancer: leadership, backend health, call distribution, failover, drops, node process.',
  tags: ['siplb', 'sip'],
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  refresh: '10s',
  time: { from: 'now-1h', to: 'now' },
  timepicker: {},
  timezone: 'browser',
  links: [],
  annotations: {
    list: [
      {
        name: 'Leader changes',
        datasource: DS,
        enable: true,
        iconColor: 'purple',
        target: leaderChangeQuery,
      },
    ],
  },
  templating: {
    list: [
      { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', hide: 0 },
      {
        type: 'query',
        name: 'node',
        label: 'Node',
        datasource: DS,
        query: { query: 'label_values(siplb_build_info, node)', refId: 'node' },
        refresh: VariableRefresh.onTimeRangeChanged,
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: { text: 'All', value: '$__all' },
        hide: 0,
      },
    ],
  },
  panels,
} satisfies Dashboard;
