/**
 * @module metrics/flow
 * Series of the flow-token routing (RFC 5626, RFC 3327; observe/flow-channels.ts): tokens that
 * failed the check (403, by reason), requests for a flow that is gone (430 Flow Failed, by
 * reason), requests relayed to the node holding the flow, requests delivered on a client's flow,
 * and Paths added to REGISTERs. Every known label set is exported at 0 from the first scrape.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { Counter, type Registry } from 'prom-client';
import {
  flowChannels,
  type FlowDeliveredEvent,
  type FlowFailedEvent,
  type FlowTokenRejectedEvent,
  type PathAddedEvent,
} from '../observe/flow-channels.js';

const REJECTIONS = ['malformed', 'unknown-key', 'bad-tag'] as const;
const FAIL_REASONS = ['connection-gone', 'unknown-node', 'relayed-foreign'] as const;
const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;

export interface FlowSeries {
  close(): void;
}

export function createFlowSeries(registry: Registry): FlowSeries {
  const registers = [registry];
  const rejected = new Counter({
    name: 'siplb_flow_token_rejections_total',
    help: 'Requests whose flow token (top Route) failed the check, by reason (malformed, unknown-key, bad-tag): answered 403, nothing forwarded (an ACK is dropped).',
    labelNames: ['reason'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'siplb_flow_failed_total',
    help: 'Requests for a client flow answered 430 Flow Failed (RFC 5626 §5.3), by reason (connection-gone, unknown-node, relayed-foreign); an ACK is dropped.',
    labelNames: ['reason'] as const,
    registers,
  });
  const relayed = new Counter({ name: 'siplb_flow_relayed_total', help: 'Requests carrying another node\'s flow token, relayed to that node (flow.nodes).', registers });
  const delivered = new Counter({
    name: 'siplb_flow_delivered_total',
    help: 'Requests from a backend or a peer node sent to a client over the flow its token names, by transport.',
    labelNames: ['transport'] as const,
    registers,
  });
  const paths = new Counter({ name: 'siplb_path_added_total', help: 'Path headers with a flow token added to client REGISTERs (RFC 3327), by transport of the leg to the registrar.', labelNames: ['transport'] as const, registers });
  for (const r of REJECTIONS) rejected.inc({ reason: r }, 0);
  for (const r of FAIL_REASONS) failed.inc({ reason: r }, 0);
  relayed.inc(0);
  for (const t of TRANSPORTS) {
    delivered.inc({ transport: t }, 0);
    paths.inc({ transport: t }, 0);
  }

  const subs: Array<[string, (m: unknown) => void]> = [
    [flowChannels.tokenRejected.name as string, (m) => rejected.inc({ reason: (m as FlowTokenRejectedEvent).reason })],
    [flowChannels.failed.name as string, (m) => failed.inc({ reason: (m as FlowFailedEvent).reason })],
    [flowChannels.relayed.name as string, () => relayed.inc()],
    [flowChannels.delivered.name as string, (m) => delivered.inc({ transport: (m as FlowDeliveredEvent).transport })],
    [flowChannels.pathAdded.name as string, (m) => paths.inc({ transport: (m as PathAddedEvent).transport })],
  ];
  for (const [n, f] of subs) diagnosticsChannel.subscribe(n, f);
  return {
    close: () => {
      for (const [n, f] of subs) diagnosticsChannel.unsubscribe(n, f);
    },
  };
}
