/**
 * @module cli/commands/leader
 * `siplb leader`: this node's HA role and fencing token. Exit 0 whatever the role: being a
 * follower is a state, not a failure (GET /ha/leader's 503 is for health checkers).
 */
import { EXIT } from '../exit-codes.js';
import type { AdminCommandContext } from './context.js';

export async function runLeader(ctx: AdminCommandContext): Promise<number> {
  const v = await ctx.client.leader();
  if (ctx.json) {
    ctx.io.out(`${JSON.stringify(v)}\n`);
    return EXIT.OK;
  }
  const token = v.fencingToken === null ? 'no fencing token' : `fencing token ${v.fencingToken}`;
  ctx.io.out(`${v.nodeId}: ${v.role}${v.isLeader || v.role === 'standalone' ? ' (serving)' : ''}; ${token}; ${v.leaderChanges} role change(s)\n`);
  return EXIT.OK;
}
