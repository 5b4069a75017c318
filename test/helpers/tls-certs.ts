/**
 * @module test/helpers/tls-certs
 * Throwaway TLS material made with the real `openssl` CLI in a temp dir: a CA, server
 * certificates for localhost/127.0.0.1 with chosen serials, and a client certificate (mTLS).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  /** Issue a certificate signed by the CA; serial as hex without 0x. */
  issue(name: string, serialHex: string, opts?: { client?: boolean }): CertPair;
  cleanup(): void;
}

export function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl CLI not found (apt-get install openssl)';
  }
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** P-256 keys: fast to make and to handshake with, so a test can open hundreds of TLS connections. */
export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'siplb-tls-'));
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=siplb test CA'], dir);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    issue(name, serialHex, opts = {}) {
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, opts.client === true ? 'extendedKeyUsage=clientAuth\n' : 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      openssl(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${serialHex}`, '-days', '2', '-out', `${name}.pem`, '-extfile', ext], dir);
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SClientRun {
  readonly code: number | null;
  readonly out: string;
}

/**
 * Run `openssl s_client` against 127.0.0.1:port, writing `input` to it. It stays connected after
 * input ends (-quiet implies -ign_eof) until `until` matches its output or `ms` pass; then it is
 * ended by its pid. Without `until` it runs to its own exit (e.g. a refused handshake).
 */
export function sClient(port: number, args: string[], input: string, opts: { until?: RegExp; ms?: number } = {}): Promise<SClientRun> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM');
      resolve({ code, out });
    };
    const timer = setTimeout(() => finish(null), opts.ms ?? 5000);
    const onData = (b: Buffer): void => {
      out += b.toString('latin1');
      if (opts.until?.test(out) === true) finish(0);
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => finish(code));
    p.stdin.on('error', () => {});
    p.stdin.write(input);
    if (opts.until === undefined) p.stdin.end();
  });
}

/** The serial of the certificate a TLS server presents, read with s_client and x509. */
export async function servedSerial(port: number, caFile: string): Promise<string> {
  const r = await sClient(port, ['-CAfile', caFile, '-verify_return_error'], '', { ms: 5000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out)?.[0];
  if (pem === undefined) throw new Error(`no certificate in s_client output: ${r.out}`);
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: pem }).toString().trim();
  return serial.replace(/^serial=/, '');
}
