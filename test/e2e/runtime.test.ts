/**
 * The shipped configuration on the runtime siplb is built for (issue "Runtime: Node.js 24 LTS"):
 * the built CLI started as `npm start` starts it (node --max-semi-space-size=4 dist/cli/index.js
 * start --config config/siplb.yaml), on the suite's own Node — the Node 24 that npm ci installed —
 * with only the SIP and admin ports moved off 5060/8060 so the test cannot collide with a node
 * someone runs by hand. It serves SIP, and /metrics, GET /status and `siplb status` name the
 * Node it runs on.
 */
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MIN_NODE_MAJOR } from '../../src/runtime/node-version.js';
import { freePorts } from '../helpers/ports.js';
import { CLI, REPO, sipPing, startSiplb, type SiplbProcess } from '../helpers/siplb.js';

let lb: SiplbProcess | undefined;
afterEach(async () => {
  await lb?.stop();
  lb = undefined;
});

/** An OPTIONS for siplb itself over TCP; the first line of its answer on the same connection. */
function tcpPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-rt1\r\nMax-Forwards: 70\r\nFrom: <sip:t@test>;tag=1\r\n` +
          `To: <sip:127.0.0.1:${port}>\r\nCall-ID: runtime-tcp-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        s.end();
        resolve(text.split('\r\n', 1)[0]!);
      }
    });
    s.on('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error('no answer over TCP'));
    });
  });
}

describe('siplb on Node.js 24 with the shipped config', () => {
  it('serves SIP, and /metrics, GET /status and siplb status report the Node version', async () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(MIN_NODE_MAJOR);
    const shipped = parse(readFileSync(`${REPO}/config/siplb.yaml`, 'utf8')) as Record<string, Record<string, unknown>>;
    const [sipPort, adminPort] = await freePorts(2);
    // The shipped listeners (UDP and TCP on one address), moved to a free port.
    expect(shipped['sip']!['listen']).toEqual(['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060']);
    const listen = [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`];
    const config = { ...shipped, sip: { ...shipped['sip'], listen }, admin: { ...shipped['admin'], listen: `127.0.0.1:${adminPort}` } };
    lb = await startSiplb(config, []);

    expect(await sipPing(sipPort!)).toMatch(/^SIP\/2\.0 \d{3} /);
    expect(await tcpPing(sipPort!)).toMatch(/^SIP\/2\.0 \d{3} /);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const info = metrics.split('\n').find((l) => l.startsWith('nodejs_version_info{'));
    expect(info).toContain(`version="${process.version}"`);
    expect(info).toContain(`major="${process.versions.node.split('.')[0]}"`);
    const status = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { runtime: { node: string; pid: number } };
    expect(status.runtime).toMatchObject({ node: process.version, pid: lb.pid });
    const cli = execFileSync(process.execPath, [CLI, 'status', '--admin', `127.0.0.1:${adminPort}`], { encoding: 'utf8' });
    expect(cli).toContain(`runtime   Node.js ${process.version} (`);
    expect(lb.logs()).toContain(`"nodejs":"${process.version}"`);
  });
});
