import { describe, expect, it } from 'vitest';
import { REGISTERED_TTL_MS, RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { requestKind } from '../../../src/proxy/routing-key.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipRequest } from '../../../src/sip/message.js';

const req = (method: string, ruri: string, to: string): SipRequest => {
  const r = parseSip(
    Buffer.from(
      `${method} ${ruri} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <${to}>\r\nCall-ID: c\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    ),
  );
  if (!r.ok || r.msg.kind !== 'request') throw new Error('bad fixture');
  return r.msg;
};

describe('registered users and request kinds', () => {
  it('remembers the AOR user of a REGISTER for one registration lifetime after the last one', () => {
    const users = new RegisteredUsers(100);
    expect(requestKind(req('REGISTER', 'sip:example.com', 'sip:alice@example.com'), users, 0)).toBe('register');
    expect(requestKind(req('INVITE', 'sip:alice@192.0.2.10', 'sip:alice@192.0.2.10'), users, 1000)).toBe('registered');
    expect(requestKind(req('INVITE', 'sip:service@192.0.2.10', 'sip:service@192.0.2.10'), users, 1000)).toBe('other');
    // A refresh half-way keeps it; silence past the lifetime forgets it.
    requestKind(req('REGISTER', 'sip:example.com', 'sip:alice@example.com'), users, REGISTERED_TTL_MS / 2);
    expect(users.has('alice', REGISTERED_TTL_MS + 1000)).toBe(true);
    expect(users.has('alice', REGISTERED_TTL_MS * 1.5 + 1)).toBe(false);
  });

  it('is bounded: the oldest user goes first', () => {
    const users = new RegisteredUsers(2);
    users.note('a', 0);
    users.note('b', 1);
    users.note('c', 2);
    expect([users.has('a', 3), users.has('b', 3), users.has('c', 3)]).toEqual([false, true, true]);
  });

  it('knows the holder of an AOR until the expiry its registrar gave, and forgets it on release', () => {
    const users = new RegisteredUsers(100);
    users.hold('alice', 'gw1', 60_000);
    users.hold('bob', 'gw2', 3_600_000);
    expect(users.holder('alice', 59_999)).toBe('gw1');
    expect(users.holder('alice', 60_000)).toBeUndefined();
    expect(users.holder('bob', 60_000)).toBe('gw2');
    users.hold('bob', 'gw3', 7_200_000); // re-registered elsewhere: the newest holder wins
    expect(users.holder('bob', 3_600_000)).toBe('gw3');
    users.release('bob');
    expect(users.holder('bob', 0)).toBeUndefined();
    expect(users.heldSize).toBe(0);
  });

  it('bounds holders too (the one refreshed longest ago goes) and sweeps expired ones', () => {
    const users = new RegisteredUsers(2);
    users.hold('a', 'gw1', 1000);
    users.hold('b', 'gw1', 5000);
    users.hold('c', 'gw2', 5000);
    expect([users.holder('a', 0), users.holder('b', 0), users.holder('c', 0)]).toEqual([undefined, 'gw1', 'gw2']);
    users.note('u', 0);
    users.sweep(REGISTERED_TTL_MS);
    expect([users.heldSize, users.size]).toEqual([0, 0]);
  });
});
