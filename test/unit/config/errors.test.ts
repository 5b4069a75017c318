/**
 * @module test/unit/config/errors
 * Every class of configuration error yields the right path, reason and fix.
 */

import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../../src/config/errors.js';
import type { ConfigIssue } from '../../../src/config/errors.js';
import { closest, editDistance } from '../../../src/config/suggest.js';
import { validateConfig } from '../../../src/config/validate.js';

const BACKENDS = [
  { id: 'gw1', address: '127.0.0.1:5071' },
  { id: 'gw2', address: '127.0.0.1:5072' },
];

function issuesOf(raw: unknown): ConfigIssue[] {
  const r = validateConfig(raw);
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.issues;
}

function issueAt(raw: unknown, path: string): ConfigIssue {
  const all = issuesOf(raw);
  const found = all.find((i) => i.path === path);
  if (found === undefined) throw new Error(`no issue at ${path}; got ${JSON.stringify(all, null, 2)}`);
  return found;
}

describe('unknown keys', () => {
  it('suggests the closest allowed key', () => {
    expect(issueAt({ backends: BACKENDS, health: { intervall: '2s' } }, 'health.intervall')).toEqual({
      path: 'health.intervall',
      reason: "unknown key 'intervall'",
      fix: "did you mean 'interval'?",
    });
  });

  it('catches transpositions and case slips', () => {
    expect(issueAt({ backends: BACKENDS, health: { tiemout: '1s' } }, 'health.tiemout').fix).toBe("did you mean 'timeout'?");
    expect(issueAt({ backends: BACKENDS, balance: { hashkey: 'call-id' } }, 'balance.hashkey').fix).toBe("did you mean 'hashKey'?");
    expect(issueAt({ backends: [{ ...BACKENDS[0], wieght: 2 }] }, 'backends[0].wieght').fix).toBe("did you mean 'weight'?");
  });

  it('points to the right section for a key put in the wrong one', () => {
    expect(issueAt({ backends: BACKENDS, passive: { rise: 2 } }, 'passive.rise').fix).toBe("move it: 'rise' belongs at backends[].health.rise or health.rise");
  });

  it('lists the allowed keys when nothing is close', () => {
    const i = issueAt({ backends: BACKENDS, log: { colour: true } }, 'log.colour');
    expect(i.reason).toBe("unknown key 'colour'");
    expect(i.fix).toBe('remove it; allowed keys: level');
  });

  it('reports each unknown key of one object separately', () => {
    const paths = issuesOf({ backends: BACKENDS, sip: { foo: 1, bar: 2 } }).map((i) => i.path);
    expect(paths).toEqual(['sip.foo', 'sip.bar']);
  });

  it('reports unknown top-level sections', () => {
    expect(issueAt({ backends: BACKENDS, helth: {} }, 'helth').fix).toBe("did you mean 'health'?");
  });
});

describe('renamed keys', () => {
  it.each([
    [{ health: { probeInterval: '2s' } }, 'health.probeInterval', "'probeInterval' was renamed to 'health.interval'", 'use health.interval instead'],
    [{ health: { threshold: 3 } }, 'health.threshold', "'threshold' was renamed to 'health.fall'", 'use health.fall instead'],
    [{ probeInterval: '2s' }, 'probeInterval', "'probeInterval' was renamed to 'health.interval'", 'use health.interval instead'],
    [{ logLevel: 'debug' }, 'logLevel', "'logLevel' was renamed to 'log.level'", 'use log.level instead'],
  ])('%j', (extra, path, reason, fix) => {
    expect(issueAt({ backends: BACKENDS, ...extra }, path)).toEqual({ path, reason, fix });
  });

  it('keeps the list index of a renamed backend key', () => {
    const i = issueAt({ backends: [BACKENDS[0], { id: 'gw2', uri: 'sip:10.0.0.2' }] }, 'backends[1].uri');
    expect(i.reason).toBe("'uri' was renamed to 'backends[1].address'");
    expect(i.fix).toBe('use backends[1].address instead (write host:port, not a SIP URI)');
  });
});

