/**
 * A SIP response without any Via reaching siplb's socket: dropped with its own reason ('no-via',
 * not 'parse-error') and logged once with its sender, so an operator can find the broken peer.
 */
import dgram from 'node:dgram';
import { afterEach, expect, it } from 'vitest';
import { build, type App } from '../../../src/app.js';
import { validateConfig } from '../../../src/config/validate.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { waitFor } from '../../helpers/wait.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

it('drops a response without Via as no-via and logs its sender', async () => {
  const v = validateConfig({ sip: { listen: '127.0.0.1:0' }, backends: [{ id: 'gw1', address: '127.0.0.1:9' }], health: { enabled: false } });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  const lines: Record<string, unknown>[] = [];
  app = build(v.config, { logger: captureLogger(lines, 'info') });
  const bound = await app.start();
  const sock = dgram.createSocket('udp4');
  const msg = 'SIP/2.0 200 OK\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: nv-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  for (let i = 0; i < 3; i++) sock.send(msg, bound.port, '127.0.0.1');
  try {
    await waitFor('no-via drops counted', () => app!.counters().dropped['no-via'] === 3, 3000);
    const logged = lines.filter((l) => l['topic'] === 'no-via');
    expect(logged).toHaveLength(1); // rate-limited: the first one, then at most one per 10 s
    expect(logged[0]).toMatchObject({ level: 40, from: '127.0.0.1', component: 'proxy' });
    expect(app.counters().dropped['parse-error'] ?? 0).toBe(0);
  } finally {
    sock.close();
  }
});
