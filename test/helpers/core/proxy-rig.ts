/**
 * @module test/helpers/core/proxy-rig
 * The stateless proxy wired in-process as app.ts wires it (registry, balancer, call affinity, our
 * address, optional serial failover and admission), with a `RecordingSender` in place of the UDP
 * socket and the clock taken from `performance.now()` so vitest fake timers drive it. No sockets.
 *
 * `deliver(text, from)` hands one datagram to the dispatcher as the transport would; what siplb
 * sent in answer is in `sender`. `events` records the observer calls the health and call layers
 * would get.
 *
 * `loopbackRig` is the same rig with siplb and the backends on 127.0.0.1 at given ports and the
 * hash balancer, for tests written in terms of ports (scripted backends answering what they got).
 */
import type { MessageSource } from '../../../src/transport/contract.js';
import type { Balancer, Member } from '../../../src/balance/balancer.js';
import { createBalancer } from '../../../src/balance/index.js';
import { BackendRegistry, type Backend, type BackendDef } from '../../../src/backends/registry.js';
import { CallAffinity } from '../../../src/proxy/call-affinity.js';
import type { FlowRouting, ProxyContext, ProxyObserver, ProxyOptions } from '../../../src/proxy/context.js';
import { handleDatagram } from '../../../src/proxy/dispatcher.js';
import { RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { RegistrationAffinity } from '../../../src/proxy/registration-affinity.js';
import { resendRequest } from '../../../src/proxy/request-path.js';
import { perKindRoutingKey, routingKeyFor, type HashKeys } from '../../../src/proxy/routing-key.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { SerialFailover, type FailoverOptions } from '../../../src/proxy/serial-failover.js';
import type { SipResponse } from '../../../src/sip/message.js';
import { RecordingSender } from './recording-sender.js';
import { crlf } from './sip-text.js';

/** siplb's own address in every rig unless `self` says otherwise. */
export const LB = { host: '198.51.100.1', port: 5060 } as const;
/** siplb's address in `loopbackRig`. */
export const LOOPBACK_LB = { host: '127.0.0.1', port: 5060 } as const;

/** Three backends on TEST-NET-2 addresses: nothing is ever sent anywhere. */
export const BACKENDS: readonly BackendDef[] = [
  { id: 'gw1', address: { host: '198.51.100.11', port: 5060 }, weight: 1 },
  { id: 'gw2', address: { host: '198.51.100.12', port: 5060 }, weight: 1 },
  { id: 'gw3', address: { host: '198.51.100.13', port: 5060 }, weight: 1 },
];

export type ObserverEvent =
  | { readonly kind: 'forwarded'; readonly method: string; readonly backend: string | undefined; readonly isNewCall: boolean }
  | { readonly kind: 'response'; readonly status: number; readonly backend: string | undefined }
  | { readonly kind: 'failover'; readonly backend: string; readonly callId: string; readonly reason: string };

export interface ProxyRigOptions {
  readonly backends?: readonly BackendDef[];
  /** A balancer by name, or one of the test's own. @default the first candidate, always */
  readonly balancer?: 'hash' | 'round-robin' | Balancer;
  readonly options?: Partial<ProxyOptions>;
  /** Serial failover options; omitted = failover disabled. */
  readonly failover?: Partial<FailoverOptions>;
  /** Admission: `admit` answer, `saturated` flag and `lateAt`, mutable by the test through `rig.admission`. */
  readonly admission?: boolean;
  /** Return false from the observer's response hook to absorb a response (as health may). */
  readonly relayResponses?: boolean;
  /** Failover's judgement of who generated a response (health/response-origin.ts). @default every response is the backend's own */
  readonly isOwnResponse?: (res: SipResponse) => boolean;
  /** Further observer hooks, over the recording ones (e.g. `relayed`, `oversize`). */
  readonly observer?: ProxyObserver;
  /** siplb's own address (Via, Record-Route, requests addressed to itself). @default LB */
  readonly self?: { readonly host: string; readonly port: number };
  /** The proxy's clock. @default performance.now (vitest fake timers drive it) */
  readonly clock?: () => number;
  /** Per-kind hash keys (balance.hashKey) over the rig's `users`. @default Call-ID for every request */
  readonly hashKeys?: HashKeys;
  /** balance.failback: route a registered device by its registration holder. @default none */
  readonly failback?: 'hold-registrations' | 'immediate';
  /** Flow tokens: settings (key ring, node map) and the open connections. @default none */
  readonly flow?: FlowRouting;
}

export interface ProxyRig {
  readonly ctx: ProxyContext;
  readonly sender: RecordingSender;
  readonly registry: BackendRegistry;
  readonly events: ObserverEvent[];
  readonly failover: SerialFailover | undefined;
  /** The users that registered through siplb (hash keys, registration holders). */
  readonly users: RegisteredUsers;
  /** The failovers so far: which backend failed and why ('timeout', 'status-503', ...). */
  failovers(): Array<{ backend: string; reason: string }>;
  /**
   * Present when `admission: true`: flip `admit`/`saturated` to simulate overload; `lateAt` is when
   * the node was last saturated (performance.now() ms), for timeouts that look back.
   */
  readonly admission: { admit: boolean; saturated: boolean; lateAt: number };
  backend(id: string): Backend;
  /** The address a backend's datagrams come from (its configured address). */
  from(id: string): MessageSource;
  deliver(datagram: string | Buffer, from: MessageSource): void;
  /** `deliver` for text written with '\n' line ends (sip-text.ts crlf). */
  deliverText(text: string, from: MessageSource): void;
}

/** Always the first eligible member: a test decides where a call goes by eligibility alone. */
export const FIRST_CANDIDATE: Balancer = {
  name: 'round-robin', // the name is only read for logs and status
  pick: (_key: string, members: readonly Member[]) => members[0],
};

/**
 * Failover on a backend's own 503/408/500 and on silence, for INVITE only unless a test says
 * otherwise; which codes count and whether relayed ones do is tested in failover-codes.test.ts.
 */
export const DEFAULT_FAILOVER: FailoverOptions = {
  timeoutMs: 400,
  codes: new Set([503, 408, 500]),
  relayed: true,
  maxAttempts: 2,
  rememberMs: 32_000,
  methods: new Set<string>(),
};

/** Failover as a node runs it with the shipped defaults (failover.* in config/schema.ts). */
export const SHIPPED_FAILOVER: FailoverOptions = {
  timeoutMs: 400,
  codes: new Set([503]),
  relayed: false,
  maxAttempts: 2,
  rememberMs: 32_000,
  methods: new Set(['REGISTER', 'MESSAGE', 'SUBSCRIBE']),
};

export function proxyRig(opts: ProxyRigOptions = {}): ProxyRig {
  const sender = new RecordingSender();
  const registry = new BackendRegistry(opts.backends ?? BACKENDS);
  const balancer: Balancer =
    opts.balancer === undefined ? FIRST_CANDIDATE : typeof opts.balancer === 'string' ? createBalancer(opts.balancer, {}) : opts.balancer;
  const events: ObserverEvent[] = [];
  const admission = { admit: true, saturated: false, lateAt: Number.NEGATIVE_INFINITY };
  const now = opts.clock ?? ((): number => performance.now());
  const users = new RegisteredUsers(1000);
  const self = opts.self ?? LB;
  const ctx: ProxyContext = {
    sender,
    backends: registry,
    balancer: () => balancer,
    affinity: new CallAffinity({ ttlMs: 32_000, maxEntries: 10_000 }),
    self: new SelfAddress(self, self),
    now,
    routingKey: opts.hashKeys === undefined ? routingKeyFor('call-id') : perKindRoutingKey(opts.hashKeys, users, now),
    options: {
      defaultMaxForwards: 70,
      recordRoute: true,
      answerOptions: true,
      optionsReflectBackends: true,
      noBackendRetryAfter: 5,
      maxDatagramBytes: 65_535,
      udpMtu: 1300,
      ...opts.options,
    },
    observer: {
      requestForwarded: (req, backend, isNewCall) => void events.push({ kind: 'forwarded', method: req.method, backend: backend?.id, isNewCall }),
      response: (res: SipResponse, from) => {
        events.push({ kind: 'response', status: res.status, backend: from?.id });
        return opts.relayResponses ?? true;
      },
      localResponse: (res) => ctx.failover?.absorbLocal(res) ?? false,
      ...opts.observer,
    },
    admission: opts.admission
      ? {
          admit: () => admission.admit,
          lateSince: (t: number) => admission.saturated || admission.lateAt >= t,
          retryAfterSeconds: 7,
        }
      : undefined,
    failover: undefined,
    registrations: opts.failback === undefined ? undefined : new RegistrationAffinity(users, opts.failback, true),
    flow: opts.flow,
  };
  let failover: SerialFailover | undefined;
  if (opts.failover !== undefined) {
    ctx.failover = failover = new SerialFailover({ ...DEFAULT_FAILOVER, ...opts.failover }, ctx, (...args) => resendRequest(ctx, ...args), {
      onFailover: (failed, callId, reason) => void events.push({ kind: 'failover', backend: failed.id, callId, reason }),
      isOwnResponse: (_backend, res) => opts.isOwnResponse?.(res) ?? true,
    });
  }
  const backend = (id: string): Backend => {
    const b = registry.byId(id);
    if (b === undefined) throw new Error(`no backend ${id} in this rig`);
    return b;
  };
  return {
    ctx,
    sender,
    registry,
    events,
    failover,
    users,
    failovers: () => events.flatMap((e) => (e.kind === 'failover' ? [{ backend: e.backend, reason: e.reason }] : [])),
    admission,
    backend,
    from: (id) => {
      const b = backend(id);
      return { transport: 'udp', address: b.host, port: b.port };
    },
    deliver: (datagram, from) => handleDatagram(ctx, typeof datagram === 'string' ? Buffer.from(datagram, 'latin1') : datagram, from),
    deliverText: (text, from) => handleDatagram(ctx, crlf(text), from),
  };
}

/**
 * The rig with siplb at 127.0.0.1:5060 and each backend at 127.0.0.1:`port`, balanced by the hash
 * ring (vnodes as the harness that preceded this rig used, so spreads stay as tested).
 */
export function loopbackRig(backends: ReadonlyArray<{ readonly id: string; readonly port: number }>, opts: Omit<ProxyRigOptions, 'backends'> = {}): ProxyRig {
  return proxyRig({
    self: LOOPBACK_LB,
    balancer: createBalancer('hash', { vnodes: 160 }),
    ...opts,
    backends: backends.map((b) => ({ id: b.id, address: { host: LOOPBACK_LB.host, port: b.port }, weight: 1 })),
  });
}
