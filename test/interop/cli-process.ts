/** Runs the real `outpost` command (bin/outpost.js) inside the client namespace and reads its JSON events. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { asUser, type TestUser } from '../support/users.js';

const BIN = fileURLToPath(new URL('../../bin/outpost.js', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where an ordinary user's `outpost` runs from: `code` is the repository bind-mounted inside that process's own
 * mount namespace (ip netns exec gives it one), so a checkout under a directory only root may enter (root's home, as
 * CI may use) is still readable; `dir` is open to everyone, for the helper's socket and files the user must read.
 */
export interface UserSpace {
  dir: string;
  code: string;
}

/** `argv` (relative to the repository) as `user` in the client namespace, with nothing but PATH and `env`. */
export function spawnAsUser(
  net: TestNetwork,
  space: UserSpace,
  user: TestUser,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const script = 'mount --bind "$0" "$1" && shift && exec "$@"';
  return net.spawn(net.clientNs, ['sh', '-c', script, REPOSITORY, space.code, ...asUser(user, argv)], {
    env: { PATH: process.env.PATH, ...env },
  });
}

/**
 * `connect` flags for an EAP login to one of the test gateway's certificate connections; `ca` overrides the CA the
 * gateway's certificate is checked with.
 */
export function loginArgs(
  gw: Gateway,
  options: { conn?: 'ecdsa' | 'rsa' | 'totp'; ca?: string; extra?: string[] } = {},
): string[] {
  const conn = options.conn ?? 'ecdsa';
  const ca = options.ca ?? (conn === 'rsa' ? gw.pki.rsaCaPem : gw.pki.ecdsaCaPem);
  const auth = conn === 'totp' ? 'eap-mschapv2+totp' : 'eap-mschapv2';
  const flags = ['--gateway', gw.address, '--gateway-id', gw.ids[conn], '--ca', ca, '--auth', auth];
  return [...flags, '--user', gw.user.name, ...(options.extra ?? [])];
}

function defaultStateDir(net: TestNetwork): string {
  return join(tmpdir(), `outpost-state-${net.clientNs}`);
}

export interface CliEvent {
  event: string;
  [key: string]: unknown;
}

export class OutpostProcess {
  readonly events: CliEvent[] = [];
  stderr = '';
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(private readonly child: ChildProcess) {
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as CliEvent);
        newline = buffer.indexOf('\n');
      }
      for (const w of this.waiters) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    this.exited.then(() => {
      for (const w of this.waiters) w();
    });
  }

  /** Each run records its network changes in its own directory, as parallel test runs must not share one. */
  static start(
    net: TestNetwork,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    stateDir = defaultStateDir(net),
  ): OutpostProcess {
    const argv = [process.execPath, BIN, 'connect', '--json', '--state-dir', stateDir, ...args];
    const child = net.spawn(net.clientNs, argv, {
      env: { PATH: process.env.PATH, ...env },
    });
    return new OutpostProcess(child);
  }

  /** `outpost connect` as an ordinary user, through the helper listening on `socket`. */
  static startAsUser(
    net: TestNetwork,
    space: UserSpace,
    user: TestUser,
    socket: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): OutpostProcess {
    const bin = join(space.code, 'bin', 'outpost.js');
    const argv = [process.execPath, bin, 'connect', '--json', '--helper', socket, ...args];
    return new OutpostProcess(spawnAsUser(net, space, user, argv, env));
  }

  /** Resolves with the first event named `name`, or with undefined when the process exits without it. */
  async waitFor(name: string, timeoutMs = 20_000): Promise<CliEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      const found = this.events.find((e) => e.event === name);
      if (found) return found;
      if (exited) return undefined;
      if (Date.now() > deadline) throw new Error(`no "${name}" event within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The newest event of this kind. */
  last(name: string): CliEvent | undefined {
    return this.events.findLast((e) => e.event === name);
  }

  /** Waits until an event satisfying `accept` arrives (stats come once a second). */
  async until(accept: (e: CliEvent) => boolean, timeoutMs = 20_000): Promise<CliEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(accept);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    this.child.kill(signal);
    return this.exitCode();
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }
}

/** Runs a connection that is expected to fail and returns its exit code and error event. */
export async function expectFailure(
  net: TestNetwork,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; error: CliEvent | undefined; stderr: string }> {
  const proc = OutpostProcess.start(net, args, env);
  const code = await proc.exitCode();
  return { code, error: proc.events.find((e) => e.event === 'error'), stderr: proc.stderr };
}
