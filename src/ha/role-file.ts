/**
 * @module ha/role-file
 * Publishes the node's role to keepalived through a `track_file`, so the VIP follows the lease.
 *
 * keepalived reads one integer from a tracked file, at start and whenever inotify reports a
 * change. With a non-zero `weight` it adds value × weight to the VRRP priority; with weight 0 any
 * non-zero value means fault. siplb writes a weight per role (leader 50, follower 0 by default),
 * to be used with `weight 1`:
 *
 * ```
 * track_file siplb_role {
 *     file "/run/siplb/role"
 *     weight 1
 *     init_file 0 overwrite   # a fresh boot starts as follower
 * }
 * vrrp_instance VI_SIP { ... priority 100  track_file { siplb_role } }
 * ```
 *
 * keepalived keeps the last value of a file that stops changing, so a siplb that dies as leader
 * leaves "50" behind: pair the file with `track_process` (or a vrrp_script) on siplb, and have
 * the app write the follower weight at start and on stop.
 *
 * Each write goes to a temporary file in the same directory, is fsynced, and is renamed over the
 * target, so keepalived never reads a half-written number. Writes through one
 * `RoleFileWriter` happen in call order, so the file ends with the last role written.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { SiplbError } from '../errors.js';
import type { Role } from './role.js';

export type RoleWeights = Readonly<Record<Role, number>>;

/**
 * A standalone node serves traffic on its own, like a leader, so it gets the leader's weight.
 */
export const DEFAULT_ROLE_WEIGHTS: RoleWeights = Object.freeze({ leader: 50, follower: 0, standalone: 50 });

export function roleWeight(role: Role, weights: RoleWeights = DEFAULT_ROLE_WEIGHTS): number {
  return weights[role];
}

/** Atomically replaces `path` with the weight of `role` followed by a newline. */
export async function writeRoleFile(path: string, role: Role, weights: RoleWeights = DEFAULT_ROLE_WEIGHTS): Promise<void> {
  const weight = roleWeight(role, weights);
  if (!Number.isSafeInteger(weight)) {
    throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', `role file weight for "${role}" must be an integer, got ${String(weight)}`);
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(`${weight}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new SiplbError('SIPLB_ERR_INTERNAL', `could not write the keepalived role file "${path}": ${detail}`, { cause });
  }
}

/** Serializes writes to one role file. */
export class RoleFileWriter {
  readonly path: string;
  readonly #weights: RoleWeights;
  #chain: Promise<void> = Promise.resolve();

  constructor(path: string, weights: RoleWeights = DEFAULT_ROLE_WEIGHTS) {
    this.path = path;
    this.#weights = weights;
  }

  /** Queues a write of `role`; the returned promise settles when that write did. */
  write(role: Role): Promise<void> {
    const done = this.#chain.then(() => writeRoleFile(this.path, role, this.#weights));
    this.#chain = done.catch(() => undefined);
    return done;
  }
}
