/**
 * @module cli/commands/check-config
 * `siplb check-config FILE`: prints every problem with its key path, the reason and the fix, and
 * exits 2; prints a one-line summary and exits 0 when the file is valid.
 */
import { formatIssues } from '../../config/errors.js';
import { formatListen } from '../../config/address.js';
import { loadConfigFile } from '../../config/load.js';
import type { CliIo } from '../io.js';

export async function runCheckConfig(file: string, opts: { json: boolean }, io: CliIo): Promise<number> {
  const r = await loadConfigFile(file);
  if (opts.json) {
    io.out(`${JSON.stringify(r.ok ? { ok: true, backends: r.config.backends.length } : { ok: false, issues: r.issues })}\n`);
    return r.ok ? 0 : 2;
  }
  if (!r.ok) {
    io.err(`${formatIssues(file, r.issues)}\n`);
    io.err(`${file}: ${r.issues.length} problem(s)\n`);
    return 2;
  }
  const c = r.config;
  io.out(
    `${file}: ok — listen ${c.sip.listen.map(formatListen).join(' ')}, ${c.backends.length} backend(s), mode ${c.balance.mode}, ` +
      `${c.ha.redis ? 'HA via Redis' : 'standalone'}\n`,
  );
  return 0;
}
