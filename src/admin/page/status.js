// siplb status page. Plain browser JavaScript, no framework and no build step: it polls the
// admin API once a second (polling rather than server-sent events because EventSource cannot
// send an Authorization header, and the token must never go into a URL) and redraws the page.
// Every value from the API is put in the page as text (textContent), never as markup.
'use strict';

(() => {
  const POLL_MS = 1000;
  const RTT_WINDOW_MS = 5 * 60 * 1000;
  const TOKEN_KEY = 'siplb-admin-token';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /** @param {string} id */
  const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

  class AuthNeeded extends Error {}

  const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

  /** @param {boolean} json */
  function headers(json) {
    /** @type {Record<string, string>} */
    const h = { accept: 'application/json' };
    const t = token();
    if (t !== '') h.authorization = `Bearer ${t}`;
    if (json) h['content-type'] = 'application/json';
    return h;
  }

  /** GET an API path (relative, so the page also works behind a reverse proxy sub-path). */
  async function get(path, okStatuses = [200]) {
    const r = await fetch(path, { headers: headers(false), cache: 'no-store' });
    if (r.status === 401) throw new AuthNeeded();
    if (!okStatuses.includes(r.status)) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return r.json();
  }

  /**
   * Build an element: text children become text nodes, so API values are never parsed as HTML.
   * @param {string} tag @param {Record<string, string>} attrs @param {(Node | string)[]} children
   */
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  const badge = (value, cls = value) => el('span', { class: `badge ${cls}` }, value);

  function fact(name, value) {
    return el('div', {}, el('dt', {}, name), el('dd', {}, value));
  }

  function duration(seconds) {
    const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
    return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(seconds % 60)}s`;
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });

  /** Probe RTT of the last minutes as a small SVG line; timeouts as red ticks. */
  function rttChart(samples, nowMs) {
    const w = 160, h = 30;
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'rtt');
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const frame = document.createElementNS(SVG_NS, 'rect');
    frame.setAttribute('class', 'frame');
    frame.setAttribute('width', String(w));
    frame.setAttribute('height', String(h));
    svg.append(frame);
    const recent = samples.filter(([at]) => at >= nowMs - RTT_WINDOW_MS);
    const answered = recent.filter(([, ms]) => ms !== null);
    const max = Math.max(0.001, ...answered.map(([, ms]) => ms));
    // The axis spans the samples there are (at least 30 s, at most 5 min), so a young node's
    // first probes fill the chart instead of a sliver at its right edge.
    const span = Math.min(RTT_WINDOW_MS, Math.max(30_000, nowMs - (recent[0]?.[0] ?? nowMs)));
    const x = (at) => ((at - (nowMs - span)) / span) * w;
    const line = document.createElementNS(SVG_NS, 'polyline');
    line.setAttribute('points', answered.map(([at, ms]) => `${x(at).toFixed(1)},${(h - 2 - (ms / max) * (h - 4)).toFixed(1)}`).join(' '));
    svg.append(line);
    for (const [at] of recent.filter(([, ms]) => ms === null)) {
      const tick = document.createElementNS(SVG_NS, 'line');
      tick.setAttribute('class', 'timeout');
      tick.setAttribute('x1', x(at).toFixed(1));
      tick.setAttribute('x2', x(at).toFixed(1));
      tick.setAttribute('y1', '0');
      tick.setAttribute('y2', '8');
      svg.append(tick);
    }
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = `last ${Math.round(span / 1000)} s: ${answered.length} answered (max ${max.toFixed(2)} ms), ${recent.length - answered.length} timed out`;
    svg.append(title);
    return svg;
  }

  const ACTIONS = [
    { state: 'draining', label: 'Drain' },
    { state: 'disabled', label: 'Disable' },
    { state: 'enabled', label: 'Enable' },
  ];

  async function setState(id, state) {
    // Disabling stops even in-dialog requests: ask first. Draining and enabling are safe.
    if (state === 'disabled' && !window.confirm(`Disable ${id}? Its calls in progress get no more requests.`)) return;
    try {
      const r = await fetch(`backends/${encodeURIComponent(id)}/state`, {
        method: 'POST',
        headers: headers(true),
        body: JSON.stringify({ state }),
        cache: 'no-store',
      });
      if (r.status === 401) throw new AuthNeeded();
      if (!r.ok) {
        const body = await r.json().catch(() => null);
        throw new Error(body?.error?.message ?? `HTTP ${r.status}`);
      }
      showError(null);
    } catch (err) {
      handleError(err, `${id} → ${state}`, 'action');
    }
    void poll();
  }

  function renderBackends(backends, activity, nowMs) {
    const act = new Map(activity.backends.map((b) => [b.id, b]));
    const rows = backends.map((b) => {
      const a = act.get(b.id) ?? { callsPerSecond: 0, rtt: [] };
      const buttons = ACTIONS.map(({ state, label }) => {
        const btn = el('button', { type: 'button', 'data-action': state }, label);
        if (b.admin === state) btn.setAttribute('disabled', '');
        btn.addEventListener('click', () => void setState(b.id, state));
        return btn;
      });
      return el('tr', { 'data-backend': b.id },
        el('td', { class: 'id' }, b.id),
        el('td', {}, b.address),
        el('td', { class: 'num tier' }, String(b.priority)),
        el('td', { class: 'health' }, badge(b.health)),
        el('td', { class: 'admin' }, badge(b.admin), b.drained ? ' drained' : ''),
        el('td', { class: 'eligible' }, b.eligible ? badge('yes') : badge('no')),
        el('td', { class: 'num' }, a.callsPerSecond.toFixed(1)),
        el('td', { class: 'num active' }, String(b.activeCalls)),
        el('td', { class: 'num' }, String(b.pendingInvites)),
        el('td', { class: 'num' }, b.lastRttMs === null ? '–' : `${b.lastRttMs.toFixed(2)} ms`),
        el('td', {}, rttChart(a.rtt, nowMs)),
        el('td', {}, `${clock(b.since)} · ${b.reason}`),
        el('td', { class: 'actions' }, ...buttons));
    });
    byId('backends').querySelector('tbody')?.replaceChildren(...rows);
  }

  function renderTransitions(transitions) {
    const rows = [...transitions].reverse().map((t) =>
      el('tr', { 'data-backend': t.backend },
        el('td', {}, clock(t.at)),
        el('td', {}, t.backend),
        el('td', {}, t.kind),
        el('td', { class: 'change' }, badge(t.from), ' → ', badge(t.to)),
        el('td', { class: 'reason' }, t.reason)));
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No transitions since the node started.')));
    byId('transitions').querySelector('tbody')?.replaceChildren(...rows);
  }

  function renderSummary(status, leader) {
    byId('node-id').textContent = status.nodeId;
    const leaderText = status.role === 'standalone'
      ? 'this node (standalone)'
      : leader.isLeader ? `this node (fencing token ${leader.fencingToken ?? '–'})` : 'another node';
    byId('summary').replaceChildren(
      fact('Role', badge(status.role, status.role === 'follower' ? 'disabled' : 'up')),
      fact('Leader', leaderText),
      fact('Backends', `${status.backends.eligible} eligible / ${status.backends.up} up / ${status.backends.total}`),
      fact('Active calls', String(status.calls.active)),
      fact('Mode', status.mode),
      fact('SIP', status.udpEngine ? `${status.listen} (UDP on ${status.udpEngine})` : status.listen),
      fact('Uptime', duration(status.uptimeSeconds)),
      fact('Version', status.runtime ? `${status.version} on Node ${status.runtime.node}` : status.version));
    const o = status.overload;
    byId('overload').replaceChildren(
      fact('State', !o.enabled ? 'off' : o.shedding ? badge('shedding', 'down') : o.saturated ? badge('saturated', 'failing') : badge('normal', 'up')),
      fact('Admitted', `${Math.round(o.admitFraction * 100)} %`),
      fact('Queue delay', `${o.queueDelayMs} ms`),
      fact('Event loop', `${Math.round(o.utilization * 100)} %`),
      fact('Kernel drops', String(o.kernelDrops)));
  }

  /** Who put the banner up: an update's error clears with the next good update, an action's stays until the next action. */
  let errorFrom = /** @type {'update' | 'action' | null} */ (null);

  function showError(text, from = null) {
    const e = byId('error');
    e.hidden = text === null;
    e.textContent = text ?? '';
    errorFrom = text === null ? null : from;
  }

  function handleError(err, what, from) {
    if (err instanceof AuthNeeded) {
      byId('auth').hidden = false;
      showError(token() === '' ? 'This node needs its admin token.' : 'The admin token was refused.', 'update');
      return;
    }
    showError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, from);
  }

  let timer = 0;
  let polling = false;

  async function poll() {
    window.clearTimeout(timer);
    if (polling) return;
    polling = true;
    let again = true;
    try {
      const [status, backends, leader, activity] = await Promise.all([
        get('status'), get('backends'), get('ha/leader', [200, 503]), get('activity'),
      ]);
      const nowMs = Date.now();
      renderSummary(status, leader);
      renderBackends(backends, activity, nowMs);
      renderTransitions(activity.transitions);
      byId('updated').textContent = `Updated ${new Date(nowMs).toLocaleTimeString([], { hour12: false })}`;
      byId('auth').hidden = true;
      byId('token-forget').hidden = token() === '';
      if (errorFrom === 'update') showError(null);
    } catch (err) {
      handleError(err, 'Update', 'update');
      again = !(err instanceof AuthNeeded); // wait for a token instead of hammering with 401s
    } finally {
      polling = false;
    }
    if (again) timer = window.setTimeout(() => void poll(), POLL_MS);
  }

  function useToken() {
    const input = /** @type {HTMLInputElement} */ (byId('token'));
    const t = input.value.trim();
    input.value = '';
    if (t === '') return;
    sessionStorage.setItem(TOKEN_KEY, t);
    showError(null);
    void poll();
  }

  document.addEventListener('DOMContentLoaded', () => {
    byId('token-use').addEventListener('click', useToken);
    byId('token').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') useToken();
    });
    byId('token-forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      void poll();
    });
    void poll();
  });
})();
