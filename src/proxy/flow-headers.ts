/**
 * @module proxy/flow-headers
 * The flow-token headers siplb adds on the way from a client to a backend (RFC 5626 §5.2):
 * - a REGISTER from a client over a stream or WebSocket (over UDP too with flow.pathForUdp) gets
 *   `Path: <sip:TOKEN@node-address;transport=X;lr;ob>` on top of any Path it has (RFC 3327 §5.1:
 *   the registrar stores the list and routes to the contact through it), naming this node's own
 *   address, not the VIP, with X the transport of the leg towards the registrar; and
 *   `Supported: path` when the REGISTER lacks the option tag (RFC 3327 §5: a registrar may refuse
 *   a Path the UA did not say it supports; Kamailio's path_mode=2 answers 420);
 * - a dialog-creating request from such a client gets the token in its Record-Route, so an
 *   in-dialog request from the far side reaches the client over its own connection.
 * "A client" is a source that is neither a backend nor a peer node: their requests go towards
 * clients, never from one.
 */
import { issueToken, type Flow } from '../flow/token.js';
import { flowChannels } from '../observe/flow-channels.js';
import { HeaderId, type Edit, type SipRequest } from '../sip/message.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import { hostportText } from '../transport/address.js';
import type { FlowRouting, ProxyContext } from './context.js';
import { hasToTag } from './route-decision.js';

/** Requests that create a dialog and so get our Record-Route (RFC 3261 §12.1, RFC 6665, RFC 3515). */
export const DIALOG_CREATING: ReadonlySet<string> = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

function flowOf(from: MessageSource): Flow | undefined {
  if (from.transport === 'udp') return { transport: 'udp', address: from.address, port: from.port };
  return from.connectionId === undefined ? undefined : { transport: from.transport, connectionId: from.connectionId };
}

/**
 * The token naming `from`'s flow when `req` needs one (a Path, or a token in Record-Route), else
 * undefined. Cheap checks first: a UDP INVITE, the common case, costs two comparisons.
 */
export function clientFlowToken(ctx: ProxyContext, flow: FlowRouting, req: SipRequest, from: MessageSource): string | undefined {
  const stream = from.transport !== 'udp';
  const wanted = req.method === 'REGISTER' ? stream || flow.settings.pathForUdp() : stream && DIALOG_CREATING.has(req.method) && !hasToTag(req);
  if (!wanted) return undefined;
  const fromBackend = stream ? ctx.backends.byStreamSource(from.address, from.port, from.transport) : ctx.backends.byAddress(from.address, from.port);
  if (fromBackend !== undefined || flow.settings.isPeer(from)) return undefined;
  const f = flowOf(from);
  return f === undefined ? undefined : issueToken(flow.settings.ring(), flow.settings.nodeId(), f, Date.now());
}

/** Whether a Supported value lists the `path` option tag (option tags compare case-insensitively, §19.2). */
function listsPath(value: string): boolean {
  return value.split(',').some((t) => t.trim().toLowerCase() === 'path');
}

/** The Supported header lines of `req` (name `Supported` or compact `k`, §7.3.3). */
function supportedFields(req: SipRequest): { valueEnd: number; value: string }[] {
  const out: { valueEnd: number; value: string }[] = [];
  for (const f of req.headers) {
    if (f.id !== HeaderId.OTHER) continue;
    const name = req.buf.toString('latin1', f.lineStart, Math.min(f.valueStart, f.lineStart + 12)).split(':')[0]!.trim().toLowerCase();
    if (name === 'supported' || name === 'k') out.push({ valueEnd: f.valueEnd, value: req.valueOf(f) });
  }
  return out;
}

export interface PathLines {
  /** Lines pushed with our Via: the Path, and a Supported header when the REGISTER has none. */
  readonly lines: string;
  /** `, path` appended to an existing Supported header that lacks the tag. */
  readonly edit: Edit | undefined;
}

/** The Path (and Supported: path) for a client's REGISTER leaving towards `to`. */
export function pathLines(flow: FlowRouting, self: { hostport(t: SendTarget['transport']): string }, req: SipRequest, token: string, to: SendTarget): PathLines {
  const own = flow.settings.ownAddress();
  const hostport = own === undefined ? self.hostport(to.transport) : hostportText(own);
  // RFC 7118 §5.3 (erratum 5937): the URI parameter is `ws` for WS and WSS alike.
  const transport = to.transport === 'wss' ? 'ws' : to.transport;
  let lines = `Path: <sip:${token}@${hostport};transport=${transport};lr;ob>\r\n`;
  let edit: Edit | undefined;
  const supported = supportedFields(req);
  if (supported.length === 0) lines += 'Supported: path\r\n';
  else if (!supported.some((s) => listsPath(s.value))) {
    const first = supported[0]!;
    edit = { start: first.valueEnd, end: first.valueEnd, insert: first.value.trim() === '' ? 'path' : ', path' };
  }
  return { lines, edit };
}

export function publishPathAdded(to: SendTarget): void {
  if (flowChannels.pathAdded.hasSubscribers) flowChannels.pathAdded.publish({ transport: to.transport });
}
