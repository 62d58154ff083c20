/**
 * Applies a NetworkPlan on Linux with iproute2 and restores everything afterwards. Each change is written to a
 * journal before it is made, so that a run that was killed (kill -9, power loss) is undone at the next start:
 * routes through the physical interface and DNS survive the process, unlike the TUN device and its own routes.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OutpostError } from '../../errors.js';
import type { NetworkConfigurator, NetworkPlan } from '../types.js';

const run = promisify(execFile);
const RESOLV_CONF = '/etc/resolv.conf';
const DEFAULT_STATE_DIR = '/var/lib/outpost';
const JOURNAL = 'network.json';

type Change =
  | { kind: 'route'; destination: string; via?: string; dev: string }
  | { kind: 'resolv-conf'; path: string; original: string }
  | { kind: 'resolved'; link: string };

interface Journal {
  pid: number;
  changes: Change[];
}

async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    throw new OutpostError('network', 'The network settings for the tunnel could not be applied.', {
      detail: `ip ${args.join(' ')}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

/** Best effort: what we undo may already be gone (the TUN device takes its routes with it). */
async function quietly(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args);
  } catch {
    // already gone
  }
}

function systemdResolvedActive(): boolean {
  return existsSync('/run/systemd/resolve/io.systemd.Resolve');
}

function resolvConf(servers: string[], domains: string[]): string {
  const lines = ['# Written by Outpost VPN while connected; the original is restored on disconnect.'];
  for (const server of servers) lines.push(`nameserver ${server}`);
  if (domains.length > 0) lines.push(`search ${domains.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

async function undo(change: Change): Promise<void> {
  switch (change.kind) {
    case 'route':
      await quietly('ip', ['route', 'del', change.destination, 'dev', change.dev]);
      break;
    case 'resolv-conf':
      // in place: under `ip netns exec` the file may be a bind mount, which a rename would not replace
      writeFileSync(change.path, change.original);
      break;
    case 'resolved':
      await quietly('resolvectl', ['revert', change.link]);
      break;
  }
}

export class LinuxNetworkConfigurator implements NetworkConfigurator {
  private readonly journalPath: string;
  private changes: Change[] = [];

  constructor(options: { stateDir?: string } = {}) {
    const dir = options.stateDir ?? DEFAULT_STATE_DIR;
    this.journalPath = join(dir, JOURNAL);
  }

  private record(change: Change): void {
    this.changes.push(change);
    const journal: Journal = { pid: process.pid, changes: this.changes };
    mkdirSync(join(this.journalPath, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(this.journalPath, JSON.stringify(journal), { mode: 0o600 });
  }

  async apply(plan: NetworkPlan): Promise<void> {
    const dev = plan.adapter;
    await ip(['addr', 'add', `${plan.address}/${plan.prefix}`, 'dev', dev]);
    // no IPv6 link-local address: the tunnel carries what the gateway routes, and router solicitations it does not
    await ip(['link', 'set', 'dev', dev, 'addrgenmode', 'none']);
    await ip(['link', 'set', 'dev', dev, 'mtu', String(plan.mtu), 'up']);
    if (plan.fullTunnel) {
      // the gateway must stay reachable outside the tunnel, through the route it has now
      const [current] = JSON.parse(await ip(['-j', 'route', 'get', plan.gateway])) as Array<{
        gateway?: string;
        dev: string;
      }>;
      if (!current) throw new OutpostError('network', 'There is no route to the VPN gateway.');
      const hostRoute: Change = { kind: 'route', destination: `${plan.gateway}/32`, dev: current.dev };
      if (current.gateway) hostRoute.via = current.gateway;
      this.record(hostRoute);
      const viaArgs = current.gateway ? ['via', current.gateway] : [];
      await ip(['route', 'replace', `${plan.gateway}/32`, ...viaArgs, 'dev', current.dev]);
    }
    const routes = plan.fullTunnel ? ['0.0.0.0/1', '128.0.0.0/1'] : plan.routes;
    for (const destination of routes) {
      this.record({ kind: 'route', destination, dev });
      await ip(['route', 'replace', destination, 'dev', dev]);
    }
    if (plan.dns) await this.applyDns(dev, plan.dns);
  }

  private async applyDns(dev: string, dns: { servers: string[]; domains: string[] }): Promise<void> {
    if (systemdResolvedActive()) {
      this.record({ kind: 'resolved', link: dev });
      await run('resolvectl', ['dns', dev, ...dns.servers]);
      // "~." routes every lookup to the tunnel's servers; listed domains also become search domains
      await run('resolvectl', ['domain', dev, '~.', ...dns.domains]);
      return;
    }
    const original = existsSync(RESOLV_CONF) ? readFileSync(RESOLV_CONF, 'utf8') : '';
    this.record({ kind: 'resolv-conf', path: RESOLV_CONF, original });
    writeFileSync(RESOLV_CONF, resolvConf(dns.servers, dns.domains));
  }

  async restore(): Promise<void> {
    const changes = this.changes;
    this.changes = [];
    for (const change of [...changes].reverse()) await undo(change);
    rmSync(this.journalPath, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Undoes what a crashed run left behind; true when there was something to undo. */
export async function recoverAfterCrash(stateDir: string = DEFAULT_STATE_DIR): Promise<boolean> {
  const path = join(stateDir, JOURNAL);
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(path, 'utf8')) as Journal;
  } catch {
    return false;
  }
  if (journal.pid !== process.pid && alive(journal.pid)) return false; // another running instance owns it
  for (const change of [...journal.changes].reverse()) await undo(change);
  rmSync(path, { force: true });
  return true;
}
