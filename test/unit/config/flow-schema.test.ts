/**
 * The `flow:` section (issue 17): key ids and secrets (hex or base64, 32+ bytes, never echoed in
 * an error), the signing key, the node map; and the wiring that turns it into the settings the
 * proxy reads (a random key with one warning when none is configured).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFlowSettings } from '../../../src/app/flow-wiring.js';
import { describeChanges, changedKeys } from '../../../src/config/reload-policy.js';
import type { Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';
import { checkToken, issueToken } from '../../../src/flow/token.js';
import { captureLogger } from '../../helpers/capture-logger.js';

const MIN = { backends: [{ id: 'gw1', address: '127.0.0.1:5071' }] };
const HEX = 'ab'.repeat(32);
const B64 = Buffer.alloc(32, 9).toString('base64');

function config(flow: unknown): Config {
  const r = validateConfig({ ...MIN, flow });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

function problems(flow: unknown): string {
  const r = validateConfig({ ...MIN, flow });
  return r.ok ? '' : JSON.stringify(r.issues);
}

describe('flow config', () => {
  it('takes hex and base64 secrets, node map and signing key', () => {
    const c = config({ nodeId: 3, keys: [{ id: 1, secret: HEX }, { id: 2, secret: B64 }], signingKey: 2, nodes: [{ id: 3, address: '10.0.0.3:5060' }] });
    expect(c.flow).toMatchObject({ nodeId: 3, signingKey: 2, pathForUdp: false, nodes: [{ id: 3, address: { host: '10.0.0.3', port: 5060 }, transport: 'udp' }] });
  });

  it('refuses short or undecodable secrets without echoing them', () => {
    const short = 'cd'.repeat(16);
    const p = problems({ keys: [{ id: 1, secret: short }] });
    expect(p).toContain('at least 32 are needed');
    expect(p).not.toContain(short);
    const junk = 'not a secret at all!!';
    const q = problems({ keys: [{ id: 1, secret: junk }] });
    expect(q).toContain('neither hex nor base64');
    expect(q).not.toContain(junk);
  });

  it('needs one of secret and secretFile, unique ids, and a signing key among several', () => {
    expect(problems({ keys: [{ id: 1 }] })).toContain('exactly one of secret and secretFile');
    expect(problems({ keys: [{ id: 1, secret: HEX, secretFile: '/x' }] })).toContain('exactly one of secret and secretFile');
    expect(problems({ keys: [{ id: 1, secret: HEX }, { id: 1, secret: B64 }], signingKey: 1 })).toContain('appears twice');
    expect(problems({ keys: [{ id: 1, secret: HEX }, { id: 2, secret: B64 }] })).toContain('signingKey must say');
    expect(problems({ keys: [{ id: 1, secret: HEX }], signingKey: 4 })).toContain('not the id of one of flow.keys');
    expect(problems({ nodes: [{ id: 1, address: '10.0.0.1:5060' }, { id: 1, address: '10.0.0.2:5060' }] })).toContain('appears twice');
  });

  it('a reload reports a changed key without its secret', () => {
    const a = config({ keys: [{ id: 1, secret: HEX }] });
    const b = config({ keys: [{ id: 1, secret: B64 }] });
    const lines = describeChanges(changedKeys(a, b));
    expect(lines).toEqual(['flow.keys: changed (secret, not shown): needs a restart to take effect']);
  });
});

describe('flow settings from the config', () => {
  it('reads secretFile, signs with the signing key, verifies with every key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-flow-'));
    const file = path.join(dir, 'k2');
    writeFileSync(file, `${B64}\n`);
    const lines: Record<string, unknown>[] = [];
    const logger = captureLogger(lines);
    const s = buildFlowSettings(config({ nodeId: 7, keys: [{ id: 1, secret: HEX }, { id: 2, secretFile: file }], signingKey: 2 }), logger);
    expect(s.ring().signing).toEqual({ id: 2, secret: Buffer.alloc(32, 9) });
    const t = issueToken(s.ring(), s.nodeId(), { transport: 'tcp', connectionId: 1 }, Date.now());
    expect(checkToken(s.ring(), t).ok).toBe(true);
    expect(lines).toEqual([]);
  });

  it('without keys: a random key and one warning saying how to make tokens survive a restart', () => {
    const lines: Record<string, unknown>[] = [];
    const s = buildFlowSettings(config({}), captureLogger(lines));
    expect(s.ring().signing.secret).toHaveLength(32);
    const warn = lines.filter((l) => l['level'] === 40);
    expect(warn).toHaveLength(1);
    expect(String(warn[0]!['msg'])).toMatch(/random key.*restart.*set flow\.keys/);
  });
});
