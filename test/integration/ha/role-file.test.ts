/**
 * @module test/integration/ha/role-file.test
 * The keepalived role file (real files in a temp dir) and the pure RoleState holder.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_WEIGHTS, RoleFileWriter, RoleState, roleWeight, writeRoleFile } from '../../../src/ha/index.js';
import type { RoleChange } from '../../../src/ha/index.js';

describe('role file for keepalived track_file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siplb-role-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one integer per role and leaves no temp files behind', async () => {
    const path = join(dir, 'role');
    await writeRoleFile(path, 'leader');
    expect(await readFile(path, 'utf8')).toBe('50\n');
    await writeRoleFile(path, 'follower');
    expect(await readFile(path, 'utf8')).toBe('0\n');
    await writeRoleFile(path, 'standalone', { ...DEFAULT_ROLE_WEIGHTS, standalone: 7 });
    expect(await readFile(path, 'utf8')).toBe('7\n');
    expect(await readdir(dir)).toEqual(['role']);
    expect(roleWeight('leader')).toBe(50);
  });

  it('applies queued writes in call order, so the file ends with the last role', async () => {
    const writer = new RoleFileWriter(join(dir, 'role'));
    const roles = ['leader', 'follower', 'leader', 'follower', 'leader'] as const;
    await Promise.all(roles.map((r) => writer.write(r)));
    expect(await readFile(writer.path, 'utf8')).toBe('50\n');
    expect(await readdir(dir)).toEqual(['role']);
  });

  it('fails with a SiplbError naming the path, and the writer carries on', async () => {
    const writer = new RoleFileWriter(join(dir, 'missing-dir', 'role'));
    await expect(writer.write('leader')).rejects.toMatchObject({ code: 'SIPLB_ERR_INTERNAL', message: expect.stringContaining('missing-dir') as unknown });
    const ok = new RoleFileWriter(join(dir, 'role'));
    await ok.write('follower');
    expect(await readFile(ok.path, 'utf8')).toBe('0\n');
  });
});

describe('RoleState', () => {
  it('reports each transition once and ignores a change to the same role', () => {
    const seen: RoleChange[] = [];
    const state = new RoleState('follower', (c) => seen.push(c));
    expect(state.setRole('follower', 'lost')).toBe(false);
    expect(state.setRole('leader', 'acquired', 5)).toBe(true);
    expect(state.setRole('leader', 'acquired', 6)).toBe(false);
    expect(state.setRole('follower', 'deadline', 5)).toBe(true);
    expect(seen).toEqual([
      { role: 'leader', previous: 'follower', reason: 'acquired', fencingToken: 5 },
      { role: 'follower', previous: 'leader', reason: 'deadline', fencingToken: 5 },
    ]);
    expect(state.role).toBe('follower');
    expect(state.transitions).toBe(2);
  });
});
