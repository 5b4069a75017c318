/**
 * Cross-field rules (config/cross-field.ts) run even when other keys are invalid, so one pass
 * reports every problem; but a rule that reads a key which did not parse must stay silent, or the
 * operator gets a second, misleading message about a value that was never read. Each case breaks
 * exactly one key a rule reads and checks that only the parse error is reported.
 */
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../src/config/schema.js';

const GW = { id: 'gw1', address: '10.0.0.11:5060' };
/** The rules of cross-field.ts (a key's own parse error carries its own rule name: 'duration', 'address', ...). */
const CROSS = new Set(['timeout-not-below-interval', 'duplicate-backend-id', 'duplicate-backend-address', 'backend-is-self', 'advertise-required', 'admin-token-required', 'renew-interval-too-long']);

function rulesAndPaths(doc: Record<string, unknown>): { rules: string[]; paths: string[] } {
  const r = ConfigSchema.safeParse(doc);
  if (r.success) return { rules: [], paths: [] };
  return {
    rules: r.error.issues.flatMap((i) => (i.code === 'custom' ? [String((i as { params?: { rule?: string } }).params?.rule)] : [])).filter((rule) => CROSS.has(rule)),
    paths: r.error.issues.map((i) => i.path.map(String).join('.')),
  };
}

describe('cross-field rules skip keys that did not parse', () => {
  it('the rules fire on clean values (the baseline)', () => {
    expect(rulesAndPaths({ backends: [GW], health: { interval: '1s', timeout: '2s' } }).rules).toEqual(['timeout-not-below-interval']);
    expect(rulesAndPaths({ backends: [GW, { id: 'gw1', address: '10.0.0.12:5060' }] }).rules).toEqual(['duplicate-backend-id']);
    expect(rulesAndPaths({ backends: [GW, { id: 'gw2', address: '10.0.0.11:5060' }] }).rules).toEqual(['duplicate-backend-address']);
    expect(rulesAndPaths({ sip: { listen: '10.0.0.11:5060' }, backends: [GW] }).rules).toEqual(['backend-is-self']);
    expect(rulesAndPaths({ sip: { listen: '10.0.0.1:5060', advertise: '10.0.0.11:5060' }, backends: [GW] }).rules).toEqual(['backend-is-self']);
    expect(rulesAndPaths({ sip: { listen: '0.0.0.0:5060' }, backends: [GW] }).rules).toEqual(['advertise-required']);
    expect(rulesAndPaths({ admin: { listen: '10.0.0.1:8080' }, backends: [GW] }).rules).toEqual(['admin-token-required']);
    expect(rulesAndPaths({ ha: { leaseTtl: '2s', renewInterval: '1s' }, backends: [GW] }).rules).toEqual(['renew-interval-too-long']);
    expect(rulesAndPaths({ backends: [{ ...GW, health: { timeout: '3s' } }] }).rules).toEqual(['timeout-not-below-interval']);
  });

  it.each([
    ['health.interval', { backends: [GW], health: { interval: -1, timeout: '2s' } }],
    ['health.timeout', { backends: [GW], health: { interval: '1s', timeout: 'later' } }],
    ['backends.1.address', { backends: [GW, { id: 'gw2', address: 'nowhere' }] }],
    ['sip.listen', { sip: { listen: 'bad' }, backends: [GW] }],
    ['sip.advertise', { sip: { listen: '0.0.0.0:5060', advertise: 'bad' }, backends: [GW] }],
    ['admin.listen', { admin: { listen: 'bad' }, backends: [GW] }],
    ['admin.token', { admin: { listen: '10.0.0.1:8080', token: 5 }, backends: [GW] }],
    ['ha.leaseTtl', { ha: { leaseTtl: -1, renewInterval: '1s' }, backends: [GW] }],
    ['ha.renewInterval', { ha: { leaseTtl: '2s', renewInterval: 'x' }, backends: [GW] }],
    ['backends.0.health.timeout', { backends: [{ ...GW, health: { timeout: 'x' } }] }],
    ['health.interval', { backends: [{ ...GW, health: { timeout: '3s' } }], health: { interval: -1 } }],
  ])('%s unreadable: only its own error, no rule', (path, doc) => {
    const r = rulesAndPaths(doc);
    expect(r.rules).toEqual([]);
    expect(r.paths).toContain(path);
  });
});
