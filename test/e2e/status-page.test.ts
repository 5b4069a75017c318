/**
 * Issue 19 item 1, the status page, in a real browser: headless Chromium (Debian's chromium at
 * /usr/bin/chromium, driven by playwright-core; no browser is downloaded) against the built siplb
 * binary with the shipped config's three backends as sipp UAS. Under a small bounded sipp load:
 * - the page lists gw1..gw3 as up;
 * - gw2's sipp is SIGKILLed (by PID) and the page shows gw2 down within 2 s. The probes are set
 *   faster than the shipped 1 s / 500 ms so that the bound is the page's: detection takes at most
 *   interval × fall + timeout = 650 ms, the page polls every second;
 * - the page's Drain button drains gw2, and `siplb backends` (the CLI) then shows it draining
 *   (its calls of 3 s whose BYE went to the dead sipp keep it from counting as drained);
 * - a page served from another loopback port POSTs to the admin API with an auto-submitted HTML
 *   form and with fetch (no-cors text/plain, and cors JSON, which needs a preflight): each is
 *   refused (403 where the request reaches the API) and no admin state changes.
 * A screenshot goes to /tmp/siplb-status.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ActivityView, BackendView } from '../../src/api/control.js';
import { freePorts } from '../helpers/ports.js';
import { CLI, REPO, startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/siplb-status.png';

let lb: SiplbProcess | undefined;
let uas: Uas[] = [];
let browser: BrowserContext | undefined;
let attacker: http.Server | undefined;
let profile: string | undefined;
afterEach(async () => {
  await browser?.close();
  await new Promise<void>((r) => (attacker ? attacker.close(() => r()) : r()));
  await lb?.stop();
  await Promise.all(uas.map((u) => u.stop()));
  if (profile) rmSync(profile, { recursive: true, force: true });
  browser = undefined;
  attacker = undefined;
  lb = undefined;
  uas = [];
  profile = undefined;
});

/** Another site on loopback: an auto-submitting form and a script that tries fetch. */
function startAttacker(admin: string): Promise<{ base: string }> {
  const form = `<!doctype html><title>evil form</title>
<form method="post" action="${admin}/backends/gw1/state" enctype="text/plain">
<input type="hidden" name='{"state":"disabled","x":"' value='"}'></form>
<script>document.forms[0].submit()</script>`;
  const script = `<!doctype html><title>evil fetch</title><script>
window.attempts = (async () => {
  const out = {};
  try {
    await fetch('${admin}/backends/gw1/state', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"state":"disabled"}' });
    out.noCors = 'sent (opaque answer)';
  } catch (e) { out.noCors = 'failed: ' + e.message; }
  try {
    const r = await fetch('${admin}/backends/gw1/state', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"state":"disabled"}' });
    out.cors = 'answered ' + r.status;
  } catch (e) { out.cors = 'failed: ' + e.message; }
  return out;
})();
</script>`;
  return new Promise((resolve) => {
    attacker = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(req.url === '/form' ? form : script);
    });
    attacker.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${(attacker!.address() as AddressInfo).port}` }));
  });
}

/** The page's DOM as far as these checks need it (this test compiles without the DOM library). */
interface Dom {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
}

/**
 * Browser-side conditions, passed to waitForFunction as functions (Playwright sends their source;
 * a string would need eval, which the page's CSP forbids): the first match's text is `text`, or
 * some match's is.
 */
const textIs = ([selector, text]: readonly [string, string]): boolean =>
  (globalThis as unknown as { document: Dom }).document.querySelector(selector)?.textContent === text;
const someTextIs = ([selector, text]: readonly [string, string]): boolean =>
  Array.from((globalThis as unknown as { document: Dom }).document.querySelectorAll(selector)).some((e) => e.textContent === text);
const rowCount = (n: number): boolean => (globalThis as unknown as { document: Dom }).document.querySelectorAll('#backends tbody tr[data-backend]').length === n;

/** Debian's Chromium with a fresh profile directory; nothing is downloaded. */
async function launch(): Promise<Page> {
  profile = mkdtempSync(path.join(tmpdir(), 'siplb-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1500, height: 900 },
    timeout: 20_000,
  });
  return browser.pages()[0] ?? (await browser.newPage());
}

/** The first test's node has a token: the page's buttons need one (state changes over TCP, admin/authorize.ts). */
const PAGE_TOKEN = 'a8d1c4e7b2f5098c6e3d1a4b7c0f2e5d';

async function api<T>(base: string, p: string): Promise<T> {
  return (await (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${PAGE_TOKEN}` } })).json()) as T;
}