describe('types and values', () => {
  it('says what was expected and received, with an example', () => {
    expect(issueAt({ backends: BACKENDS, health: { fall: 'three' } }, 'health.fall')).toEqual({
      path: 'health.fall',
      reason: 'expected a whole number, received string "three"',
      fix: 'use e.g. fall: 5',
    });
    expect(issueAt({ backends: BACKENDS, sip: { recordRoute: 'yes' } }, 'sip.recordRoute')).toEqual({
      path: 'sip.recordRoute',
      reason: 'expected true or false, received string "yes"',
      fix: 'use e.g. recordRoute: false',
    });
    expect(issueAt({ backends: BACKENDS, health: 'on' }, 'health').reason).toBe('expected a mapping (key: value), received string "on"');
  });

  it('rejects a fractional integer', () => {
    expect(issueAt({ backends: BACKENDS, health: { rise: 1.5 } }, 'health.rise').reason).toBe('expected a whole number, received number 1.5');
  });

  it('gives the range of an out-of-range number', () => {
    expect(issueAt({ backends: [{ ...BACKENDS[0], weight: 0 }] }, 'backends[0].weight')).toEqual({
      path: 'backends[0].weight',
      reason: '0 is below the minimum 1',
      fix: 'use a whole number from 1 to 100',
    });
    expect(issueAt({ backends: BACKENDS, sip: { maxDatagramBytes: 70000 } }, 'sip.maxDatagramBytes')).toEqual({
      path: 'sip.maxDatagramBytes',
      reason: '70000 is above the maximum 65535',
      fix: 'use a whole number from 512 to 65535',
    });
  });

  it('suggests the closest enum value', () => {
    expect(issueAt({ backends: BACKENDS, balance: { mode: 'roundrobin' } }, 'balance.mode')).toEqual({
      path: 'balance.mode',
      reason: 'invalid value "roundrobin"',
      fix: "did you mean 'round-robin'? allowed: 'hash', 'round-robin', 'least-connections'",
    });
    expect(issueAt({ backends: BACKENDS, log: { level: 'verbose' } }, 'log.level').fix).toBe(
      "use one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace'",
    );
  });

  it('explains a bad duration', () => {
    const want = { reason: 'invalid duration "2 seconds"', fix: 'use e.g. "500ms", "2s" or a number of milliseconds' };
    expect(issueAt({ backends: BACKENDS, health: { interval: '2 seconds' } }, 'health.interval')).toEqual({ path: 'health.interval', ...want });
    expect(issueAt({ backends: BACKENDS, health: { interval: true } }, 'health.interval')).toEqual({
      path: 'health.interval',
      reason: 'expected a number or a string, received boolean true',
      fix: 'use e.g. "500ms", "2s" or a number of milliseconds',
    });
  });

  it('rejects durations beyond what a Node timer can wait', () => {
    const i = issueAt({ backends: BACKENDS, dialogs: { maxCallDuration: '1000h' } }, 'dialogs.maxCallDuration');
    expect(i.reason).toBe('duration 1000h is out of range 1ms..2147483647ms');
    expect(i.fix).toContain('longest Node timer');
  });

  it('explains a bad address at its list index', () => {
    expect(issueAt({ backends: [BACKENDS[0], { id: 'gw2', address: '10.0.0.2' }] }, 'backends[1].address')).toEqual({
      path: 'backends[1].address',
      reason: "invalid address '10.0.0.2': missing port",
      fix: 'use host:port, e.g. 127.0.0.1:5071 or [2001:db8::1]:5060',
    });
    expect(issueAt({ backends: [{ id: 'gw1', address: 5071 }] }, 'backends[0].address').fix).toBe(
      'use host:port, e.g. 127.0.0.1:5071 or [2001:db8::1]:5060',
    );
  });

  it('explains a bad backend id and a bad status code', () => {
    expect(issueAt({ backends: [{ id: 'gw 1', address: '127.0.0.1:5071' }] }, 'backends[0].id')).toEqual({
      path: 'backends[0].id',
      reason: 'invalid value "gw 1"',
      fix: "use 1 to 64 letters, digits, '_', '.' or '-', e.g. gw1",
    });
    expect(issueAt({ backends: BACKENDS, health: { okCodes: ['2xx', '9xx'] } }, 'health.okCodes[1]')).toEqual({
      path: 'health.okCodes[1]',
      reason: 'invalid status code "9xx"',
      fix: 'use a code 100..699, a class such as "2xx", or a range such as "200-299"',
    });
  });

  it('explains a bad Redis URL and a short token', () => {
    expect(issueAt({ backends: BACKENDS, ha: { redis: 'localhost:6379' } }, 'ha.redis')).toEqual({
      path: 'ha.redis',
      reason: 'invalid Redis URL "localhost:6379"',
      fix: 'use redis://host:port/db, or rediss:// for TLS, e.g. redis://10.0.0.5:6379/0',
    });
    expect(issueAt({ backends: BACKENDS, admin: { token: 'short' } }, 'admin.token').fix).toContain('openssl rand -hex 32');
  });
});

