/**
 * Full-size UDP (RFC 3261 §18.1.1: an element must be prepared to receive 65535 bytes over UDP):
 * GB/T 28181 catalogue MESSAGEs of 23.5 KB and 60 KB pass through a real siplb socket to a backend
 * socket over loopback, body byte for byte (GB2312 bytes included). With a 16 KB cap configured,
 * the 23.5 KB one is answered 513 Message Too Large and logged; a response over the cap is
 * dropped and logged.
 */
import { afterEach, expect, it } from 'vitest';
import { build, type App } from '../../../src/app.js';
import { validateConfig } from '../../../src/config/validate.js';
import { captureLogger } from '../../helpers/capture-logger.js';
import { waitFor } from '../../helpers/wait.js';
import { recordingSocket, type RecordingSocket } from '../../helpers/udp-socket.js';

const opened: Array<{ close(): unknown }> = [];
let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
  for (const s of opened.splice(0)) s.close();
});

const socket = (): Promise<RecordingSocket> => recordingSocket(opened);

/** A catalogue-style body of exactly `size` bytes, with GB2312 (non-UTF-8) bytes in it. */
function body(size: number): Buffer {
  const b = Buffer.alloc(size);
  const head = Buffer.from('<?xml version="1.0" encoding="GB2312"?>\r\n<Response><CmdType>Catalog</CmdType>', 'latin1');
  head.copy(b);
  for (let i = head.length; i < size; i++) b[i] = i % 7 === 0 ? 0xc9 + (i % 5) : 0x41 + (i % 26);
  return b;
}

function message(callId: string, port: number, content: Buffer): Buffer {
  const head =
    `MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${callId};rport\r\n` +
    `From: <sip:34020000001320000001@3402000000>;tag=t-${callId}\r\n` +
    `To: <sip:34020000002000000001@3402000000>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 20 MESSAGE\r\nMax-Forwards: 70\r\n` +
    `Content-Type: Application/MANSCDP+xml\r\nContent-Length: ${content.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), content]);
}

async function start(cap: number | undefined, backendPort: number, lines: Record<string, unknown>[]): Promise<number> {
  const v = validateConfig({
    sip: { listen: '127.0.0.1:0', ...(cap === undefined ? {} : { maxDatagramBytes: cap }) },
    backends: [{ id: 'platform', address: `127.0.0.1:${backendPort}` }],
    health: { enabled: false },
  });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  app = build(v.config, { logger: captureLogger(lines, 'info') });
  return (await app.start()).port;
}

it('23.5 KB and 60 KB MESSAGEs reach the backend byte for byte with the default cap (65535)', async () => {
  const device = await socket();
  const platform = await socket();
  const lb = await start(undefined, platform.port, []);
  for (const [i, size] of [24_064, 61_440].entries()) {
    const content = body(size);
    const sent = message(`big-${i}`, device.port, content);
    device.sock.send(sent, lb, '127.0.0.1');
    await waitFor(`${size}-byte MESSAGE at the platform`, () => platform.got.length === i + 1, 3000);
    const got = platform.got[i]!;
    const sep = got.indexOf('\r\n\r\n');
    expect(got.subarray(sep + 4).equals(content)).toBe(true);
    expect(got.subarray(0, sep + 2).toString('latin1')).toContain(`Content-Length: ${size}\r\n`);
    // Only our Via (and received/Max-Forwards edits) were added.
    expect(got.length - sent.length).toBeLessThan(200);
  }
  expect(sentTotal(device.got)).toBe(0); // nothing came back to the device (no 513)
});

it('with a 16 KB cap the 23.5 KB MESSAGE gets 513 and a log line; an oversize response is dropped and logged', async () => {
  const device = await socket();
  const platform = await socket();
  const lines: Record<string, unknown>[] = [];
  const lb = await start(16_384, platform.port, lines);
  device.sock.send(message('cap-1', device.port, body(24_064)), lb, '127.0.0.1');
  await waitFor('513 at the device', () => device.got.length === 1, 3000);
  const reply = device.got[0]!.toString('latin1');
  expect(reply).toMatch(/^SIP\/2\.0 513 Message Too Large\r\n/);
  expect(reply).toContain('Call-ID: cap-1\r\n');
  expect(platform.got).toHaveLength(0);
  const logged = lines.filter((l) => l['topic'] === 'oversize-answered-513');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: 40, outcome: 'answered-513', bytes: expect.any(Number), cap: 16_384 });

  // A small request still passes; the platform's oversize response to it is dropped.
  device.sock.send(message('cap-2', device.port, body(100)), lb, '127.0.0.1');
  await waitFor('small MESSAGE at the platform', () => platform.got.length === 1, 3000);
  const fwd = platform.got[0]!.toString('latin1');
  const vias = fwd.split('\r\n').filter((l) => l.startsWith('Via:'));
  const big = Buffer.concat([
    Buffer.from(`SIP/2.0 200 OK\r\n${vias.join('\r\n')}\r\nFrom: <sip:a@3402000000>;tag=1\r\nTo: <sip:b@3402000000>;tag=2\r\nCall-ID: cap-2\r\nCSeq: 20 MESSAGE\r\nContent-Length: 20000\r\n\r\n`, 'latin1'),
    body(20_000),
  ]);
  platform.sock.send(big, lb, '127.0.0.1');
  await waitFor('oversize response counted', () => (app!.counters().dropped['size'] ?? 0) === 1, 3000);
  expect(device.got).toHaveLength(1);
  expect(lines.filter((l) => l['topic'] === 'oversize-response-dropped')).toMatchObject([{ level: 40, cap: 16_384 }]);
});

function sentTotal(got: Buffer[]): number {
  return got.length;
}
