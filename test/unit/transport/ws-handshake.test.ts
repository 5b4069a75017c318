import { describe, expect, it } from 'vitest';
import { checkHandshake, chooseSubprotocol, handshakePolicy, offeredProtocols, refusalResponse } from '../../../src/transport/ws-handshake.js';
import { isCrlfPing } from '../../../src/transport/ws-connection.js';

const any = handshakePolicy([], []);
const base = { upgrade: 'websocket', host: 'sip.example.com', 'sec-websocket-protocol': 'sip' };

describe('WebSocket handshake policy (RFC 7118 §4, RFC 6455 §4.2)', () => {
  it('accepts an upgrade offering sip, with any Host and Origin when the lists are empty', () => {
    expect(checkHandshake({ ...base, origin: 'https://anything.example' }, any)).toEqual({ ok: true });
    expect(checkHandshake({ ...base, upgrade: 'WebSocket', 'sec-websocket-protocol': 'foo, sip' }, any)).toEqual({ ok: true });
  });

  it('refuses a request that is not a WebSocket upgrade with 426', () => {
    expect(checkHandshake({ ...base, upgrade: undefined }, any)).toEqual({ ok: false, status: 426, reason: 'not-websocket' });
    expect(checkHandshake({ ...base, upgrade: 'h2c' }, any)).toMatchObject({ reason: 'not-websocket' });
  });

  it('refuses without the sip subprotocol (sips, SIP, none) with 400', () => {
    for (const p of [undefined, '', 'sips', 'SIP', 'xmpp, chat']) {
      expect(checkHandshake({ ...base, 'sec-websocket-protocol': p }, any)).toEqual({ ok: false, status: 400, reason: 'no-sip-subprotocol' });
    }
  });

  it('checks Origin against the allowlist, case-insensitively; a client without Origin is not a browser and passes', () => {
    const p = handshakePolicy(['https://Phone.example.com/'], []);
    expect(checkHandshake({ ...base, origin: 'https://phone.example.com' }, p)).toEqual({ ok: true });
    expect(checkHandshake({ ...base, origin: 'https://evil.example' }, p)).toEqual({ ok: false, status: 403, reason: 'origin-not-allowed' });
    expect(checkHandshake({ ...base, origin: 'http://phone.example.com' }, p)).toMatchObject({ reason: 'origin-not-allowed' });
    expect(checkHandshake(base, p)).toEqual({ ok: true });
  });

  it('checks Host: a listed bare host matches any port, a listed host:port only that port; no Host is refused', () => {
    const p = handshakePolicy([], ['sip.example.com', 'ws.example.com:443', '[::1]']);
    expect(checkHandshake({ ...base, host: 'SIP.example.com:8443' }, p)).toEqual({ ok: true });
    expect(checkHandshake({ ...base, host: 'ws.example.com:443' }, p)).toEqual({ ok: true });
    expect(checkHandshake({ ...base, host: 'ws.example.com:444' }, p)).toEqual({ ok: false, status: 403, reason: 'host-not-allowed' });
    expect(checkHandshake({ ...base, host: '[::1]:8080' }, p)).toEqual({ ok: true });
    expect(checkHandshake({ ...base, host: undefined }, p)).toMatchObject({ reason: 'host-not-allowed' });
  });

  it('Host and Origin are refused before the subprotocol is looked at', () => {
    const p = handshakePolicy(['https://a.example'], []);
    expect(checkHandshake({ ...base, origin: 'https://b.example', 'sec-websocket-protocol': 'chat' }, p)).toMatchObject({ status: 403 });
  });

  it('parses the offered list and picks sip only', () => {
    expect(offeredProtocols(' sip ,chat,, ')).toEqual(['sip', 'chat']);
    expect(chooseSubprotocol(new Set(['chat', 'sip']))).toBe('sip');
    expect(chooseSubprotocol(['sips'])).toBeUndefined();
  });

  it('writes a closing HTTP refusal; 426 names the upgrade it wants', () => {
    const r = refusalResponse(403, 'origin-not-allowed');
    expect(r).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(r).toContain('Connection: close\r\n');
    expect(r.endsWith('\r\n\r\norigin-not-allowed\n')).toBe(true);
    expect(refusalResponse(426, 'not-websocket')).toContain('Upgrade: websocket\r\n');
  });
});

describe('CRLF keep-alive over WebSocket (RFC 5626 §4.4.1)', () => {
  it('a CRLFCRLF is a ping, a lone CRLF a pong, anything else a message', () => {
    expect(isCrlfPing(Buffer.from('\r\n\r\n'))).toBe('ping');
    expect(isCrlfPing(Buffer.from('\r\n\r\n\r\n'))).toBe('ping');
    expect(isCrlfPing(Buffer.from('\r\n'))).toBe('pong');
    expect(isCrlfPing(Buffer.from('\r\nOPTIONS'))).toBeUndefined();
    expect(isCrlfPing(Buffer.alloc(0))).toBeUndefined();
  });
});