describe('backends list', () => {
  it('requires backends', () => {
    expect(issueAt({}, 'backends')).toEqual({
      path: 'backends',
      reason: "missing required key 'backends'",
      fix: 'add a list, e.g. backends: [{ id: gw1, address: "10.0.0.11:5060" }]',
    });
    expect(issueAt({ backends: [] }, 'backends').reason).toBe('needs at least 1 item, found 0');
  });

  it('requires id and address in each backend', () => {
    expect(issueAt({ backends: [{ address: '127.0.0.1:5071' }] }, 'backends[0].id').reason).toBe("missing required key 'id'");
    expect(issueAt({ backends: [{ id: 'gw1' }] }, 'backends[0]')).toEqual({
      path: 'backends[0]',
      reason: 'backends[0] has none of address, host or srv',
      fix: 'give the backend one of address (e.g. "10.0.0.11:5060"), host (e.g. gw1.example.com) or srv (e.g. _sip._udp.gw.example.com)',
    });
    expect(issueAt({ backends: [{ host: 'gw1.example.com' }] }, 'backends[0].id').reason).toBe("missing required key 'id'");
  });

  it('rejects duplicate ids', () => {
    expect(issueAt({ backends: [...BACKENDS, { id: 'gw1', address: '127.0.0.1:5073' }] }, 'backends[2].id')).toEqual({
      path: 'backends[2].id',
      reason: "duplicate backend id 'gw1' (first used at backends[0].id)",
      fix: "give each backend its own id, e.g. rename this one to 'gw1-2'",
    });
  });

  it('rejects duplicate addresses, IPv6 and host case included', () => {
    const i = issueAt({ backends: [{ id: 'a', address: '[2001:DB8::1]:5060' }, { id: 'b', address: '[2001:db8::1]:5060' }] }, 'backends[1].address');
    expect(i.reason).toBe('duplicate backend address [2001:db8::1]:5060 (first used at backends[0].address)');
    expect(i.fix).toContain('raise its weight');
  });

  it("rejects a backend that is siplb's own address", () => {
    const i = issueAt({ sip: { listen: '127.0.0.1:5071' }, backends: BACKENDS }, 'backends[0].address');
    expect(i.reason).toBe("backend address 127.0.0.1:5071 is siplb's own SIP address: requests would loop");
  });

  it('still checks duplicates when another backend is invalid', () => {
    const paths = issuesOf({ backends: [...BACKENDS, { id: 'gw1', address: 'nope' }, { id: 'gw2', address: '127.0.0.1:5071' }] }).map((i) => i.path);
    expect(paths).toEqual(['backends[2].address', 'backends[2].id', 'backends[3].id', 'backends[3].address']);
  });
});

