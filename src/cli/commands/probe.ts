/**
 * @module cli/commands/probe
 * `siplb probe <sip:host:port> [--timeout ms]`: one OPTIONS, then `200 OK in 0.42 ms from ...`.
 * Exit 0 on a 2xx, 1 on any other final reply (the server is alive but refuses OPTIONS; the
 * health checker would count it as failed unless okCodes allows it), 5 when nothing came back.
 */
import { hostPortText, type SipTargetArg } from '../address.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { sendOptionsProbe } from '../sip-probe.js';

export async function runProbe(target: SipTargetArg, opts: { timeoutMs: number; json: boolean; caFile?: string }, io: CliIo): Promise<number> {
  const uri =
    target.transport === 'tls' ? `sips:${hostPortText(target)}` : target.transport === 'tcp' ? `sip:${hostPortText(target)};transport=tcp` : `sip:${hostPortText(target)}`;
  let r: Awaited<ReturnType<typeof sendOptionsProbe>>;
  try {
    r = await sendOptionsProbe(target, { timeoutMs: opts.timeoutMs, caFile: opts.caFile });
  } catch (err) {
    // A refused connect or a failed TLS handshake: the server is not reachable over this transport.
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (opts.json) io.out(`${JSON.stringify({ target: uri, unreachable: true, reason })}\n`);
    else io.err(`${uri}: unreachable (${reason})\n`);
    return EXIT.PROBE_TIMEOUT;
  }
  if (r.kind === 'timeout') {
    if (opts.json) io.out(`${JSON.stringify({ target: uri, timeout: true, timeoutMs: opts.timeoutMs })}\n`);
    else io.err(`${uri}: no reply within ${opts.timeoutMs} ms\n`);
    return EXIT.PROBE_TIMEOUT;
  }
  const rttMs = Math.round(r.rttMs * 1000) / 1000;
  if (opts.json) io.out(`${JSON.stringify({ target: uri, code: r.status, reason: r.reason, rttMs, from: hostPortText(r.from) })}\n`);
  else io.out(`${r.status} ${r.reason} in ${rttMs.toFixed(3)} ms from ${hostPortText(r.from)} (${uri})\n`);
  return r.status >= 200 && r.status < 300 ? EXIT.OK : EXIT.RUNTIME;
}
