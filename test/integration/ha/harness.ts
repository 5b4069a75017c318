/**
 * @module test/integration/ha/harness
 * Shared pieces of the HA integration tests: short lease timings, nodes whose role changes are
 * time-stamped, a split-brain watcher, a lease node in a child process, and polling waits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { LeaderElection } from '../../../src/ha/index.js';
import type { LeaderElectionOptions, Role, RoleChangeReason } from '../../../src/ha/index.js';
import type { SiplbError } from '../../../src/errors.js';

/** Short lease timings so the suite runs in seconds. Poll interval = renew interval. */
export const T = Object.freeze({ leaseTtlMs: 1000, renewIntervalMs: 250, commandTimeoutMs: 150 });
export const POLL_MS = T.renewIntervalMs;

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 5 ms until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<V>(probe: () => V | undefined | null | false, timeoutMs: number, what: string): Promise<V> {
  const until = now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export interface RoleEvent {
  readonly t: number;
  readonly role: Role;
  readonly reason: RoleChangeReason;
  readonly token: number | undefined;
}

export interface TestNode {
  readonly name: string;
  readonly node: LeaderElection;
  readonly events: RoleEvent[];
  readonly errors: SiplbError[];
  /** First event at or after `since` matching `role` (and `reason` when given). */
  next(role: Role, since: number, reason?: RoleChangeReason): RoleEvent | undefined;
}

/**
 * Builds test nodes on one key and watches them for split brain: on every acquisition it checks
 * that no other node still claims leadership, and a sampler does the same every 20 ms.
 */
export class Cluster {
  readonly nodes: TestNode[] = [];
  readonly violations: string[] = [];
  readonly key: string;
  #sampler: NodeJS.Timeout | undefined;

  constructor(key: string) {
    this.key = key;
  }

  add(name: string, redisUrl: string, extra: Partial<LeaderElectionOptions> = {}): TestNode {
    const node = new LeaderElection({ redisUrl, key: this.key, nodeId: name, ...T, ...extra });
    const events: RoleEvent[] = [];
    const errors: SiplbError[] = [];
    node.onRoleChange((role, change) => {
      events.push({ t: now(), role, reason: change.reason, token: change.fencingToken });
      if (role === 'leader') this.#check(`${name} acquired`);
    });
    node.onError((err) => errors.push(err));
    const tn: TestNode = {
      name,
      node,
      events,
      errors,
      next: (role, since, reason) => events.find((e) => e.t >= since && e.role === role && (!reason || e.reason === reason)),
    };
    this.nodes.push(tn);
    return tn;
  }

  leaders(): TestNode[] {
    return this.nodes.filter((n) => n.node.isLeader());
  }

  /** The one leader, or undefined when there is none (more than one is recorded as a violation). */
  leader(): TestNode | undefined {
    const l = this.leaders();
    return l.length === 1 ? l[0] : undefined;
  }

  startSampling(everyMs = 20): void {
    this.#sampler ??= setInterval(() => this.#check('sample'), everyMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#sampler);
    this.#sampler = undefined;
    await Promise.all(this.nodes.map((n) => n.node.stop()));
  }

  #check(when: string): void {
    const l = this.leaders();
    if (l.length > 1) this.violations.push(`${when} at ${now().toFixed(1)}: ${l.map((n) => n.name).join(' and ')} both claim leader`);
  }
}

/** A plain ioredis client for inspecting Redis from the test (default, forgiving options). */
export function adminClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 20, 200) });
  client.on('error', () => undefined); // reconnects while a test restarts or stops Redis
  return client;
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtureSource = fileURLToPath(new URL('./fixtures/lease-node.ts', import.meta.url));
let fixtureBuild: Promise<string> | undefined;
let fixtureDir: string | undefined;

/** Deletes the transpiled fixture (for afterAll). */
export async function removeFixtureBuild(): Promise<void> {
  await fixtureBuild?.catch(() => undefined);
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
  fixtureBuild = undefined;
  fixtureDir = undefined;
}

/**
 * The child runs plain JavaScript: siplb's sources import siblings as `./x.js`, which Node's own
 * type stripping does not map to `./x.ts`, and siplb's dist/ may be stale or mid-build. So the fixture and every module it reaches through relative imports (src/ha,
 * src/errors) are transpiled once per test process with the project's own `typescript`
 * (`transpileModule`: types stripped, no check; tsc checks these files) into a temp dir that
 * mirrors the repo layout, with a `node_modules` symlink for ioredis. Returns the entry path.
 */
function buildFixture(): Promise<string> {
  fixtureBuild ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'siplb-ha-fixture-'));
    fixtureDir = out;
    process.once('exit', () => rmSync(out, { recursive: true, force: true })); // if afterAll did not run
    await writeFile(join(out, 'package.json'), '{"type":"module"}\n');
    await symlink(join(repoRoot, 'node_modules'), join(out, 'node_modules'), 'dir');
    const queue = [fixtureSource];
    const seen = new Set<string>();
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      });
      const target = join(out, relative(repoRoot, file).replace(/\.ts$/, '.js'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
      for (const m of outputText.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
        const dep = resolve(dirname(file), `${m[1]}.ts`);
        if (existsSync(dep)) queue.push(dep);
      }
    }
    return join(out, relative(repoRoot, fixtureSource).replace(/\.ts$/, '.js'));
  })();
  return fixtureBuild;
}

export interface ChildNode {
  readonly pid: number;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<void>;
  /** Resolves with the first line matching `pred`. */
  waitLine(pred: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
}

const children = new Set<ChildProcess>();

/** Starts fixtures/lease-node.ts in its own Node process (see buildFixture). */
export async function spawnLeaseNode(options: LeaderElectionOptions): Promise<ChildNode> {
  const child = spawn(process.execPath, [await buildFixture(), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: Array<Record<string, unknown>> = [];
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      err += `${l}\n`;
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  return {
    pid: child.pid ?? -1,
    lines,
    exited,
    waitLine: (pred, timeoutMs, what) =>
      waitFor(() => lines.find(pred) ?? (child.exitCode !== null ? fail(`child exited: ${err}`) : undefined), timeoutMs, what),
    kill: (signal) => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
    },
    stderr: () => err,
  };
}

/** Kills every lease-node child still running (by PID); for afterEach/afterAll. */
export async function killChildren(): Promise<void> {
  const waits: Array<Promise<unknown>> = [];
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      waits.push(new Promise((r) => c.once('exit', r)));
      process.kill(c.pid, 'SIGKILL');
    }
  }
  await Promise.all(waits);
}

function fail(msg: string): never {
  throw new Error(msg);
}
