/**
 * @module app/admission-wiring
 * Builds overload control over the UDP socket's receive queue (observe/admission.ts), and says
 * once at start when the kernel capped the socket buffers it relies on.
 */
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Admission, type AdmissionReading, type AdmissionState } from '../observe/admission.js';
import type { UdpEndpoint } from '../transport/udp-endpoint.js';

export function buildAdmission(config: Config, udp: UdpEndpoint, log: Logger, now?: () => number): Admission {
  return new Admission({
    now,
    enabled: config.overload.enabled,
    maxUtilization: config.overload.maxUtilization,
    maxQueueDelayMs: config.overload.maxQueueDelay,
    port: udp.address?.port ?? config.sip.listen[0]!.port,
    backlogMs: () => udp.takeBacklogMs(),
    watchBacklog: (on) => udp.watchBacklog(on),
    queueLimitBytes: () => udp.recvBufferBytes,
    onChange: (shedding, st) => {
      const fields = {
        admitFraction: Math.round(st.admitFraction * 100) / 100,
        utilization: Math.round(st.utilization * 100) / 100,
        queueDelayMs: Math.round(st.queueDelayMs),
        kernelDrops: st.kernelDrops,
      };
      if (shedding) log.warn(fields, 'overloaded: shedding new calls with 503');
      else log.info(fields, 'load back to normal: admitting every new call');
    },
    onWindow: log.isLevelEnabled('trace') ? traceAdmissionWindow(log) : undefined,
  });
}

/** Trace logging of every admission window, with the CPU time the process got in it. */
function traceAdmissionWindow(log: Logger): (r: AdmissionReading, st: AdmissionState) => void {
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  return (r, st) => {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const cpuShare = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / Math.max(1, at - lastAt);
    lastCpu = cpu;
    lastAt = at;
    log.trace({ ...r, admitFraction: st.admitFraction, cpuShare: Math.round(cpuShare * 100) / 100 }, 'admission window');
  };
}

/**
 * Linux grants twice the SO_RCVBUF/SO_SNDBUF asked for (half is its own bookkeeping) but caps the
 * request at net.core.rmem_max/wmem_max — 208 KiB on a stock kernel, a few hundred datagrams. A
 * capped receive queue overflows in a burst (silent loss) and makes overload control shed early
 * (it sheds at half full), so say so once at start, with the fix.
 */
export function warnIfBuffersCapped(log: Logger, config: Config, transport: UdpEndpoint): void {
  const check = (what: string, asked: number, granted: number | undefined, sysctl: string): void => {
    if (granted === undefined || granted / 2 >= asked) return;
    log.warn(
      { asked, granted: Math.floor(granted / 2), sysctl },
      `${what} capped by ${sysctl}: raise it to at least ${asked} (deploy/sysctl/99-siplb.conf) or bursts are lost in the kernel`,
    );
  };
  check('SIP socket receive buffer', config.sip.recvBufferBytes, transport.recvBufferBytes, 'net.core.rmem_max');
  check('SIP socket send buffer', config.sip.sendBufferBytes, transport.sendBufferBytes, 'net.core.wmem_max');
}
