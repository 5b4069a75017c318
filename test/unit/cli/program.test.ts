/**
 * The commands that existed before the admin commands keep their own options: `start --admin`
 * and `check-config --json` are not taken by the global --admin/--json (positional options).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostPort, parseSipTarget } from '../../../src/cli/address.js';
import { buildProgram } from '../../../src/cli/program.js';
import { cli } from './harness.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/config');

describe('program', () => {
  it('check-config --json still prints JSON and exits by validity', async () => {
    const ok = await cli(['check-config', path.join(FIXTURES, 'minimal.json'), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ ok: true });
    const bad = await cli(['check-config', path.join(FIXTURES, 'typo.yaml'), '--json']);
    expect(bad.code).toBe(2);
  });

  it('start keeps its own --admin option (parsed by start, not by the global option)', () => {
    const program = buildProgram({ out: () => {}, err: () => {}, setExitCode: () => {} });
    const start = program.commands.find((c) => c.name() === 'start')!;
    let seen: Record<string, unknown> | undefined;
    start.action((o: Record<string, unknown>) => {
      seen = o;
    });
    program.parse(['start', '--config', 'x.yaml', '--admin', '127.0.0.1:9999'], { from: 'user' });
    expect(seen).toMatchObject({ config: 'x.yaml', admin: '127.0.0.1:9999' });
    expect(program.opts().admin).toBeUndefined();
  });

  it('start without --config is a usage error (64)', async () => {
    expect((await cli(['start'])).code).toBe(64);
  });
});

describe('address arguments', () => {
  it.each([
    ['127.0.0.1:8060', { host: '127.0.0.1', port: 8060 }],
    ['[::1]:8060', { host: '::1', port: 8060 }],
    ['lb.example.com:9060', { host: 'lb.example.com', port: 9060 }],
  ])('parseHostPort(%s)', (t, want) => expect(parseHostPort(t)).toEqual(want));

  it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'a b:1', '::1:8060'])('parseHostPort rejects %s', (t) => {
    expect(parseHostPort(t)).toBeUndefined();
  });

  it.each([
    ['sip:10.0.0.11:5080', { host: '10.0.0.11', port: 5080, transport: 'udp' }],
    ['sip:10.0.0.11', { host: '10.0.0.11', port: 5060, transport: 'udp' }],
    ['sip:probe@gw.example.com;transport=udp', { host: 'gw.example.com', port: 5060, transport: 'udp' }],
    ['sip:[2001:db8::1]:5062', { host: '2001:db8::1', port: 5062, transport: 'udp' }],
    ['10.0.0.11:5060', { host: '10.0.0.11', port: 5060, transport: 'udp' }],
    ['sip:10.0.0.11:5060;transport=tcp', { host: '10.0.0.11', port: 5060, transport: 'tcp' }],
    ['sip:10.0.0.11;transport=TLS', { host: '10.0.0.11', port: 5061, transport: 'tls' }],
    ['sips:gw.example.com', { host: 'gw.example.com', port: 5061, transport: 'tls' }],
  ])('parseSipTarget(%s)', (t, want) => expect(parseSipTarget(t)).toEqual(want));

  it.each(['sip:10.0.0.11;transport=sctp', 'sips:10.0.0.11;transport=udp'])('parseSipTarget rejects %s', (t) => {
    expect(parseSipTarget(t)).toBeUndefined();
  });
});
