/**
 * The CLI against real peers, not scripted ones: `siplb probe` against sipp UAS backends, and the
 * read commands (status, backends, leader) against the real admin server of a running in-process
 * siplb whose health state comes from real OPTIONS probes of a sipp backend and a dead address.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../../src/admin/index.js';
import { silentLogger } from '../../../src/log.js';
import { startInProcess, type InProcessSiplb } from '../../helpers/inproc.js';
import { freePorts } from '../../helpers/ports.js';
import { missingPrerequisites } from '../../helpers/prerequisites.js';
import { sippAvailable, startUas, type Uas } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait.js';
import { cli } from '../../unit/cli/harness.js';

const SUITE = 'siplb CLI against real peers (sipp, the real admin server)';
const skip = missingPrerequisites(SUITE, sippAvailable() ? undefined : 'sipp (sip-tester) missing on PATH');

const TOKEN = 'cli-real-peers-token-0123456789';

describe.skipIf(skip)(SUITE, () => {
  let ok: Uas;
  let notFound: Uas;
  let deadPort: number;
  let lb: InProcessSiplb;
  let admin: AdminServer;
  let adminAddr: string;

  beforeAll(async () => {
    const ports = await freePorts(3);
    deadPort = ports[2]!;
    [ok, notFound] = await Promise.all([startUas({ port: ports[0]! }), startUas({ port: ports[1]!, scenario: 'uas-options-404.xml' })]);
    lb = await startInProcess({
      node: { id: 'lb-cli' },
      sip: { listen: '127.0.0.1:0' },
      backends: [
        { id: 'gw1', address: `127.0.0.1:${ok.port}` },
        { id: 'gw2', address: `127.0.0.1:${deadPort}` }, // nobody listens: its probes time out
      ],
      health: { interval: '300ms', timeout: '200ms', fall: 2, rise: 1 },
    });
    // A token: state changes over TCP need one (reads with it too, as the CLI sends it).
    admin = await startAdminServer({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, control: lb.control, metrics: new Registry(), logger: silentLogger() });
    adminAddr = `127.0.0.1:${admin.address.port}`;
    await waitFor('gw2 down by its probes', () => lb.transitions.some((t) => t.backend === 'gw2' && t.to === 'down'), 10_000);
  }, 30_000);

  afterAll(async () => {
    await admin?.close();
    await lb?.stop();
    await Promise.all([ok, notFound].map((u) => u?.stop()));
  });

  it('probe: 200 from a sipp UAS, exit 0', async () => {
    const r = await cli(['probe', `sip:127.0.0.1:${ok.port}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^200 OK in \\d+\\.\\d{3} ms from 127\\.0\\.0\\.1:${ok.port} `));
  });

  it('probe: 404 from a sipp UAS that answers OPTIONS so, exit 1', async () => {
    const r = await cli(['probe', `sip:127.0.0.1:${notFound.port}`, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ target: `sip:127.0.0.1:${notFound.port}`, code: 404 });
  });

  it('probe: nobody listening, exit 5 after --timeout', async () => {
    const r = await cli(['probe', `sip:127.0.0.1:${deadPort}`, '--timeout', '300']);
    expect(r.code).toBe(5);
    expect(r.err).toBe(`sip:127.0.0.1:${deadPort}: no reply within 300 ms\n`);
  });

  it('status: the running node as the admin server reports it', async () => {
    const r = await cli(['status', '--admin', adminAddr, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('node      lb-cli (standalone)');
    expect(r.out).toContain('backends  2 total, 1 eligible, 1 up, 1 down');
    const j = await cli(['status', '--json', '--admin', adminAddr, '--token', TOKEN]);
    expect(JSON.parse(j.out)).toMatchObject({ nodeId: 'lb-cli', role: 'standalone', backends: { total: 2, up: 1, down: 1 } });
  });

  it('backends: health from real probes, and an admin change made through the CLI shows up', async () => {
    const r = await cli(['backends', 'list', '--admin', adminAddr, '--token', TOKEN]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[1]).toMatch(new RegExp(`^gw1\\s+127\\.0\\.0\\.1:${ok.port}\\s+1\\s+0\\s+up\\s+enabled\\s+yes\\s`));
    expect(lines[2]).toMatch(new RegExp(`^gw2\\s+127\\.0\\.0\\.1:${deadPort}\\s+1\\s+0\\s+down\\s+enabled\\s+no\\s+-\\s`));
    expect((await cli(['backends', 'drain', 'gw1', '--admin', adminAddr, '--token', TOKEN])).code).toBe(0);
    const after = JSON.parse((await cli(['backends', 'list', '--json', '--admin', adminAddr, '--token', TOKEN])).out) as { id: string; admin: string; eligible: boolean }[];
    expect(after.find((b) => b.id === 'gw1')).toMatchObject({ admin: 'draining', eligible: false });
    expect((await cli(['backends', 'enable', 'gw1', '--admin', adminAddr, '--token', TOKEN])).code).toBe(0);
  });

  it('leader: a standalone node serves', async () => {
    const r = await cli(['leader', '--admin', adminAddr, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('lb-cli: standalone (serving); no fencing token; 0 role change(s)\n');
  });

  it('exits 3 when no admin server listens there', async () => {
    await admin.close();
    const r = await cli(['status', '--admin', adminAddr, '--token', TOKEN]);
    expect(r.code).toBe(3);
  });
});
