/**
 * @module test/helpers/fresh-dist
 * Tests that spawn the built CLI must run the code of the working tree, not whatever `dist/`
 * happens to hold. `ensureFreshDist()` hashes src/ (every file's path and bytes) and
 * tsconfig.build.json, and compares the hash with the one recorded in `dist/.src-hash` when the
 * tests last built; on a mismatch (or no record: built by hand, or never) it builds once with
 * `tsc -p tsconfig.build.json` and records the new hash. Content, not mtimes: a checkout or a
 * copy changes mtimes without changing code, and an edit within the same second may not.
 * A lock directory keeps two test processes from building at once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STAMP = path.join(REPO, 'dist/.src-hash');
const LOCK = path.join(REPO, 'dist/.build-lock');

/** Hash of every file under src/ (sorted paths) plus the build tsconfig. */
export function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        h.update(path.relative(REPO, p));
        h.update('\0');
        h.update(readFileSync(p));
        h.update('\0');
      }
    }
  };
  walk(path.join(REPO, 'src'));
  h.update(readFileSync(path.join(REPO, 'tsconfig.build.json')));
  return h.digest('hex');
}

function recorded(): string | undefined {
  return existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
}

/** Blocks for at most `ms` (a build in another test process holds the lock). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Makes sure dist/ was built from the current src/; builds it when not. Throws if the build fails. */
export function ensureFreshDist(): void {
  const want = sourceHash();
  if (recorded() === want && existsSync(path.join(REPO, 'dist/cli/index.js'))) return;
  mkdirSync(path.join(REPO, 'dist'), { recursive: true });
  // Another process may be building: wait for its lock (a build takes well under 2 minutes).
  let locked = false;
  for (let i = 0; i < 1200 && !locked; i++) {
    try {
      mkdirSync(LOCK);
      locked = true;
    } catch {
      sleepSync(100);
    }
  }
  if (!locked) throw new Error(`${LOCK} held for 2 minutes: remove it if no build is running`);
  try {
    if (recorded() === want) return; // the other process built this very source
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`dist/ is stale and the build failed:\n${r.stdout}${r.stderr}`);
    // The source may have changed during the build: record what was built only if it did not.
    if (sourceHash() === want) writeFileSync(STAMP, `${want}\n`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
