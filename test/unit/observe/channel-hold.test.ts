import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { holdChannelsActive } from '../../../src/observe/channel-hold.js';
import { channels } from '../../../src/observe/channels.js';
import { flowChannels } from '../../../src/observe/flow-channels.js';

describe('holdChannelsActive', () => {
  it('makes every channel active until released, and releases once', () => {
    expect(channels.requestForwarded.hasSubscribers).toBe(false);
    const release = holdChannelsActive();
    for (const ch of [...Object.values(channels), ...Object.values(flowChannels)]) expect(ch.hasSubscribers).toBe(true);
    channels.requestForwarded.publish({}); // reaches the hold, which ignores it
    release();
    release();
    for (const ch of [...Object.values(channels), ...Object.values(flowChannels)]) expect(ch.hasSubscribers).toBe(false);
  });

  it('leaves a channel that gained a subscriber while held active, with the same prototype (no deoptimising switch)', () => {
    const release = holdChannelsActive();
    const proto = Object.getPrototypeOf(channels.drop) as object;
    const got: unknown[] = [];
    const onDrop = (m: unknown): void => void got.push(m);
    diagnosticsChannel.subscribe(channels.drop.name, onDrop);
    release();
    expect(Object.getPrototypeOf(channels.drop)).toBe(proto);
    channels.drop.publish({ reason: 'size' });
    expect(got).toEqual([{ reason: 'size' }]);
    diagnosticsChannel.unsubscribe(channels.drop.name, onDrop);
  });
});
