import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../../src/runtime/node-version.js';

describe('Node.js version check', () => {
  it('accepts Node 24 and newer', () => {
    expect(nodeVersionProblem('24.0.0')).toBeNull();
    expect(nodeVersionProblem('v24.22.3')).toBeNull();
    expect(nodeVersionProblem('26.1.0')).toBeNull();
  });

  it('refuses older or unreadable versions with one line naming the version it needs', () => {
    for (const v of ['20.20.2', 'v22.12.0', '23.11.1', 'garbage']) {
      const p = nodeVersionProblem(v);
      expect(p).toContain(`needs Node.js ${MIN_NODE_MAJOR} LTS or newer`);
      expect(p).toContain(v);
      expect(p).not.toContain('\n');
    }
  });

  it('package.json engines names the same floor', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
  });

  it('the suite itself runs on the floor or newer', () => {
    expect(nodeVersionProblem(process.versions.node)).toBeNull();
  });
});

// The refusal must come from the built entry before any other module loads. On this machine kind
// the system Node is 20: run dist/cli/index.js with it. On a machine whose system Node is new
// enough, run it with the suite's Node made to report 20.20.2 before the entry loads.
const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
const systemVersion = systemNode ? execFileSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() : '';
const realOldNode = systemNode !== undefined && nodeVersionProblem(systemVersion) !== null;
const PRETEND_OLD = "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.20.2'})";

describe('the built CLI on an older Node', () => {
  it('prints the one-line refusal and exits 1 before loading anything else', () => {
    expect(existsSync('dist/cli/index.js'), 'dist/ is built (npm run build)').toBe(true);
    const [bin, pre, version] = realOldNode ? [systemNode!, [], systemVersion] : [process.execPath, ['--import', PRETEND_OLD], '20.20.2'];
    const r = spawnSync(bin, [...pre, 'dist/cli/index.js', 'start', '--config', 'config/siplb.yaml'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`siplb: needs Node.js ${MIN_NODE_MAJOR} LTS or newer, this is Node.js ${version} `);
  });
});
