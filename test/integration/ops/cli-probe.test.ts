/**
 * `siplb probe` against a tiny UDP responder in the test: one OPTIONS out, the reply's code,
 * reason and RTT printed, exit 0 on 2xx, 1 on another final reply, 5 on silence.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSip } from '../../../src/sip/index.js';
import { cli } from '../../unit/cli/harness.js';

type Answer = 'ok' | 'busy' | 'silent' | 'trying-then-ok' | 'foreign-branch';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

function reply(req: Buffer, status: string): Buffer {
  const text = req.toString('latin1');
  const keep = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
  return Buffer.from(`SIP/2.0 ${status}\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
}

/** A UAS on 127.0.0.1:port that answers OPTIONS as told and records what it got. */
async function responder(answer: Answer): Promise<{ port: number; got: Buffer[] }> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  const got: Buffer[] = [];
  s.on('message', (m, from) => {
    got.push(m);
    const send = (b: Buffer): void => void s.send(b, from.port, from.address);
    if (answer === 'ok') send(reply(m, '200 OK'));
    if (answer === 'busy') send(reply(m, '486 Busy Here'));
    if (answer === 'trying-then-ok') {
      send(reply(m, '100 Trying'));
      setTimeout(() => send(reply(m, '200 OK')), 5);
    }
    if (answer === 'foreign-branch') send(Buffer.from(reply(m, '200 OK').toString('latin1').replace(/branch=[^;\r]+/, 'branch=z9hG4bKother'), 'latin1'));
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, got };
}

describe('siplb probe', () => {
  it('sends one OPTIONS built like the health probe and prints code, reason and RTT; exit 0 on 200', async () => {
    const uas = await responder('ok');
    const r = await cli(['probe', `sip:127.0.0.1:${uas.port}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^200 OK in \\d+\\.\\d{3} ms from 127\\.0\\.0\\.1:${uas.port} \\(sip:127\\.0\\.0\\.1:${uas.port}\\)\\n$`));
    expect(uas.got).toHaveLength(1);
    const req = parseSip(uas.got[0]!);
    expect(req.ok && req.msg.kind === 'request' && req.msg.method).toBe('OPTIONS');
    expect(req.ok && req.msg.topVia().branch).toMatch(/^z9hG4bKslp/);
  });

  it('--json prints code, reason and rttMs', async () => {
    const uas = await responder('ok');
    const r = await cli(['probe', `127.0.0.1:${uas.port}`, '--json']);
    const j = JSON.parse(r.out) as { target: string; code: number; reason: string; rttMs: number };
    expect(j).toMatchObject({ target: `sip:127.0.0.1:${uas.port}`, code: 200, reason: 'OK' });
    expect(j.rttMs).toBeGreaterThan(0);
  });

  it('skips provisional replies and waits for the final one', async () => {
    const uas = await responder('trying-then-ok');
    const r = await cli(['probe', `sip:127.0.0.1:${uas.port}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^200 OK/);
  });

  it('exits 1 on a non-2xx final reply', async () => {
    const uas = await responder('busy');
    const r = await cli(['probe', `sip:127.0.0.1:${uas.port}`]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^486 Busy Here in /);
  });

  it('exits 5 when nothing (or only a reply to someone else) comes back before --timeout', async () => {
    for (const answer of ['silent', 'foreign-branch'] as const) {
      const uas = await responder(answer);
      const r = await cli(['probe', `sip:127.0.0.1:${uas.port}`, '--timeout', '150']);
      expect(r.code, answer).toBe(5);
      expect(r.err).toBe(`sip:127.0.0.1:${uas.port}: no reply within 150 ms\n`);
      expect(uas.got).toHaveLength(1);
    }
  });

  it('exits 64 on a malformed target or timeout', async () => {
    expect((await cli(['probe', 'sip:'])).code).toBe(64);
    // sips: is a TLS probe now; an unknown transport, or a sips: URI over UDP, is a usage error.
    expect((await cli(['probe', 'sip:127.0.0.1:5060;transport=sctp'])).code).toBe(64);
    expect((await cli(['probe', 'sips:127.0.0.1:5061;transport=udp'])).code).toBe(64);
    expect((await cli(['probe', 'sip:127.0.0.1:5060', '--timeout', 'soon'])).code).toBe(64);
  });
});
