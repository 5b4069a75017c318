/**
 * @module test/unit/config/load
 * The loader: shipped files, YAML and file errors, line numbers, overrides, freezing.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { formatIssues } from '../../../src/config/errors.js';
import { listFields } from '../../../src/config/introspect.js';
import { loadConfigFile } from '../../../src/config/load.js';
import type { LoadOptions, LoadResult } from '../../../src/config/load.js';
import { ConfigSchema, DEFAULT_CONFIG_PATH } from '../../../src/config/schema.js';
import type { Config } from '../../../src/config/schema.js';

const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const fixture = (name: string): string => root(`test/fixtures/config/${name}`);
const SHIPPED = root(DEFAULT_CONFIG_PATH);
const EXAMPLE = root('deploy/siplb.example.yaml');
/** No environment and a fixed host name, so tests do not depend on the machine. */
const QUIET: LoadOptions = { env: {}, hostname: () => 'test-host' };

function ok(r: LoadResult): Config {
  if (!r.ok) throw new Error(formatIssues('config', r.issues));
  return r.config;
}

function issues(r: LoadResult): Extract<LoadResult, { ok: false }>['issues'] {
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.issues;
}

describe('shipped configuration files', () => {
  it('config/siplb.yaml validates to the documented standalone setup', async () => {
    const c = ok(await loadConfigFile(SHIPPED, {}, QUIET));
    expect(c.sip.listen).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '127.0.0.1', port: 5060 },
    ]);
    expect(c.backends.map((b) => [b.id, `${b.address.host}:${b.address.port}`, b.weight])).toEqual([
      ['gw1', '127.0.0.1:5071', 1],
      ['gw2', '127.0.0.1:5072', 1],
      ['gw3', '127.0.0.1:5073', 1],
    ]);
    expect(c.admin.listen).toEqual({ host: '127.0.0.1', port: 8060 });
    expect(c.health).toMatchObject({ interval: 1000, timeout: 500, fall: 2, rise: 2 });
    expect(c.ha.redis).toBeUndefined();
  });

  it('deploy/siplb.example.yaml validates', async () => {
    const c = ok(await loadConfigFile(EXAMPLE, {}, QUIET));
    expect(c.node.id).toBe('lb-a');
    expect(c.backends[0]?.health).toEqual({ interval: 5000, timeout: 800, fall: 5, rise: 3, okCodes: ['2xx', 404], maxRtt: 300 });
  });

  const exampleDoc = parseDocument(readFileSync(EXAMPLE, 'utf8'));

  /**
   * Every key path in the example, list indices written `[]`, with the comments that document
   * it: the comment above the key, or above its mapping for a first key, or above the list for
   * the keys of list items (one comment block documents id, address, weight and health).
   */
  const exampleKeys = new Map<string, string>();
  const walk = (node: unknown, path: string, above: string, shared: string): void => {
    if (isMap(node)) {
      const first = above + (node.commentBefore ?? '');
      node.items.forEach((pair, i) => {
        if (!isScalar(pair.key)) return;
        const p = path === '' ? String(pair.key.value) : `${path}.${String(pair.key.value)}`;
        const value = pair.value as YamlNode | null;
        const comment = shared + ((pair.key as YamlNode).commentBefore ?? '') + (i === 0 ? first : '') + (value?.comment ?? '');
        exampleKeys.set(p, (exampleKeys.get(p) ?? '') + comment);
        walk(value, p, '', '');
      });
    } else if (isSeq(node)) {
      node.items.forEach((item) => walk(item, `${path}[]`, '', above + (node.commentBefore ?? '')));
    }
  };
  walk(exampleDoc.contents, '', '', '');
  const fields = listFields(ConfigSchema);

  it.each(fields.map((f) => [f.path]))('deploy/siplb.example.yaml sets %s', (path) => {
    expect(exampleKeys.has(path)).toBe(true);
  });

  const documented = fields.filter((f) => !f.path.startsWith('backends[].health.') && !(f.leaf.def.type === 'object'));
  it.each(documented.map((f) => [f.path]))('deploy/siplb.example.yaml gives the default and an example of %s', (path) => {
    const comment = exampleKeys.get(path) ?? '';
    expect(comment).toMatch(/Default:|Required/);
    if (!/Required/.test(comment)) expect(comment).toMatch(/Example:/);
  });
});

describe('file problems', () => {
  it('reports a missing file at (file)', async () => {
    const [i, ...rest] = issues(await loadConfigFile(fixture('no-such-file.yaml'), {}, QUIET));
    expect(rest).toEqual([]);
    expect(i?.path).toBe('(file)');
    expect(i?.reason).toMatch(/cannot read .*no-such-file\.yaml: no such file/);
    expect(i?.fix).toContain('check the path');
  });

  it('reports a directory at (file)', async () => {
    const [i] = issues(await loadConfigFile(fixture(''), {}, QUIET));
    expect(i?.reason).toMatch(/it is a directory/);
  });

  it.each(['empty.yaml', 'comments-only.yaml'])('reports %s as empty', async (name) => {
    expect(issues(await loadConfigFile(fixture(name), {}, QUIET))).toEqual([
      {
        path: '(file)',
        reason: 'the file is empty',
        fix: 'add at least a backends list, e.g. backends: [{ id: gw1, address: "10.0.0.11:5060" }]; deploy/siplb.example.yaml documents every key',
      },
    ]);
  });

  it('reports a YAML syntax error with line and column', async () => {
    const [i] = issues(await loadConfigFile(fixture('syntax-error.yaml'), {}, QUIET));
    expect(i).toMatchObject({ path: '(file)', line: 6, column: 3 });
    expect(i?.reason).toMatch(/^YAML syntax error at line 6, column 3: /);
    expect(i?.fix).toContain('close any [');
  });

  it('reports a duplicate YAML key instead of keeping the last one', async () => {
    const [i] = issues(await loadConfigFile(fixture('duplicate-key.yaml'), {}, QUIET));
    expect(i?.reason).toBe('YAML syntax error at line 5, column 3: Map keys must be unique');
    expect(i?.fix).toMatch(/^remove one of the two keys/);
  });

  it('reports an unresolved alias without throwing', async () => {
    const [i] = issues(await loadConfigFile(fixture('unresolved-alias.yaml'), {}, QUIET));
    expect(i?.reason).toMatch(/^YAML could not be read: Unresolved alias/);
  });

  it('reports a document that is not a mapping at (root)', async () => {
    const [i] = issues(await loadConfigFile(fixture('not-a-mapping.yaml'), {}, QUIET));
    expect(i).toMatchObject({ path: '(root)', reason: 'expected a mapping of sections (backends, sip, health, …), received a list', line: 1 });
  });

  it('accepts JSON', async () => {
    const c = ok(await loadConfigFile(fixture('minimal.json'), {}, QUIET));
    expect(c.backends[0]).toMatchObject({ address: { host: '2001:db8::1', port: 5060 }, weight: 3 });
    expect(c.health).toMatchObject({ interval: 1500, timeout: 1000 });
  });
});

