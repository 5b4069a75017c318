/**
 * @module cli/commands/status
 * `siplb status`: one screen on the node: role, uptime, addresses, backend and call counts, and
 * the drop/reject tallies an operator checks first when calls fail, and whether it sheds load.
 */
import type { BalanceView, ConnectionsView, DnsNameView, FlowView, OverloadView, SecurityView, StatusView } from '../../api/control.js';
import { EXIT } from '../exit-codes.js';
import type { AdminCommandContext } from './context.js';
import { formatPairs } from '../table.js';

export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

function tally(t: Readonly<Record<string, number>>): string {
  const parts = Object.entries(t).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`);
  return parts.length === 0 ? 'none' : parts.join(' ');
}

/** One line on overload control: shedding or not, and the readings behind it. */
export function formatOverload(o: OverloadView): string {
  if (!o.enabled) return 'off';
  const loop = `loop ${Math.round(o.utilization * 100)} %`;
  const drops = `kernel drops ${o.kernelDrops}`;
  if (o.shedding) return `SHEDDING: admitting ${Math.round(o.admitFraction * 100)} % of new calls, queue delay ${o.queueDelayMs} ms, ${loop}, ${drops}`;
  return `admitting all${o.saturated ? ', saturated' : ''} (${loop}), ${drops}`;
}

const list = (xs: readonly (number | string)[]): string => (xs.length === 0 ? 'off' : xs.join(', '));

/** The hash keys on one line: the single key, or `register=to-user registered=… other=…`. */
export function formatHashKeys(b: BalanceView): string {
  const k = b.hashKeys;
  const keys = k.register === k.other && k.registered === k.other ? k.other : `register=${k.register} registered=${k.registered} other=${k.other}`;
  return b.mode === 'hash' ? keys : `${keys} (unused in mode ${b.mode})`;
}

/** Abuse protection on one line: settings and refusals by reason. */
export function formatSecurity(v: SecurityView): string {
  const trusted = v.trustedSources === 0 ? 'every source' : `${v.trustedSources} trusted block(s), others ${v.untrusted === 'reject' ? '403' : 'dropped'}`;
  const limit = v.rateLimit.enabled ? `limit ${v.rateLimit.perSecond}/s burst ${v.rateLimit.burst}, block ${v.rateLimit.blockForSeconds}s` : 'no rate limit';
  const scanners = v.scannerSignatures === 0 ? 'scanner signatures off' : `${v.scannerSignatures} scanner signatures`;
  return `${trusted}; ${limit}; ${scanners}; refused: ${tally(v.refused)}`;
}

/** The top offenders, one per line: address, refused count, last reason, block left. */
export function formatOffenders(v: SecurityView): string[] {
  if (v.topOffenders.length === 0) return ['none'];
  return v.topOffenders.map(
    (o) => `${o.address} ${o.refused} refused (last: ${o.lastReason}, ${o.lastSeenSecondsAgo}s ago)${o.blockedSeconds > 0 ? `, blocked ${o.blockedSeconds}s more` : ''}`,
  );
}

/** One line per DNS name: where the DNS-derived backends came from and how fresh the answer is. */
function formatDns(names: readonly DnsNameView[]): [string, string][] {
  return names.map((n, i): [string, string] => {
    const ttl = n.ttlSeconds === null ? '' : `, ttl ${n.ttlSeconds}s (next in ${n.refreshSeconds ?? '-'}s)`;
    const err = n.lastError === null ? '' : `, error: ${n.lastError}`;
    return [i === 0 ? 'dns' : '', `${n.kind} ${n.name}: ${n.state}, ${n.members.length} members${ttl}, refreshed ${n.lastRefresh ?? 'never'}${err}`];
  });
}

/** TCP, TLS and WebSocket connections: open now by transport and direction, then totals since start. */
function formatConnections(c: ConnectionsView): string {
  const open = Object.entries(c.open).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const closed = Object.entries(c.closed).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const refused = Object.values(c.refused).reduce((a, b) => a + b, 0);
  return `${open.length === 0 ? 'none open' : `open ${open.join(', ')}`}; accepted ${c.accepted}, refused ${refused}${closed.length === 0 ? '' : `; closed ${closed.join(', ')}`}`;
}

/** Flow tokens: who we are, then what the token routing did since start. */
function formatFlows(f: FlowView): string {
  const by = (t: Readonly<Record<string, number>>): string => {
    const parts = Object.entries(t).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
    return parts.length === 0 ? '0' : parts.join(', ');
  };
  return `node ${f.nodeId}, keys ${f.keyIds.join(',')} (signing ${f.signingKeyId}); paths ${f.pathsAdded}, delivered ${f.delivered}, relayed ${f.relayed}, 403 ${by(f.rejected)}, 430 ${by(f.failed)}`;
}

export function formatStatus(s: StatusView): string {
  const security: [string, string][] =
    s.security === undefined ? [] : [['security', formatSecurity(s.security)], ...formatOffenders(s.security).map((line, i): [string, string] => [i === 0 ? 'offender' : '', line])];
  return formatPairs([
    ['node', `${s.nodeId} (${s.role})`],
    ['version', s.version],
    ['runtime', `Node.js ${s.runtime.node} (V8 ${s.runtime.v8}, ${s.runtime.platform}/${s.runtime.arch}), pid ${s.runtime.pid}`],
    ['udp', s.udpEngine === 'native' ? 'native accelerator (recvmmsg/sendmmsg)' : 'node:dgram'],
    ['uptime', formatDuration(s.uptimeSeconds)],
    ['listen', s.advertise === s.listen ? s.listen : `${s.listen} (advertise ${s.advertise})`],
    ['mode', s.mode],
    ['hash key', formatHashKeys(s.balance)],
    ['failover', s.balance.failoverOn.length === 0 ? 'off' : `on ${list(s.balance.failoverOn)}${s.balance.failoverRelayed ? ', relayed responses too' : ', only responses the backend generated'} (up to ${s.balance.failoverMaxAttempts} backends)${s.balance.failoverMethods.length > 0 ? `; INVITE, ${s.balance.failoverMethods.join(', ')}` : '; INVITE only'}`],
    ['failback', s.balance.failback === 'hold-registrations' ? 'hold registrations (devices stay on the backend holding their registration)' : 'immediate'],
    ['blame', `${list(s.balance.blameOn)}${s.balance.blameRelayed ? ', relayed responses too' : ', only responses the backend generated'}`],
    ['config', s.configFile ?? '-'],
    ['backends', `${s.backends.total} total, ${s.backends.eligible} eligible, ${s.backends.up} up, ${s.backends.down} down`],
    ...formatDns(s.dns ?? []),
    ['streams', formatConnections(s.connections)],
    ...(s.flows === undefined ? [] : [['flows', formatFlows(s.flows)] as [string, string]]),
    ['calls', `${s.calls.active} active`],
    ['dropped', tally(s.counters.dropped)],
    ['rejected', tally(s.counters.rejected)],
    ['overload', formatOverload(s.overload)],
    ...security,
  ]);
}

export async function runStatus(ctx: AdminCommandContext): Promise<number> {
  const s = await ctx.client.status();
  ctx.io.out(ctx.json ? `${JSON.stringify(s)}\n` : formatStatus(s));
  return EXIT.OK;
}
