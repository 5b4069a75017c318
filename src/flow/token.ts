/**
 * @module flow/token
 * Flow tokens (RFC 5626 §5.2): the opaque name of a client's flow that siplb writes into the Path
 * of a REGISTER (RFC 3327) and into its Record-Route, so a request a registrar or a peer later
 * sends towards that client comes back to siplb and leaves on that very flow — the connection a
 * browser or a NATed phone holds open, or the UDP address it sends from.
 *
 *     token = base64url( ver:1 | kid:1 | node:2 | proto:1 | flow | issued:4 | tag:16 )
 *     flow  = connId:8                for tcp, tls, ws, wss
 *           = addr:4|16 | port:2      for udp over IPv4 or IPv6
 *     tag   = the first 16 bytes of HMAC-SHA-256(key[kid], every byte before the tag)
 *
 * - The tag is 128 bits of HMAC-SHA-256, compared in constant time; Kamailio's outbound module
 *   keeps 80 bits of HMAC-SHA1. A client or backend cannot forge or alter a token.
 * - `proto` is explicit, so WS, WSS and TCP are never confused (kamailio#3340).
 * - A stream flow is named by connection id, not by addresses: it stays right behind NAT and
 *   TCP front ends (kamailio#4105). Connection ids do not repeat across restarts
 *   (transport/connections.ts), so an old token names no new connection: it gets 430.
 * - `node` says which cluster node holds the flow, so another node can relay the request there.
 * - base64url without padding fits a URI user part and a Via parameter unescaped (RFC 3261 §25.1
 *   `unreserved`: alphanumerics, `-` and `_`).
 * Pure: node:crypto only; the keys come from ./key-ring.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseIpv4, parseIpv6 } from '../security/ip.js';
import type { Transport } from '../transport/contract.js';
import type { KeyRing } from './key-ring.js';

export const TOKEN_VERSION = 1;
const TAG_BYTES = 16;
const HEAD_BYTES = 5; // ver, kid, node:2, proto
const ISSUED_BYTES = 4;

/** The flow a token names: a connection of a stream transport, or a UDP client address. */
export type Flow =
  | { readonly transport: 'udp'; readonly address: string; readonly port: number }
  | { readonly transport: Exclude<Transport, 'udp'>; readonly connectionId: number };

export interface FlowToken {
  readonly keyId: number;
  /** The cluster node that holds the flow (flow.nodeId). */
  readonly nodeId: number;
  readonly flow: Flow;
  /** When the token was issued, in whole seconds since the epoch. */
  readonly issuedAt: number;
}

/** Why a token failed the check; stable strings (metric label values). */
export type TokenRejection = 'malformed' | 'unknown-key' | 'bad-tag';

export type TokenCheck = { readonly ok: true; readonly token: FlowToken } | { readonly ok: false; readonly reason: TokenRejection };

const PROTO_CODES: Readonly<Record<Exclude<Transport, 'udp'>, number>> = { tcp: 2, tls: 3, ws: 4, wss: 5 };
const UDP4 = 0;
const UDP6 = 1;
const STREAMS: readonly (Exclude<Transport, 'udp'> | undefined)[] = [undefined, undefined, 'tcp', 'tls', 'ws', 'wss'];

/** Base64url characters of the largest token (UDP over IPv6): a cheap bound before decoding. */
const MAX_TEXT = Math.ceil(((HEAD_BYTES + 18 + ISSUED_BYTES + TAG_BYTES) * 4) / 3);
const MIN_TEXT = Math.floor(((HEAD_BYTES + 6 + ISSUED_BYTES + TAG_BYTES) * 4) / 3);
const B64URL = /^[A-Za-z0-9_-]+$/;

const groups = new Uint16Array(8);

function tagOf(key: Buffer, bytes: Buffer, end: number): Buffer {
  return createHmac('sha256', key).update(bytes.subarray(0, end)).digest().subarray(0, TAG_BYTES);
}

