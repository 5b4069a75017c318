import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backends/registry.js';
import type { HealthMonitor } from '../../../src/health/monitor.js';
import { PassiveChecker, type PassiveOptions } from '../../../src/health/passive.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';

const gw1: Backend = { id: 'gw1', host: '127.0.0.1', port: 5071, transport: 'udp', acceptsTcp: false, weight: 1, key: '127.0.0.1:5071' };
const OPTS: PassiveOptions = { enabled: true, inviteTimeoutMs: 5000, consecutive503: 3, blameCodes: new Set([503]), blameRelayed: false, honorRetryAfter: true, maxRetryAfterMs: 300_000 };

function msg(text: string): SipRequest & SipResponse {
  const r = parseSip(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg as SipRequest & SipResponse;
}
const invite = (cid: string) => msg(`INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK${cid}\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: ${cid}\nCSeq: 1 INVITE\nContent-Length: 0\n\n`);
const response = (cid: string, status: number, extra = '') => msg(`SIP/2.0 ${status} X\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK${cid}\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: ${cid}\nCSeq: 1 INVITE\n${extra}Content-Length: 0\n\n`);

function rig() {
  let t = 0;
  const calls: string[] = [];
  const monitor = {
    passive: (id: string, reason: string) => calls.push(`${id}:${reason}`),
    retryAfter: (id: string, s: number) => calls.push(`${id}:retry-after:${s}`),
  } as unknown as HealthMonitor;
  const p = new PassiveChecker(OPTS, monitor, () => t);
  return { p, calls, advance: (ms: number) => (t += ms) };
}

describe('PassiveChecker', () => {
  it('counts an INVITE with no response at all within inviteTimeout as a failure, once', () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('c1'));
    p.inviteSent(gw1, invite('c1')); // retransmission keeps the first send time
    expect(p.pendingInvites('gw1')).toBe(1);
    advance(5001);
    p.sweep();
    p.sweep();
    expect(calls).toEqual(['gw1:invite-timeout']);
    expect(p.pendingInvites('gw1')).toBe(0);
  });

  it('does not count a provisionally answered INVITE, nor any while the node itself is saturated', () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('c1'));
    p.response(gw1, response('c1', 100));
    p.inviteSent(gw1, invite('c2'));
    advance(6000);
    p.sweep(() => true);
    expect(calls).toEqual([]);
    expect(p.pendingInvites('gw1')).toBe(0);
  });

  it('does not count an INVITE sent before the node was last saturated, even when the overload has ended', () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('before')); // t = 0: its 100 Trying may be among the datagrams the node dropped at t = 1000
    advance(2000);
    p.inviteSent(gw1, invite('after')); // t = 2000: sent after the overload
    advance(5001);
    const lateAt = 1000;
    const asked: number[] = [];
    p.sweep((sentAt) => (asked.push(sentAt), sentAt <= lateAt));
    expect(asked).toEqual([0, 2000]);
    expect(calls).toEqual(['gw1:invite-timeout']);
    expect(p.pendingInvites('gw1')).toBe(0);
  });

  it('counts pending INVITEs per backend through answers, forgets and timeouts, down to zero and up again', () => {
    const { p, advance } = rig();
    const gw2: Backend = { ...gw1, id: 'gw2', port: 5072, key: '127.0.0.1:5072' };
    p.inviteSent(gw1, invite('a'));
    p.inviteSent(gw1, invite('b'));
    p.inviteSent(gw2, invite('c'));
    expect([p.pendingInvites('gw1'), p.pendingInvites('gw2'), p.pendingInvites('gw3')]).toEqual([2, 1, 0]);
    p.response(gw2, response('a', 200)); // from another backend than the INVITE's: not its answer
    p.response(gw1, response('a', 180));
    expect(p.pendingInvites('gw1')).toBe(2);
    p.response(gw1, response('a', 200));
    p.response(gw1, response('a', 200)); // a retransmitted 2xx counts down once
    p.forget('c');
    p.forget('c');
    expect([p.pendingInvites('gw1'), p.pendingInvites('gw2')]).toEqual([1, 0]);
    p.inviteSent(gw2, invite('d')); // a backend back from zero counts again
    advance(6000);
    p.sweep();
    expect([p.pendingInvites('gw1'), p.pendingInvites('gw2')]).toEqual([0, 0]);
    p.inviteSent(gw1, invite('e'));
    expect(p.pendingInvites('gw1')).toBe(1);
  });

  it('turns consecutive 503s into a failure, resets on another final response, honours Retry-After', () => {
    const { p, calls } = rig();
    p.response(gw1, response('a', 503));
    p.response(gw1, response('b', 503));
    p.response(gw1, response('c', 486));
    p.response(gw1, response('d', 503));
    expect(calls).toEqual([]);
    p.response(gw1, response('e', 503));
    p.response(gw1, response('f', 503));
    expect(calls).toEqual(['gw1:status-503']);
    p.response(gw1, response('g', 503, 'Retry-After: 30\n'));
    expect(calls).toEqual(['gw1:status-503', 'gw1:retry-after:30']);
  });
});

