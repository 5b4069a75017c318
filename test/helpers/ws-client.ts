/**
 * @module test/helpers/ws-client
 * A SIP-over-WebSocket test client on the `ws` package (RFC 7118): opens with the `sip`
 * subprotocol (or none, or another), collects every message it receives, and reports how the
 * handshake was refused (HTTP status) or how the connection closed (WebSocket close code).
 */
import { WebSocket, type ClientOptions } from 'ws';
import { waitFor } from './wait.js';

export interface WsPeer {
  readonly ws: WebSocket;
  /** Every message received, as text. */
  readonly received: string[];
  /** The close code once closed (1006: no close frame), else undefined. */
  closeCode(): number | undefined;
  send(text: string | Buffer): void;
  /** The first message received at index `from` or later that matches `re`. */
  await(re: RegExp, from?: number, ms?: number): Promise<string>;
  waitClosed(ms?: number): Promise<number>;
  close(): void;
}

export type WsOpenResult = { readonly ok: true; readonly peer: WsPeer } | { readonly ok: false; readonly status: number | undefined; readonly body: string; readonly error?: string };

/** Open `url`; resolves with the peer, or with the refusal (HTTP status and body) or error. */
export function openWs(url: string, opts: ClientOptions & { protocols?: string | string[] | null } = {}): Promise<WsOpenResult> {
  const { protocols, ...rest } = opts;
  const ws = protocols === null ? new WebSocket(url, rest) : new WebSocket(url, protocols ?? 'sip', rest);
  const received: string[] = [];
  let code: number | undefined;
  ws.on('message', (d: Buffer) => received.push(d.toString('utf8')));
  ws.on('close', (c: number) => (code = c));
  const peer: WsPeer = {
    ws,
    received,
    closeCode: () => code,
    send: (t) => ws.send(t),
    async await(re, from = 0, ms = 8000) {
      let hit: string | undefined;
      await waitFor(`a WebSocket message matching ${re}`, () => (hit = received.slice(from).find((m) => re.test(m))) !== undefined, ms);
      return hit!;
    },
    async waitClosed(ms = 8000) {
      await waitFor('the WebSocket to close', () => code !== undefined, ms);
      return code!;
    },
    close: () => ws.terminate(),
  };
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ok: true, peer }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ ok: false, status: res.statusCode, body }));
      res.on('error', () => resolve({ ok: false, status: res.statusCode, body }));
    });
    ws.once('error', (err) => resolve({ ok: false, status: undefined, body: '', error: err.message }));
  });
}

/** Open and expect success. */
export async function connectWs(url: string, opts: ClientOptions & { protocols?: string | string[] | null } = {}): Promise<WsPeer> {
  const r = await openWs(url, opts);
  if (!r.ok) throw new Error(`WebSocket ${url} refused: ${r.status ?? ''} ${r.body}${r.error ?? ''}`);
  return r.peer;
}
