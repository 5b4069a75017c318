/**
 * The lease operations (ha/lease-store.ts) over a scripted client: how the Lua scripts' replies
 * are read (acquired, reclaimed, held; anything else refused loudly), the fence key, and that the
 * scripts are registered once per client. The scripts themselves run against a real
 * redis-server in test/integration/ha/lease.test.ts.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createLeaseStore } from '../../../src/ha/lease-store.js';

function scripted(replies: { acquire?: unknown; renew?: unknown; release?: unknown }) {
  const calls: unknown[][] = [];
  const defined: Array<{ name: string; numberOfKeys: number }> = [];
  const client = {
    defineCommand(name: string, def: { numberOfKeys: number; lua: string }) {
      defined.push({ name, numberOfKeys: def.numberOfKeys });
      (client as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        calls.push([name, ...args]);
        return name === 'siplbLeaseAcquire' ? replies.acquire : name === 'siplbLeaseRenew' ? replies.renew : replies.release;
      };
    },
  };
  return { client: client as unknown as Redis, calls, defined };
}

describe('lease store', () => {
  it('registers its three scripts once per client, and keeps the fencing counter beside the lease', async () => {
    const s = scripted({ acquire: [1, 7] });
    const store = createLeaseStore(s.client, { key: 'siplb:leader', owner: 'n1:42:ab', leaseTtlMs: 3000 });
    createLeaseStore(s.client, { key: 'siplb:leader', owner: 'n1:42:ab', leaseTtlMs: 3000 });
    expect(s.defined).toEqual([
      { name: 'siplbLeaseAcquire', numberOfKeys: 2 },
      { name: 'siplbLeaseRenew', numberOfKeys: 1 },
      { name: 'siplbLeaseRelease', numberOfKeys: 1 },
    ]);
    expect([store.key, store.fenceKey]).toEqual(['siplb:leader', 'siplb:leader:fence']);
    await store.acquire();
    expect(s.calls).toEqual([['siplbLeaseAcquire', 'siplb:leader', 'siplb:leader:fence', 'n1:42:ab', 3000]]);
  });

  it('reads acquired, reclaimed and held replies', async () => {
    const read = (reply: unknown) => createLeaseStore(scripted({ acquire: reply }).client, { key: 'k', owner: 'o', leaseTtlMs: 1000 }).acquire();
    await expect(read([1, 7])).resolves.toEqual({ kind: 'acquired', token: 7 });
    await expect(read([2, 8])).resolves.toEqual({ kind: 'reclaimed', token: 8 });
    await expect(read([0, 1500])).resolves.toEqual({ kind: 'held', pttlMs: 1500 });
  });

  it.each([[[1, '7']], [[1]], [[1, 7, 0]], [[3, 5]], [[1, 1.5]], ['OK'], [null]])('refuses the unexpected acquire reply %j, quoting it', async (reply) => {
    const store = createLeaseStore(scripted({ acquire: reply }).client, { key: 'k', owner: 'o', leaseTtlMs: 1000 });
    await expect(store.acquire()).rejects.toThrow(`unexpected reply from the lease acquire script: ${JSON.stringify(reply)}`);
  });

  it('renew and release succeed only on a reply of 1 (the lease was still ours)', async () => {
    for (const [reply, ok] of [[1, true], [0, false]] as const) {
      const s = scripted({ renew: reply, release: reply });
      const store = createLeaseStore(s.client, { key: 'k', owner: 'o', leaseTtlMs: 1000 });
      expect([await store.renew(), await store.release()]).toEqual([ok, ok]);
      expect(s.calls).toEqual([
        ['siplbLeaseRenew', 'k', 'o', 1000],
        ['siplbLeaseRelease', 'k', 'o'],
      ]);
    }
  });
});
