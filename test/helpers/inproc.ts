/**
 * siplb built in the test process (real UDP sockets, real sipp peers) so a test can watch its
 * health transitions and forwarded requests as they happen, through the same diagnostics
 * channels the metrics module uses.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { build, type App } from '../../src/app.js';
import { validateConfig } from '../../src/config/validate.js';
import { createControl, STANDALONE } from '../../src/control.js';
import type { AdminControl } from '../../src/api/control.js';
import { silentLogger } from '../../src/log.js';
import { withUdpEngine } from './udp-engine.js';
import { channels, type HealthTransitionEvent, type RequestForwardedEvent } from '../../src/observe/channels.js';

export interface Forwarded extends RequestForwardedEvent {
  readonly at: number;
}
export interface Transition extends HealthTransitionEvent {
  readonly at: number;
}

export interface InProcessSiplb {
  readonly app: App;
  readonly control: AdminControl;
  readonly forwarded: Forwarded[];
  readonly transitions: Transition[];
  stop(): Promise<void>;
}

export async function startInProcess(raw: Record<string, unknown>): Promise<InProcessSiplb> {
  const v = validateConfig(withUdpEngine(raw));
  if (!v.ok) throw new Error(`bad test config: ${JSON.stringify(v.issues)}`);
  const app = build(v.config, { logger: silentLogger() });
  const control = createControl({
    app,
    configFile: null,
    loadConfig: async () => v,
    leader: STANDALONE,
    now: () => performance.now(),
  });
  const forwarded: Forwarded[] = [];
  const transitions: Transition[] = [];
  const onFwd = (m: unknown): void => void forwarded.push({ ...(m as RequestForwardedEvent), at: performance.now() });
  const onTr = (m: unknown): void => void transitions.push({ ...(m as HealthTransitionEvent), at: performance.now() });
  diagnosticsChannel.subscribe(channels.requestForwarded.name, onFwd);
  diagnosticsChannel.subscribe(channels.healthTransition.name, onTr);
  await app.start();
  return {
    app,
    control,
    forwarded,
    transitions,
    stop: async () => {
      diagnosticsChannel.unsubscribe(channels.requestForwarded.name, onFwd);
      diagnosticsChannel.unsubscribe(channels.healthTransition.name, onTr);
      await app.stop();
    },
  };
}

/** New calls (initial INVITEs picked by the balancer) sent to `backend` after time `since`. */
export function newInvitesTo(fwd: readonly Forwarded[], backend: string, since = 0, until = Infinity): number {
  return fwd.filter((f) => f.method === 'INVITE' && f.via === 'new' && f.backend === backend && f.at > since && f.at <= until).length;
}

/** Stops a test rig: siplb first (so it sends nothing more), then its sipp backends. */
export async function stopRig(rig: { readonly lb: InProcessSiplb; readonly uas: readonly { stop(): Promise<void> }[] } | undefined): Promise<void> {
  if (!rig) return;
  await rig.lb.stop();
  await Promise.all(rig.uas.map((u) => u.stop()));
}
