/**
 * A stateless proxy in memory for unit tests: the real request/response paths, serial failover,
 * affinity and balancer, with a recording sender instead of a socket and the caller's clock.
 * Messages are written as text with '\n' line ends (turned into CRLF here).
 */
import type { MessageSource } from '../../../src/transport/contract.js';
import { BackendRegistry } from '../../../src/backends/registry.js';
import { createBalancer } from '../../../src/balance/index.js';
import { CallAffinity } from '../../../src/proxy/call-affinity.js';
import type { ProxyContext, ProxyObserver } from '../../../src/proxy/context.js';
import { handleDatagram } from '../../../src/proxy/dispatcher.js';
import { resendRequest } from '../../../src/proxy/request-path.js';
import { RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { RegistrationAffinity } from '../../../src/proxy/registration-affinity.js';
import { perKindRoutingKey, type HashKeys } from '../../../src/proxy/routing-key.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { SerialFailover } from '../../../src/proxy/serial-failover.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipMessage, SipResponse } from '../../../src/sip/message.js';

export const LB = { host: '127.0.0.1', port: 5060 };
export const CALLER: MessageSource = { transport: 'udp', address: '10.9.9.9', port: 5099 };

export interface Sent {
  readonly text: string;
  readonly msg: SipMessage;
  readonly port: number;
  readonly host: string;
}

export const crlf = (t: string): Buffer => Buffer.from(t.replace(/\r?\n/g, '\r\n'), 'latin1');

export function from(host: string, port: number): MessageSource {
  return { transport: 'udp', address: host, port };
}

export interface ProxyRig {
  readonly ctx: ProxyContext;
  readonly sent: Sent[];
  readonly failovers: Array<{ backend: string; reason: string }>;
  readonly users: RegisteredUsers;
  now: number;
  /** Deliver a datagram to the proxy. */
  recv(text: string, src: MessageSource): void;
  /** Sent messages going to host:port. */
  to(host: string, port: number): Sent[];
  take(): Sent[];
}

export function proxyRig(opts: {
  backends: Array<{ id: string; port: number }>;
  failover?: { codes?: number[]; methods?: string[]; maxAttempts?: number; relayed?: boolean; isOwn?: (res: SipResponse) => boolean };
  hashKeys?: HashKeys;
  observer?: ProxyObserver;
  optionsReflectBackends?: boolean;
  maxDatagramBytes?: number;
  failback?: 'hold-registrations' | 'immediate';
}): ProxyRig {
  const backends = new BackendRegistry(opts.backends.map((b) => ({ id: b.id, address: { host: '127.0.0.1', port: b.port }, weight: 1 })));
  const balancer = createBalancer('hash', { vnodes: 160 });
  const sent: Sent[] = [];
  const failovers: Array<{ backend: string; reason: string }> = [];
  const users = new RegisteredUsers(1000);
  const rig: ProxyRig = {
    ctx: undefined as unknown as ProxyContext,
    sent,
    failovers,
    users,
    now: 0,
    recv: (text, src) => handleDatagram(rig.ctx, crlf(text), src),
    to: (host, port) => sent.filter((s) => s.host === host && s.port === port),
    take: () => sent.splice(0),
  };
  const now = (): number => rig.now;
  const ctx: ProxyContext = {
    sender: {
      send(buf, to) {
        const r = parseSip(buf);
        if (!r.ok) throw new Error(`proxy sent an unparsable message: ${r.error.detail}`);
        sent.push({ text: buf.toString('latin1'), msg: r.msg, port: to.port, host: to.host });
      },
    },
    backends,
    balancer: () => balancer,
    affinity: new CallAffinity({ ttlMs: 32_000, maxEntries: 1000 }),
    self: new SelfAddress(LB, LB),
    now,
    routingKey: perKindRoutingKey(opts.hashKeys ?? { register: 'call-id', registered: 'call-id', other: 'call-id' }, users, now),
    options: { defaultMaxForwards: 70, recordRoute: true, answerOptions: true, optionsReflectBackends: opts.optionsReflectBackends ?? true, noBackendRetryAfter: 5, maxDatagramBytes: opts.maxDatagramBytes ?? 65535, udpMtu: 1300 },
    observer: opts.observer ?? {},
    admission: undefined,
    failover: undefined,
    registrations: opts.failback === undefined ? undefined : new RegistrationAffinity(users, opts.failback, true),
  };
  if (opts.failover !== undefined) {
    ctx.failover = new SerialFailover(
      { timeoutMs: 400, codes: new Set(opts.failover.codes ?? [503]), relayed: opts.failover.relayed ?? false, maxAttempts: opts.failover.maxAttempts ?? 2, rememberMs: 32_000, methods: new Set(opts.failover.methods ?? ['REGISTER', 'MESSAGE', 'SUBSCRIBE']) },
      ctx,
      (...args) => resendRequest(ctx, ...args),
      { onFailover: (b, _cid, reason) => void failovers.push({ backend: b.id, reason }), isOwnResponse: (_b, res) => opts.failover?.isOwn?.(res) ?? true },
    );
  }
  (rig as { ctx: ProxyContext }).ctx = ctx;
  return rig;
}

let seq = 0;
/** An initial INVITE from the caller. */
export function invite(callId: string, ruri = 'sip:bob@127.0.0.1:5060'): string {
  seq++;
  return `INVITE ${ruri} SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-c${seq};rport
Max-Forwards: 70
From: <sip:alice@10.9.9.9>;tag=a${seq}
To: <${ruri}>
Call-ID: ${callId}
CSeq: 1 INVITE
Contact: <sip:alice@10.9.9.9:5099>
Content-Length: 0

`;
}

/** A response to a forwarded request, built from what the proxy sent (its Via list copied). */
export function answer(fwd: Sent, status: number, opts: { toTag?: string; extra?: string; cseq?: string } = {}): string {
  const lines = fwd.text.split('\r\n');
  const pick = (name: string): string[] => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const to = pick('To')[0] ?? 'To: <sip:x@y>';
  const tag = opts.toTag ?? (status > 100 ? 'b1' : undefined);
  return [
    `SIP/2.0 ${status} Reason`,
    ...pick('Via'),
    ...pick('Record-Route'),
    ...pick('From'),
    tag === undefined || to.includes(';tag=') ? to : `${to};tag=${tag}`,
    ...pick('Call-ID'),
    opts.cseq ?? pick('CSeq')[0]!,
    ...(opts.extra === undefined ? [] : [opts.extra]),
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}