describe('validation issues from a file', () => {
  it('locates each issue by line and formats them', async () => {
    const list = issues(await loadConfigFile(fixture('typo.yaml'), {}, QUIET));
    expect(list.map((i) => [i.path, i.line])).toEqual([
      ['backends[1].address', 8],
      ['balance.hashKey', 14],
      ['health.intervall', 10],
      ['health.timeout', 11],
    ]);
    expect(formatIssues('typo.yaml', list)).toBe(
      [
        "typo.yaml:8: backends[1].address: invalid address '127.0.0.1': missing port (fix: use host:port, e.g. 127.0.0.1:5071 or [2001:db8::1]:5060)",
        "typo.yaml:14: balance.hashKey: hashKey 'from-user' has no effect with mode 'round-robin' (fix: remove balance.hashKey, or set balance.mode: hash to balance on from-user (mode is 'round-robin'))",
        "typo.yaml:10: health.intervall: unknown key 'intervall' (fix: did you mean 'interval'?)",
        'typo.yaml:11: health.timeout: timeout 5s is not below interval 2s (fix: lower health.timeout below 2s (e.g. 1s) or raise health.interval)',
      ].join('\n'),
    );
  });
});

describe('overrides and environment', () => {
  it('replaces file values before validation', async () => {
    const c = ok(
      await loadConfigFile(
        SHIPPED,
        { listen: '127.0.0.1:5099', adminListen: '[::1]:9000', redis: 'redis://10.0.0.5:6379/0', nodeId: 'lb-b', logLevel: 'debug' },
        QUIET,
      ),
    );
    expect(c.sip.listen).toEqual([{ transport: 'udp', host: '127.0.0.1', port: 5099 }]);
    expect(c.admin.listen).toEqual({ host: '::1', port: 9000 });
    expect(c.ha.redis).toBe('redis://10.0.0.5:6379/0');
    expect(c.node.id).toBe('lb-b');
    expect(c.log.level).toBe('debug');
  });

  it('validates overridden values and names their source', async () => {
    const list = issues(await loadConfigFile(SHIPPED, { listen: '5060', adminListen: '0.0.0.0:8060' }, QUIET));
    expect(list).toEqual([
      {
        path: 'sip.listen',
        reason: "invalid listen address '5060': missing port (value from the override listen)",
        fix: 'use [udp:|tcp:|tls:|ws:|wss:]host:port, e.g. tcp:0.0.0.0:5060 (a bare host:port is UDP), or a list of them',
      },
      expect.objectContaining({ path: 'admin.token', reason: expect.stringContaining('0.0.0.0:8060 is not a loopback address') }),
    ]);
  });

  it('reads SIPLB_LOG_LEVEL, and the logLevel override wins over it', async () => {
    expect(ok(await loadConfigFile(SHIPPED, {}, { ...QUIET, env: { SIPLB_LOG_LEVEL: 'warn' } })).log.level).toBe('warn');
    expect(ok(await loadConfigFile(SHIPPED, { logLevel: 'trace' }, { ...QUIET, env: { SIPLB_LOG_LEVEL: 'warn' } })).log.level).toBe('trace');
    const [i] = issues(await loadConfigFile(SHIPPED, {}, { ...QUIET, env: { SIPLB_LOG_LEVEL: 'loud' } }));
    expect(i?.reason).toBe('invalid value "loud" (value from the environment variable SIPLB_LOG_LEVEL)');
  });

  it('fills node.id from the host name only when it is empty', async () => {
    expect(ok(await loadConfigFile(SHIPPED, {}, QUIET)).node.id).toBe('test-host');
    expect(ok(await loadConfigFile(EXAMPLE, {}, QUIET)).node.id).toBe('lb-a');
  });

  it('uses the real environment and host name by default', async () => {
    const c = ok(await loadConfigFile(SHIPPED, { logLevel: 'info' }));
    expect(c.node.id.length).toBeGreaterThan(0);
  });
});

describe('result', () => {
  it('is deep-frozen', async () => {
    const c = ok(await loadConfigFile(EXAMPLE, {}, QUIET));
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.backends)).toBe(true);
    expect(Object.isFrozen(c.backends[0]?.address)).toBe(true);
    expect(Object.isFrozen(c.health.okCodes)).toBe(true);
    expect(() => {
      (c.health as { interval: number }).interval = 1;
    }).toThrow(TypeError);
  });
});
