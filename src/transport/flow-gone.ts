/**
 * @module transport/flow-gone
 * A send that must go on one client connection (a flow, RFC 5626 §5.3; a WebSocket client, which
 * is never connected to, RFC 7118 §5) found that connection closed: the message is lost like a
 * datagram and counted as a `flow-gone` drop. The sender's transaction times out and it tries the
 * client's other flow.
 */
import { channels } from '../observe/channels.js';
import type { SendTarget } from './contract.js';

export function publishFlowGone(target: SendTarget): void {
  if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'flow-gone', detail: `${target.transport} connection ${target.connectionId ?? 'none'}` });
}
