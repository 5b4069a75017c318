/**
 * High availability end to end, in Linux network namespaces (root only): two siplb nodes, each
 * with the keepalived configuration shipped in keepalived/ (addresses and paths substituted),
 * share one VIP; a real redis-server holds the leader lease; three sipp UAS are the backends and
 * a sipp UAC calls the VIP at 20 calls/s.
 *
 *   bridge ns ─┬─ a      10.213.0.11  siplb A + keepalived A   (VIP 10.213.0.100 on the master)
 *              ├─ b      10.213.0.12  siplb B + keepalived B
 *              ├─ redis  10.213.0.20  redis-server
 *              ├─ be     10.213.0.31  sipp UAS on 5061, 5062, 5063
 *              └─ cl     10.213.0.50  sipp UAC, and an OPTIONS pinger that timestamps answers
 *
 * Proven: SIGKILL of the leader's siplb moves the VIP and service is back within 2 s, with no
 * more failed calls than were in flight; SIGKILL of Redis fails no call and does not move the
 * VIP; Redis back: exactly one leader, and the VIP follows it. Everything (processes by PID,
 * namespaces) is torn down in afterAll, and by an exit hook if the test process dies.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NetnsLab, netnsSkipReason } from '../helpers/netns.js';
import { missingPrerequisites } from '../helpers/prerequisites.js';
import { ensureFreshDist } from '../helpers/fresh-dist.js';
import { lastCsvRow, SIPP_SCENARIOS } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/cli/index.js');
const KEEPALIVED_DIR = path.join(REPO, 'keepalived');

const NET = '10.213.0';
const VIP = `${NET}.100`;
const IP = { a: `${NET}.11`, b: `${NET}.12`, redis: `${NET}.20`, be: `${NET}.31`, cl: `${NET}.50` } as const;
const UAS_PORTS = [5061, 5062, 5063];
const REDIS_URL = `redis://${IP.redis}:6379`;
const LEASE = { leaseTtl: 2000, renewInterval: 500, commandTimeout: 250 };
const RATE = 20;
const CALL_MS = 1000;

const SUITE = 'HA in network namespaces: keepalived VIP, Redis lease, two siplb nodes';
// Off CI a missing tool or namespace support skips with a warning; on CI it fails loudly.
const skip = missingPrerequisites(SUITE, netnsSkipReason(['ip', 'keepalived', 'sipp', 'redis-server', 'redis-cli', 'ss', 'curl']));

type NodeName = 'a' | 'b';

interface Rig {
  readonly lab: NetnsLab;
  readonly dir: string;
  siplb: Partial<Record<NodeName, ChildProcess>>;
  redis?: ChildProcess;
  pinger?: Pinger;
}

/** OPTIONS to the VIP every `everyMs` from the client namespace; reply times by sequence number. */
interface Pinger {
  readonly child: ChildProcess;
  readonly sent: Map<number, number>;
  readonly replied: Map<number, number>;
}

const PINGER = `
import dgram from 'node:dgram';
const [host, port, src, every] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('message', (m) => {
  const id = /Call-ID: hap(\\d+)x/.exec(m.toString('latin1'));
  if (id) process.stdout.write('R ' + id[1] + ' ' + Date.now() + '\\n');
});
s.bind(0, src, () => {
  const lp = s.address().port;
  let n = 0;
  setInterval(() => {
    n++;
    const msg = 'OPTIONS sip:' + host + ':' + port + ' SIP/2.0\\r\\nVia: SIP/2.0/UDP ' + src + ':' + lp + ';branch=z9hG4bKhap' + n + '\\r\\n' +
      'Max-Forwards: 70\\r\\nFrom: <sip:ping@' + src + '>;tag=' + n + '\\r\\nTo: <sip:' + host + '>\\r\\nCall-ID: hap' + n + 'x\\r\\n' +
      'CSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n';
    process.stdout.write('S ' + n + ' ' + Date.now() + '\\n');
    s.send(msg, Number(port), host);
  }, Number(every));
});
`;

function logTo(child: ChildProcess, file: string): void {
  const out = createWriteStream(file, { flags: 'a' });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
}

