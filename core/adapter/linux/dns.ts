/**
 * How DNS is set on Linux: through systemd-resolved per link when it manages the system's resolver, otherwise by
 * writing /etc/resolv.conf in place (under `ip netns exec` it is a bind mount of /etc/netns/<ns>/resolv.conf, which
 * a rename would fail to replace).
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';

export const RESOLV_CONF = '/etc/resolv.conf';
export const RESOLVED_RUN_DIR = '/run/systemd/resolve';
/** systemd-resolved's stub listeners (127.0.0.54 without DNSSEC/LLMNR, since v251). */
const RESOLVED_STUBS = new Set(['127.0.0.53', '127.0.0.54']);
const MAX_SYMLINKS = 40;

export type DnsBackend = 'systemd-resolved' | 'resolv.conf';

/** The file a path finally names, following symbolic links even when the last one dangles. */
export function resolveLinks(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < MAX_SYMLINKS; hops++) {
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
    } catch {
      return current;
    }
    current = resolve(dirname(current), readlinkSync(current));
  }
  return current;
}

export function nameservers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((server): server is string => server !== undefined);
}

/**
 * True when systemd-resolved runs and the system resolves through it: resolv.conf links into its run directory or
 * lists only its stub listeners. A resolv.conf of other servers (a namespace's own file, resolvconf, a static file)
 * is what programs use, so that is what gets written.
 */
export function systemdResolvedManages(resolvConf: string = RESOLV_CONF, runDir: string = RESOLVED_RUN_DIR): boolean {
  try {
    if (!lstatSync(runDir).isDirectory()) return false;
  } catch {
    return false;
  }
  if (resolveLinks(resolvConf).startsWith(`${resolve(runDir)}/`)) return true;
  let text: string;
  try {
    text = readFileSync(resolvConf, 'utf8');
  } catch {
    return false;
  }
  const servers = nameservers(text);
  return servers.length > 0 && servers.every((server) => RESOLVED_STUBS.has(server));
}

export function isServerAddress(server: string): boolean {
  return isIP(server) !== 0;
}

export function resolvConfText(servers: readonly string[], domains: readonly string[]): string {
  const lines = ['# Written by Outpost VPN while connected; the original is restored on disconnect.'];
  for (const server of servers) lines.push(`nameserver ${server}`);
  if (domains.length > 0) lines.push(`search ${domains.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The links systemd-resolved sends queries for any name to, from `resolvectl default-route` ("Link 2 (eth0): yes";
 * the "Global" line has no link). A name it prints that is not an interface name is left out.
 */
export function defaultRouteLinks(output: string): string[] {
  return output
    .split('\n')
    .map((line) => /^Link \d+ \(([A-Za-z0-9_.-]{1,15})\): yes\s*$/.exec(line.trim())?.[1])
    .filter((link): link is string => link !== undefined);
}

/**
 * `resolvectl domain` arguments, all routing domains ("~", never search domains: RFC 8598 §3.1 names domains to
 * resolve through the tunnel, not to complete short names with). "~." sends every lookup to the tunnel's servers in
 * full tunnel, or when the gateway names no domains; in a split tunnel with domains (split DNS, RFC 8598 §4) only
 * those names and the names below them go there, everything else to the servers the computer had.
 */
export function resolvedDomains(domains: readonly string[], fullTunnel: boolean): string[] {
  const routing = domains.map((domain) => `~${domain}`);
  return fullTunnel || domains.length === 0 ? ['~.', ...routing] : routing;
}
