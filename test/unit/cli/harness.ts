/**
 * Runs the CLI in-process: captured stdout/stderr, a MockAgent for the admin API, a fixed env.
 */
import { MockAgent } from 'undici';
import { runCli } from '../../../src/cli/program.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export function mockAdmin(origin = 'http://127.0.0.1:8060'): { agent: MockAgent; pool: ReturnType<MockAgent['get']> } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return { agent, pool: agent.get(origin) };
}

export async function cli(argv: string[], opts: { agent?: MockAgent; env?: Record<string, string> } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { out: (t) => (out += t), err: (t) => (err += t), setExitCode: () => undefined },
    { dispatcher: opts.agent, env: opts.env ?? {} },
  );
  return { code, out, err };
}
