/**
 * Applies a NetworkPlan on Linux with iproute2 (and systemd-resolved or resolv.conf for DNS) and restores
 * everything afterwards. Each change is written to the crash journal before it is made, so a run that was killed
 * (kill -9, power loss) is undone at the next start: routes through the physical interface and DNS survive the
 * process, unlike the TUN device and its own routes.
 *
 * Over 300 lines: one class whose apply, undo and journal bookkeeping are read together; what stands alone is in
 * changes.ts (each change and its undo, `ip -j` output), journal.ts (the file and who owns it) and dns.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, OutpostError } from '../../errors.js';
import { cidrContains, parseCidr, parseIp } from '../../net/address.js';
import { isDomainName } from '../../net/domain-name.js';
import { adapterError } from '../adapter-error.js';
import type { AppliedPlan, NetworkConfigurator, NetworkPlan } from '../types.js';
import {
  type Change,
  INTERFACE_NAME,
  type OurRoute,
  ourRouteArgs,
  parseIpJson,
  type RouteChange,
  routeSpecOfIpJson,
  undo,
} from './changes.js';
import { type CommandRunner, runCommand } from './commands.js';
import {
  type DnsBackend,
  defaultRouteLinks,
  isServerAddress,
  RESOLV_CONF,
  resolvConfText,
  resolvedDomains,
  resolveLinks,
  systemdResolvedManages,
} from './dns.js';
import { runIpBatch } from './ip-batch.js';
import {
  currentProcess,
  holdJournal,
  journalInUse,
  type ProcessIdentity,
  readJournal,
  recoverJournal,
  releaseJournal,
  removeJournal,
  setAsideJournal,
  undoJournal,
  writeJournal,
} from './journal.js';

export const DEFAULT_STATE_DIR = '/var/lib/outpost';
const JOURNAL_FILE = 'network.json';
/** Full tunnel without touching the default route: two halves that are more specific than it (as OpenVPN's def1). */
const FULL_TUNNEL_V4 = ['0.0.0.0/1', '128.0.0.0/1'];
/**
 * The same for IPv6: into the adapter when the gateway gave an IPv6 address, `unreachable` when it did not, so IPv6
 * cannot leave around a full tunnel. Link-local (fe80::/10 on each link) and multicast (the local table) are more
 * specific or looked up first, so neighbour discovery on the real links keeps working.
 */
const FULL_TUNNEL_V6 = ['::/1', '8000::/1'];

export interface LinuxNetworkOptions {
  /**
   * Where the crash journal lives. It holds the resolv.conf backup, so it must survive a reboot: not under /run.
   * Default /var/lib/outpost.
   */
  stateDir?: string;
  /** 'auto' (default) uses systemd-resolved when it manages the system's resolver, else the resolv.conf file. */
  dns?: 'auto' | DnsBackend;
  /** The resolver file to write in the resolv.conf backend. Default /etc/resolv.conf. */
  resolvConf?: string;
  /** Runs `ip` and `resolvectl`; tests substitute their own. */
  run?: CommandRunner;
}

/**
 * A change `ip` makes in one batch, and what a line that finds its object already there means: keep (what is there
 * stays and is not ours), displace (our route replaces it), or, with neither, a failure.
 */
type IpStep =
  | { lines: string[][]; change: Change; exists?: 'keep' }
  | { lines: string[][]; change: OurRoute; exists: 'displace' };

/** The index of the step that `line` (an index into all the steps' lines) belongs to. */
function stepOfLine(steps: readonly IpStep[], line: number): number | undefined {
  let first = 0;
  for (const [index, step] of steps.entries()) {
    first += step.lines.length;
    if (line < first) return index;
  }
  return undefined;
}

const APPLY_FAILED = 'The network settings for the tunnel could not be applied.';

