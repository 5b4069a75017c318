/**
 * @module test/helpers/core/channel-recorder
 * Records what the core publishes on one of its diagnostics channels (observe/channels.ts), the
 * way metrics and logs see it. Call `stop()` in afterEach (or use `using`-style `recordChannel`
 * inside a test and stop it at the end).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { channels } from '../../../src/observe/channels.js';

export type ChannelName = keyof typeof channels;

export interface ChannelRecorder<T> {
  readonly messages: T[];
  stop(): void;
}

export function recordChannel<T = Record<string, unknown>>(name: ChannelName): ChannelRecorder<T> {
  const messages: T[] = [];
  const channelName = channels[name].name;
  const onMessage = (m: unknown): void => void messages.push(m as T);
  diagnosticsChannel.subscribe(channelName, onMessage);
  return { messages, stop: () => void diagnosticsChannel.unsubscribe(channelName, onMessage) };
}

/**
 * Several channels recorded in one test file, all stopped after each test: call once at module
 * level with vitest's `afterEach`, then `watch('drop')` inside a test returns its messages.
 */
export function watchChannels(afterEachHook: (fn: () => void) => void): (name: ChannelName) => Record<string, unknown>[] {
  const recorders: ChannelRecorder<Record<string, unknown>>[] = [];
  afterEachHook(() => recorders.splice(0).forEach((r) => r.stop()));
  return (name) => {
    const r = recordChannel(name);
    recorders.push(r);
    return r.messages;
  };
}
