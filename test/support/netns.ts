// Throwaway network namespaces for interop tests: client <-> gateway <-> lan host, all on documentation prefixes.
//
//   client ns                gateway ns                       lan ns
//   vgw 192.0.2.2/24  <-->   vcli 192.0.2.1/24
//   default via 192.0.2.1    vlan 198.51.100.1/24   <-->      vgw 198.51.100.10/24 (+ 198.51.100.53/24)
//                                                             route 203.0.113.0/24 via 198.51.100.1
// With { ipv6: true } (not with nat) the same links also carry IPv6, on 2001:db8::/32:
//   client vgw 2001:db8:1::2/64 <--> gateway vcli 2001:db8:1::1/64, vlan 2001:db8:3::1/64 <--> lan vgw 2001:db8:3::10/64
//   client default via 2001:db8:1::1; lan default via 2001:db8:3::1; the gateway forwards IPv6
// With { nat: true } a router namespace (nftables masquerade) sits between client and gateway:
//   client ns                  nat ns                                gateway ns
//   vnat 198.18.0.2/24  <-->   vcli 198.18.0.1/24, vgw 192.0.2.2/24  <-->  vcli 192.0.2.1/24
//   default via 198.18.0.1
//
// Every process the network starts is launched with a parent-death signal, so a test runner that is killed outright
// does not leave a charon behind; namespaces of such a run are swept by the next create().
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** 'pipe' (default): read stdout/stderr, or the child stalls once a pipe buffer fills. */
  stdio?: 'pipe' | 'inherit' | 'ignore';
}

const NAME_PATTERN = /^op-(\d+)-[0-9a-f]+-(cli|gw|lan|nat)$/;
const STOP_GRACE_MS = 3000;
/** What the client namespace resolves with before any VPN: a documentation address, never used. */
export const CLIENT_RESOLV_CONF = 'nameserver 192.0.2.53\n';
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
/** The router namespace's nftables table for setRouterUdpLoss. */
const LOSS_TABLE = 'outpost_loss';
/** Debian's python3 (.ci/run installs it), not a version manager's shim first on PATH, which costs 0.6 s a start. */
export const PYTHON3 = '/usr/bin/python3';

/** Waits for `ready`; when it fails, undoes what was started before rethrowing, so nothing half-made is left. */
export async function readyOrUndone(ready: () => Promise<void>, undo: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (error) {
    await undo();
    throw error;
  }
}

/** Runs a host command (not inside a namespace) and collects its output. */
export function run(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return collect(start(argv, options), options);
}

export interface NetworkOptions {
  /**
   * Put a NAT router (nftables masquerade) between client and gateway: the client sits on 198.18.0.0/24 behind
   * 198.18.0.1, and the gateway sees the router's 192.0.2.2.
   */
  nat?: boolean;
  /** IPv6 beside IPv4 on the client, gateway and LAN links (see the drawing above); not with `nat`. */
  ipv6?: boolean;
}

/** The IPv6 side of a network created with { ipv6: true }. */
export const IPV6 = {
  client: '2001:db8:1::2',
  gatewayOutside: '2001:db8:1::1',
  gatewayLan: '2001:db8:3::1',
  lanHost: '2001:db8:3::10',
} as const;

export class TestNetwork {
  readonly clientNs: string;
  readonly gatewayNs: string;
  readonly lanNs: string;
  /** The router namespace when the network has NAT. */
  readonly natNs: string | undefined;
  readonly #children = new Set<ChildProcess>();
  #destroyed = false;

  readonly #ipv6: boolean;

  private constructor(prefix: string, nat: boolean, ipv6: boolean) {
    this.#ipv6 = ipv6;
    this.clientNs = `${prefix}-cli`;
    this.gatewayNs = `${prefix}-gw`;
    this.lanNs = `${prefix}-lan`;
    this.natNs = nat ? `${prefix}-nat` : undefined;
  }

  /** The client's own address (behind the NAT router when there is one); another after moveClientAddress(). */
  get clientAddress(): string {
    return this.#movedTo ?? (this.natNs ? '198.18.0.2' : '192.0.2.2');
  }

  /** The address the gateway sees the client's packets come from: the client's own, or the NAT router's. */
  get clientPublicAddress(): string {
    return this.#movedTo ?? '192.0.2.2';
  }

  #movedTo: string | undefined;