/** The flow's bytes: the connection id (8 bytes), or the address and port of a UDP client. */
function flowBytes(flow: Flow): Buffer {
  if (flow.transport !== 'udp') {
    const b = Buffer.allocUnsafe(9);
    b[0] = PROTO_CODES[flow.transport];
    b.writeBigUInt64BE(BigInt(flow.connectionId), 1);
    return b;
  }
  const v4 = parseIpv4(flow.address);
  if (v4 >= 0) {
    const b = Buffer.allocUnsafe(7);
    b[0] = UDP4;
    b.writeUInt32BE(v4, 1);
    b.writeUInt16BE(flow.port, 5);
    return b;
  }
  if (!parseIpv6(flow.address, groups)) throw new RangeError(`not an IP address: ${flow.address}`);
  const b = Buffer.allocUnsafe(19);
  b[0] = UDP6;
  for (let i = 0; i < 8; i++) b.writeUInt16BE(groups[i]!, 1 + i * 2);
  b.writeUInt16BE(flow.port, 17);
  return b;
}

/** Issue a token for `flow`, held by node `nodeId`, signed with the ring's signing key. */
export function issueToken(ring: KeyRing, nodeId: number, flow: Flow, nowMs: number): string {
  const fb = flowBytes(flow);
  const len = 4 + fb.length + ISSUED_BYTES;
  const b = Buffer.allocUnsafe(len + TAG_BYTES);
  b[0] = TOKEN_VERSION;
  b[1] = ring.signing.id;
  b.writeUInt16BE(nodeId, 2);
  fb.copy(b, 4);
  b.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 4 + fb.length);
  tagOf(ring.signing.secret, b, len).copy(b, len);
  return b.toString('base64url');
}

/** Decode and verify a token: its structure first (cheap), then its tag in constant time. */
export function checkToken(ring: KeyRing, text: string): TokenCheck {
  if (text.length < MIN_TEXT || text.length > MAX_TEXT || !B64URL.test(text)) return { ok: false, reason: 'malformed' };
  const b = Buffer.from(text, 'base64url');
  if (b.length < HEAD_BYTES || b[0] !== TOKEN_VERSION) return { ok: false, reason: 'malformed' };
  // One text per token: the decoder ignores a trailing partial character and unused low bits,
  // so without this, altered texts would pass as the same token.
  if (b.toString('base64url') !== text) return { ok: false, reason: 'malformed' };
  const proto = b[4]!;
  const flowLen = proto === UDP4 ? 6 : proto === UDP6 ? 18 : STREAMS[proto] !== undefined ? 8 : -1;
  if (flowLen < 0) return { ok: false, reason: 'malformed' };
  const signedLen = HEAD_BYTES + flowLen + ISSUED_BYTES;
  if (b.length !== signedLen + TAG_BYTES) return { ok: false, reason: 'malformed' };
  const key = ring.get(b[1]!);
  if (key === undefined) return { ok: false, reason: 'unknown-key' };
  if (!timingSafeEqual(tagOf(key.secret, b, signedLen), b.subarray(signedLen))) return { ok: false, reason: 'bad-tag' };

  let flow: Flow;
  if (proto === UDP4) {
    const a = b.readUInt32BE(5);
    flow = { transport: 'udp', address: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`, port: b.readUInt16BE(9) };
  } else if (proto === UDP6) {
    const g: string[] = [];
    for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(5 + i * 2).toString(16));
    flow = { transport: 'udp', address: g.join(':'), port: b.readUInt16BE(21) };
  } else {
    const id = b.readBigUInt64BE(5);
    if (id > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'malformed' };
    flow = { transport: STREAMS[proto]!, connectionId: Number(id) };
  }
  return { ok: true, token: { keyId: key.id, nodeId: b.readUInt16BE(2), flow, issuedAt: b.readUInt32BE(HEAD_BYTES + flowLen) } };
}
