/**
 * @module transport/udp-factory
 * Chooses the engine of the UDP sockets from `sip.udpEngine`: `native` (the accelerator, issue
 * 20), `dgram` (node:dgram), or `auto` — native when it loads, else dgram, with the reason handed
 * back so app.ts logs one line. `native` that cannot load is not silently replaced: start()
 * rejects with SIPLB_ERR_BIND and the reason.
 */
import { loadNativeUdp } from './native-addon.js';
import { UdpTransport } from './udp.js';
import { NativeUdpTransport } from './udp-native.js';
import { SiplbError } from '../errors.js';
import { type UdpEndpoint, type UdpEngine, type UdpTransportOptions } from './udp-endpoint.js';

export type UdpEngineChoice = 'auto' | UdpEngine;

export interface EngineDecision {
  /** Builds one socket on the chosen engine (the SIP socket and the probe socket share it). */
  readonly create: (opts: UdpTransportOptions) => UdpEndpoint;
  readonly engine: UdpEngine;
  /** Why `auto` fell back to dgram (log it once); undefined when nothing needs saying. */
  readonly fallbackReason: string | undefined;
}

/** Decide once per process start. */
export function chooseUdpEngine(choice: UdpEngineChoice): EngineDecision {
  const dgram: EngineDecision = { create: (o) => new UdpTransport(o), engine: 'dgram', fallbackReason: undefined };
  if (choice === 'dgram') return dgram;
  const load = loadNativeUdp();
  if (load.ok) return { create: (o) => new NativeUdpTransport(load.addon, o), engine: 'native', fallbackReason: undefined };
  if (choice === 'auto') return { ...dgram, fallbackReason: load.reason };
  const reason = load.reason;
  return {
    engine: 'native',
    fallbackReason: undefined,
    create: (o) => {
      const socket = new UdpTransport(o);
      socket.start = () =>
        Promise.reject(
          new SiplbError(
            'SIPLB_ERR_BIND',
            `cannot open UDP ${o.listen.host}:${o.listen.port} on the native engine (sip.udpEngine: native): ${reason}; or set sip.udpEngine: auto to fall back to node:dgram`,
          ),
        );
      return socket;
    },
  };
}