/** The plan, checked at the edge: nothing malformed reaches a command line or resolv.conf. */
function checkPlan(plan: NetworkPlan): void {
  const bad = (what: string): never => {
    throw adapterError(APPLY_FAILED, `invalid network plan: ${what}`);
  };
  if (!INTERFACE_NAME.test(plan.adapter)) bad(`adapter name "${plan.adapter}"`);
  const address = parseIp(plan.address);
  if (!address || !Number.isInteger(plan.prefix) || plan.prefix < 0 || plan.prefix > address.length * 8) {
    bad(`address ${plan.address}/${plan.prefix}`);
  }
  if (plan.address6) {
    const { address: a6, prefix: p6 } = plan.address6;
    if (parseIp(a6)?.length !== 16 || !Number.isInteger(p6) || p6 < 0 || p6 > 128) bad(`address ${a6}/${p6}`);
  }
  if (!Number.isInteger(plan.mtu) || plan.mtu < 68 || plan.mtu > 65535) bad(`MTU ${plan.mtu}`);
  for (const route of plan.routes) {
    try {
      parseCidr(route);
    } catch {
      bad(`route "${route}"`);
    }
  }
  if (!parseIp(plan.gateway)) bad(`gateway "${plan.gateway}"`);
  for (const server of plan.dns?.servers ?? []) if (!isServerAddress(server)) bad(`DNS server "${server}"`);
  for (const domain of plan.dns?.domains ?? []) if (!isDomainName(domain)) bad(`DNS domain "${domain}"`);
}

export class LinuxNetworkConfigurator implements NetworkConfigurator {
  private readonly journalPath: string;
  private readonly run: CommandRunner;
  private readonly dnsBackend: 'auto' | DnsBackend;
  private readonly resolvConf: string;
  private readonly owner: ProcessIdentity;
  private changes: Change[] = [];
  /** apply and restore run one at a time, in call order (a disconnect may arrive while a connect is applying). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LinuxNetworkOptions = {}) {
    this.journalPath = join(options.stateDir ?? DEFAULT_STATE_DIR, JOURNAL_FILE);
    this.run = options.run ?? runCommand;
    this.dnsBackend = options.dns ?? 'auto';
    this.resolvConf = options.resolvConf ?? RESOLV_CONF;
    this.owner = currentProcess();
  }

  /** Applies `plan` (after undoing a previous one still applied); on failure undoes what it did, then throws. */
  apply(plan: NetworkPlan): Promise<AppliedPlan> {
    return this.serially(async () => {
      checkPlan(plan);
      if (this.changes.length > 0) await this.undoAll();
      await this.takeJournal();
      try {
        return await this.applyPlan(plan);
      } catch (error) {
        await this.undoAll().catch(() => undefined);
        throw error instanceof OutpostError
          ? error
          : adapterError(APPLY_FAILED, error instanceof Error ? error.message : String(error), error);
      }
    });
  }

