// One charon-systemd daemon inside a test namespace, isolated from any other charon on the machine: its own
// strongswan.conf, a private mount namespace with a tmpfs /run, a vici socket and a log file in its own directory.
// kernel-libipsec (userspace ESP over a TUN device) comes before kernel-netlink because this kernel has no ESP.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecResult, readyOrUndone, run, stopChild, type TestNetwork } from './netns.js';

/** Plugins both roles need; the order puts kernel-libipsec ahead of kernel-netlink. */
const BASE_PLUGINS = [
  'random',
  'nonce',
  'openssl',
  'pem',
  'pkcs1',
  'pkcs8',
  'x509',
  'pubkey',
  'curve25519',
  'sha2',
  'hmac',
  'kdf',
  'kernel-libipsec',
  'kernel-netlink',
  'socket-default',
  'vici',
  'eap-identity',
  'eap-mschapv2',
  'eap-gtc',
];

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5000;
const SWANCTL_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 8192;

export interface CharonOptions {
  /** Working directory; receives strongswan.conf, swanctl/, charon.log and charon.vici. */
  dir: string;
  /** Plugins beyond BASE_PLUGINS. */
  extraPlugins?: string[];
  /** Extra strongswan.conf text inside `charon { plugins { … } }`. */
  pluginSettings?: string;
  /** Extra strongswan.conf text inside `charon { … }` (e.g. `tls { version_max = 1.3 }`). */
  charonSettings?: string;
  /** Files or directories mounted over host paths in charon's private mount namespace only. */
  bindMounts?: { source: string; target: string }[];
  /**
   * Log the CHILD_SAs' ESP keys (`chd = 4`: keymat_v2's "encryption initiator key" and the like), so a test can
   * build ESP the peer will authenticate. Off by default: level 4 logs far more than the keys.
   */
  logChildKeys?: boolean;
}

export class Charon {
  readonly dir: string;
  readonly swanctlDir: string;
  readonly #child: ChildProcess;
  readonly #env: NodeJS.ProcessEnv;
  #stderr = '';

  private constructor(dir: string, child: ChildProcess, env: NodeJS.ProcessEnv) {
    this.dir = dir;
    this.swanctlDir = join(dir, 'swanctl');
    this.#child = child;
    this.#env = env;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP);
    });
    child.stdout?.resume();
  }

  /** Writes strongswan.conf, starts charon in ns and waits until its vici socket answers. */
  static async start(net: TestNetwork, ns: string, options: CharonOptions): Promise<Charon> {
    const { dir } = options;
    await mkdir(join(dir, 'swanctl'), { recursive: true });
    const conf = join(dir, 'strongswan.conf');
    await writeFile(conf, strongswanConf(options));
    const env = { ...process.env, STRONGSWAN_CONF: conf, SWANCTL_DIR: join(dir, 'swanctl') };
    const mounts = options.bindMounts ?? [];
    // Positional arguments keep paths out of the shell text.
    const script = [
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      ...mounts.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}"`),
      'exec charon-systemd',
    ].join(' && ');
    const argv = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'charon'];
    for (const { source, target } of mounts) argv.push(source, target);
    const charon = new Charon(dir, net.spawn(ns, argv, { env }), env);
    await readyOrUndone(
      () => charon.#waitReady(),
      () => charon.stop(),
    );
    return charon;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get vici(): string {
    return `unix://${join(this.dir, 'charon.vici')}`;
  }

  /** Runs swanctl against this charon's vici socket (swanctl needs no namespace: the socket is a file). */
  swanctl(args: string[], timeoutMs = SWANCTL_TIMEOUT_MS): Promise<ExecResult> {
    return run(['swanctl', ...args, '--uri', this.vici], { env: this.#env, timeoutMs });
  }

  /** Like swanctl(), but throws with the output when swanctl fails. */
  async swanctlOk(args: string[]): Promise<string> {
    const result = await this.swanctl(args);
    if (result.code !== 0) {
      throw new Error(`swanctl ${args.join(' ')} failed (${result.code}): ${result.stdout}${result.stderr}`);
    }
    return result.stdout;
  }

  async log(): Promise<string> {
    try {
      return await readFile(join(this.dir, 'charon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM (charon deletes its SAs and exits), SIGKILL if it lingers. */
  stop(): Promise<void> {
    return stopChild(this.#child, STOP_GRACE_MS);
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        throw new Error(`charon exited during start-up: ${this.#stderr}\n${await this.log()}`);
      }
      const stats = await this.swanctl(['--stats'], 2000);
      if (stats.code === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`charon's vici socket did not answer: ${stats.stderr}${this.#stderr}\n${await this.log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function strongswanConf(options: CharonOptions): string {
  const plugins = [...BASE_PLUGINS, ...(options.extraPlugins ?? [])];
  return `# written by test/support/charon.ts
charon {
  load = ${plugins.join(' ')}
${options.charonSettings ?? ''}
  filelog {
    outpost {
      path = ${join(options.dir, 'charon.log')}
      time_format = %H:%M:%S
      ike_name = yes
      flush_line = yes
      # net >= 2 logs every ESP packet and halves throughput
      default = 1
      net = 1
      ike = 2
      cfg = 1
${options.logChildKeys ? '      chd = 4\n' : ''}    }
  }
  plugins {
    vici {
      socket = unix://${join(options.dir, 'charon.vici')}
    }
    openssl {
      # MD4 and DES for EAP-MSCHAPv2
      load_legacy = yes
    }
${options.pluginSettings ?? ''}
  }
}
charon-systemd {
  journal {
    default = -1
  }
}
`;
}
