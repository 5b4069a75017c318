/** RoleState (ha/role.ts): the one place the HA role changes; listeners see transitions only. */
import { describe, expect, it } from 'vitest';
import { RoleState, type RoleChange } from '../../../src/ha/role.js';

describe('RoleState', () => {
  it('reports each transition once, with the previous role, reason and token, and counts them', () => {
    const seen: RoleChange[] = [];
    const s = new RoleState('follower', (c) => void seen.push(c));
    expect(s.role).toBe('follower');
    expect(s.setRole('leader', 'acquired', 7)).toBe(true);
    expect(s.setRole('leader', 'acquired', 8)).toBe(false); // no change: not reported
    expect(s.setRole('follower', 'lost')).toBe(true);
    expect(s.role).toBe('follower');
    expect(s.transitions).toBe(2);
    expect(seen).toEqual([
      { role: 'leader', previous: 'follower', reason: 'acquired', fencingToken: 7 },
      { role: 'follower', previous: 'leader', reason: 'lost', fencingToken: undefined },
    ]);
  });
});