  /**
   * Undoes everything apply did, in reverse order. When a file cannot be put back, the journal keeps what is left
   * (recoverAfterCrash retries it) and this throws.
   */
  restore(): Promise<void> {
    return this.serially(() => this.undoAll());
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Refuses a journal another running process holds; undoes one a dead process left. */
  private async takeJournal(): Promise<void> {
    const existing = readJournal(this.journalPath);
    if (existing === 'unreadable') {
      setAsideJournal(this.journalPath);
    } else if (existing !== 'missing') {
      if (journalInUse(this.journalPath, existing.owner)) {
        throw adapterError(
          'Another Outpost connection is already active on this computer.',
          `${this.journalPath} belongs to process ${existing.owner.pid}`,
        );
      }
      await undoJournal(this.journalPath, existing.changes, this.run);
    }
  }

  private async applyPlan(plan: NetworkPlan): Promise<AppliedPlan> {
    const dev = plan.adapter;
    const tunnelRoutes: OurRoute[] = (
      plan.fullTunnel ? [...FULL_TUNNEL_V4, ...(plan.address6 ? FULL_TUNNEL_V6 : [])] : plan.routes
    ).map((dst) => ({ kind: 'route', dst, dev }));
    if (plan.fullTunnel && !plan.address6) {
      for (const dst of FULL_TUNNEL_V6) tunnelRoutes.push({ kind: 'unreachable', dst });
    }
    // IKE and ESP to the gateway (IPv4 or IPv6) must keep their way out, or they would loop into the tunnel or
    // hit the IPv6 block
    const gateway = parseIp(plan.gateway)!; // checkPlan made sure
    const pinned = tunnelRoutes.some((route) => cidrContains(parseCidr(route.dst), gateway));
    // the questions first (at the same time: they change nothing), then every change in one `ip -batch`
    const [link, pin] = await Promise.all([this.linkChange(dev), pinned ? this.gatewayRoute(plan.gateway) : undefined]);
    const address = `${plan.address}/${plan.prefix}`;
    const steps: IpStep[] = [
      {
        change: { kind: 'address', dev, cidr: address },
        lines: [['addr', 'add', address, 'dev', dev]],
        exists: 'keep',
      },
      {
        change: link,
        lines: [
          // no IPv6 link-local address or router solicitations: the tunnel carries what the gateway routes
          ...(link.addrGenMode === undefined ? [] : [['link', 'set', 'dev', dev, 'addrgenmode', 'none']]),
          ['link', 'set', 'dev', dev, 'mtu', String(plan.mtu), 'up'],
        ],
      },
    ];
    if (plan.address6) {
      const cidr = `${plan.address6.address}/${plan.address6.prefix}`;
      // nodad: nobody else is on the tunnel's link, and duplicate address detection would hold the address
      // "tentative" (unusable as a source) for a second or more
      steps.push({
        change: { kind: 'address', dev, cidr },
        lines: [['addr', 'add', cidr, 'dev', dev, 'nodad']],
        exists: 'keep',
      });
    }
    // a host route to the gateway that is already there is the one `route get` went through: not ours
    if (pin) steps.push({ change: pin, lines: [['route', 'add', ...ourRouteArgs(pin)]], exists: 'keep' });
    for (const route of tunnelRoutes) {
      steps.push({ change: route, lines: [['route', 'add', ...ourRouteArgs(route)]], exists: 'displace' });
    }
    await this.applySteps(steps);
    return { notes: plan.dns ? await this.applyDns(dev, plan.dns, plan.fullTunnel) : [] };
  }

  /**
   * Journals every step's change, then makes them all in one `ip -batch`. When a line fails because what it adds is
   * already there, that step is settled on its own and the batch goes on after it; any other failure leaves the
   * steps after it out of the journal (ip never ran them) and throws, for apply to undo the rest.
   */
  private async applySteps(steps: readonly IpStep[]): Promise<void> {
    this.changes.push(...steps.map((step) => step.change));
    writeJournal(this.journalPath, this.owner, this.changes);
    holdJournal(this.journalPath);
    let pending = steps;
    while (pending.length > 0) {
      const outcome = await runIpBatch(
        this.run,
        pending.flatMap((step) => step.lines),
      );
      if (outcome.ok) return;
      const at = outcome.line === undefined ? undefined : stepOfLine(pending, outcome.line);
      if (at === undefined) return this.fail(outcome.error);
      const step = pending[at]!;
      const rest = pending.slice(at + 1);
      if (step.exists === undefined || !outcome.error.alreadyExists) {
        this.retract(...rest.map((s) => s.change));
        return this.fail(outcome.error);
      }
      if (step.exists === 'displace') await this.displace(step.change);
      else this.retract(step.change);
      pending = rest;
    }
  }

  /** Journals `change`, then makes it with `make`. */
  private async change(change: Change, make: () => Promise<unknown>): Promise<void> {
    this.record(change);
    await make();
  }

  private record(change: Change): void {
    this.changes.push(change);
    writeJournal(this.journalPath, this.owner, this.changes);
    holdJournal(this.journalPath);
  }

  /** Drops `dropped` from the journal: already there (not ours to undo), or never made. */
  private retract(...dropped: Change[]): void {
    this.changes = this.changes.filter((c) => !dropped.includes(c));
    writeJournal(this.journalPath, this.owner, this.changes);
  }

  private async ip(args: string[]): Promise<string> {
    try {
      return await this.run('ip', args);
    } catch (error) {
      return this.fail(error);
    }
  }

  /** The objects `ip -j ...args` lists; `what` names the command in the error when the output is not a listing. */
  private async ipJson(args: string[], what: string): Promise<Record<string, unknown>[]> {
    const text = await this.ip(['-j', ...args]);
    const listing = parseIpJson(text);
    if (!listing) throw adapterError(APPLY_FAILED, `unexpected output from ${what}: ${text.slice(0, 200)}`);
    return listing;
  }

  /** The link's settings now (what undo puts back). */
  private async linkChange(dev: string): Promise<Extract<Change, { kind: 'link' }>> {
    const [link] = await this.ipJson(['-d', 'link', 'show', 'dev', dev], 'ip link show');
    if (!link || typeof link.mtu !== 'number') throw adapterError(APPLY_FAILED, `no link ${dev}`);
    const addrGenMode = typeof link.inet6_addr_gen_mode === 'string' ? link.inet6_addr_gen_mode : undefined;
    const up = Array.isArray(link.flags) && link.flags.includes('UP');
    return { kind: 'link', dev, mtu: link.mtu, up, addrGenMode };
  }

  /** A host route to the gateway through the route it has now; undefined when the gateway is this computer. */
  private async gatewayRoute(gateway: string): Promise<RouteChange | undefined> {
    // no route is not this computer's fault: its network may come back (Wi-Fi, roaming), so it is worth retrying
    const noRoute = (detail: string, cause?: unknown) =>
      new OutpostError('network', 'There is no route to the VPN gateway.', { detail, cause });
    let current: Record<string, unknown> | undefined;
    try {
      [current] = await this.ipJson(['route', 'get', gateway], 'ip route get');
    } catch (error) {
      throw noRoute(`ip route get ${gateway}: ${messageOf(error)}`, error);
    }
    if (!current || typeof current.dev !== 'string') throw noRoute(`ip route get ${gateway}: no route`);
    if (current.type === 'local') return undefined;
    const dst = `${gateway}/${gateway.includes(':') ? 128 : 32}`;
    const change: RouteChange = { kind: 'route', dst, dev: current.dev };
    if (typeof current.gateway === 'string') change.via = current.gateway;
    return change;
  }

  /**
   * Our route where the main table already has one with the same key (same prefix and metric: another VPN, or a LAN
   * numbered like the remote network): ours replaces it and the old one is journaled to be put back.
   */
  private async displace(change: OurRoute): Promise<void> {
    const ipv6 = change.dst.includes(':');
    const defaultMetric = ipv6 ? 1024 : 0;
    // `ip route show` lists IPv4 only unless told the family
    const show = [...(ipv6 ? ['-6'] : []), 'route', 'show', 'table', 'main', 'exact', change.dst];
    const existing = (await this.ipJson(show, 'ip route show')).find(
      (route) => (typeof route.metric === 'number' ? route.metric : defaultMetric) === defaultMetric,
    );
    if (existing) {
      change.displaced = routeSpecOfIpJson(existing);
      writeJournal(this.journalPath, this.owner, this.changes);
    }
    await this.ip(['route', 'replace', ...ourRouteArgs(change)]);
  }

  private async applyDns(
    dev: string,
    dns: { servers: string[]; domains: string[] },
    fullTunnel: boolean,
  ): Promise<string[]> {
    const backend =
      this.dnsBackend === 'auto'
        ? systemdResolvedManages(this.resolvConf)
          ? 'systemd-resolved'
          : 'resolv.conf'
        : this.dnsBackend;
    if (backend === 'systemd-resolved') {
      await this.change({ kind: 'resolved', link: dev }, async () => {
        await this.resolvectl(['dns', dev, ...dns.servers]);
        await this.resolvectl(['domain', dev, ...resolvedDomains(dns.domains, fullTunnel)]);
        if (fullTunnel) await this.resolvectl(['default-route', dev, 'yes']);
      });
      if (fullTunnel) await this.takeDefaultDnsRoute(dev);
      return [];
    }
    // resolv.conf may be a symbolic link (to resolvconf's file, say): the file it names is what gets rewritten
    const path = resolveLinks(this.resolvConf);
    const original = existsSync(path) ? readFileSync(path) : null;
    const written = Buffer.from(resolvConfText(dns.servers, dns.domains));
    await this.change(
      {
        kind: 'resolv-conf',
        path,
        original: original === null ? null : original.toString('base64'),
        written: written.toString('base64'),
      },
      // in place (truncate and write), never a rename: the path may be a bind mount
      async () => writeFileSync(path, written, original === null ? { mode: 0o644 } : {}),
    );
    // one resolver list for every name: the gateway's servers answer all of them, its domains become search domains
    if (fullTunnel || dns.domains.length === 0) return [];
    return [
      `Split DNS for ${dns.domains.join(', ')} needs systemd-resolved; without it the tunnel’s DNS servers answer every name.`,
    ];
  }

  /**
   * In full tunnel every name goes to the tunnel's servers: another link that resolved also asks for any name (its
   * default-route) would leak queries around the tunnel, so it is switched off, journaled, and back on at restore.
   */
  private async takeDefaultDnsRoute(dev: string): Promise<void> {
    let listing: string;
    try {
      listing = await this.run('resolvectl', ['default-route']);
    } catch (error) {
      throw adapterError('The tunnel’s DNS servers could not be set.', 'resolvectl default-route', error);
    }
    for (const link of defaultRouteLinks(listing)) {
      if (link === dev) continue;
      await this.change({ kind: 'resolved-default-route', link }, () => this.resolvectl(['default-route', link, 'no']));
    }
  }

  private async resolvectl(args: string[]): Promise<void> {
    try {
      await this.run('resolvectl', args);
    } catch (error) {
      throw adapterError('The tunnel’s DNS servers could not be set.', `resolvectl ${args.join(' ')}`, error);
    }
  }

  private fail(error: unknown): never {
    throw adapterError(APPLY_FAILED, error instanceof Error ? error.message : String(error), error);
  }

  private async undoAll(): Promise<void> {
    if (this.changes.length === 0) return;
    const failed: Change[] = [];
    let firstError: unknown;
    for (const change of [...this.changes].reverse()) {
      try {
        await undo(change, this.run);
      } catch (error) {
        failed.unshift(change);
        firstError ??= error;
      }
    }
    this.changes = [];
    releaseJournal(this.journalPath);
    if (failed.length === 0) {
      removeJournal(this.journalPath);
      return;
    }
    // left for recoverAfterCrash (this process no longer holds it) or the next apply to retry
    writeJournal(this.journalPath, this.owner, failed);
    throw adapterError(
      'Your original network settings could not all be put back; Outpost will try again when it next starts.',
      firstError instanceof Error ? firstError.message : String(firstError),
      firstError,
    );
  }
}

/**
 * Undoes what a crashed run (kill -9, power loss) left behind: its routes, addresses and DNS. True when there was
 * something to undo; false when there is no journal or its process is still running. Idempotent.
 */
export async function recoverAfterCrash(
  stateDir: string = DEFAULT_STATE_DIR,
  options: Pick<LinuxNetworkOptions, 'run'> = {},
): Promise<boolean> {
  return recoverJournal(join(stateDir, JOURNAL_FILE), options.run ?? runCommand);
}
