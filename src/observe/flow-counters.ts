/**
 * @module observe/flow-counters
 * Always-on tallies of the flow-token routing (observe/flow-channels.ts), for `GET /status` and
 * `siplb status`: Paths added, requests delivered on a client's flow, relayed to another node,
 * refused with 403 (by reason) or 430 (by reason). A subscriber: the forwarding path stays free
 * of it.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { flowChannels, type FlowFailedEvent, type FlowTokenRejectedEvent } from './flow-channels.js';

export interface FlowView {
  /** flow.nodeId and the key ids on the ring (never the secrets). */
  readonly nodeId: number;
  readonly keyIds: readonly number[];
  readonly signingKeyId: number;
  readonly pathsAdded: number;
  readonly delivered: number;
  readonly relayed: number;
  /** 403: token failed the check, by reason (malformed, unknown-key, bad-tag). */
  readonly rejected: Readonly<Record<string, number>>;
  /** 430 Flow Failed, by reason (connection-gone, unknown-node, relayed-foreign). */
  readonly failed: Readonly<Record<string, number>>;
}

export class FlowCounters {
  #paths = 0;
  #delivered = 0;
  #relayed = 0;
  readonly #rejected: Record<string, number> = {};
  readonly #failed: Record<string, number> = {};
  readonly #subs: Array<[string, (m: unknown) => void]> = [
    [flowChannels.pathAdded.name as string, () => void this.#paths++],
    [flowChannels.delivered.name as string, () => void this.#delivered++],
    [flowChannels.relayed.name as string, () => void this.#relayed++],
    [flowChannels.tokenRejected.name as string, (m) => this.#bump(this.#rejected, (m as FlowTokenRejectedEvent).reason)],
    [flowChannels.failed.name as string, (m) => this.#bump(this.#failed, (m as FlowFailedEvent).reason)],
  ];

  constructor() {
    for (const [n, f] of this.#subs) diagnosticsChannel.subscribe(n, f);
  }

  #bump(t: Record<string, number>, k: string): void {
    t[k] = (t[k] ?? 0) + 1;
  }

  snapshot(ring: { readonly nodeId: number; readonly keyIds: readonly number[]; readonly signingKeyId: number }): FlowView {
    return { ...ring, pathsAdded: this.#paths, delivered: this.#delivered, relayed: this.#relayed, rejected: { ...this.#rejected }, failed: { ...this.#failed } };
  }

  close(): void {
    for (const [n, f] of this.#subs) diagnosticsChannel.unsubscribe(n, f);
  }
}
