/**
 * The WebSocket listeners as app/listeners.ts builds them from sip.listen: one ws: listener
 * answers a WSS Via too (SIP.js writes WSS over ws:), both share the TCP/TLS connection table
 * (the streams line of `siplb status`), and a message reaches the one handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildListeners, type Listeners } from '../../../src/app/listeners.js';
import { validateConfig } from '../../../src/config/validate.js';
import { silentLogger } from '../../../src/log.js';
import type { MessageSource } from '../../../src/transport/contract.js';
import { chooseUdpEngine } from '../../../src/transport/udp-factory.js';
import { connectWs } from '../../helpers/ws-client.js';

describe('buildListeners with a ws: listener', () => {
  let l: Listeners;
  let wsUrl = '';
  const got: MessageSource[] = [];
  beforeAll(async () => {
    const v = validateConfig({ sip: { listen: ['udp:127.0.0.1:0', 'ws:127.0.0.1:0'] }, backends: [{ id: 'gw1', address: '127.0.0.1:5070' }] });
    if (!v.ok) throw new Error(JSON.stringify(v.issues));
    l = buildListeners(v.config, silentLogger(), chooseUdpEngine('dgram'));
    l.onMessage((_buf, source) => {
      got.push(source);
      l.sender.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { transport: 'wss', host: 'x.invalid', port: 0, connectionId: source.connectionId });
    });
    await l.start();
    wsUrl = `ws://${l.bound().find((b) => b.startsWith('ws:'))!.slice(3)}/`;
  });
  afterAll(() => l.close());

  it('delivers to the one handler and answers a target named wss on the ws: connection', async () => {
    expect(l.sender.has('ws') && l.sender.has('wss')).toBe(true);
    const p = await connectWs(wsUrl);
    p.send('OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    expect(await p.await(/^SIP\/2\.0 200 OK/)).toBeTruthy();
    expect(got[0]).toMatchObject({ transport: 'ws', address: '127.0.0.1' });
    expect(l.sender.isOpen('wss', got[0]!.connectionId!)).toBe(true);
    expect(l.connectionStats().open['ws/in']).toBe(1);
    p.close();
  });
});
