/**
 * Active-call tracking never leaks, end to end: real sipp peers, siplb built in-process so the
 * test can sample its per-backend active counts while calls come and go. A dialog counts from
 * the INVITE's 2xx until its BYE (RFC 3261 §15) or, when no BYE ever passes, until it is older
 * than dialogs.maxCallDuration; either way the counts must come back to exactly 0.
 *
 * Each sipp run names its Call-IDs (-cid_str) so the test can ask siplb about single calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { newInvitesTo, startInProcess, type InProcessSiplb, stopRig } from '../helpers/inproc.js';
import { runUac, sippAvailable, startUas, type UacResult, type Uas } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait.js';

const IDS = ['gw1', 'gw2', 'gw3'] as const;
/** dialogs.maxCallDuration for the test: long enough to outlast the calls that do send BYE. */
const MAX_CALL_MS = 5000;
/** app.ts expires dialogs on a one-second tick. */
const TICK_MS = 1000;
/** Event-loop and scheduling slack on a loaded 2-core machine (upper bounds only). */
const SLACK_MS = 3000;

interface Rig {
  lb: InProcessSiplb;
  lbPort: number;
  uacPorts: [number, number];
  uas: Uas[];
}

let rig: Rig | undefined;
afterEach(async () => {
  await stopRig(rig);
  rig = undefined;
});

async function setup(): Promise<Rig> {
  const ports = await freePorts(3 + IDS.length);
  // This UAS ends a call quietly when its BYE does not come within 6 s.
  const uas = await Promise.all(IDS.map((_, i) => startUas({ port: ports[3 + i]!, scenario: 'uas-bye-timeout.xml' })));
  const lb = await startInProcess({
    sip: { listen: `127.0.0.1:${ports[0]}` },
    backends: uas.map((u, i) => ({ id: IDS[i], address: `127.0.0.1:${u.port}` })),
    // Round-robin makes each backend's share exact; nothing else may move a call.
    balance: { mode: 'round-robin' },
    dialogs: { maxCallDuration: MAX_CALL_MS },
    health: { enabled: false },
    passive: { enabled: false },
    failover: { enabled: false },
  });
  rig = { lb, lbPort: ports[0]!, uacPorts: [ports[1]!, ports[2]!], uas };
  return rig;
}

function expectCleanRun(res: UacResult, calls: number): void {
  expect(res.errors).toBe('');
  expect(res.failed).toBe(0);
  expect(res.successful).toBe(calls);
  expect(res.exitCode).toBe(0);
}

interface Sample {
  readonly at: number;
  readonly active: readonly number[];
  readonly total: number;
  /** BYE-less calls still counted. */
  readonly noBye: number;
}

/** Column total of a UAS count whose name matches `re`. */
function countOf(uas: Uas, re: RegExp): number {
  return Object.entries(uas.counts())
    .filter(([k]) => re.test(k))
    .reduce((n, [, v]) => n + v, 0);
}

