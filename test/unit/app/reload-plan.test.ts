/**
 * The reload plan (app/reload-plan.ts): what `siplb reload` reports and which running parts are
 * rebuilt, from two validated configs.
 */
import { describe, expect, it } from 'vitest';
import { planReload } from '../../../src/app/reload-plan.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/schema.js';

function config(doc: Record<string, unknown> = {}): Config {
  const r = validateConfig({ backends: [{ id: 'gw1', address: '127.0.0.1:5071' }], ...doc });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe('planReload', () => {
  it('reports nothing and rebuilds nothing for the same config', () => {
    expect(planReload(config(), config())).toEqual({ changes: [], failover: 'update', rebuildBalancer: false });
  });

  it('names added and removed backends, and the other changed keys', () => {
    const prev = config();
    const next = config({ backends: [{ id: 'gw2', address: '127.0.0.1:5072' }], failover: { codes: [503, 408] } });
    expect(planReload(prev, next).changes).toEqual([
      'backend gw2 added',
      'backend gw1 removed (its calls in progress go on by Record-Route)',
      'failover.codes: [503] → [503,408] (applied)',
    ]);
  });

  it('says a backend edit was applied when no backend came or went', () => {
    const next = config({ backends: [{ id: 'gw1', address: '127.0.0.1:5071', weight: 3 }] });
    expect(planReload(config(), next).changes).toEqual(['backend addresses or weights changed (applied)']);
  });

  it('says which changes need a restart', () => {
    expect(planReload(config(), config({ sip: { listen: '127.0.0.1:5099' } })).changes).toEqual([
      'sip.listen: [{"transport":"udp","host":"127.0.0.1","port":5060}] → [{"transport":"udp","host":"127.0.0.1","port":5099}]: needs a restart to take effect',
    ]);
  });

  it('rebuilds the balancer on a new mode or ring size, not on a new hash key', () => {
    expect(planReload(config(), config({ balance: { mode: 'round-robin' } })).rebuildBalancer).toBe(true);
    expect(planReload(config(), config({ balance: { vnodes: 500 } })).rebuildBalancer).toBe(true);
    expect(planReload(config(), config({ balance: { hashKey: 'from-user' } })).rebuildBalancer).toBe(false);
  });

  it('rebuilds serial failover when it is turned on or off, else updates it in place', () => {
    expect(planReload(config(), config({ failover: { enabled: false } })).failover).toBe('rebuild');
    expect(planReload(config(), config({ failover: { timeout: '300ms' } })).failover).toBe('update');
  });
});