  /**
   * The client moves to another network, as a laptop does: its address on the link to the gateway is removed, `to`
   * (another host of 192.0.2.0/24) added, and the default route, which went with the old address, added again.
   * Not behind the NAT router.
   */
  async moveClientAddress(to: string): Promise<void> {
    if (this.natNs) throw new Error('moveClientAddress is for a network without NAT');
    const host = /^192\.0\.2\.(\d{1,3})$/.exec(to)?.[1];
    if (host === undefined || Number(host) < 2 || Number(host) > 254 || to === this.clientAddress) {
      throw new Error(`${to} is not another client address in 192.0.2.0/24`);
    }
    const cli = this.clientNs;
    await ip(['-n', cli, 'addr', 'del', `${this.clientAddress}/24`, 'dev', 'vgw']);
    await ip(['-n', cli, 'addr', 'add', `${to}/24`, 'dev', 'vgw']);
    await ip(['-n', cli, 'route', 'replace', 'default', 'via', '192.0.2.1']);
    this.#movedTo = to;
  }

  static async create(options: NetworkOptions = {}): Promise<TestNetwork> {
    await sweepStaleNamespaces();
    if (options.nat && options.ipv6) throw new Error('a network with NAT has no IPv6');
    const prefix = `op-${process.pid}-${randomBytes(3).toString('hex')}`;
    const net = new TestNetwork(prefix, options.nat === true, options.ipv6 === true);
    liveNetworks.add(net);
    installExitHooks();
    await readyOrUndone(
      () => net.#build(),
      () => net.destroy(),
    );
    return net;
  }

