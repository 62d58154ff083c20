/**
 * The Linux kill switch: an nftables table of our own whose output chain drops everything this computer sends except
 * through the tunnel adapters, on loopback, IKE/NAT-T to the gateway and what keeps the physical link itself alive.
 *
 * Egress only, on purpose. Nothing leaks by being received: an answer to a packet needs a packet out, and that is
 * what the chain decides (the kernel's own TCP resets and ICMP errors pass the output hook too). No forward chain
 * either: it guards this computer's traffic, not that of others it might route for. ARP is not IP and does not pass
 * an inet table, so IPv4 neighbours keep resolving. IPv6 without a tunnel address needs nothing of its own here:
 * while on, IPv6 can only leave through the adapters anyway; while off, blocking it is the routes' job.
 *
 * The table is journaled in its own file, apart from the network plan's, so restoring the plan at disconnect leaves
 * it in place: it outlives the connection and the process that enabled it (fail-closed) until `disable`, or until
 * recovery at the next start (recoverKillSwitch) removes what a process that is gone left. A reboot lifts it too:
 * nftables rules live in the kernel only.
 */
import { join } from 'node:path';
import { messageOf } from '../../errors.js';
import { formatIp, parseIp } from '../../net/address.js';
import { adapterError } from '../adapter-error.js';
import type { KillSwitch, KillSwitchPolicy } from '../types.js';
import type { NftTableChange } from './changes.js';
import { type CommandRunner, runCommand } from './commands.js';
import { DEFAULT_STATE_DIR } from './configure.js';
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

/** One fixed name, so turning it off (here, after a crash or by hand) is always `nft delete table inet outpost_guard`. */
export const KILL_SWITCH_TABLE: NftTableChange = { kind: 'nft-table', family: 'inet', name: 'outpost_guard' };
const JOURNAL_FILE = 'kill-switch.json';
/** The adapters are recreated on reconnect (outpost0, outpost1, …): a wildcard needs no rule change meanwhile. */
const ADAPTER_NAMES = 'outpost*';
const MAX_PORTS = 4;

export interface LinuxKillSwitchOptions {
  /** Where its journal lives (the configurator's state directory; its own file). Default /var/lib/outpost. */
  stateDir?: string;
  /** Runs `nft`; tests substitute their own. */
  run?: CommandRunner;
}

const ENABLE_FAILED = 'The kill switch could not be turned on.';

/** The gateway as nft writes it, and its ports sorted without repeats; anything else is refused before nft runs. */
function checkPolicy(policy: KillSwitchPolicy): { gateway: Uint8Array; ports: number[] } {
  const address = parseIp(policy.gateway);
  if (!address)
    throw adapterError(ENABLE_FAILED, `invalid kill switch policy: gateway "${policy.gateway}" is not an IP address`);
  const { ports } = policy;
  if (!Array.isArray(ports) || ports.length < 1 || ports.length > MAX_PORTS) {
    throw adapterError(
      ENABLE_FAILED,
      `invalid kill switch policy: ${MAX_PORTS} gateway ports at most, and at least one`,
    );
  }
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw adapterError(ENABLE_FAILED, `invalid kill switch policy: gateway port ${String(port)}`);
    }
  }
  // an IPv4-mapped address is sent as IPv4 (a dual-stack socket): only an `ip daddr` rule would match it
  const mapped = address.length === 16 && address.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  return { gateway: mapped ? address.subarray(12) : address, ports: [...new Set(ports)].sort((a, b) => a - b) };
}

/**
 * The whole table as one `nft -f` transaction. The leading add+delete makes it replace a table that is there (a
 * second enable, or one a crashed run left) and create one that is not, with no moment between the two.
 */
