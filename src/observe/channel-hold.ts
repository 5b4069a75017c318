/**
 * @module observe/channel-hold
 * Keeps every siplb channel active (one subscriber that ignores what it gets) while the proxy's
 * hot path is compiled by synthetic calls (app/warm-up.ts), until the node's own subscribers —
 * metrics, the activity log — are attached.
 *
 * Why: `node:diagnostics_channel` gives a channel another prototype when its first subscriber
 * comes and when its last one goes (Channel ↔ ActiveChannel). Code V8 compiled while a channel
 * was inactive depends on that prototype and is thrown away when the metrics subscribe, and it
 * never saw the publishing branch of `if (ch.hasSubscribers) ch.publish(…)` taken; so a warm-up
 * run before the metrics subscribe was mostly undone by the first live calls (every core
 * function that publishes deoptimised and compiled again under traffic: `--trace-deopt`,
 * "dependent prototype chain changed"). Held from before the warm-up until after the node's own
 * subscribers, a channel keeps one prototype, and the warm-up's publishes reach nobody but this.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { channels } from './channels.js';
import { flowChannels } from './flow-channels.js';

const ignore = (): void => {};

/** Subscribes the hold to every channel; the returned function takes it off again (idempotent). */
export function holdChannelsActive(): () => void {
  const names = [...Object.values(channels), ...Object.values(flowChannels)].map((c) => c.name);
  for (const n of names) diagnosticsChannel.subscribe(n, ignore);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    for (const n of names) diagnosticsChannel.unsubscribe(n, ignore);
  };
}