describe('PassiveChecker blame rules', () => {
  const withSig = (cid: string, status: number, server?: string) => response(cid, status, server === undefined ? '' : `Server: ${server}\n`);
  const probeReply = (server?: string) => withSig('probe', 200, server);

  it('blames a 503 the backend generated itself (same Server as its probe replies)', () => {
    const { p, calls } = rig();
    p.probeReply('gw1', probeReply('kamailio (5.6.3 (x86_64/linux))'));
    for (const c of ['a', 'b', 'c']) p.response(gw1, withSig(c, 503, 'kamailio (5.6.3 (x86_64/linux))'));
    expect(calls).toEqual(['gw1:status-503']);
  });

  it('never blames a 503 the backend only relayed (another Server, or none where the backend sends one)', () => {
    const { p, calls } = rig();
    p.probeReply('gw1', probeReply('kamailio (5.6.3 (x86_64/linux))'));
    for (let i = 0; i < 10; i++) p.response(gw1, withSig(`r${i}`, 503, i % 2 === 0 ? 'Acme-GW/2.1' : undefined));
    // Not even its Retry-After takes the proxy out.
    p.response(gw1, response('ra', 503, 'Retry-After: 30\nServer: Acme-GW/2.1\n'));
    expect(calls).toEqual([]);
  });

  it('blames relayed responses too with blameRelayed, and counts blameCodes other than 503', () => {
    const calls: string[] = [];
    const monitor = { passive: (id: string, r: string) => calls.push(`${id}:${r}`), retryAfter: () => undefined } as unknown as HealthMonitor;
    const p = new PassiveChecker({ ...OPTS, blameCodes: new Set([500, 503]), blameRelayed: true }, monitor, () => 0);
    p.probeReply('gw1', probeReply('kamailio'));
    for (const c of ['a', 'b', 'c']) p.response(gw1, withSig(c, 500, 'Acme-GW/2.1'));
    expect(calls).toEqual(['gw1:blamed-status']);
  });

  it('counts a response as the backend\'s own while its signature is unknown (no probe answered yet)', () => {
    const { p, calls } = rig();
    for (const c of ['a', 'b', 'c']) p.response(gw1, withSig(c, 503, 'Acme-GW/2.1'));
    expect(calls).toEqual(['gw1:status-503']);
    // A backend whose probe replies carry no Server: a response without one is its own.
    const r2 = rig();
    r2.p.probeReply('gw1', probeReply());
    for (const c of ['a', 'b', 'c']) r2.p.response(gw1, withSig(c, 503));
    expect(r2.calls).toEqual(['gw1:status-503']);
  });

  it('does not blame codes outside blameCodes (408, 500 by default)', () => {
    const { p, calls } = rig();
    for (let i = 0; i < 6; i++) p.response(gw1, withSig(`x${i}`, i % 2 === 0 ? 408 : 500));
    expect(calls).toEqual([]);
  });
});

