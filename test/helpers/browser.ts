/**
 * Real browsers for end-to-end tests: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core (which never downloads a browser), loading a page this helper serves from
 * http://localhost (a secure context, as WebRTC needs) with JsSIP 3.13 bundled for the browser.
 * Each phone is a JsSIP user agent in a page of its own (its own browser context), speaking SIP
 * over WebSocket (RFC 7118) to a ws:/wss: URL. The page records every WebSocket frame it sends
 * and receives (test/fixtures/browser/phone.html), so a test can check the SIP each browser really
 * put on the wire: first line, Via, Route, Record-Route, Path, Contact.
 *
 * No real media: calls offer a receive-only audio stream and ask for no device. Everything is
 * bounded: every wait has a deadline, and the browser process is killed by its PID when a clean
 * close does not finish in time.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';
import { rolldown } from 'rolldown';
import { headerValues } from './core/recording-sender.js';
import { sleep, waitFor } from './wait.js';

export const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = path.join(REPO, 'test/fixtures/browser/phone.html');
const JSSIP_ENTRY = path.join(REPO, 'node_modules/jssip/lib/JsSIP.js');

/** Why the browser tests cannot run here, or undefined. */
export function browserMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  if (!existsSync(JSSIP_ENTRY)) return 'jssip not installed (npm ci)';
  return undefined;
}

let bundle: Promise<string> | undefined;
/**
 * JsSIP for the browser, as one script defining the global `JsSIP`. The npm package ships only
 * CommonJS (lib/); rolldown (a devDependency, the bundler vitest's vite uses too) resolves its few dependencies
 * with their browser entry points (debug's "browser" field).
 */
function jssipBundle(): Promise<string> {
  bundle ??= (async () => {
    const b = await rolldown({ input: JSSIP_ENTRY, platform: 'browser', logLevel: 'warn' });
    try {
      const { output } = await b.generate({ format: 'iife', name: 'JsSIP' });
      return output[0].code;
    } finally {
      await b.close();
    }
  })();
  return bundle;
}

/** One SIP message as a page sent or received it over its WebSocket. */
export interface WireMessage {
  readonly dir: 'sent' | 'recv';
  /** Date.now() in the page. */
  readonly at: number;
  /** The WebSocket URL it went over. */
  readonly url: string;
  readonly text: string;
  /** Request-Line or Status-Line. */
  readonly firstLine: string;
  /** Method of a request, or the CSeq method of a response. */
  readonly method: string;
  /** Status code of a response, undefined for a request. */
  readonly status: number | undefined;
  readonly via: readonly string[];
  readonly route: readonly string[];
  readonly recordRoute: readonly string[];
  readonly path: readonly string[];
  readonly contact: readonly string[];
}

/** Each value of a list header, whether given on separate lines or comma-separated on one. */
function listValues(text: string, ...names: string[]): string[] {
  return names.flatMap((n) => headerValues(text, n)).flatMap((v) => v.split(/\s*,\s*(?=<|SIP\/)/i));
}

export function parseWire(raw: { dir: 'sent' | 'recv'; at: number; url: string; text: string }): WireMessage {
  const firstLine = raw.text.slice(0, raw.text.indexOf('\r\n'));
  const response = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
  const cseq = headerValues(raw.text, 'CSeq')[0] ?? '';
  return {
    ...raw,
    firstLine,
    method: response ? (cseq.split(/\s+/)[1] ?? '') : firstLine.split(' ')[0]!,
    status: response ? Number(response[1]) : undefined,
    via: listValues(raw.text, 'Via', 'v'),
    route: listValues(raw.text, 'Route'),
    recordRoute: listValues(raw.text, 'Record-Route'),
    path: listValues(raw.text, 'Path'),
    contact: listValues(raw.text, 'Contact', 'm'),
  };
}

/** A trace as text for a log or a note: one line per message, with its routing headers. */
export function formatTrace(who: string, wire: readonly WireMessage[]): string {
  const t0 = wire[0]?.at ?? 0;
  return wire
    .filter((m) => m.firstLine !== '')
    .map((m) => {
      const hdrs = [
        ...m.via.map((v) => `    Via: ${v}`),
        ...m.route.map((v) => `    Route: ${v}`),
        ...m.recordRoute.map((v) => `    Record-Route: ${v}`),
        ...m.path.map((v) => `    Path: ${v}`),
      ];
      return [`${who} ${m.dir === 'sent' ? '->' : '<-'} +${m.at - t0}ms ${m.firstLine}`, ...hdrs].join('\n');
    })
    .join('\n');
}

export interface PhoneOptions {
  /** ws://… or wss://… */
  readonly wsUrl: string;
  /** The phone's address-of-record, e.g. sip:alice@example.test */
  readonly uri: string;
  readonly displayName?: string;
  /** Register on start. @default true */
  readonly register?: boolean;
  readonly registerExpires?: number;
  /** Answer every incoming call at once. @default false */
  readonly autoAnswer?: boolean;
}

export type SessionStatus = 'new' | 'progress' | 'accepted' | 'confirmed' | 'ended' | 'failed';

export interface SessionState {
  readonly id: number;
  readonly direction: 'incoming' | 'outgoing';
  readonly status: SessionStatus;
  /** JsSIP's cause for ended/failed (e.g. "Terminated", "Rejected", "Busy"). */
  readonly cause: string;
}

export interface PhoneState {
  readonly ua: 'new' | 'connected' | 'disconnected';
  readonly registered: boolean;
  readonly registrationFailed: string;
  readonly sessions: readonly SessionState[];
  readonly events: readonly { readonly at: number; readonly what: string }[];
}

/**
 * The page's window.phone (phone.html). The functions given to page.evaluate run in the page, so
 * the `pagePhone` they call is the page's global of that name, declared here only for its type.
 */
