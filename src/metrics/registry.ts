/**
 * @module metrics/registry
 * One prom-client Registry per running node (never the global default registry), so two nodes or
 * two tests in one process keep separate numbers. Every series carries the node id as the
 * default label `node`, which is what the dashboard and alerts select and group on.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { AdminControl } from '../api/control.js';
import { createCollectors } from './collectors.js';

/**
 * Sampling period of the event-loop delay histogram behind `nodejs_eventloop_lag_*` (prom-client's
 * default is 10 ms). Every period is a timer wake-up of the otherwise idle loop: an idle bench node
 * (3 backends probed every second) used 49-64 ticks of CPU per 40 s at 10 ms, 29-32 at 50 ms
 * (/proc/PID/stat utime+stime, 2026-12-05).
 * At 50 ms a stall of 50 ms or more is still always seen, shorter ones in proportion to their
 * length, which the percentiles over a scrape interval average out.
 */
const EVENT_LOOP_SAMPLE_MS = 50;

export interface MetricsOptions {
  /** Read at scrape time for gauges (backend states, calls, role). */
  readonly control: AdminControl;
  /** Value of the `node` label on every series. */
  readonly nodeId: string;
  /**
   * Also export prom-client's process and Node.js runtime metrics (CPU, memory, event-loop lag).
   * @default true
   */
  readonly defaultMetrics?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** Unsubscribe from the channels and empty the registry. Idempotent. */
  close(): void;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: opts.nodeId });
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const collectors = createCollectors(registry, opts.control);
  let closed = false;
  return {
    registry,
    close() {
      if (closed) return;
      closed = true;
      collectors.close();
      registry.clear();
    },
  };
}
