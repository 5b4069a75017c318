/**
 * The keepalived track_file (ha/role-file.ts): one integer per role, replaced atomically, writes
 * in call order; a failed write says which file and leaves no temporary file behind.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSiplbError } from '../../../src/errors.js';
import { DEFAULT_ROLE_WEIGHTS, RoleFileWriter, roleWeight, writeRoleFile } from '../../../src/ha/role-file.js';

let dir = '';
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'siplb-role-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('role file', () => {
  it('weighs leader and standalone 50, follower 0 by default (keepalived weight 1)', () => {
    expect(DEFAULT_ROLE_WEIGHTS).toEqual({ leader: 50, follower: 0, standalone: 50 });
    expect(roleWeight('follower')).toBe(0);
    expect(roleWeight('leader', { leader: 7, follower: 1, standalone: 3 })).toBe(7);
  });

  it('writes the weight and a newline, replacing the file, and leaves no temporary file', async () => {
    const path = join(dir, 'role');
    await writeRoleFile(path, 'leader');
    expect(await readFile(path, 'utf8')).toBe('50\n');
    await writeRoleFile(path, 'follower', { leader: 9, follower: 3, standalone: 9 });
    expect(await readFile(path, 'utf8')).toBe('3\n');
    expect(await readdir(dir)).toEqual(['role']);
  });

  it('refuses a weight that is not an integer', async () => {
    const err = await writeRoleFile(join(dir, 'role'), 'leader', { leader: 1.5, follower: 0, standalone: 0 }).catch((e: unknown) => e);
    expect(isSiplbError(err) && err.code === 'SIPLB_ERR_CONFIG_INVALID' && err.message).toBe('role file weight for "leader" must be an integer, got 1.5');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a write into a missing directory fails naming the file, and cleans up', async () => {
    const path = join(dir, 'missing', 'role');
    const err = await writeRoleFile(path, 'leader').catch((e: unknown) => e);
    expect(isSiplbError(err) && err.code).toBe('SIPLB_ERR_INTERNAL');
    expect((err as Error).message).toContain(`could not write the keepalived role file "${path}": ENOENT`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('RoleFileWriter writes in call order, so the file ends with the last role, and goes on after a failure', async () => {
    const w = new RoleFileWriter(join(dir, 'role'));
    expect(w.path).toBe(join(dir, 'role'));
    const writes = [w.write('leader'), w.write('follower'), w.write('leader'), w.write('follower')];
    await Promise.all(writes);
    expect(await readFile(w.path, 'utf8')).toBe('0\n');
    const bad = new RoleFileWriter(join(dir, 'nope', 'role'), { leader: 1, follower: 2, standalone: 3 });
    await expect(bad.write('leader')).rejects.toThrow(/could not write/);
    await expect(bad.write('follower')).rejects.toThrow(/could not write/); // the chain survives a failure
    const custom = new RoleFileWriter(join(dir, 'role2'), { leader: 1, follower: 2, standalone: 3 });
    await custom.write('standalone');
    expect(await readFile(join(dir, 'role2'), 'utf8')).toBe('3\n');
  });
});
