/**
 * The request rule (sip/validate.ts, proxy/request-checks.ts) on siplb's torture corpus
 * (test/helpers/torture.ts: RFC 4475 §3.1.1, §3.1.2, §3.3, RFC 5118), in process: each invalid
 * class gets its status and `Warning: 399 siplb "..."`; each valid-but-odd request reaches a
 * backend with nothing changed but siplb's own edits; what cannot be answered is counted and
 * answered nothing. The same corpus runs against a real siplb process in
 * test/integration/proxy/torture.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { BACKENDS, LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { asResponse, headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, requestText } from '../../helpers/core/sip-text.js';
import { INVALID, UNANSWERABLE, VALID_ODD, fill, normaliseForwarded, normaliseSent } from '../../helpers/torture.js';

const LB_HP = `${LB.host}:${LB.port}`;
const BACKEND_HOSTS = new Set(BACKENDS.map((b) => b.address.host));

const recorders: ChannelRecorder<Record<string, unknown>>[] = [];
afterEach(() => recorders.splice(0).forEach((r) => r.stop()));
function watch(name: 'drop' | 'reject'): Record<string, unknown>[] {
  const r = recordChannel(name);
  recorders.push(r);
  return r.messages;
}

describe('invalid requests get a stateless error naming the header at fault', () => {
  it.each(INVALID.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const rejects = watch('reject');
    const rig = proxyRig();
    rig.deliver(fill(c.text, LB_HP, '1'), CALLER);
    const d = rig.sender.takeOne();
    expect(d.host).toBe(CALLER.address);
    // Read from the text: an answer to a request without Call-ID cannot carry one either.
    expect(Number(/^SIP\/2\.0 (\d{3}) /.exec(d.text)?.[1]), c.rfc).toBe(c.answer.status);
    const warnings = headerValues(d.text, 'Warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^399 siplb "[^"\r\n]+"$/);
    expect(warnings[0]).toMatch(c.answer.warning);
    if (c.answer.unsupported !== undefined) expect(headerValues(d.text, 'Unsupported')).toEqual([c.answer.unsupported]);
    // The caller's branch comes back, so its client transaction matches the answer (§17.1.3).
    expect(d.text).toContain('branch=z9hG4bK-1');
    expect(rejects).toHaveLength(1);
    expect(rejects[0]?.['status']).toBe(c.answer.status);
    // siplb keeps serving: a valid request right after is forwarded.
    rig.deliver(requestText(), CALLER);
    expect(BACKEND_HOSTS.has(rig.sender.takeOne().host)).toBe(true);
  });
});

describe('what cannot be answered is dropped and counted', () => {
  it.each(UNANSWERABLE.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const drops = watch('drop');
    const rejects = watch('reject');
    const rig = proxyRig();
    rig.deliver(fill(c.text, LB_HP, '1'), CALLER);
    expect(rig.sender.sent).toEqual([]);
    // An ACK is counted as a reject it never answers (§17.1.1.3); the rest as a drop.
    expect(drops.length + rejects.length).toBe(1);
  });
});

describe('valid but odd requests pass unchanged apart from siplb\'s own edits', () => {
  it.each(VALID_ODD.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const rig = proxyRig();
    const sent = fill(c.text, LB_HP, '1');
    rig.deliver(sent, CALLER);
    const d = rig.sender.takeOne();
    expect(BACKEND_HOSTS.has(d.host), `${c.rfc}: went to ${d.host}:${d.port}\n${d.text}`).toBe(true);
    const expected = fill(c.expectText ?? c.text, LB_HP, '1').toString('latin1');
    expect(normaliseForwarded(d.text, LB_HP, LB.host)).toBe(normaliseSent(expected, LB_HP));
    // siplb's Via is on top, the caller's right below it.
    expect(d.text.split('\r\n')[1]).toMatch(new RegExp(`^Via: SIP/2\\.0/UDP ${LB.host.replaceAll('.', '\\.')}:${LB.port};branch=z9hG4bK`));
  });
});

describe('UDP framing (RFC 3261 §18.3)', () => {
  it('forwards only the declared body when the datagram carries more', () => {
    const rig = proxyRig();
    const text = requestText({ body: 'v=0\r\n' });
    rig.deliver(Buffer.from(text + 'trailing junk after the body', 'latin1'), CALLER);
    const d = rig.sender.takeOne();
    expect(d.text.endsWith('\r\n\r\nv=0\r\n')).toBe(true);
  });

  it('answers 400 when the datagram is shorter than its Content-Length', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ body: 'v=0\r\n' }).replace('Content-Length: 5', 'Content-Length: 50'), CALLER);
    const d = rig.sender.takeOne();
    expect(asResponse(d).status).toBe(400);
    expect(headerValues(d.text, 'Warning')[0]).toContain('Content-Length');
  });

  it('trims a response from a backend the same way', () => {
    const rig = proxyRig();
    rig.deliver(requestText(), CALLER);
    const fwd = rig.sender.takeOne();
    const vias = headerValues(fwd.text, 'Via');
    const res =
      `SIP/2.0 180 Ringing\r\n${vias.map((v) => `Via: ${v}\r\n`).join('')}From: <sip:alice@caller.test>;tag=a1\r\n` +
      'To: <sip:bob@lb.test>;tag=b\r\nCall-ID: call-1@caller.test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\nEXTRA';
    rig.deliver(res, { transport: 'udp', address: fwd.host, port: fwd.port });
    const back = rig.sender.takeOne();
    expect(back.host).toBe(CALLER.address);
    expect(back.text.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });
});
