/**
 * Every config key is either applied on reload or reported as needing a restart, and a reload
 * names each changed key with its effect.
 */
import { describe, expect, it } from 'vitest';
import { listFields } from '../../../src/config/introspect.js';
import { changedKeys, describeChanges, reloadEffect } from '../../../src/config/reload-policy.js';
import { ConfigSchema, type Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';

const MIN = { backends: [{ id: 'gw1', address: '127.0.0.1:5071' }] };
function valid(raw: unknown): Config {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe('reload policy', () => {
  it('has a rule for every key of the schema', () => {
    const leaves = listFields(ConfigSchema).map((f) => f.path.replace(/\[\]/g, ''));
    for (const p of leaves) expect(['applied', 'restart'], p).toContain(reloadEffect(p));
    // The keys the issue named: each has its definite effect.
    expect(reloadEffect('balance.hashKey.register')).toBe('applied');
    expect(reloadEffect('balance.affinityTtl')).toBe('restart');
    expect(reloadEffect('dialogs.maxCallDuration')).toBe('restart');
    expect(reloadEffect('dialogs.maxEntries')).toBe('restart');
    expect(reloadEffect('failover.codes')).toBe('applied');
    expect(reloadEffect('passive.blameCodes')).toBe('applied');
    expect(reloadEffect('sip.optionsReflectBackends')).toBe('restart');
    expect(reloadEffect('health.fall')).toBe('applied');
    expect(reloadEffect('health.source')).toBe('restart');
  });

  it('reports each changed key as applied or needing a restart, never "no changes"', () => {
    const prev = valid(MIN);
    const next = valid({
      ...MIN,
      balance: { hashKey: 'to-user', affinityTtl: '1m' },
      dialogs: { maxCallDuration: '12h' },
      failover: { codes: [503, 500] },
    });
    expect(describeChanges(changedKeys(prev, next))).toEqual([
      'balance.affinityTtl: 32000 → 60000: needs a restart to take effect',
      'balance.hashKey.registered: request-uri-user → to-user (applied)',
      'balance.hashKey.other: call-id → to-user (applied)',
      'failover.codes: [503] → [503,500] (applied)',
      'dialogs.maxCallDuration: 10800000 → 43200000: needs a restart to take effect',
    ]);
    expect(changedKeys(prev, valid(MIN))).toEqual([]);
  });
});
