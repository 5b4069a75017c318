/**
 * Abuse protection end to end (issue 18 item 4), a real siplb process in front of sipp UAS
 * backends that count what reaches them:
 * - real attacker tools (Debian package sipvicious): `svmap` and `svwar` against siplb on
 *   loopback find nothing, and none of their requests reaches a backend; with scanner signatures
 *   turned off (the control, then turned on by SIGHUP reload) svmap does find siplb, so the tool
 *   works here;
 * - a bounded flood of 20 000 INVITEs from one source (127.0.0.2) is limited (a few hundred
 *   answers, then silence; none forwarded) while sipp calls from a trusted source at 100 calls/s
 *   all succeed.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { StatusView } from '../../src/api/control.js';
import { freePorts } from '../helpers/ports.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const sipviciousAvailable = existsSync('/usr/bin/svmap') && existsSync('/usr/bin/svwar');

let lb: SiplbProcess | undefined;
let uas: Uas[] = [];
afterEach(async () => {
  await lb?.stop();
  await Promise.all(uas.map((u) => u.stop()));
  lb = undefined;
  uas = [];
});

/** Runs a sipvicious tool to completion (bounded by timeout) and returns its output. */
async function sipvicious(tool: 'svmap' | 'svwar', args: string[]): Promise<string> {
  const r = await run(tool, args, { timeout: 60_000, killSignal: 'SIGKILL' }).catch((e: { stdout?: string; stderr?: string }) => e);
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function sample(text: string, prefix: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe.skipIf(!sippAvailable() || !sipviciousAvailable)('abuse protection (real siplb, sipp backends, sipvicious)', () => {
  it('svmap and svwar find nothing and reach no backend; svmap does find siplb with signatures off', async () => {
    const [sipPort, adminPort, uasPort] = await freePorts(3);
    // The backend on 127.0.0.3: backends are trusted by IP (any port), and the scanners send from 127.0.0.1.
    uas = [await startUas({ port: uasPort!, host: '127.0.0.3' })];
    const config = (scanners: boolean): Record<string, unknown> => ({
      sip: { listen: `127.0.0.1:${sipPort}` },
      admin: { listen: `127.0.0.1:${adminPort}` },
      backends: [{ id: 'gw1', address: `127.0.0.3:${uasPort}` }],
      health: { enabled: false },
      security: { scanners: { enabled: scanners } },
    });
    lb = await startSiplb(config(false));
    const admin = `http://127.0.0.1:${adminPort}`;

    // Control: without signatures siplb answers svmap's OPTIONS, and svmap lists it.
    const found = await sipvicious('svmap', ['-p', String(sipPort), '127.0.0.1']);
    console.log(`svmap, signatures off:\n${found}`);
    expect(found).toContain(`127.0.0.1:${sipPort}`);

    // Signatures on (the default), applied by reload.
    writeFileSync(lb.configFile, stringify({ ...config(true), admin: { listen: `127.0.0.1:${adminPort}` } }));
    process.kill(lb.pid, 'SIGHUP');
    await waitFor('reload applied', async () => ((await (await fetch(`${admin}/status`)).json()) as StatusView).security?.scannerSignatures !== 0, 5000, 50);
    const forwardedBefore = sample(await (await fetch(`${admin}/metrics`)).text(), 'siplb_requests_forwarded_total');

    const map = await sipvicious('svmap', ['-p', String(sipPort), '127.0.0.1']);
    console.log(`svmap, signatures on:\n${map}`);
    expect(map).not.toContain(`127.0.0.1:${sipPort}`);
    const mapInvite = await sipvicious('svmap', ['-p', String(sipPort), '-m', 'INVITE', '127.0.0.1']);
    console.log(`svmap -m INVITE:\n${mapInvite}`);
    expect(mapInvite).not.toContain(`127.0.0.1:${sipPort}`);
    const war = await sipvicious('svwar', ['-p', String(sipPort), '-e', '100-200', '127.0.0.1']);
    console.log(`svwar (REGISTER):\n${war}`);
    const warInvite = await sipvicious('svwar', ['-p', String(sipPort), '-e', '100-200', '-m', 'INVITE', '127.0.0.1']);
    console.log(`svwar -m INVITE:\n${warInvite}`);
    // Each tool reports "found nothing" (svwar gives up when its first probe goes unanswered).
    for (const out of [map, mapInvite, war, warInvite]) expect(out).toContain('found nothing');

    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const scannerDrops = sample(metrics, 'siplb_security_refused_total{reason="scanner"');
    console.log(`scanner requests dropped: ${scannerDrops}; forwarded before ${forwardedBefore}, after ${sample(metrics, 'siplb_requests_forwarded_total')}`);
    expect(scannerDrops).toBeGreaterThanOrEqual(4); // at least one request per tool run, all dropped
    // Nothing reached the backend: siplb forwarded nothing, and the UAS saw no INVITE.
    expect(sample(metrics, 'siplb_requests_forwarded_total')).toBe(forwardedBefore);
    await uas[0]!.stop();
    expect(uas[0]!.invites()).toBe(0);
  }, 240_000);

  it('a 20 000-INVITE flood from 127.0.0.2 is limited while sipp calls from a trusted source at 100 calls/s all succeed', async () => {
    const [sipPort, adminPort, uacPort, ...uasPorts] = await freePorts(5);
    uas = await Promise.all(uasPorts.map((port) => startUas({ port: port! })));
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${sipPort}` },
      admin: { listen: `127.0.0.1:${adminPort}` },
      backends: uas.map((u, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${u.port}` })),
      health: { enabled: false },
      security: { trustedSources: ['127.0.0.1/32'], rateLimit: { enabled: true, perSecond: 20, burst: 40, blockFor: '60s' } },
    });
    const admin = `http://127.0.0.1:${adminPort}`;

    const calls = run1000(sipPort!, uacPort!);
    const flood = floodFrom('127.0.0.2', sipPort!, 20_000);
    const [res, answers] = await Promise.all([calls, flood]);
    console.log(`sipp from 127.0.0.1: ${res.created} created, ${res.successful} successful, ${res.failed} failed`);
    console.log(`flood from 127.0.0.2: 20000 sent, answers by status ${JSON.stringify(answers)}`);
    expect(res.successful).toBe(res.created);
    expect(res.failed).toBe(0);
    expect(res.created).toBe(1000);
    const answered = Object.values(answers).reduce((a, b) => a + b, 0);
    // The burst's 403s (untrusted) and 503s (rate-limited), then silence: at most ~2 x burst + a few.
    expect(answered).toBeLessThan(200);
    expect(answers['503'] ?? 0).toBeGreaterThan(0);

    const status = (await (await fetch(`${admin}/status`)).json()) as StatusView;
    console.log(`status security: ${JSON.stringify(status.security)}`);
    expect(status.security!.topOffenders[0]).toMatchObject({ address: '127.0.0.2' });
    expect(status.security!.topOffenders[0]!.blockedSeconds).toBeGreaterThan(0);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    console.log(metrics.split('\n').filter((l) => l.startsWith('siplb_security_refused_total')).join('\n'));
    // No flood INVITE reached a backend: the UAS saw exactly the sipp calls.
    await Promise.all(uas.map((u) => u.stop()));
    expect(uas.reduce((n, u) => n + u.invites(), 0)).toBe(res.created);
  }, 120_000);
});