describe('cross-field rules', () => {
  it('requires health.timeout below health.interval', () => {
    expect(issueAt({ backends: BACKENDS, health: { interval: '1s', timeout: '1s' } }, 'health.timeout')).toEqual({
      path: 'health.timeout',
      reason: 'timeout 1s is not below interval 1s',
      fix: 'lower health.timeout below 1s (e.g. 500ms) or raise health.interval',
    });
  });

  it('checks the effective timeout of each backend after overrides', () => {
    const i = issueAt({ backends: [{ ...BACKENDS[0], health: { interval: '500ms' } }] }, 'backends[0].health.interval');
    expect(i.reason).toBe('effective timeout 1s (health.timeout) is not below effective interval 500ms (backends[0].health.interval)');
    expect(i.fix).toBe('lower health.timeout below 500ms (e.g. 250ms) or raise backends[0].health.interval');
  });

  it('explains a bad balance.hashKey, in the single-key form and per kind', () => {
    expect(issueAt({ backends: BACKENDS, balance: { hashKey: 'callid' } }, 'balance.hashKey')).toEqual({
      path: 'balance.hashKey',
      reason: 'invalid value "callid"',
      fix: "did you mean 'call-id'? allowed: 'call-id', 'from-user', 'to-user', 'request-uri-user'",
    });
    expect(issueAt({ backends: BACKENDS, balance: { hashKey: { register: 'foo' } } }, 'balance.hashKey.register').fix).toBe(
      "use one of 'call-id', 'from-user', 'to-user', 'request-uri-user'",
    );
    expect(issueAt({ backends: BACKENDS, balance: { hashKey: { invite: 'call-id' } } }, 'balance.hashKey.invite')).toEqual({
      path: 'balance.hashKey.invite',
      reason: "unknown key 'invite'",
      fix: 'remove it; allowed keys: register, registered, other',
    });
  });

  it('rejects hashKey with a mode other than hash', () => {
    expect(issueAt({ backends: BACKENDS, balance: { mode: 'round-robin', hashKey: 'from-user' } }, 'balance.hashKey')).toEqual({
      path: 'balance.hashKey',
      reason: "hashKey 'from-user' has no effect with mode 'round-robin'",
      fix: "remove balance.hashKey, or set balance.mode: hash to balance on from-user (mode is 'round-robin')",
    });
  });

  it('requires an admin token off loopback', () => {
    expect(issueAt({ backends: BACKENDS, admin: { listen: '0.0.0.0:8060' } }, 'admin.token')).toEqual({
      path: 'admin.token',
      reason: 'admin.listen 0.0.0.0:8060 is not a loopback address, so the admin API needs a token',
      fix: 'set admin.token to a random secret of at least 16 characters (e.g. the output of `openssl rand -hex 32`), or set admin.listen to a loopback address such as 127.0.0.1:8060',
    });
    for (const listen of ['127.0.0.1:8060', '127.1.2.3:8060', '[::1]:8060', 'localhost:8060']) {
      expect(validateConfig({ backends: BACKENDS, admin: { listen } }).ok, listen).toBe(true);
    }
  });

  it('requires renewInterval below half the lease and commandTimeout below renewInterval', () => {
    expect(issueAt({ backends: BACKENDS, ha: { leaseTtl: '3s', renewInterval: '1500ms', commandTimeout: '1s' } }, 'ha.renewInterval')).toEqual({
      path: 'ha.renewInterval',
      reason: 'renewInterval 1500ms is not below half of leaseTtl 3s',
      fix: 'lower ha.renewInterval below 1500ms (e.g. 1s) or raise ha.leaseTtl',
    });
    expect(issueAt({ backends: BACKENDS, ha: { commandTimeout: '1s' } }, 'ha.commandTimeout').fix).toBe(
      'lower ha.commandTimeout below 1s or raise ha.renewInterval',
    );
  });

  it('requires advertise when listening on a wildcard address', () => {
    const i = issueAt({ backends: BACKENDS, sip: { listen: '0.0.0.0:5060' } }, 'sip.advertise');
    expect(i.reason).toBe('sip.listen 0.0.0.0:5060 is a wildcard address, which cannot go into Via or Record-Route');
    expect(i.fix).toContain('192.0.2.10:5060');
  });

  it('runs cross-field rules even when other sections are invalid', () => {
    const paths = issuesOf({ backends: BACKENDS, log: { level: 'loud' }, health: { interval: '1s', timeout: '2s' } }).map((i) => i.path);
    expect(paths).toEqual(['log.level', 'health.timeout']);
  });

  it('skips a rule whose inputs are themselves invalid', () => {
    const paths = issuesOf({ backends: BACKENDS, health: { interval: 'soon', timeout: '5s' } }).map((i) => i.path);
    expect(paths).toEqual(['health.interval']);
  });
});

describe('documents that are not mappings', () => {
  it.each([[null], [[]], ['text'], [42]])('%j is reported at (root)', (raw) => {
    const [i] = issuesOf(raw);
    expect(i?.path).toBe('(root)');
    expect(i?.fix).toContain('backends:');
  });
});

describe('formatIssues', () => {
  it('writes one line per issue', () => {
    const r = validateConfig({ backends: [BACKENDS[0], { id: 'gw1', address: '10.0.0.2' }], health: { intervall: '2s' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatIssues('siplb.yaml', r.issues).split('\n')).toEqual([
      "siplb.yaml: backends[1].address: invalid address '10.0.0.2': missing port (fix: use host:port, e.g. 127.0.0.1:5071 or [2001:db8::1]:5060)",
      "siplb.yaml: health.intervall: unknown key 'intervall' (fix: did you mean 'interval'?)",
      "siplb.yaml: backends[1].id: duplicate backend id 'gw1' (first used at backends[0].id) (fix: give each backend its own id, e.g. rename this one to 'gw1-2')",
    ]);
  });

  it('adds the line when the loader located it', () => {
    expect(formatIssues('a.yaml', [{ path: 'log.level', reason: 'r', fix: 'f', line: 7, column: 3 }])).toBe('a.yaml:7: log.level: r (fix: f)');
  });

  it('is empty for no issues', () => {
    expect(formatIssues('a.yaml', [])).toBe('');
  });
});

describe('suggestions', () => {
  it('computes edit distance with transpositions', () => {
    expect(editDistance('intervall', 'interval')).toBe(1);
    expect(editDistance('tiemout', 'timeout')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('only suggests plausible typos', () => {
    expect(closest('intervall', ['interval', 'timeout'])).toBe('interval');
    expect(closest('colour', ['level'])).toBeUndefined();
    expect(closest('ab', ['xy'])).toBeUndefined();
  });
});