describe.skipIf(!sippAvailable())('dialog tracking with real sipp peers', () => {
  it('counts calls per backend while they are up, ends them on BYE, expires BYE-less calls after maxCallDuration, and ends at exactly 0', async () => {
    const NO_BYE = 21; // a multiple of 3: round-robin gives each backend 7
    const WITH_BYE = 30;
    const r = await setup();
    const { dialogs } = r.lb.app;
    const target = `127.0.0.1:${r.lbPort}`;

    const samples: Sample[] = [];
    const noByeIds = Array.from({ length: NO_BYE }, (_, i) => `nobye-${i + 1}@127.0.0.1`);
    const sample = (): void =>
      void samples.push({
        at: performance.now(),
        active: IDS.map((id) => dialogs.active(id)),
        total: dialogs.total,
        noBye: noByeIds.filter((id) => dialogs.load.backendOf(id) !== undefined).length,
      });
    const sampler = setInterval(sample, 10);
    try {
      // Phase 1: calls that stop after their ACK and never send BYE.
      const noByeStart = performance.now();
      const noByeRun = runUac({
        target, port: r.uacPorts[0], calls: NO_BYE, rate: 30, scenario: 'uac-no-bye.xml', extraArgs: ['-cid_str', 'nobye-%u@%s'],
      });
      await waitFor(`${NO_BYE} BYE-less calls established`, () => dialogs.total === NO_BYE, 10_000, 10);
      const noByeEstablishedAt = performance.now();
      const noByeInvites = r.lb.forwarded.filter((f) => f.method === 'INVITE' && f.via === 'new' && f.at > noByeStart);
      expect(noByeInvites).toHaveLength(NO_BYE);
      const firstNoByeAt = noByeInvites[0]!.at;
      const lastNoByeAt = noByeInvites[noByeInvites.length - 1]!.at;
      const noByeShare = IDS.map((id) => newInvitesTo(r.lb.forwarded, id, noByeStart));
      expect(noByeShare).toEqual([7, 7, 7]);
      expect(IDS.map((id) => dialogs.active(id))).toEqual(noByeShare);

      // Phase 2: normal calls held 1 s, ended by BYE, on top of the BYE-less ones.
      const byeStart = performance.now();
      const byeRun = await runUac({
        target, port: r.uacPorts[1], calls: WITH_BYE, rate: 30, callLengthMs: 1000, extraArgs: ['-cid_str', 'bye-%u@%s'],
      });
      const byeEnd = performance.now();
      expectCleanRun(byeRun, WITH_BYE);
      const byeShare = IDS.map((id) => newInvitesTo(r.lb.forwarded, id, byeStart, byeEnd));
      expect(byeShare.reduce((a, b) => a + b, 0)).toBe(WITH_BYE);
      // While they were up, every backend carried more than its BYE-less calls.
      const during = samples.filter((s) => s.at > byeStart && s.at <= byeEnd);
      const peak = IDS.map((_, i) => Math.max(...during.map((s) => s.active[i]!)));
      IDS.forEach((_, i) => expect(peak[i]).toBeGreaterThan(noByeShare[i]!));
      // Their BYE passed siplb before its 200 OK reached the UAC: none of them is counted now.
      for (let n = 1; n <= WITH_BYE; n++) expect(dialogs.load.backendOf(`bye-${n}@127.0.0.1`)).toBeUndefined();
      // The BYE-less calls cannot expire before maxCallDuration has passed since their first
      // INVITE: checked on every sample of that window (however slow the run, the window holds
      // the samples taken since they were established), not only when the run was fast enough.
      const early = samples.filter((s) => s.at >= noByeEstablishedAt && s.at < firstNoByeAt + MAX_CALL_MS);
      expect(early.length).toBeGreaterThan(0);
      for (const s of early) expect(s.noBye).toBe(NO_BYE);
      console.log(
        `dialogs: BYE-less ${noByeShare.join('/')}, with BYE ${byeShare.join('/')}; peak active ${peak.join('/')}; ` +
          `after the BYEs ${IDS.map((id) => dialogs.active(id)).join('/')} (${(byeEnd - firstNoByeAt).toFixed(0)} ms after the first BYE-less INVITE)`,
      );
      expectCleanRun(await noByeRun, NO_BYE);

      // Phase 3: the BYE-less calls expire after maxCallDuration, and the counts reach exactly 0.
      const zeroAt = await waitFor('every dialog expired', () => (dialogs.total === 0 ? performance.now() : undefined), MAX_CALL_MS + TICK_MS + SLACK_MS, 10);
      sample();
      const firstDrop = samples.find((s) => s.at > byeEnd && s.total < NO_BYE)!;
      console.log(
        `dialogs: first expiry seen ${(firstDrop.at - firstNoByeAt).toFixed(0)} ms after the first BYE-less INVITE, ` +
          `all expired ${(zeroAt - lastNoByeAt).toFixed(0)} ms after the last (maxCallDuration ${MAX_CALL_MS} ms, tick ${TICK_MS} ms)`,
      );
      // Never early: a dialog is established after its INVITE was forwarded.
      expect(firstDrop.at).toBeGreaterThanOrEqual(firstNoByeAt + MAX_CALL_MS);
      expect(zeroAt - lastNoByeAt).toBeLessThanOrEqual(MAX_CALL_MS + TICK_MS + SLACK_MS);
      expect(IDS.map((id) => dialogs.active(id))).toEqual([0, 0, 0]);
      expect(dialogs.load.size).toBe(0);
    } finally {
      clearInterval(sampler);
    }

    // At every sample: no negative count, and the per-backend counts add up to the total.
    expect(samples.length).toBeGreaterThan(100);
    for (const s of samples) {
      for (const n of s.active) expect(n).toBeGreaterThanOrEqual(0);
      expect(s.active.reduce((a, b) => a + b, 0)).toBe(s.total);
    }

    // The backends saw every call with BYE end with BYE, and nothing unexpected.
    await Promise.all(r.uas.map((u) => u.stop()));
    for (const u of r.uas) expect(countOf(u, /_Unexp$/)).toBe(0);
    const byes = r.uas.map((u) => countOf(u, /^\d+_BYE_Recv$/));
    expect(byes.reduce((a, b) => a + b, 0)).toBe(WITH_BYE);
  });
});