describe.skipIf(!sippAvailable() || !existsSync(CHROMIUM))('status page in headless Chromium', () => {
  it('shows the backends, a killed backend down within 2 s, drains by button, and refuses cross-origin POSTs', async () => {
    const shipped = parse(readFileSync(`${REPO}/config/siplb.yaml`, 'utf8')) as Record<string, unknown>;
    const [sipPort, adminPort, uacPort, ...backendPorts] = await freePorts(6);
    uas = await Promise.all(backendPorts.map((port) => startUas({ port: port! })));
    const backends = (shipped['backends'] as { id: string; weight: number }[]).map((b, i) => ({ ...b, address: `127.0.0.1:${uas[i]!.port}` }));
    lb = await startSiplb({
      ...shipped,
      sip: { listen: `127.0.0.1:${sipPort}` },
      backends,
      health: { ...(shipped['health'] as object), interval: '250ms', timeout: '150ms', fall: 2, rise: 2 },
      admin: { listen: `127.0.0.1:${adminPort}`, token: PAGE_TOKEN },
    });
    const base = `http://127.0.0.1:${adminPort}`;

    const page = await launch();
    // As if the operator had entered the token once (the second test covers entering it).
    await page.addInitScript((t) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('siplb-admin-token', t), PAGE_TOKEN);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(`${base}/`);
    const healthOf = (id: string): Promise<string | null> => page.locator(`#backends tr[data-backend="${id}"] .health`).textContent();
    await page.waitForFunction(rowCount, 3, { timeout: 5000 });
    expect(await page.locator('#backends tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-backend')))).toEqual(['gw1', 'gw2', 'gw3']);
    await waitFor('every backend up on the page', async () => (await Promise.all(['gw1', 'gw2', 'gw3'].map(healthOf))).every((h) => h === 'up'), 5000, 100);
    expect(await page.locator('#node-id').textContent()).not.toBe('');

    // A small bounded load: 20 calls/s of 3 s, 200 calls.
    const load = runUac({ target: `127.0.0.1:${sipPort}`, port: uacPort!, calls: 200, rate: 20, callLengthMs: 3000, extraArgs: ['-recv_timeout', '4000'] });
    await waitFor('calls on gw2', async () => (await api<BackendView[]>(base, '/backends')).find((b) => b.id === 'gw2')!.activeCalls >= 5, 8000, 100);

    const killedAt = Date.now();
    process.kill(uas[1]!.pid, 'SIGKILL');
    await page.waitForFunction(textIs, ['#backends tr[data-backend="gw2"] .health', 'down'] as const, { timeout: 5000, polling: 20 });
    const shownDownMs = Date.now() - killedAt;
    console.log(`status page showed gw2 down ${shownDownMs} ms after its sipp was killed`);
    expect(shownDownMs).toBeLessThanOrEqual(2000);
    // The transition is listed with its reason (a probe timeout, or under load a passive failure that came first).
    await page.waitForFunction(someTextIs, ['#transitions tbody tr[data-backend="gw2"] .change', 'failing → down'] as const, { timeout: 3000 });
    const reasons = await page.locator('#transitions tbody tr[data-backend="gw2"] .reason').allTextContents();
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    for (const r of reasons) expect(['probe-timeout', 'invite-timeout', 'status-503', 'failover']).toContain(r);

    // Drain by button; the page and the CLI agree.
    await page.locator('#backends tr[data-backend="gw2"] button[data-action="draining"]').click();
    await page.waitForFunction(textIs, ['#backends tr[data-backend="gw2"] .admin .badge', 'draining'] as const, { timeout: 3000 });
    expect(await page.locator('#backends tr[data-backend="gw2"] button[data-action="draining"]').isDisabled()).toBe(true);
    const cliOut = execFileSync(process.execPath, [CLI, 'backends', '--admin', `127.0.0.1:${adminPort}`, '--token', PAGE_TOKEN], { encoding: 'utf8' });
    const gw2Line = cliOut.split('\n').find((l) => l.startsWith('gw2 '));
    expect(gw2Line, cliOut).toMatch(/\bdown\s+draining\s+no\b/);
    await page.waitForFunction(someTextIs, ['#transitions tbody tr[data-backend="gw2"] .reason', 'operator'] as const, { timeout: 3000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Another origin tries: an HTML form (navigates to the API's answer) and fetch.
    const evil = await startAttacker(base);
    const evilPage = await page.context().newPage();
    const answers: { url: string; method: string; status: number }[] = [];
    evilPage.on('response', (r) => {
      if (r.url().startsWith(base)) answers.push({ url: r.url(), method: r.request().method(), status: r.status() });
    });
    await evilPage.goto(`${evil.base}/form`);
    await evilPage.waitForURL(`${base}/backends/gw1/state`, { timeout: 5000 });
    expect(await evilPage.locator('body').textContent()).toContain('SIPLB_ERR_ADMIN_FORBIDDEN');
    await evilPage.goto(`${evil.base}/fetch`);
    const attempts = (await evilPage.evaluate('window.attempts')) as Record<string, string>;
    expect(attempts.noCors).toBe('sent (opaque answer)');
    expect(attempts.cors).toMatch(/^failed/); // the preflight gets no CORS grant
    const posts = answers.filter((a) => a.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const a of posts) expect(a.status, a.url).toBe(403);

    const after = await api<BackendView[]>(base, '/backends');
    expect(after.map((b) => [b.id, b.admin])).toEqual([['gw1', 'enabled'], ['gw2', 'draining'], ['gw3', 'enabled']]);
    const activity = await api<ActivityView>(base, '/activity');
    expect(activity.transitions.filter((t) => t.kind === 'admin').map((t) => `${t.backend}:${t.to}`)).toEqual(['gw2:draining']);
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${PAGE_TOKEN}` } })).text();
    expect(metrics).not.toMatch(/siplb_admin_state_changes_total\{[^}]*backend="gw1"[^}]*\} [1-9]/);

    const res = await load;
    expect(res.created).toBe(200);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('with admin.token: asks for the token, keeps it in sessionStorage only, never in a URL or the log, and its buttons use it', async () => {
    const token = 'f3b9c2d8e1a7465b9c0d2e4f6a8b1c3d';
    const [sipPort, adminPort, ...deadPorts] = await freePorts(5);
    lb = await startSiplb({
      sip: { listen: `127.0.0.1:${sipPort}` },
      backends: deadPorts.map((p, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${p}` })),
      admin: { listen: `127.0.0.1:${adminPort}`, token },
    });
    const base = `http://127.0.0.1:${adminPort}`;
    const page = await launch();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(`${base}/`);
    await page.locator('#auth').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.locator('#error').textContent()).toContain('needs its admin token');

    await page.locator('#token').fill(token);
    await page.locator('#token-use').click();
    await page.waitForFunction(rowCount, 3, { timeout: 5000 });
    expect(await page.locator('#auth').isHidden()).toBe(true);
    const stored = await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('siplb-admin-token'));
    expect(stored).toBe(token);
    expect(await page.locator('#token').inputValue()).toBe('');

    await page.locator('#backends tr[data-backend="gw1"] button[data-action="draining"]').click();
    await page.waitForFunction(textIs, ['#backends tr[data-backend="gw1"] .admin .badge', 'draining'] as const, { timeout: 3000 });
    const gw1 = (await (await fetch(`${base}/backends`, { headers: { authorization: `Bearer ${token}` } })).json()) as BackendView[];
    expect(gw1[0]!.admin).toBe('draining');

    expect(page.url()).toBe(`${base}/`);
    expect(urls.length).toBeGreaterThan(4);
    for (const u of urls) expect(u).not.toContain(token);
    expect(lb.logs()).not.toContain(token);

    // Forget: back to asking.
    await page.locator('#token-forget').click();
    await page.locator('#auth').waitFor({ state: 'visible', timeout: 5000 });
  }, 60_000);
});
