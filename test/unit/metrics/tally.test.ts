import { describe, expect, it } from 'vitest';
import { Tally2 } from '../../../src/metrics/tally.js';
import { STATUS_CLASSES, statusClass } from '../../../src/metrics/labels.js';

const drain = (t: Tally2): [string, string, number][] => {
  const out: [string, string, number][] = [];
  t.flush((a, b, n) => out.push([a, b, n]));
  return out;
};

describe('Tally2', () => {
  it('hands out the counts since the last flush, per pair, and nothing for pairs not counted since', () => {
    const t = new Tally2();
    t.add('INVITE', 'gw1');
    t.add('INVITE', 'gw1');
    t.add('BYE', 'gw2', 3);
    expect(drain(t)).toEqual([
      ['INVITE', 'gw1', 2],
      ['BYE', 'gw2', 3],
    ]);
    expect(drain(t)).toEqual([]);
    t.add('BYE', 'gw2');
    t.add('ACK', 'gw1');
    expect(drain(t)).toEqual([
      ['BYE', 'gw2', 1],
      ['ACK', 'gw1', 1],
    ]);
  });
});

describe('statusClass', () => {
  it('maps every code 100..699 to its class, anything else to other', () => {
    for (let s = 100; s <= 699; s++) expect(statusClass(s)).toBe(`${Math.floor(s / 100)}xx`);
    expect(statusClass(99)).toBe('other');
    expect(statusClass(700)).toBe('other');
    expect(STATUS_CLASSES).toContain(statusClass(503));
  });
});
