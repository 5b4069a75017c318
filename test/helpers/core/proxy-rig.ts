/**
 * @module test/helpers/core/proxy-rig
 * The stateless proxy wired in-process as app.ts wires it (registry, balancer, call affinity, our
 * address, optional serial failover and admission), with a `RecordingSender` in place of the UDP
 * socket and the clock taken from `performance.now()` so vitest fake timers drive it. No sockets.
 *
 * `deliver(text, from)` hands one datagram to the dispatcher as the transport would; what siplb
 * sent in answer is in `sender`. `events` records the observer calls the health and call layers
 * would get.
 */
import type { MessageSource } from '../../../src/transport/contract.js';
import type { Balancer, Member } from '../../../src/balance/balancer.js';
import { createBalancer } from '../../../src/balance/index.js';
import { BackendRegistry, type Backend, type BackendDef } from '../../../src/backends/registry.js';
import { CallAffinity } from '../../../src/proxy/call-affinity.js';
import type { ProxyContext, ProxyOptions } from '../../../src/proxy/context.js';
import { handleDatagram } from '../../../src/proxy/dispatcher.js';
import { resendRequest } from '../../../src/proxy/request-path.js';
import { routingKeyFor } from '../../../src/proxy/routing-key.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { SerialFailover, type FailoverOptions } from '../../../src/proxy/serial-failover.js';
import type { SipResponse } from '../../../src/sip/message.js';
import { RecordingSender } from './recording-sender.js';

/** siplb's own address in every rig. */
export const LB = { host: '198.51.100.1', port: 5060 } as const;

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
  /** Admission: `admit` answer and `saturated` flag, mutable by the test through `rig.admission`. */
  readonly admission?: boolean;
  /** Return false from the observer's response hook to absorb a response (as health may). */
  readonly relayResponses?: boolean;
}

export interface ProxyRig {
  readonly ctx: ProxyContext;
  readonly sender: RecordingSender;
  readonly registry: BackendRegistry;
  readonly events: ObserverEvent[];
  readonly failover: SerialFailover | undefined;
  /** Present when `admission: true`: flip `admit`/`saturated` to simulate overload. */
  readonly admission: { admit: boolean; saturated: boolean };
  backend(id: string): Backend;
  /** The address a backend's datagrams come from (its configured address). */
  from(id: string): MessageSource;
  deliver(datagram: string | Buffer, from: MessageSource): void;
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

export function proxyRig(opts: ProxyRigOptions = {}): ProxyRig {
  const sender = new RecordingSender();
  const registry = new BackendRegistry(opts.backends ?? BACKENDS);
  const balancer: Balancer =
    opts.balancer === undefined ? FIRST_CANDIDATE : typeof opts.balancer === 'string' ? createBalancer(opts.balancer, {}) : opts.balancer;
  const events: ObserverEvent[] = [];
  const admission = { admit: true, saturated: false };
  const now = (): number => performance.now();
  const ctx: ProxyContext = {
    sender,
    backends: registry,
    balancer: () => balancer,
    affinity: new CallAffinity({ ttlMs: 32_000, maxEntries: 10_000 }),
    self: new SelfAddress(LB, LB),
    now,
    routingKey: routingKeyFor('call-id'),
    options: {
      defaultMaxForwards: 70,
      recordRoute: true,
      answerOptions: true,
      optionsReflectBackends: true,
      noBackendRetryAfter: 5,
      maxDatagramBytes: 65_535,
      ...opts.options,
    },
    observer: {
      requestForwarded: (req, backend, isNewCall) => void events.push({ kind: 'forwarded', method: req.method, backend: backend?.id, isNewCall }),
      response: (res: SipResponse, from) => {
        events.push({ kind: 'response', status: res.status, backend: from?.id });
        return opts.relayResponses ?? true;
      },
      localResponse: (res) => ctx.failover?.absorbLocal(res) ?? false,
    },
    admission: opts.admission
      ? {
          admit: () => admission.admit,
          get saturated() {
            return admission.saturated;
          },
          retryAfterSeconds: 7,
        }
      : undefined,
    failover: undefined,
    // Registration-aware affinity (balance.failback) is driven in registration-holders.test.ts.
    registrations: undefined,
  };
  let failover: SerialFailover | undefined;
  if (opts.failover !== undefined) {
    ctx.failover = failover = new SerialFailover({ ...DEFAULT_FAILOVER, ...opts.failover }, ctx, (...args) => resendRequest(ctx, ...args), {
      onFailover: (failed, callId, reason) => void events.push({ kind: 'failover', backend: failed.id, callId, reason }),
      isOwnResponse: () => true,
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
    admission,
    backend,
    from: (id) => {
      const b = backend(id);
      return { transport: 'udp', address: b.host, port: b.port };
    },
    deliver: (datagram, from) => handleDatagram(ctx, typeof datagram === 'string' ? Buffer.from(datagram, 'latin1') : datagram, from),
  };
}
