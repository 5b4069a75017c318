import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { guardedProxyHandler } from '../../../src/app/proxy-wiring.js';
import type { ProxyContext } from '../../../src/proxy/context.js';
import { MessageClock } from '../../../src/runtime/message-clock.js';

const INVITE = Buffer.from(
  'INVITE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bK-1\r\nFrom: <sip:a@127.0.0.2>;tag=1\r\n' +
    'To: <sip:b@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  'latin1',
);

describe('guardedProxyHandler and the message clock', () => {
  it('holds one clock reading for the whole of a message, and releases it even when handling throws', () => {
    let t = 0;
    const clock = new MessageClock(() => (t += 1));
    const seen: number[] = [];
    // A context whose every property read notes the time and then breaks the handling.
    const ctx = new Proxy({} as ProxyContext, {
      get: () => {
        seen.push(clock.now(), clock.now());
        if (seen.length > 6) throw new Error('stop');
        return undefined;
      },
    });
    const errors: unknown[] = [];
    const log = { error: (o: unknown) => errors.push(o) } as unknown as Logger;
    const handle = guardedProxyHandler(ctx, log, clock);
    handle(INVITE, { transport: 'udp', address: '127.0.0.2', port: 5090 });
    expect(errors).toHaveLength(1); // the breakage was caught as an internal error
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([1])); // one reading, held throughout
    expect(clock.now()).toBe(2); // released: a fresh reading again
    handle(INVITE, { transport: 'udp', address: '127.0.0.2', port: 5090 });
    expect(seen.at(-1)).toBe(3); // the next message reads the clock once more
  });
});