/** The shipped keepalived config of `node`, with lab addresses and paths. */
function renderKeepalived(node: NodeName, dir: string): string {
  const text = readFileSync(path.join(KEEPALIVED_DIR, `keepalived-${node}.conf`), 'utf8');
  const subst: [string, string][] = [
    ['10.0.0.100', VIP],
    ['10.0.0.21', IP.a],
    ['10.0.0.22', IP.b],
    ['/etc/keepalived/check-siplb.sh', path.join(KEEPALIVED_DIR, 'check-siplb.sh')],
    ['/etc/keepalived/notify.sh', path.join(KEEPALIVED_DIR, 'notify.sh')],
    ['/run/siplb/role', path.join(dir, node, 'role')],
    ['/var/log/siplb/vrrp.log', path.join(dir, node, 'vrrp.log')],
  ];
  let out = text;
  for (const [from, to] of subst) {
    if (!out.includes(from)) throw new Error(`keepalived-${node}.conf no longer contains '${from}': update the test`);
    out = out.replaceAll(from, to);
  }
  return out;
}

function roleWeight(rig: Rig, node: NodeName): string | undefined {
  try {
    return readFileSync(path.join(rig.dir, node, 'role'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** GET on a node's admin API (127.0.0.1:8060 inside its namespace): status and parsed body. */
function adminGet(rig: Rig, node: NodeName, urlPath: string): { status: number; body: unknown } {
  const out = rig.lab.exec(node, 'curl', ['-s', '-m', '2', '-w', '\n%{http_code}', `http://127.0.0.1:8060${urlPath}`], { allowFail: true });
  const cut = out.lastIndexOf('\n');
  const status = Number(out.slice(cut + 1));
  let body: unknown;
  try {
    body = JSON.parse(out.slice(0, cut));
  } catch {
    body = out.slice(0, cut);
  }
  return { status, body };
}

function adminStateOf(rig: Rig, node: NodeName, backend: string): string | undefined {
  const r = adminGet(rig, node, '/backends');
  if (r.status !== 200 || !Array.isArray(r.body)) return undefined;
  return (r.body as { id: string; admin: string }[]).find((b) => b.id === backend)?.admin;
}

/** The real CLI, run inside a node's namespace against that node's admin API, through its unix socket (state changes need it or a token). */
function cli(rig: Rig, node: NodeName, args: string[]): string {
  return rig.lab.exec(node, process.execPath, [CLI, ...args, '--socket', path.join(rig.dir, node, 'admin.sock')]);
}

function vipHolder(rig: Rig): NodeName | 'none' | 'both' {
  const a = rig.lab.addresses('a').includes(VIP);
  const b = rig.lab.addresses('b').includes(VIP);
  return a && b ? 'both' : a ? 'a' : b ? 'b' : 'none';
}

function startSiplb(rig: Rig, node: NodeName): ChildProcess {
  const dir = path.join(rig.dir, node);
  const config = path.join(dir, 'siplb.yaml');
  const child = rig.lab.spawn(
    node,
    process.execPath,
    [CLI, 'start', '--config', config, '--node-id', node.toUpperCase(), '--listen', `${VIP}:5060`, '--admin', '127.0.0.1:8060', '--redis', REDIS_URL],
    { cwd: REPO },
  );
  logTo(child, path.join(dir, 'siplb.log'));
  rig.siplb[node] = child;
  return child;
}

function writeSiplbConfig(dir: string, node: NodeName): void {
  writeFileSync(
    path.join(dir, node, 'siplb.yaml'),
    stringify({
      node: { id: node.toUpperCase() },
      sip: { listen: `${VIP}:5060` },
      backends: UAS_PORTS.map((p, i) => ({ id: `gw${i + 1}`, address: `${IP.be}:${p}` })),
      health: { source: `${IP[node]}:5070`, interval: '1s', timeout: '500ms', fall: 2, rise: 2 },
      ha: { ...LEASE, roleFile: path.join(dir, node, 'role') },
      admin: { socket: path.join(dir, node, 'admin.sock') },
      log: { level: 'info' },
    }),
  );
}

function startRedis(rig: Rig): ChildProcess {
  const child = rig.lab.spawn('redis', 'redis-server', [
    '--bind', IP.redis, '--port', '6379', '--protected-mode', 'no', '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--dir', path.join(rig.dir, 'redis'), '--loglevel', 'warning',
  ]);
  logTo(child, path.join(rig.dir, 'redis', 'redis.log'));
  rig.redis = child;
  return child;
}

async function redisUp(rig: Rig): Promise<void> {
  await waitFor('redis to answer', () => rig.lab.exec('redis', 'redis-cli', ['-h', IP.redis, 'ping'], { allowFail: true }).trim() === 'PONG', 5000, 50);
}

function startPinger(rig: Rig, everyMs: number): Pinger {
  const child = rig.lab.spawn('cl', process.execPath, ['--input-type=module', '-e', PINGER, VIP, '5060', IP.cl, String(everyMs)]);
  const p: Pinger = { child, sent: new Map(), replied: new Map() };
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const [kind, n, t] = l.split(' ');
      if (kind === 'S') p.sent.set(Number(n), Number(t));
      else if (kind === 'R' && !p.replied.has(Number(n))) p.replied.set(Number(n), Number(t));
    }
  });
  rig.pinger = p;
  return p;
}

/** First reply (epoch ms) to a ping sent at or after `since`. */
function firstReplyAfter(p: Pinger, since: number): number | undefined {
  let best: number | undefined;
  for (const [n, sentAt] of p.sent) {
    if (sentAt < since) continue;
    const r = p.replied.get(n);
    if (r !== undefined && (best === undefined || r < best)) best = r;
  }
  return best;
}

interface UacRun {
  readonly done: Promise<UacStats>;
  readonly statFile: string;
}
interface UacStats {
  readonly exitCode: number | null;
  readonly successful: number;
  readonly failed: number;
  readonly created: number;
  readonly errors: string;
}

function runUac(rig: Rig, calls: number, tag: string): UacRun {
  const dir = path.join(rig.dir, `uac-${tag}`);
  mkdirSync(dir);
  const statFile = path.join(dir, 'stat.csv');
  const child = rig.lab.spawn(
    'cl',
    'sipp',
    [
      `${VIP}:5060`, '-sf', path.join(SIPP_SCENARIOS, 'uac.xml'), '-i', IP.cl, '-p', '5060', '-t', 'u1',
      '-m', String(calls), '-r', String(RATE), '-rp', '1000', '-l', '200', '-d', String(CALL_MS),
      '-nostdin', '-buff_size', '4194304', '-timeout', `${Math.ceil(calls / RATE) + 25}s`, '-timeout_error',
      '-trace_stat', '-stf', statFile, '-fd', '1', '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    ],
    { cwd: dir },
  );
  logTo(child, path.join(dir, 'sipp.log'));
  const done = new Promise<UacStats>((resolve) => {
    child.once('exit', (code) => {
      const stats = existsSync(statFile) ? lastCsvRow(statFile) : {};
      const errFile = path.join(dir, 'errors.log');
      resolve({
        exitCode: code,
        successful: stats['SuccessfulCall(C)'] ?? 0,
        failed: stats['FailedCall(C)'] ?? 0,
        created: stats['TotalCallCreated'] ?? 0,
        errors: existsSync(errFile) ? readFileSync(errFile, 'latin1').slice(0, 3000) : '',
      });
    });
  });
  return { done, statFile };
}

/** CurrentCall of the last stat row sipp wrote at or before `at` (epoch ms). */
function callsInFlightAt(statFile: string, at: number): number | undefined {
  const lines = readFileSync(statFile, 'latin1').trim().split('\n');
  const header = lines[0]!.split(';');
  const timeCol = header.indexOf('CurrentTime');
  const callCol = header.indexOf('CurrentCall');
  let found: number | undefined;
  for (const line of lines.slice(1)) {
    const cols = line.split(';');
    const epoch = /(\d{9,}\.\d+)\s*$/.exec(cols[timeCol] ?? '');
    if (!epoch) continue;
    if (Number(epoch[1]) * 1000 <= at) found = Number(cols[callCol]);
  }
  return found;
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

function diagnostics(rig: Rig): string {
  const parts: string[] = [];
  for (const n of ['a', 'b'] as const) {
    parts.push(`--- ${n}: vrrp.log\n${tail(path.join(rig.dir, n, 'vrrp.log'))}`);
    parts.push(`--- ${n}: keepalived.log\n${tail(path.join(rig.dir, n, 'keepalived.log'), 15)}`);
    parts.push(`--- ${n}: siplb.log\n${tail(path.join(rig.dir, n, 'siplb.log'), 10)}`);
    parts.push(`--- ${n}: role=${roleWeight(rig, n) ?? '?'}`);
  }
  return parts.join('\n');
}

describe.skipIf(skip)(SUITE, () => {
  let rig: Rig;

  beforeAll(async () => {
    ensureFreshDist();
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-ha-netns-'));
    for (const d of ['a', 'b', 'redis', 'be']) mkdirSync(path.join(dir, d));
    const lab = new NetnsLab();
    rig = { lab, dir, siplb: {} };
    lab.create([
      { name: 'a', cidr: `${IP.a}/24` },
      { name: 'b', cidr: `${IP.b}/24` },
      { name: 'redis', cidr: `${IP.redis}/24` },
      { name: 'be', cidr: `${IP.be}/24` },
      { name: 'cl', cidr: `${IP.cl}/24` },
    ]);
    // Both nodes bind the VIP before they hold it.
    for (const n of ['a', 'b'] as const) lab.sysctl(n, 'net.ipv4.ip_nonlocal_bind=1');

    startRedis(rig);
    for (const port of UAS_PORTS) {
      const uas = lab.spawn('be', 'sipp', ['-sf', path.join(SIPP_SCENARIOS, 'uas.xml'), '-i', IP.be, '-p', String(port), '-t', 'u1', '-nostdin', '-buff_size', '4194304'], {
        cwd: path.join(dir, 'be'),
      });
      logTo(uas, path.join(dir, 'be', `uas-${port}.log`));
    }
    await redisUp(rig);

    // A first, so it holds the lease; then B.
    for (const n of ['a', 'b'] as const) writeSiplbConfig(dir, n);
    startSiplb(rig, 'a');
    await waitFor('A to become leader (role file 50)', () => roleWeight(rig, 'a') === '50', 10_000, 50);
    startSiplb(rig, 'b');
    await waitFor('B to start as follower (role file 0) with its SIP socket', () => roleWeight(rig, 'b') === '0' && lab.exec('b', 'ss', ['-Hlun', `src ${VIP}:5060`]).trim() !== '', 10_000, 50);

    for (const n of ['a', 'b'] as const) {
      const conf = path.join(dir, n, 'keepalived.conf');
      writeFileSync(conf, renderKeepalived(n, dir));
      const k = lab.spawn(n, 'keepalived', ['-n', '-l', '-D', '-G', '-P', '-f', conf, '-p', path.join(dir, n, 'keepalived.pid'), '-r', path.join(dir, n, 'vrrp.pid')]);
      logTo(k, path.join(dir, n, 'keepalived.log'));
    }
    try {
      await waitFor('VIP on A (the leader)', () => vipHolder(rig) === 'a', 10_000, 50);
      // Every backend up on both nodes (probes from health.source), and the VIP answers.
      startPinger(rig, 50);
      await waitFor('the VIP to answer OPTIONS', () => rig.pinger!.replied.size > 0, 5000, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${diagnostics(rig)}`, { cause: err });
    }
  }, 60_000);

  afterAll(async () => {
    if (!rig) return;
    await rig.lab.destroy();
    if (process.env['SIPLB_KEEP_NETNS_LOGS']) console.log(`logs kept in ${rig.dir}`);
    else rmSync(rig.dir, { recursive: true, force: true });
  }, 30_000);

  it('the admin API reports one leader, and an admin change made with the CLI on one node applies on the other', () => {
    expect(adminGet(rig, 'a', '/ha/leader')).toMatchObject({ status: 200, body: { role: 'leader', nodeId: 'A' } });
    expect(adminGet(rig, 'b', '/ha/leader')).toMatchObject({ status: 503, body: { role: 'follower', nodeId: 'B' } });
    const t0 = Date.now();
    cli(rig, 'a', ['backends', 'drain', 'gw2']);
    cli(rig, 'b', ['backends', 'disable', 'gw3']);
    return waitFor('each change on the other node', () => adminStateOf(rig, 'b', 'gw2') === 'draining' && adminStateOf(rig, 'a', 'gw3') === 'disabled', 3000, 50).then(() => {
      console.log(`admin changes shared between the nodes within ${Date.now() - t0} ms (CLI → admin API → Redis → other node)`);
      cli(rig, 'b', ['backends', 'enable', 'gw2']);
      return waitFor('gw2 enabled again on A', () => adminStateOf(rig, 'a', 'gw2') === 'enabled', 3000, 50);
    });
  }, 20_000);

  it('SIGKILL of the leader siplb: the VIP moves, new calls succeed within 2 s, failed calls ≤ calls in flight', async () => {
    const uac = runUac(rig, 12 * RATE, 'kill-leader');
    await sleep(3000);
    const killedAt = Date.now();
    rig.siplb.a!.kill('SIGKILL');
    let movedAt: number;
    try {
      movedAt = await waitFor('the VIP on B', () => (vipHolder(rig) === 'b' ? Date.now() : undefined), 5000, 20);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${diagnostics(rig)}`, { cause: err });
    }
    const restoredAt = await waitFor('an OPTIONS sent after the kill to be answered', () => firstReplyAfter(rig.pinger!, killedAt), 5000, 20);
    const res = await uac.done;
    const inFlight = callsInFlightAt(uac.statFile, killedAt);
    // B takes the lease once A's expires (A could not release it).
    await waitFor('B to become leader', () => roleWeight(rig, 'b') === '50', LEASE.leaseTtl + 3000, 50);

    const moveMs = movedAt - killedAt;
    const restoreMs = restoredAt - killedAt;
    console.log(
      `leader siplb SIGKILL: VIP on B after ${moveMs} ms, first answered OPTIONS after ${restoreMs} ms; ` +
        `calls ${res.created} created, ${res.successful} ok, ${res.failed} failed, ${inFlight ?? '?'} in flight at the kill`,
    );
    expect(restoreMs, diagnostics(rig)).toBeLessThan(2000);
    expect(res.created).toBe(12 * RATE);
    expect(res.failed, res.errors).toBeLessThanOrEqual(inFlight ?? RATE * (CALL_MS / 1000 + 0.5));
    expect(res.successful + res.failed).toBe(res.created);
  }, 40_000);

  it('SIGKILL of Redis: no call fails and the VIP stays; Redis back: exactly one leader, and the VIP follows it', async () => {
    // A back as a follower: its check passes again (rise 2) and it waits as BACKUP at priority 100.
    startSiplb(rig, 'a');
    await waitFor('A to start as follower', () => roleWeight(rig, 'a') === '0' && rig.lab.exec('a', 'ss', ['-Hlun', `src ${VIP}:5060`]).trim() !== '', 10_000, 50);
    await waitFor('A keepalived BACKUP again', () => /-> BACKUP/.test(tail(path.join(rig.dir, 'a', 'vrrp.log'), 1)), 6000, 100);
    expect(vipHolder(rig)).toBe('b');
    // The restarted A took the shared admin state from Redis (gw3 was disabled on B).
    expect(adminStateOf(rig, 'a', 'gw3')).toBe('disabled');
    expect(adminStateOf(rig, 'a', 'gw2')).toBe('enabled');

    const uac = runUac(rig, 10 * RATE, 'kill-redis');
    const holders = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        holders.add(vipHolder(rig));
        await sleep(100);
      }
    })();
    await sleep(2000);
    const killedAt = Date.now();
    rig.redis!.kill('SIGKILL');
    // B cannot renew: it steps down by its own clock within the lease TTL, and nobody gains.
    await waitFor('B to step down (role file 0)', () => roleWeight(rig, 'b') === '0', LEASE.leaseTtl + 1000, 50);
    const steppedDownMs = Date.now() - killedAt;
    const res = await uac.done;
    sampling = false;
    await sampler;
    console.log(
      `Redis SIGKILL: B stepped down after ${steppedDownMs} ms; VIP holders seen ${[...holders].join(',')}; ` +
        `calls ${res.created} created, ${res.successful} ok, ${res.failed} failed`,
    );
    expect(res.failed, res.errors).toBe(0);
    expect(res.successful).toBe(10 * RATE);
    expect([...holders]).toEqual(['b']);
    expect([roleWeight(rig, 'a'), roleWeight(rig, 'b')]).toEqual(['0', '0']);

    // Redis back (empty): one node takes the lease, and its +50 pulls the VIP to it.
    const holderBefore = vipHolder(rig);
    const restartedAt = Date.now();
    startRedis(rig);
    await redisUp(rig);
    const leader = await waitFor('exactly one leader', () => {
      const w = [roleWeight(rig, 'a'), roleWeight(rig, 'b')];
      return w.filter((x) => x === '50').length === 1 ? (w[0] === '50' ? 'a' : 'b') : undefined;
    }, 5000, 50);
    const electedMs = Date.now() - restartedAt;
    // Still exactly one a few renewals later, and Redis names the same node as lease owner.
    await sleep(LEASE.renewInterval * 3);
    expect([roleWeight(rig, 'a'), roleWeight(rig, 'b')].filter((x) => x === '50')).toHaveLength(1);
    expect(roleWeight(rig, leader)).toBe('50');
    const owner = rig.lab.exec('redis', 'redis-cli', ['-h', IP.redis, 'GET', 'siplb:leader']).trim();
    expect(owner.startsWith(`${leader.toUpperCase()}:`)).toBe(true);
    const follower: NodeName = leader === 'a' ? 'b' : 'a';
    expect(adminGet(rig, leader, '/ha/leader')).toMatchObject({ status: 200, body: { role: 'leader' } });
    expect(adminGet(rig, follower, '/ha/leader')).toMatchObject({ status: 503, body: { role: 'follower' } });
    const followedAt = await waitFor('the VIP on the leader', () => (vipHolder(rig) === leader ? Date.now() : undefined), 6000, 50);
    const vip = holderBefore === leader ? 'the VIP was already there' : `the VIP moved to it ${followedAt - restartedAt} ms after the restart`;
    console.log(`Redis restarted: ${leader.toUpperCase()} leader after ${electedMs} ms; ${vip}`);

    // And the VIP serves calls.
    const after = await runUac(rig, 2 * RATE, 'after').done;
    expect(after.failed, after.errors).toBe(0);
  }, 50_000);

  it('a hung siplb (SIGSTOP) on the leader fails the SIP check: the VIP moves at once, the lease after its TTL, and the hung node steps down when it runs again', async () => {
    const hung = vipHolder(rig);
    if (hung !== 'a' && hung !== 'b') throw new Error(`VIP holder is '${hung}'\n${diagnostics(rig)}`);
    const other: NodeName = hung === 'a' ? 'b' : 'a';
    const child = rig.siplb[hung]!;
    const stoppedAt = Date.now();
    child.kill('SIGSTOP');
    try {
      // Its socket is still bound: only the OPTIONS to the VIP (timeout 400 ms) can catch this.
      const movedAt = await waitFor(`the VIP on ${other}`, () => (vipHolder(rig) === other ? Date.now() : undefined), 5000, 20);
      const restoredAt = await waitFor('an OPTIONS sent after the stop to be answered', () => firstReplyAfter(rig.pinger!, stoppedAt), 5000, 20);
      // Held past the lease TTL: the other node takes the lease while this one cannot run.
      await waitFor(`${other.toUpperCase()} to take the lease`, () => roleWeight(rig, other) === '50', LEASE.leaseTtl + 3000, 50);
      const leaseMovedAt = Date.now();
      console.log(
        `siplb ${hung.toUpperCase()} SIGSTOP: VIP on ${other.toUpperCase()} after ${movedAt - stoppedAt} ms, ` +
          `first answered OPTIONS after ${restoredAt - stoppedAt} ms, lease on ${other.toUpperCase()} after ${leaseMovedAt - stoppedAt} ms`,
      );
      expect(restoredAt - stoppedAt).toBeLessThan(3000);
      // Longer than `rise` checks: a stopped siplb keeps failing its check (not only where the VIP
      // is), so the node stays FAULT and its stale leader weight cannot pull the VIP back.
      await sleep(2500);
      expect(tail(path.join(rig.dir, hung, 'vrrp.log'), 1)).toMatch(/-> FAULT/);
      expect(vipHolder(rig)).toBe(other);
    } finally {
      child.kill('SIGCONT');
    }
    // Running again, the hung node finds its lease deadline passed and steps down at once, by
    // its own clock; its check passes again and it waits as BACKUP; the VIP stays.
    const contAt = Date.now();
    await waitFor(`${hung.toUpperCase()} to step down`, () => roleWeight(rig, hung) === '0', 2000, 20);
    console.log(`siplb ${hung.toUpperCase()} SIGCONT: stepped down after ${Date.now() - contAt} ms`);
    await waitFor(`${hung.toUpperCase()} keepalived BACKUP again`, () => /-> BACKUP/.test(tail(path.join(rig.dir, hung, 'vrrp.log'), 1)), 6000, 100);
    expect(roleWeight(rig, other)).toBe('50');
    expect(vipHolder(rig)).toBe(other);
  }, 30_000);
});