  async #build(): Promise<void> {
    const { clientNs: cli, gatewayNs: gw, lanNs: lan, natNs: nat } = this;
    for (const ns of this.#namespaces()) await ip(['netns', 'add', ns]);
    if (nat) await this.#buildNat(nat);
    else await ip(['-n', cli, 'link', 'add', 'vgw', 'type', 'veth', 'peer', 'name', 'vcli', 'netns', gw]);
    await ip(['-n', gw, 'link', 'add', 'vlan', 'type', 'veth', 'peer', 'name', 'vgw', 'netns', lan]);
    const addresses: [string, string, string][] = [
      ...(nat ? [] : ([[cli, 'vgw', '192.0.2.2/24']] as [string, string, string][])),
      [gw, 'vcli', '192.0.2.1/24'],
      [gw, 'vlan', '198.51.100.1/24'],
      [lan, 'vgw', '198.51.100.10/24'],
      [lan, 'vgw', '198.51.100.53/24'],
    ];
    for (const [ns, dev, cidr] of addresses) await ip(['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
    for (const [ns, dev] of [
      [cli, 'lo'],
      ...(nat ? [] : ([[cli, 'vgw']] as const)),
      [gw, 'lo'],
      [gw, 'vcli'],
      [gw, 'vlan'],
      [lan, 'lo'],
      [lan, 'vgw'],
    ] as const) {
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
    await ip(['-n', lan, 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.1']);
    // a real client has a default route: a full-tunnel VPN keeps its gateway reachable through it
    await ip(['-n', cli, 'route', 'add', 'default', 'via', nat ? '198.18.0.1' : '192.0.2.1']);
    await this.#check(gw, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    if (this.#ipv6) await this.#buildIpv6();
    // `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf: a VPN client in the client
    // namespace then changes this file, never the host's
    mkdirSync(this.resolvConfDir, { recursive: true });
    writeFileSync(this.resolvConf, CLIENT_RESOLV_CONF);
  }

  /** IPv6 on the links #build made and brought up; nodad, so the addresses are usable at once. */
  async #buildIpv6(): Promise<void> {
    const { clientNs: cli, gatewayNs: gw, lanNs: lan } = this;
    for (const [ns, dev, address] of [
      [cli, 'vgw', IPV6.client],
      [gw, 'vcli', IPV6.gatewayOutside],
      [gw, 'vlan', IPV6.gatewayLan],
      [lan, 'vgw', IPV6.lanHost],
    ] as const) {
      await ip(['-n', ns, 'addr', 'add', `${address}/64`, 'dev', dev, 'nodad']);
    }
    await ip(['-n', cli, 'route', 'add', '::/0', 'via', IPV6.gatewayOutside]);
    await ip(['-n', lan, 'route', 'add', '::/0', 'via', IPV6.gatewayLan]);
    await this.#check(gw, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
  }

  /** The client namespace's own /etc/resolv.conf, as processes inside it see it. */
  get resolvConf(): string {
    return join(this.resolvConfDir, 'resolv.conf');
  }

  /**
   * Names the client namespace resolves through its own /etc/hosts (`ip netns exec` bind-mounts this file too, for
   * processes started after it exists), each to one or more documentation addresses (both families: dual stack).
   */
  setClientHosts(hosts: Record<string, string | string[]>): void {
    const lines = Object.entries(hosts).flatMap(([name, addresses]) =>
      [addresses].flat().map((address) => `${address} ${name}\n`),
    );
    writeFileSync(join(this.resolvConfDir, 'hosts'), `127.0.0.1 localhost\n${lines.join('')}`);
  }

  private get resolvConfDir(): string {
    return join('/etc/netns', this.clientNs);
  }

  /** client (198.18.0.2) — router (198.18.0.1 | 192.0.2.2, masquerading) — gateway (192.0.2.1) */
  async #buildNat(nat: string): Promise<void> {
    const { clientNs: cli, gatewayNs: gw } = this;
    await ip(['-n', cli, 'link', 'add', 'vnat', 'type', 'veth', 'peer', 'name', 'vcli', 'netns', nat]);
    await ip(['-n', nat, 'link', 'add', 'vgw', 'type', 'veth', 'peer', 'name', 'vcli', 'netns', gw]);
    for (const [ns, dev, cidr] of [
      [cli, 'vnat', '198.18.0.2/24'],
      [nat, 'vcli', '198.18.0.1/24'],
      [nat, 'vgw', '192.0.2.2/24'],
    ] as const) {
      await ip(['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
    await ip(['-n', nat, 'link', 'set', 'lo', 'up']);
    await this.#check(nat, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    await this.#loadMasquerade(nat);
  }

  /**
   * New mappings take outside ports from `from`-`to` (as a carrier-grade NAT or a rebooted home router might), so
   * a flow whose mapping expired comes back from another port; existing mappings keep theirs.
   */
  async setNatPorts(from: number, to: number): Promise<void> {
    const nat = this.#requireNat();
    await this.exec(nat, ['nft', 'delete', 'table', 'ip', 'nat']);
    await this.#loadMasquerade(nat, `oifname "vgw" meta l4proto udp masquerade to :${from}-${to}`);
  }

  /** The router's masquerade, `first` (a narrower rule) before the catch-all. */
  async #loadMasquerade(nat: string, first = ''): Promise<void> {
    const ruleset = `table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n  ${first}\n  oifname "vgw" masquerade\n }\n}\n`;
    const loaded = await this.exec(nat, ['nft', '-f', '-'], { input: ruleset });
    if (loaded.code !== 0) throw new Error(`nft in ${nat} failed: ${loaded.stderr.trim()}`);
  }

  /** The router's connection tracking table: which inside address and port each flow was mapped to outside. */
  async natMappings(): Promise<NatMapping[]> {
    const nat = this.#requireNat();
    const table = await this.exec(nat, ['cat', '/proc/net/nf_conntrack']);
    if (table.code !== 0) throw new Error(`reading conntrack in ${nat} failed: ${table.stderr.trim()}`);
    return table.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(parseConntrack);
  }

  /**
   * The router's UDP mapping lifetimes (Linux: 30 s until a reply is seen, then 120 s once the flow is assured),
   * applied from the next packet of each flow on; short ones let a test watch a mapping expire.
   */
  async setNatUdpTimeouts(timeouts: { unrepliedSeconds?: number; streamSeconds?: number }): Promise<void> {
    const nat = this.#requireNat();
    const settings = [
      ['net.netfilter.nf_conntrack_udp_timeout', timeouts.unrepliedSeconds],
      ['net.netfilter.nf_conntrack_udp_timeout_stream', timeouts.streamSeconds],
    ] as const;
    for (const [key, value] of settings) {
      if (value !== undefined) await this.#check(nat, ['sysctl', '-q', '-w', `${key}=${value}`]);
    }
  }

  /**
   * The router drops `percent` % of the UDP datagrams it forwards, in each direction, each one at random (nftables
   * numgen): a lossy path for IKE and ESP-in-UDP alike. 0 takes the loss away.
   */
  async setRouterUdpLoss(percent: number): Promise<void> {
    const nat = this.#requireNat();
    if (!Number.isInteger(percent) || percent < 0 || percent > 100)
      throw new Error(`not a loss percentage: ${percent}`);
    await this.exec(nat, ['nft', 'delete', 'table', 'inet', LOSS_TABLE]);
    if (percent === 0) return;
    const rule = `meta l4proto udp numgen random mod 100 < ${percent} counter drop`;
    const ruleset = `table inet ${LOSS_TABLE} {\n chain forward {\n  type filter hook forward priority 0;\n  ${rule}\n }\n}\n`;
    const loaded = await this.exec(nat, ['nft', '-f', '-'], { input: ruleset });
    if (loaded.code !== 0) throw new Error(`nft in ${nat} failed: ${loaded.stderr.trim()}`);
  }

  /** How many datagrams setRouterUdpLoss has dropped so far: proof that the path was lossy. */
  async routerUdpDrops(): Promise<number> {
    const listed = await this.exec(this.#requireNat(), ['nft', 'list', 'table', 'inet', LOSS_TABLE]);
    return Number(/counter packets (\d+)/.exec(listed.stdout)?.[1] ?? 0);
  }

  #requireNat(): string {
    if (!this.natNs) throw new Error('this network has no NAT router: create it with { nat: true }');
    return this.natNs;
  }

  async #check(ns: string, argv: string[]): Promise<void> {
    const result = await this.exec(ns, argv);
    if (result.code !== 0) throw new Error(`${argv.join(' ')} in ${ns} failed: ${result.stderr.trim()}`);
  }

  /** Runs argv inside ns and waits for it; a process still running after timeoutMs is killed (SIGKILL). */
  exec(ns: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return collect(this.spawn(ns, argv, options), options);
  }

  /** `ip netns exec ns argv…`: the returned process's PID is argv[0]'s own, since ip and setpriv exec in place. */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
    if (this.#destroyed) throw new Error(`network ${this.clientNs} is already destroyed`);
    const child = start(['ip', 'netns', 'exec', ns, 'setpriv', '--pdeathsig', 'TERM', ...argv], options);
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    child.once('error', () => this.#children.delete(child));
    return child;
  }

  /** Stops the processes this network started (SIGTERM, then SIGKILL), then deletes its namespaces. Idempotent. */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    await Promise.all([...this.#children].map((child) => stopChild(child, STOP_GRACE_MS)));
    for (const ns of this.#namespaces()) {
      if (await namespaceExists(ns)) await ip(['netns', 'delete', ns]);
    }
    rmSync(this.resolvConfDir, { recursive: true, force: true });
    liveNetworks.delete(this);
  }

  /** Last-resort cleanup from a process 'exit' hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    this.#destroyed = true;
    for (const child of this.#children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.#namespaces()) {
      try {
        execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
      } catch {
        // never created or already deleted
      }
    }
    rmSync(this.resolvConfDir, { recursive: true, force: true });
    liveNetworks.delete(this);
  }

  #namespaces(): string[] {
    return [this.clientNs, this.gatewayNs, this.lanNs, ...(this.natNs ? [this.natNs] : [])];
  }
}

export interface Endpoint {
  address: string;
  /** TCP/UDP only. */
  port?: number;
}

/** One flow through the NAT router. */
export interface NatMapping {
  protocol: string;
  /** The client's address and port as it sent the flow. */
  inside: Endpoint;
  /** Where the flow goes (the gateway). */
  remote: Endpoint;
  /** The router's address and port the flow was mapped to: what the remote sees. */
  outside: Endpoint;
}

/** `ipv4 2 udp 17 29 src=… dst=… sport=… dport=… [UNREPLIED] src=… dst=… sport=… dport=… …` */
function parseConntrack(line: string): NatMapping {
  const fields = line.trim().split(/\s+/);
  const original = new Map<string, string>();
  const reply = new Map<string, string>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq);
    // each key appears once per direction: the original tuple first, then the reply tuple
    const target = original.has(key) ? reply : original;
    target.set(key, field.slice(eq + 1));
  }
  const endpoint = (tuple: Map<string, string>, address: string, port: string): Endpoint => {
    const value = tuple.get(port);
    return { address: tuple.get(address) ?? '', ...(value === undefined ? {} : { port: Number(value) }) };
  };
  return {
    protocol: fields[2] ?? '',
    inside: endpoint(original, 'src', 'sport'),
    remote: endpoint(original, 'dst', 'dport'),
    outside: endpoint(reply, 'dst', 'dport'),
  };
}

/** Resolves once the child has exited, escalating to SIGKILL after graceMs. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function start(argv: string[], options: SpawnOptions): ChildProcess {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty command line');
  return spawn(command, args, { env: options.env ?? process.env, stdio: options.stdio ?? 'pipe' });
}

function collect(child: ChildProcess, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => {
      // the command may exit without reading its input
    });
    child.stdin?.end(options.input ?? '');
  });
}

async function ip(args: string[]): Promise<void> {
  const result = await run(['ip', ...args]);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

async function namespaceExists(ns: string): Promise<boolean> {
  return (await listNamespaces()).includes(ns);
}

async function listNamespaces(): Promise<string[]> {
  const result = await run(['ip', 'netns', 'list']);
  return result.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** Deletes namespaces left by an earlier run that was killed outright: owner PID gone and nothing running inside. */
async function sweepStaleNamespaces(): Promise<void> {
  for (const ns of await listNamespaces()) {
    const owner = NAME_PATTERN.exec(ns)?.[1];
    if (owner === undefined || processAlive(Number(owner))) continue;
    const pids = await run(['ip', 'netns', 'pids', ns]);
    if (pids.code === 0 && pids.stdout.trim() === '') await run(['ip', 'netns', 'delete', ns]);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const liveNetworks = new Set<TestNetwork>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      destroyAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function destroyAllSync(): void {
  for (const net of [...liveNetworks]) net.destroySync();
}