function run1000(sipPort: number, uacPort: number): ReturnType<typeof runUac> {
  return runUac({ target: `127.0.0.1:${sipPort}`, port: uacPort, calls: 1000, rate: 100 });
}

/**
 * Sends `count` distinct INVITEs from `host` to siplb, 250 every 50 ms (5000/s), and counts the
 * answers by status until 2 s after the last one. Bounded in count and time.
 */
async function floodFrom(host: string, sipPort: number, count: number): Promise<Record<string, number>> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, r));
  const { port } = sock.address();
  const answers: Record<string, number> = {};
  sock.on('message', (m) => {
    const status = /^SIP\/2\.0 (\d{3})/.exec(m.toString('latin1', 0, 16))?.[1] ?? 'other';
    answers[status] = (answers[status] ?? 0) + 1;
  });
  const invite = (n: number): Buffer =>
    Buffer.from(
      `INVITE sip:1000@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${host}:${port};branch=z9hG4bKflood${n};rport\r\n` +
        `From: <sip:flood@${host}>;tag=f${n}\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: flood-${n}@${host}\r\nCSeq: 1 INVITE\r\n` +
        `Contact: <sip:flood@${host}:${port}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    );
  for (let sent = 0; sent < count; ) {
    for (let k = 0; k < 250 && sent < count; k++, sent++) sock.send(invite(sent), sipPort, '127.0.0.1');
    await sleep(50);
  }
  await sleep(2000);
  sock.close();
  return answers;
}
