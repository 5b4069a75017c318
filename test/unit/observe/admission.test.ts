import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Admission, readKernelDrops } from '../../../src/observe/admission.js';

function admitted(a: Admission, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (a.admit()) k++;
  return k;
}

describe('Admission', () => {
  it('admits every call while the node keeps up', () => {
    const a = new Admission({ enabled: true, maxUtilization: 0.9, port: 0 });
    a.update(0.5, 0);
    expect(admitted(a, 1000)).toBe(1000);
  });

  it('does not count a short burst of high utilization, nor utilization during start-up grace', () => {
    const a = new Admission({ enabled: true, maxUtilization: 0.9, port: 0 });
    for (let i = 0; i < 3; i++) a.update(0.99, 0);
    a.update(0.5, 0);
    expect(a.state().admitFraction).toBe(1);
    for (let i = 0; i < 10; i++) a.update(0.99, 0, true);
    expect(a.state().admitFraction).toBe(1);
    expect(a.shedding).toBe(false);
  });

  it('shrinks the admitted share while saturated, down to 5 %, and reports the change once', () => {
    const changes: boolean[] = [];
    const a = new Admission({ enabled: true, maxUtilization: 0.9, port: 0, sustainWindows: 1, onChange: (s) => changes.push(s) });
    a.update(0.97, 0);
    expect(a.state().admitFraction).toBeCloseTo(0.7);
    // Floating-point accumulation may land one short of the exact share.
    expect(Math.abs(admitted(a, 1000) - 700)).toBeLessThanOrEqual(1);
    for (let i = 0; i < 20; i++) a.update(0.99, 0);
    expect(a.state().admitFraction).toBe(0.05);
    expect(Math.abs(admitted(a, 1000) - 50)).toBeLessThanOrEqual(1);
    expect(changes).toEqual([true]);
  });

  it('counts kernel receive-queue drops as saturation even at low utilization', () => {
    const a = new Admission({ enabled: true, maxUtilization: 0.9, port: 0 });
    a.update(0.3, 12);
    expect(a.state().admitFraction).toBeLessThan(1);
    expect(a.state().kernelDrops).toBe(12);
  });

  it('recovers by itself once the load drops', () => {
    const changes: boolean[] = [];
    const a = new Admission({ enabled: true, maxUtilization: 0.9, port: 0, sustainWindows: 1, onChange: (s) => changes.push(s) });
    for (let i = 0; i < 10; i++) a.update(1, 0);
    for (let i = 0; i < 10; i++) a.update(0.4, 0);
    expect(a.state().admitFraction).toBe(1);
    expect(admitted(a, 100)).toBe(100);
    expect(changes).toEqual([true, false]);
  });
});

describe.skipIf(!existsSync('/proc/net/udp'))('readKernelDrops', () => {
  it('finds the drop counter of a bound UDP socket', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    try {
      expect(readKernelDrops(s.address().port)).toBe(0);
    } finally {
      s.close();
    }
  });
  it('is undefined for a port nobody bound', () => {
    expect(readKernelDrops(1)).toBeUndefined();
  });
});
