/**
 * @module app/probing
 * Builds active health checking: the prober and the socket(s) its OPTIONS leave from.
 *
 * Probes leave from a socket of their own (health.source, default: the primary listen host with a
 * free port). Their replies then never queue behind a flood on the SIP socket, where the kernel
 * would drop them with everything else and the node would mark every backend down (Kamailio's
 * overload failure mode). With a VIP shared by nodes, health.source names the node's own IP.
 */
import type { Logger } from 'pino';
import { isWildcardHost } from '../config/address.js';
import type { Config } from '../config/schema.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { PassiveChecker } from '../health/passive.js';
import { Prober } from '../health/prober.js';
import { probeTargets } from '../health/thresholds.js';
import { parseSip } from '../sip/index.js';
import type { HostPort } from '../transport/address.js';
import { ConnectionTable, UNREACHABLE_REASONS, type CloseReason } from '../transport/connections.js';
import type { MessageHandler } from '../transport/contract.js';
import type { StreamErrorReport } from '../transport/stream.js';
import { TransportHub } from '../transport/hub.js';
import type { EngineDecision } from '../transport/udp-factory.js';
import { streamLimits, streamTransport } from './listeners.js';

export interface Probing {
  readonly prober: Prober;
  /** Bind the probe socket (its port goes into the probes' Via) and start probing. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A reload: new targets and thresholds. */
  setTargets(config: Config): void;
  /** Re-read the TLS files (our client certificate, the CA backends are checked against). */
  reloadCertificates(): Promise<void>;
}

export interface ProbingDeps {
  readonly config: Config;
  /** Our advertised host: the probes' Via names it when the probe source is a wildcard. */
  readonly advertiseHost: string;
  readonly health: HealthMonitor;
  readonly passive: PassiveChecker;
  readonly now: () => number;
  readonly log: Logger;
  /** The UDP engine (node:dgram or the native accelerator) the probe socket uses too. */
  readonly engine: EngineDecision;
}

export function buildProbing(deps: ProbingDeps): Probing {
  const { config } = deps;
  const primary = config.sip.listen[0]!;
  const probeListen: HostPort = config.health.source ?? { host: primary.host, port: 0 };
  const udp = deps.engine.create({ listen: probeListen, recvBufferBytes: 262_144, sendBufferBytes: 262_144 });
  udp.watchBacklog(false); // only the SIP socket's queue drives overload control
  const viaHost = isWildcardHost(probeListen.host) ? deps.advertiseHost : probeListen.host;
  const hub = new TransportHub();
  hub.register('udp', udp);
  const prober = new Prober({
    sender: hub,
    via: { host: viaHost, port: probeListen.port },
    fromUri: config.health.fromUri,
    userAgent: config.health.userAgent,
    now: deps.now,
    onResult: (id, result) => deps.health.probe(id, result),
    onReply: (id, res) => deps.passive.probeReply(id, res),
  });
  prober.setTargets(probeTargets(config));
  const onReply: MessageHandler = (buf) => {
    const parsed = parseSip(buf);
    if (parsed.ok && parsed.msg.kind === 'response') prober.handleReply(parsed.msg);
  };
  udp.onMessage(onReply);
  // Probes of TCP and TLS backends go over connections of their own (connect-only, a table of
  // their own): a probe never queues behind calls, and a failed connect or handshake fails the
  // probe at once with its reason.
  const connections = new ConnectionTable(streamLimits(config));
  const onError = (r: StreamErrorReport): void => {
    if (r.direction === 'out' && UNREACHABLE_REASONS.has(r.reason as CloseReason)) prober.unreachable(r.transport, r.host, r.port, r.reason);
  };
  const streams = (['tcp', 'tls'] as const).map((kind) => streamTransport({ config, kind, connections, onError }));
  for (const s of streams) {
    s.onMessage(onReply);
    hub.register(s.transport, s);
  }

  return {
    prober,
    async start() {
      // Port 0: the Via of probes must name the port the kernel picked.
      const src = await udp.start();
      for (const s of streams) await s.start();
      prober.setVia({ host: viaHost, port: src.port });
      prober.start();
    },
    async stop() {
      prober.stop();
      await udp.close();
      await Promise.all(streams.map((s) => s.close()));
    },
    setTargets: (c) => prober.setTargets(probeTargets(c)),
    async reloadCertificates() {
      for (const s of streams) await s.reloadCertificates();
    },
  };
}
