import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { build } from '../../../src/app.js';
import { validateConfig } from '../../../src/config/validate.js';
import { captureLogger } from '../../helpers/capture-logger.js';

function sysctl(name: string): number {
  return Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());
}

describe('SIP socket buffers on a real kernel', () => {
  async function startWith(recv: number, send: number): Promise<Record<string, unknown>[]> {
    const v = validateConfig({
      sip: { listen: '127.0.0.1:0', recvBufferBytes: recv, sendBufferBytes: send },
      backends: [{ id: 'gw1', address: '127.0.0.1:9' }],
      health: { enabled: false },
      admin: { listen: '127.0.0.1:0' },
    });
    if (!v.ok) throw new Error(JSON.stringify(v.issues));
    const lines: Record<string, unknown>[] = [];
    const app = build(v.config, { logger: captureLogger(lines, 'info') });
    await app.start();
    await app.stop();
    return lines;
  }

  it('warns once at start, with the sysctl and the size to set, when the kernel caps them', async () => {
    const rmem = sysctl('rmem_max');
    const wmem = sysctl('wmem_max');
    // Past both caps (the config allows up to 256 MiB), so the kernel must cut the request.
    const asked = Math.min(268_435_456, Math.max(rmem, wmem) * 2 + 4096);
    const lines = await startWith(asked, asked);
    const warns = lines.filter((l) => l.level === 40 && String(l.msg).includes('capped by'));
    expect(warns.map((w) => w.sysctl)).toEqual(['net.core.rmem_max', 'net.core.wmem_max']);
    expect(warns[0]).toMatchObject({ asked, granted: rmem });
    expect(String(warns[0]!.msg)).toContain(`raise it to at least ${asked}`);
  });

  it('says nothing when the kernel grants what was asked', async () => {
    const lines = await startWith(65_536, 65_536);
    expect(lines.filter((l) => String(l.msg).includes('capped by'))).toEqual([]);
  });
});
