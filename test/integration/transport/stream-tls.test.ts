/**
 * The TLS transport with real OpenSSL peers (`openssl s_client`) and certificates made by the
 * `openssl` CLI: a SIP OPTIONS in and a reply out, the TLS 1.3 minimum, a certificate reload that
 * leaves established connections up, and client-certificate verification (mTLS).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, type TlsHandshakeFailureEvent } from '../../../src/observe/channels.js';
import { replyTarget, type MessageSource } from '../../../src/transport/contract.js';
import { StreamTransport } from '../../../src/transport/stream.js';
import type { StreamTlsOptions } from '../../../src/transport/tls-material.js';
import { missingPrerequisites } from '../../helpers/prerequisites.js';
import { RawClient, sipRequest } from '../../helpers/raw-stream.js';
import { makePki, opensslMissing, sClient, servedSerial, type TestPki } from '../../helpers/tls-certs.js';
import { waitFor } from '../../helpers/wait.js';

const OK = (callId: string): string => `SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK-${callId}\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;

if (!missingPrerequisites('TLS stream transport with OpenSSL', opensslMissing())) {
  describe('TLS stream transport with OpenSSL', () => {
    let pki: TestPki;
    const live: StreamTransport[] = [];

    beforeAll(() => {
      pki = makePki();
    });
    afterAll(async () => {
      await Promise.all(live.map((t) => t.close()));
      pki.cleanup();
    });

    /** A TLS listener on loopback whose handler records messages and answers each with 200 on its connection. */
    async function listener(tls: StreamTlsOptions): Promise<{ t: StreamTransport; port: number; got: Array<{ text: string; source: MessageSource }> }> {
      const t = new StreamTransport({ transport: 'tls', listen: { host: '127.0.0.1', port: 0 }, tls });
      const got: Array<{ text: string; source: MessageSource }> = [];
      t.onMessage((buf, source) => {
        const text = buf.toString('latin1');
        got.push({ text, source });
        const callId = /Call-ID: (\S+)/.exec(text)?.[1] ?? 'x';
        t.send(Buffer.from(OK(callId), 'latin1'), replyTarget(source));
      });
      live.push(t);
      return { t, port: (await t.start())!.port, got };
    }

    it('takes an OPTIONS from s_client over TLS 1.3 and its reply arrives back on the connection', async () => {
      const server = pki.issue('srv-a', '1001');
      const { port, got } = await listener({ certFile: server.cert, keyFile: server.key });
      const r = await sClient(port, ['-quiet', '-CAfile', pki.caFile, '-verify_return_error'], sipRequest({ callId: 'tls-1', transport: 'TLS' }), { until: /Call-ID: tls-1/ });
      expect(r.out).toContain('SIP/2.0 200 OK');
      expect(got).toHaveLength(1);
      expect(got[0]!.source).toMatchObject({ transport: 'tls', address: '127.0.0.1' });
    });

    it('refuses a TLS 1.2-only client when the minimum is 1.3, and accepts it when 1.2 is configured', async () => {
      const server = pki.issue('srv-b', '1002');
      const failures: TlsHandshakeFailureEvent[] = [];
      const onFail = (m: unknown): void => void failures.push(m as TlsHandshakeFailureEvent);
      channels.tlsHandshakeFailure.subscribe(onFail);
      try {
        const strict = await listener({ certFile: server.cert, keyFile: server.key });
        const refused = await sClient(strict.port, ['-tls1_2', '-CAfile', pki.caFile], '');
        expect(refused.code).not.toBe(0);
        expect(refused.out).toMatch(/alert protocol version|no protocols available|unsupported protocol/i);
        await waitFor('the handshake failure to be counted', () => strict.t.stats().closed['tls-handshake'] === 1);
        expect(failures.some((f) => f.direction === 'in')).toBe(true);

        const lenient = await listener({ certFile: server.cert, keyFile: server.key, minVersion: 'TLSv1.2' });
        const r = await sClient(lenient.port, ['-quiet', '-tls1_2', '-CAfile', pki.caFile, '-verify_return_error'], sipRequest({ callId: 'tls12', transport: 'TLS' }), { until: /Call-ID: tls12/ });
        expect(r.out).toContain('SIP/2.0 200 OK');
      } finally {
        channels.tlsHandshakeFailure.unsubscribe(onFail);
      }
    });

    it('serves a new certificate after reloadCertificates() while an established connection stays up', async () => {
      const live1 = pki.issue('srv-live', 'A001');
      const newPair = pki.issue('srv-new', 'B002');
      const { t, port, got } = await listener({ certFile: live1.cert, keyFile: live1.key });
      expect(await servedSerial(port, pki.caFile)).toBe('A001');

      const old = await RawClient.connectTls(port, { ca: readFileSync(pki.caFile), servername: 'localhost' });
      old.write(sipRequest({ callId: 'before-reload', transport: 'TLS' }));
      await old.waitText('the first reply', (x) => x.includes('Call-ID: before-reload'));

      copyFileSync(newPair.cert, live1.cert);
      copyFileSync(newPair.key, live1.key);
      await t.reloadCertificates();
      expect(await servedSerial(port, pki.caFile)).toBe('B002');

      old.write(sipRequest({ callId: 'after-reload', transport: 'TLS' }));
      await old.waitText('a reply on the old connection', (x) => x.includes('Call-ID: after-reload'));
      expect(old.closed).toBe(false);
      expect(got.map((g) => g.source.connectionId)).toEqual([got[0]!.source.connectionId, got[0]!.source.connectionId]);
      old.destroy();
    });

    it('keeps the old certificate when reloaded files are unusable', async () => {
      const live2 = pki.issue('srv-keep', 'C003');
      const other = pki.issue('srv-other', 'C004');
      const { t, port } = await listener({ certFile: live2.cert, keyFile: live2.key });
      copyFileSync(other.key, live2.key); // key no longer matches the certificate
      await expect(t.reloadCertificates()).rejects.toMatchObject({ code: 'SIPLB_ERR_TLS_FILES' });
      expect(await servedSerial(port, pki.caFile)).toBe('C003');
    });

    it('with client verification on, refuses a client without a certificate and serves one with a CA-signed one', async () => {
      const server = pki.issue('srv-mtls', '2001');
      const client = pki.issue('trunk', '3001', { client: true });
      const { t, port, got } = await listener({ certFile: server.cert, keyFile: server.key, caFile: pki.caFile, verifyClient: true });

      const anon = await sClient(port, ['-quiet', '-CAfile', pki.caFile], sipRequest({ callId: 'anon', transport: 'TLS' }), { until: /alert|error/i, ms: 3000 });
      expect(anon.out).toMatch(/certificate required|handshake failure|alert/i);
      expect(got).toEqual([]);
      await waitFor('the refused handshake to be counted', () => (t.stats().closed['tls-handshake'] ?? 0) >= 1);

      const r = await sClient(port, ['-quiet', '-CAfile', pki.caFile, '-cert', client.cert, '-key', client.key], sipRequest({ callId: 'trunk', transport: 'TLS' }), { until: /Call-ID: trunk/ });
      expect(r.out).toContain('SIP/2.0 200 OK');
      expect(got).toHaveLength(1);
    });

    it('sends to a TLS backend, verifying it against the CA, and reports an unverifiable one', async () => {
      const server = pki.issue('srv-backend', '4001');
      const { port, got } = await listener({ certFile: server.cert, keyFile: server.key });
      const responses: string[] = [];
      const errors: string[] = [];
      const client = new StreamTransport({ transport: 'tls', tls: { caFile: pki.caFile, servername: 'localhost' }, onError: (e) => errors.push(e.reason) });
      live.push(client);
      expect(await client.start()).toBeUndefined();
      client.onMessage((buf) => responses.push(buf.toString('latin1')));
      client.send(Buffer.from(sipRequest({ callId: 'out-tls', transport: 'TLS' }), 'latin1'), { transport: 'tls', host: '127.0.0.1', port });
      await waitFor('the backend reply', () => responses.length === 1);
      expect(got).toHaveLength(1);

      // A client that trusts only another CA refuses the server: a handshake failure of its own.
      const otherPki = makePki();
      try {
        const strict = new StreamTransport({ transport: 'tls', tls: { caFile: otherPki.caFile, servername: 'localhost' }, onError: (e) => errors.push(e.reason) });
        live.push(strict);
        await strict.start();
        strict.send(Buffer.from(sipRequest({ callId: 'untrusted' }), 'latin1'), { transport: 'tls', host: '127.0.0.1', port });
        await waitFor('the handshake failure report', () => errors.includes('tls-handshake'));
        expect(strict.stats().closed['tls-handshake']).toBe(1);
      } finally {
        otherPki.cleanup();
      }
    });
  });
}