interface PagePhone {
  state(): PhoneState;
  wire(): { dir: 'sent' | 'recv'; at: number; url: string; text: string }[];
  start(o: PhoneOptions): void;
  call(target: string): number;
  answer(id: number): void;
  terminate(id: number, statusCode?: number): void;
  stop(): void;
}
declare const pagePhone: () => PagePhone;

export interface Phone {
  readonly name: string;
  readonly page: Page;
  state(): Promise<PhoneState>;
  /** Waits until the registrar has answered 200 to the REGISTER (JsSIP 'registered'). */
  waitRegistered(ms?: number): Promise<void>;
  /** Starts a call; resolves with the session id (no media: a receive-only audio offer). */
  call(target: string): Promise<number>;
  /** Waits for the `n`th (0-based) incoming call and resolves with its session id. */
  waitIncoming(n?: number, ms?: number): Promise<number>;
  /** Waits until session `id` reaches one of `statuses`; resolves with its state. */
  waitSession(id: number, statuses: readonly SessionStatus[], ms?: number): Promise<SessionState>;
  answer(id: number): Promise<void>;
  /** Hang up (BYE), cancel (CANCEL) or reject (`statusCode`, e.g. 486) as the session's state calls for. */
  hangup(id: number, statusCode?: number): Promise<void>;
  /** Every SIP message the page sent or received so far (after a close: up to the close). */
  wire(): Promise<WireMessage[]>;
  /** Closes the page: its WebSocket goes with it, as when a user closes the tab. */
  close(): Promise<void>;
}

export interface BrowserRig {
  /** http://localhost:PORT, where the phone page is served. */
  readonly origin: string;
  readonly pid: number;
  /** A new JsSIP phone in a page of its own, started (and registering unless told not to). */
  phone(name: string, o: PhoneOptions): Promise<Phone>;
  close(): Promise<void>;
}

function servePage(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.url === '/' || req.url === '/index.html') send('text/html; charset=utf-8', readFileSync(PAGE, 'utf8'));
    else if (req.url === '/jssip.js') jssipBundle().then((js) => send('text/javascript', js), (err: unknown) => { res.writeHead(500); res.end(String(err)); });
    else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Resolves `p`, or rejects after `ms` saying what hung. */
async function bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function makePhone(name: string, context: BrowserContext, page: Page): Phone {
  let closed = false;
  let lastWire: WireMessage[] = [];
  const state = (): Promise<PhoneState> => bounded(`${name}: page state`, page.evaluate(() => pagePhone().state()), 5000);
  const phone: Phone = {
    name,
    page,
    state,
    waitRegistered: async (ms = 10_000) => {
      await waitFor(`${name} registered`, async () => {
        const s = await state();
        if (s.registrationFailed !== '') throw new Error(`${name}: registration failed: ${s.registrationFailed}`);
        return s.registered;
      }, ms, 50);
    },
    call: (target) => bounded(`${name}: call`, page.evaluate((t) => pagePhone().call(t), target), 5000),
    waitIncoming: (n = 0, ms = 10_000) =>
      waitFor(`${name}: incoming call #${n}`, async () => (await state()).sessions.filter((x) => x.direction === 'incoming')[n]?.id, ms, 50),
    waitSession: (id, statuses, ms = 10_000) =>
      waitFor(`${name}: session ${id} ${statuses.join('|')}`, async () => {
        const s = (await state()).sessions[id];
        return s !== undefined && statuses.includes(s.status) ? s : undefined;
      }, ms, 50),
    answer: (id) => bounded(`${name}: answer`, page.evaluate((i) => pagePhone().answer(i), id), 5000),
    hangup: (id, statusCode) => bounded(`${name}: hangup`, page.evaluate(([i, c]) => pagePhone().terminate(i, c), [id, statusCode] as const), 5000),
    wire: async () => {
      if (!closed) lastWire = (await bounded(`${name}: wire`, page.evaluate(() => pagePhone().wire()), 5000)).map(parseWire);
      return lastWire;
    },
    close: async () => {
      if (closed) return;
      await phone.wire().catch(() => undefined); // keep what it saw for the trace
      closed = true;
      await bounded(`${name}: close context`, context.close(), 10_000);
    },
  };
  return phone;
}

/** Headless Chromium (Debian's) with the phone page served on loopback. */
export async function startBrowser(): Promise<BrowserRig> {
  const server = await servePage();
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  let bs: BrowserServer | undefined;
  let browser: Browser | undefined;
  try {
    bs = await chromium.launchServer({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 20_000,
      args: [
        '--headless',
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--ignore-certificate-errors', // the test's self-signed WSS certificate
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // No media leaves the page: WebRTC gathers no UDP candidates at all (the tests are
        // signalling only, and loopback only).
        '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
      ],
    });
    browser = await chromium.connect(bs.wsEndpoint(), { timeout: 20_000 });
  } catch (err) {
    await bs?.kill();
    server.close();
    throw err;
  }
  const pid = bs.process().pid!;
  const contexts: BrowserContext[] = [];
  return {
    origin,
    pid,
    phone: async (name, o) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(origin, { timeout: 10_000 });
      await page.waitForFunction(() => typeof (globalThis as { JsSIP?: unknown }).JsSIP === 'object', undefined, { timeout: 10_000 });
      await page.evaluate((opts) => pagePhone().start(opts), o);
      return makePhone(name, context, page);
    },
    close: async () => {
      try {
        await bounded('browser close', browser.close(), 10_000);
        await bounded('browser server close', bs.close(), 10_000);
      } catch {
        await bs.kill().catch(() => undefined); // playwright's own kill of the process tree
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await sleep(100);
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
