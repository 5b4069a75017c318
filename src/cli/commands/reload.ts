/**
 * @module cli/commands/reload
 * `siplb reload`: the node re-reads its config file (same as SIGHUP). An invalid file is
 * refused by the node, which keeps running on the old one; we print every problem and exit 2,
 * the same code `check-config` uses for an invalid file.
 */
import { EXIT } from '../exit-codes.js';
import type { AdminCommandContext } from './context.js';

export async function runReload(ctx: AdminCommandContext): Promise<number> {
  const r = await ctx.client.reload();
  if (ctx.json) {
    ctx.io.out(`${JSON.stringify(r)}\n`);
    return r.ok ? EXIT.OK : EXIT.CONFIG;
  }
  if (!r.ok) {
    for (const i of r.issues) ctx.io.err(`${i.line === undefined ? '' : `line ${i.line}: `}${i.path}: ${i.reason} (fix: ${i.fix})\n`);
    ctx.io.err(`reload refused: ${r.issues.length} problem(s); the node keeps its running configuration\n`);
    return EXIT.CONFIG;
  }
  ctx.io.out(r.changes.length === 0 ? 'reload ok: no changes\n' : `reload ok: ${r.changes.length} change(s)\n${r.changes.map((c) => `  ${c}\n`).join('')}`);
  return EXIT.OK;
}
