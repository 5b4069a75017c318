/**
 * A send to a numeric domain (GB/T 28181 `3402000000`) never reaches getaddrinfo, which would read
 * it as the IPv4 number 202.198.102.128: it fails as unresolvable and is reported.
 */
import { afterEach, expect, it } from 'vitest';
import { UdpTransport } from '../../../src/transport/udp.js';
import { waitFor } from '../../helpers/wait.js';

let t: UdpTransport | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

it('reports ENOTFOUND for a numeric-domain destination instead of sending to an IPv4 number', async () => {
  const errors: Error[] = [];
  t = new UdpTransport({ listen: { host: '127.0.0.1', port: 0 }, recvBufferBytes: 65536, sendBufferBytes: 65536, onSendError: (e) => void errors.push(e) });
  await t.start();
  t.send(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), { transport: 'udp', host: '3402000000', port: 5060 });
  await waitFor('send error', () => errors.length === 1, 2000);
  expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
});
