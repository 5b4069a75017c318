/**
 * @module cli/commands/backends
 * `siplb backends [list]` and `siplb backends enable|disable|drain <id>`. Drain stops new calls
 * and keeps running ones (RFC 3261 in-dialog requests still follow Record-Route); the output
 * says when the backend is drained, i.e. safe to stop.
 */
import type { AdminStateName, BackendView } from '../../api/control.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Column } from '../table.js';
import type { AdminCommandContext } from './context.js';

const COLUMNS: readonly Column<BackendView>[] = [
  { header: 'ID', value: (b) => b.id },
  { header: 'ADDRESS', value: (b) => b.address },
  { header: 'WEIGHT', value: (b) => String(b.weight), align: 'right' },
  { header: 'TIER', value: (b) => String(b.priority), align: 'right' },
  { header: 'HEALTH', value: (b) => b.health },
  { header: 'ADMIN', value: (b) => (b.admin === 'draining' && b.drained ? 'drained' : b.admin) },
  { header: 'ELIGIBLE', value: (b) => (b.eligible ? 'yes' : 'no') },
  { header: 'RTT', value: (b) => (b.lastRttMs === null ? '-' : `${b.lastRttMs.toFixed(2)}ms`), align: 'right' },
  { header: 'CALLS', value: (b) => String(b.activeCalls), align: 'right' },
  { header: 'PENDING', value: (b) => String(b.pendingInvites), align: 'right' },
  { header: 'SINCE', value: (b) => b.since },
  { header: 'REASON', value: (b) => b.reason },
];

export function formatBackends(list: readonly BackendView[]): string {
  return formatTable(COLUMNS, list);
}

export async function runBackendsList(ctx: AdminCommandContext): Promise<number> {
  const list = await ctx.client.backends();
  ctx.io.out(ctx.json ? `${JSON.stringify(list)}\n` : formatBackends(list));
  return EXIT.OK;
}

/** One line after a state change: what the backend does now. */
export function formatStateChange(b: BackendView): string {
  const calls = `${b.activeCalls} active call(s), ${b.pendingInvites} pending INVITE(s)`;
  const drain = b.admin !== 'draining' ? '' : b.drained ? ' (drained: safe to stop)' : ' (draining: wait for calls to end)';
  return `${b.id}: admin ${b.admin}${drain}; health ${b.health}, ${b.eligible ? 'eligible' : 'not eligible'} for new calls; ${calls}\n`;
}

export async function runSetState(ctx: AdminCommandContext, id: string, state: AdminStateName): Promise<number> {
  const b = await ctx.client.setAdminState(id, state);
  ctx.io.out(ctx.json ? `${JSON.stringify(b)}\n` : formatStateChange(b));
  return EXIT.OK;
}
