import { describe, expect, it } from 'vitest';
import { parseListen } from '../../../src/config/address.js';
import { validateConfig } from '../../../src/config/validate.js';

describe('ws: and wss: listeners (RFC 7118)', () => {
  it('parses ws: and wss: prefixes, any case', () => {
    expect(parseListen('ws:0.0.0.0:8080')).toEqual({ ok: true, listen: { transport: 'ws', host: '0.0.0.0', port: 8080 } });
    expect(parseListen('WSS:[::1]:443')).toEqual({ ok: true, listen: { transport: 'wss', host: '::1', port: 443 } });
    expect(parseListen('wsx:1.2.3.4:1')).toMatchObject({ ok: false, reason: expect.stringContaining('ws or wss') });
  });

  it('refuses wss: without the certificate and key, naming the key and the fix', () => {
    const r = validateConfig({ sip: { listen: ['udp:127.0.0.1:5060', 'wss:127.0.0.1:443'] }, backends: [{ id: 'gw1', address: '127.0.0.1:5070' }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ path: 'sip.tls.cert', reason: expect.stringContaining('a wss: listener needs a certificate') });
    expect(JSON.stringify(r.issues[0])).toContain('remove the tls:/wss: listener');
  });

  it('takes ws: without TLS files, with the sip.ws defaults', () => {
    const r = validateConfig({ sip: { listen: ['udp:127.0.0.1:5060', 'ws:127.0.0.1:8080'] }, backends: [{ id: 'gw1', address: '127.0.0.1:5070' }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.sip.ws).toEqual({ allowedOrigins: [], allowedHosts: [], pingInterval: 25_000, maxMessageBytes: 65_536, handshakeTimeout: 5000 });
  });
});