export function killSwitchRuleset(policy: KillSwitchPolicy): string {
  const { gateway, ports } = checkPolicy(policy);
  const family = gateway.length === 4 ? 'ip' : 'ip6';
  const { name } = KILL_SWITCH_TABLE;
  return [
    `add table inet ${name}`,
    `delete table inet ${name}`,
    `table inet ${name} {`,
    '\tchain output {',
    // a drop in any base chain is final, whatever other tables (firewalld, docker) accept at other priorities
    '\t\ttype filter hook output priority filter; policy drop;',
    '\t\toif "lo" accept',
    `\t\toifname "${ADAPTER_NAMES}" accept`,
    // ESP goes in UDP too (RFC 3948) on the NAT-T port: no rule for IP protocol 50
    `\t\t${family} daddr ${formatIp(gateway)} udp dport { ${ports.join(', ')} } accept`,
    // lease renewals go through UDP sockets (the first DHCP exchange uses packet sockets, which bypass nftables);
    // source ports under 1024 need privilege, so no ordinary program can use these two to get out
    '\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 accept',
    '\t\tmeta nfproto ipv6 udp sport 546 udp dport 547 accept',
    // neighbour discovery and router solicitation, only as the link itself carries them (RFC 4861 hop limit 255),
    // and multicast listener reports (hop limit 1) that switches with MLD snooping need to deliver them to us
    '\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept',
    '\t\ticmpv6 type { mld-listener-report, mld2-listener-report } ip6 hoplimit 1 accept',
    '\t}',
    '}',
    '',
  ].join('\n');
}

export class LinuxKillSwitch implements KillSwitch {
  private readonly journalPath: string;
  private readonly run: CommandRunner;
  private readonly owner: ProcessIdentity;
  private enabled = false;
  /** enable and disable run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LinuxKillSwitchOptions = {}) {
    this.journalPath = join(options.stateDir ?? DEFAULT_STATE_DIR, JOURNAL_FILE);
    this.run = options.run ?? runCommand;
    this.owner = currentProcess();
  }

  /** Turns it on, or replaces the policy in force in one step; on failure the policy before stays in force. */
  enable(policy: KillSwitchPolicy): Promise<void> {
    return this.serially(async () => {
      const ruleset = killSwitchRuleset(policy);
      const inherited = !this.enabled && this.takeJournal();
      try {
        await this.run('nft', ['-f', '-'], ruleset);
      } catch (error) {
        if (!this.enabled) {
          releaseJournal(this.journalPath);
          // one transaction: when there was no table before, the failed one made none
          if (!inherited) removeJournal(this.journalPath);
        }
        throw adapterError(ENABLE_FAILED, messageOf(error), error);
      }
      this.enabled = true;
    });
  }

  /**
   * Removes the table, also one a process that is gone left (turning it off must not wait for the next connect's
   * recovery); nothing to do when it is off. On failure it stays on and stays journaled.
   */
  disable(): Promise<void> {
    return this.serially(async () => {
      try {
        if (this.enabled) await undoJournal(this.journalPath, [KILL_SWITCH_TABLE], this.run);
        else await recoverJournal(this.journalPath, this.run);
      } catch (error) {
        throw adapterError('The kill switch could not be turned off.', messageOf(error), error);
      }
      releaseJournal(this.journalPath);
      this.enabled = false;
    });
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Journals the table as ours before it is made. One a process that is gone left is taken over, not removed first:
   * replacing it is atomic, removing it would open a gap. True when such a table may be there already.
   */
  private takeJournal(): boolean {
    const existing = readJournal(this.journalPath);
    if (existing === 'unreadable') setAsideJournal(this.journalPath);
    else if (existing !== 'missing' && journalInUse(this.journalPath, existing.owner)) {
      throw adapterError(
        'Another Outpost process already controls the kill switch on this computer.',
        `${this.journalPath} belongs to process ${existing.owner.pid}`,
      );
    }
    writeJournal(this.journalPath, this.owner, [KILL_SWITCH_TABLE]);
    holdJournal(this.journalPath);
    return typeof existing === 'object';
  }
}

/**
 * Removes a kill switch that a process that is gone (kill -9, a crashed helper) left on. True when there was one;
 * false when there is none or its process still runs. Idempotent.
 */
export function recoverKillSwitch(
  stateDir: string = DEFAULT_STATE_DIR,
  options: Pick<LinuxKillSwitchOptions, 'run'> = {},
): Promise<boolean> {
  return recoverJournal(join(stateDir, JOURNAL_FILE), options.run ?? runCommand);
}
