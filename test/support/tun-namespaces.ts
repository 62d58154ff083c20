// Two throwaway network namespaces for the TUN offload test and bench, and the agent they run in them
// (test/interop/tun-offload-agent.ts). Named <tag>-<pid>-<hex>-a|b; those of a run killed outright are swept by the
// next create().
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { processAlive, run, stopChild } from './netns.js';

const AGENT = join(import.meta.dirname, '..', 'interop', 'tun-offload-agent.ts');
const REPO = join(import.meta.dirname, '..', '..');

async function check(argv: string[]): Promise<string> {
  const result = await run(argv);
  assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export class TunNamespaces {
  readonly #children = new Set<ChildProcess>();

  private constructor(
    readonly near: string,
    readonly far: string,
  ) {}

  static async create(tag: string): Promise<TunNamespaces> {
    const pattern = new RegExp(`^${tag}-(\\d+)-[0-9a-f]+-[ab]$`);
    for (const line of (await check(['ip', 'netns', 'list'])).split('\n')) {
      const name = line.split(' ')[0] ?? '';
      const owner = pattern.exec(name)?.[1];
      if (owner !== undefined && !processAlive(Number(owner))) await run(['ip', 'netns', 'delete', name]);
    }
    const prefix = `${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const namespaces = new TunNamespaces(`${prefix}-a`, `${prefix}-b`);
    for (const ns of [namespaces.near, namespaces.far]) {
      await check(['ip', 'netns', 'add', ns]);
      await check(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    return namespaces;
  }

  /**
   * `ip netns exec NS node … tun-offload-agent.ts args`, dying with the test runner (pdeathsig); as the user and
   * group `asUser` instead of root when given.
   */
  spawnAgent(ns: string, args: string[], asUser?: number): ChildProcess {
    const user = asUser === undefined ? [] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups'];
    return this.spawn(ns, [...user, process.execPath, '--import', 'tsx', AGENT, ...args]);
  }

  /** `ip netns exec NS argv`, dying with the test runner (pdeathsig); stopped by destroy() if still running. */
  spawn(ns: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, 'setpriv', '--pdeathsig', 'KILL', ...argv], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Runs a command in `ns` to its end; its stdout, or an assertion error with its stderr. */
  exec(ns: string, argv: string[]): Promise<string> {
    return check(['ip', 'netns', 'exec', ns, ...argv]);
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.#children].map((child) => stopChild(child, 3000)));
    for (const ns of [this.near, this.far]) await run(['ip', 'netns', 'delete', ns]);
  }
}