describe('PassiveChecker bookkeeping', () => {
  const gw2: Backend = { ...gw1, id: 'gw2', port: 5072, key: '127.0.0.1:5072' };
  const bye = (cid: string, status: number) => msg(`SIP/2.0 ${status} X\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK${cid}b\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: ${cid}\nCSeq: 2 BYE\nContent-Length: 0\n\n`);

  it('counts pending INVITEs per backend; a final answer or forget() ends one', () => {
    const { p } = rig();
    p.inviteSent(gw1, invite('a'));
    p.inviteSent(gw1, invite('b'));
    p.inviteSent(gw2, invite('c'));
    expect([p.pendingInvites('gw1'), p.pendingInvites('gw2'), p.pendingInvites('gw9')]).toEqual([2, 1, 0]);
    p.response(gw1, response('a', 180));
    expect(p.pendingInvites('gw1')).toBe(2);
    p.response(gw1, response('a', 200));
    p.forget('c');
    p.forget('nope');
    expect([p.pendingInvites('gw1'), p.pendingInvites('gw2')]).toEqual([1, 0]);
    p.response(gw1, response('b', 486));
    expect(p.pendingInvites('gw1')).toBe(0);
  });

  it("ignores a response to an INVITE from another backend than the one it was sent to, and a non-INVITE response", () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('a'));
    p.response(gw2, response('a', 180));
    p.response(gw2, response('a', 200));
    p.response(gw1, bye('a', 200));
    expect(p.pendingInvites('gw1')).toBe(1);
    advance(5000);
    p.sweep();
    expect(calls).toEqual(['gw1:invite-timeout']);
  });

  it('sweeps only INVITEs sent at least inviteTimeout ago, in send order', () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('a'));
    advance(1000);
    p.inviteSent(gw2, invite('b'));
    advance(3999);
    p.sweep();
    expect(calls).toEqual([]);
    advance(1);
    p.sweep();
    expect(calls).toEqual(['gw1:invite-timeout']);
    expect(p.pendingInvites('gw2')).toBe(1);
    advance(1000);
    p.sweep();
    expect(calls).toEqual(['gw1:invite-timeout', 'gw2:invite-timeout']);
  });

  it('caps Retry-After at maxRetryAfter, ignores it when 0, when not honoured, and on other blamed codes', () => {
    const calls: string[] = [];
    const monitor = { passive: (id: string, r: string) => calls.push(`${id}:${r}`), retryAfter: (id: string, s: number) => calls.push(`${id}:retry-after:${s}`) } as unknown as HealthMonitor;
    const p = new PassiveChecker({ ...OPTS, maxRetryAfterMs: 60_000, blameCodes: new Set([500, 503]), consecutive503: 2 }, monitor, () => 0);
    p.response(gw1, response('a', 503, 'Retry-After: 3600\n'));
    expect(calls).toEqual(['gw1:retry-after:60']);
    p.response(gw1, response('b', 503, 'Retry-After: 0\n'));
    p.response(gw1, response('c', 500, 'Retry-After: 30\n'));
    expect(calls).toEqual(['gw1:retry-after:60', 'gw1:blamed-status']);
    p.setOptions({ ...OPTS, honorRetryAfter: false, consecutive503: 1 });
    p.response(gw1, response('d', 503, 'Retry-After: 30\n'));
    expect(calls).toEqual(['gw1:retry-after:60', 'gw1:blamed-status', 'gw1:status-503']);
  });

  it('a Retry-After restarts the 503 streak', () => {
    const { p, calls } = rig();
    p.response(gw1, response('a', 503));
    p.response(gw1, response('b', 503));
    p.response(gw1, response('c', 503, 'Retry-After: 5\n'));
    p.response(gw1, response('d', 503));
    p.response(gw1, response('e', 503));
    expect(calls).toEqual(['gw1:retry-after:5']);
  });

  it('counts streaks per backend', () => {
    const { p, calls } = rig();
    p.response(gw1, response('a', 503));
    p.response(gw1, response('b', 503));
    p.response(gw2, response('c', 503));
    p.response(gw2, response('d', 200));
    p.response(gw1, response('e', 503));
    expect(calls).toEqual(['gw1:status-503']);
  });

  it('when disabled, counts pending INVITEs (for drains) but blames nothing', () => {
    const calls: string[] = [];
    let t = 0;
    const monitor = { passive: (id: string, r: string) => calls.push(`${id}:${r}`), retryAfter: (id: string) => calls.push(`${id}:retry-after`) } as unknown as HealthMonitor;
    const p = new PassiveChecker({ ...OPTS, enabled: false, consecutive503: 1 }, monitor, () => t);
    p.inviteSent(gw1, invite('a'));
    expect(p.pendingInvites('gw1')).toBe(1);
    p.response(gw1, response('b', 503, 'Retry-After: 5\n'));
    p.response(gw1, response('c', 503));
    t = 10_000;
    p.sweep();
    expect(calls).toEqual([]);
    expect(p.pendingInvites('gw1')).toBe(0);
  });

  it('remembers the signature of probe replies', () => {
    const { p } = rig();
    expect(p.signatureOf('gw1')).toBeUndefined();
    p.probeReply('gw1', response('p', 200, 'User-Agent: ua/1\n'));
    expect(p.signatureOf('gw1')).toBe('ua/1');
  });
});

describe('PassiveChecker streaks and provisional answers', () => {
  it('a provisional response proves an INVITE answered: no timeout failure even unsaturated', () => {
    const { p, calls, advance } = rig();
    p.inviteSent(gw1, invite('c1'));
    p.response(gw1, response('c1', 100));
    advance(6000);
    p.sweep();
    expect(calls).toEqual([]);
  });

  it('a provisional response neither counts nor restarts a 503 streak; a 200 restarts it', () => {
    const { p, calls } = rig();
    for (const [cid, status] of [['a', 503], ['b', 503], ['c', 180], ['d', 503]] as const) p.response(gw1, response(cid, status));
    expect(calls).toEqual(['gw1:status-503']);
    for (const [cid, status] of [['e', 503], ['f', 503], ['g', 200], ['h', 503]] as const) p.response(gw1, response(cid, status));
    expect(calls).toEqual(['gw1:status-503']);
  });

  it('counts a new streak after each failure', () => {
    const { p, calls } = rig();
    for (let i = 0; i < 6; i++) p.response(gw1, response(`s${i}`, 503));
    expect(calls).toEqual(['gw1:status-503', 'gw1:status-503']);
  });
});
