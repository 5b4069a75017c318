import { describe, expect, it } from 'vitest';
import { KeyRing, MIN_SECRET_BYTES } from '../../../src/flow/key-ring.js';
import { checkToken, issueToken, type Flow } from '../../../src/flow/token.js';

const k1 = { id: 1, secret: Buffer.alloc(32, 1) };
const k2 = { id: 2, secret: Buffer.alloc(32, 2) };
const NOW = 1_780_000_000_000;

const RING_FOR_CANON = new KeyRing([{ id: 1, secret: Buffer.alloc(32, 3) }], 1);

describe('flow tokens (RFC 5626 §5.2)', () => {
  const ring = new KeyRing([k1], 1);
  const flows: Flow[] = [
    { transport: 'ws', connectionId: 2 ** 51 + 12345 },
    { transport: 'wss', connectionId: 7 },
    { transport: 'tcp', connectionId: Number.MAX_SAFE_INTEGER },
    { transport: 'tls', connectionId: 0 },
    { transport: 'udp', address: '192.0.2.77', port: 5070 },
    { transport: 'udp', address: '2001:db8::1', port: 5060 },
  ];

  it.each(flows)('round-trips %o with node id, key id and issue time', (flow) => {
    const t = issueToken(ring, 513, flow, NOW);
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    const c = checkToken(ring, t);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.token.nodeId).toBe(513);
    expect(c.token.keyId).toBe(1);
    expect(c.token.issuedAt).toBe(Math.floor(NOW / 1000));
    if (flow.transport === 'udp' && flow.address.includes(':')) expect(c.token.flow).toEqual({ transport: 'udp', address: '2001:db8:0:0:0:0:0:1', port: 5060 });
    else expect(c.token.flow).toEqual(flow);
  });

  it('a stream token is 44 characters (33 bytes)', () => {
    expect(issueToken(ring, 1, { transport: 'wss', connectionId: 99 }, NOW)).toHaveLength(44);
  });

  it('changing any single character of a token fails the check', () => {
    const t = issueToken(ring, 3, { transport: 'ws', connectionId: 42 }, NOW);
    const alphabet = 'AQgw_-9z';
    for (let i = 0; i < t.length; i++) {
      for (const ch of alphabet) {
        if (ch === t[i]) continue;
        const forged = t.slice(0, i) + ch + t.slice(i + 1);
        // The last character carries 2 padding bits for some lengths: a change there may decode
        // to the same bytes, which is the same token, not a forgery.
        if (Buffer.from(forged, 'base64url').equals(Buffer.from(t, 'base64url'))) continue;
        const c = checkToken(ring, forged);
        expect(c.ok, `position ${i} → ${ch}`).toBe(false);
      }
    }
  });

  it('one text per token: extra characters or altered unused bits are malformed', () => {
    const t = issueToken(RING_FOR_CANON, 3, { transport: 'tcp', connectionId: 5 }, 1_700_000_000_000);
    expect(checkToken(RING_FOR_CANON, t).ok).toBe(true);
    expect(checkToken(RING_FOR_CANON, `${t}A`)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(RING_FOR_CANON, `${t}AA`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('names why a token fails: malformed, unknown key, bad tag', () => {
    const t = issueToken(ring, 3, { transport: 'ws', connectionId: 42 }, NOW);
    expect(checkToken(ring, 'alice')).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(ring, t + 'AAAA')).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(ring, t.replace(/.$/, '.'))).toEqual({ ok: false, reason: 'malformed' });
    const other = new KeyRing([k2], 2);
    expect(checkToken(other, t)).toEqual({ ok: false, reason: 'unknown-key' });
    const sameIdOtherSecret = new KeyRing([{ id: 1, secret: Buffer.alloc(32, 9) }], 1);
    expect(checkToken(sameIdOtherSecret, t)).toEqual({ ok: false, reason: 'bad-tag' });
  });

  it('rotation: tokens of the old key verify while it stays on the ring; new tokens use the new key', () => {
    const old = issueToken(ring, 1, { transport: 'tcp', connectionId: 5 }, NOW);
    const rotated = new KeyRing([k1, k2], 2);
    expect(checkToken(rotated, old).ok).toBe(true);
    const fresh = issueToken(rotated, 1, { transport: 'tcp', connectionId: 5 }, NOW);
    const c = checkToken(rotated, fresh);
    expect(c.ok && c.token.keyId).toBe(2);
    expect(checkToken(new KeyRing([k2], 2), old)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('the key ring refuses short secrets, bad ids, duplicates and a missing signing key', () => {
    expect(() => new KeyRing([{ id: 1, secret: Buffer.alloc(MIN_SECRET_BYTES - 1) }], 1)).toThrow(/at least 32/);
    expect(() => new KeyRing([{ id: 256, secret: Buffer.alloc(32) }], 256)).toThrow(/0\.\.255/);
    expect(() => new KeyRing([k1, k1], 1)).toThrow(/twice/);
    expect(() => new KeyRing([k1], 2)).toThrow(/signing/);
  });
});
