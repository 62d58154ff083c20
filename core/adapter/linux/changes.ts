/**
 * One change the configurator or the kill switch makes to the system, in a form that can be written to the crash journal and undone
 * later, possibly by another process after a crash or a reboot. Undoing is idempotent and tolerant: what is already
 * gone (the TUN device takes its addresses and routes with it) is not an error.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CommandFailed, type CommandRunner } from './commands.js';

/** A route of the main table as `ip -j route show` prints it, enough to put it back as it was. */
export interface RouteSpec {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  onlink?: boolean;
}

export type Change =
  | { kind: 'address'; dev: string; cidr: string }
  /** The link's settings before: undone by setting them back (and the link down if it was). */
  | { kind: 'link'; dev: string; mtu: number; up: boolean; addrGenMode: string | undefined }
  /** Our route (proto static); `displaced` is the route with the same key it replaced, put back on undo. */
  | { kind: 'route'; dst: string; dev: string; via?: string; displaced?: RouteSpec }
  /** Our `unreachable` route (proto static): traffic to `dst` fails at once instead of leaving around the tunnel. */
  | { kind: 'unreachable'; dst: string; displaced?: RouteSpec }
  /** resolv.conf contents base64 (byte-exact): `original` null when there was none. */
  | { kind: 'resolv-conf'; path: string; original: string | null; written: string }
  | { kind: 'resolved'; link: string }
  /** Another link's systemd-resolved default-route, switched off for a full tunnel: undone by switching it on. */
  | { kind: 'resolved-default-route'; link: string }
  /** An nftables table of ours (the kill switch): undone by deleting the whole table. */
  | { kind: 'nft-table'; family: 'inet'; name: string }
  /** A persistent TUN device made for a user's engine (the helper's): undone by deleting it. */
  | { kind: 'tun-device'; name: string };

/** What an interface name may be (Linux's dev_valid_name, stricter): a journal holds nothing else in its place. */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export type RouteChange = Extract<Change, { kind: 'route' }>;
export type NftTableChange = Extract<Change, { kind: 'nft-table' }>;

/** What nft accepts as a table name, and nothing that could end a line of an `nft -f` script. */
const NFT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * An nft script that removes the table whether or not it is there: adding an existing table is no error, and both
 * commands are one transaction, so "already gone" never has to be told apart from a real failure by its message.
 */
export function nftRemoveTable(table: NftTableChange): string {
  return `add table ${table.family} ${table.name}\ndelete table ${table.family} ${table.name}\n`;
}

/** A route of ours, through the adapter or nowhere. */
export type OurRoute = Extract<Change, { kind: 'route' | 'unreachable' }>;

/** Our routes carry this protocol, so undoing one never deletes a route someone else added. */
const ROUTE_PROTOCOL = 'static';

/** `ip route add|replace|del` arguments that name exactly one of our routes. */
export function ourRouteArgs(change: OurRoute): string[] {
  if (change.kind === 'unreachable') return ['unreachable', change.dst, 'proto', ROUTE_PROTOCOL];
  const via = change.via === undefined ? [] : ['via', change.via];
  return [change.dst, ...via, 'dev', change.dev, 'proto', ROUTE_PROTOCOL];
}

export function routeArgs(spec: RouteSpec): string[] {
  const args = spec.type && spec.type !== 'unicast' ? [spec.type, spec.dst] : [spec.dst];
  if (spec.gateway !== undefined) args.push('via', spec.gateway);
  if (spec.dev !== undefined) args.push('dev', spec.dev);
  if (spec.protocol !== undefined) args.push('proto', spec.protocol);
  if (spec.scope !== undefined) args.push('scope', spec.scope);
  if (spec.prefsrc !== undefined) args.push('src', spec.prefsrc);
  if (spec.metric !== undefined) args.push('metric', String(spec.metric));
  if (spec.onlink) args.push('onlink');
  return args;
}

/** The objects of an `ip -j` listing; undefined when the output is not one. */
export function parseIpJson(text: string): Record<string, unknown>[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return value.filter((v): v is Record<string, unknown> => typeof v === 'object' && !!v);
  } catch {
    // not JSON: the caller reports it
  }
  return undefined;
}

const ROUTE_SPEC_TEXT = ['type', 'gateway', 'dev', 'protocol', 'scope', 'prefsrc'] as const;

/** A route as `ip -j route show` prints it, as much as it takes to add it back. */
export function routeSpecOfIpJson(json: Record<string, unknown>): RouteSpec {
  const spec: RouteSpec = { dst: String(json.dst) };
  for (const key of ROUTE_SPEC_TEXT) {
    const value = json[key];
    if (typeof value === 'string') spec[key] = value;
  }
  if (typeof json.metric === 'number') spec.metric = json.metric;
  if (Array.isArray(json.flags) && json.flags.includes('onlink')) spec.onlink = true;
  return spec;
}

/**
 * Undoes `change`; throws only when a file cannot be written back or a table of ours cannot be deleted (nft missing
 * or refused): the things worth retrying later, and a kill switch must never be forgotten while it still blocks.
 */
export async function undo(change: Change, run: CommandRunner): Promise<void> {
  const quietly = async (program: string, args: string[]): Promise<void> => {
    try {
      await run(program, args);
    } catch (error) {
      if (!(error instanceof CommandFailed)) throw error;
      // already gone: the device, the route, resolved's link state
    }
  };
  switch (change.kind) {
    case 'address':
      await quietly('ip', ['addr', 'del', change.cidr, 'dev', change.dev]);
      return;
    case 'link': {
      const args = ['link', 'set', 'dev', change.dev, 'mtu', String(change.mtu)];
      if (!change.up) args.push('down');
      await quietly('ip', args);
      if (change.addrGenMode !== undefined) {
        await quietly('ip', ['link', 'set', 'dev', change.dev, 'addrgenmode', change.addrGenMode]);
      }
      return;
    }
    case 'route':
    case 'unreachable':
      await quietly('ip', ['route', 'del', ...ourRouteArgs(change)]);
      if (change.displaced) await quietly('ip', ['route', 'add', ...routeArgs(change.displaced)]);
      return;
    case 'resolv-conf':
      restoreFile(change.path, change.original, change.written);
      return;
    case 'resolved':
      await quietly('resolvectl', ['revert', change.link]);
      return;
    case 'resolved-default-route':
      await quietly('resolvectl', ['default-route', change.link, 'yes']);
      return;
    case 'nft-table':
      await run('nft', ['-f', '-'], nftRemoveTable(change));
      return;
    case 'tun-device':
      await quietly('ip', ['link', 'del', 'dev', change.name]);
      return;
  }
}

/**
 * Puts the original back in place (truncate and write: the path may be a bind mount), but only while the file
 * still holds what we wrote: if something else (a DHCP client, the boot scripts after a crash) has written it
 * since, that is the newer truth and stays.
 */
function restoreFile(path: string, original: string | null, written: string): void {
  let current: Buffer | undefined;
  try {
    current = readFileSync(path);
  } catch {
    current = undefined;
  }
  const ours = current?.equals(Buffer.from(written, 'base64')) ?? false;
  if (!ours) return;
  if (original === null) rmSync(path, { force: true });
  else writeFileSync(path, Buffer.from(original, 'base64'));
}

const isString = (v: unknown): v is string => typeof v === 'string';
const optional = <T>(v: unknown, is: (x: unknown) => x is T): boolean => v === undefined || is(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function parseRouteSpec(v: unknown): RouteSpec | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const ok =
    isString(r.dst) &&
    optional(r.type, isString) &&
    optional(r.gateway, isString) &&
    optional(r.dev, isString) &&
    optional(r.protocol, isString) &&
    optional(r.scope, isString) &&
    optional(r.prefsrc, isString) &&
    optional(r.metric, isNumber) &&
    optional(r.onlink, isBoolean);
  return ok ? (r as unknown as RouteSpec) : undefined;
}

function parseChange(v: unknown): Change | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  switch (c.kind) {
    case 'address':
      return isString(c.dev) && isString(c.cidr) ? { kind: 'address', dev: c.dev, cidr: c.cidr } : undefined;
    case 'link':
      return isString(c.dev) && isNumber(c.mtu) && isBoolean(c.up) && optional(c.addrGenMode, isString)
        ? { kind: 'link', dev: c.dev, mtu: c.mtu, up: c.up, addrGenMode: c.addrGenMode as string | undefined }
        : undefined;
    case 'route': {
      if (!isString(c.dst) || !isString(c.dev) || !optional(c.via, isString)) return undefined;
      const change: Change = { kind: 'route', dst: c.dst, dev: c.dev };
      if (isString(c.via)) change.via = c.via;
      return withDisplaced(change, c.displaced);
    }
    case 'unreachable':
      return isString(c.dst) ? withDisplaced({ kind: 'unreachable', dst: c.dst }, c.displaced) : undefined;
    case 'resolv-conf':
      return isString(c.path) && (c.original === null || isString(c.original)) && isString(c.written)
        ? { kind: 'resolv-conf', path: c.path, original: c.original, written: c.written }
        : undefined;
    case 'resolved':
      return isString(c.link) ? { kind: 'resolved', link: c.link } : undefined;
    case 'resolved-default-route':
      return isString(c.link) && INTERFACE_NAME.test(c.link)
        ? { kind: 'resolved-default-route', link: c.link }
        : undefined;
    case 'nft-table':
      // the name goes into an nft script on undo: a journal edited by hand must not smuggle in more than a name
      return c.family === 'inet' && isString(c.name) && NFT_NAME.test(c.name)
        ? { kind: 'nft-table', family: 'inet', name: c.name }
        : undefined;
    case 'tun-device':
      // the name goes into `ip link del`: only a name of ours
      return isString(c.name) && /^outpost\d{1,4}$/.test(c.name) ? { kind: 'tun-device', name: c.name } : undefined;
    default:
      return undefined;
  }
}

/** `change` with the journaled route it displaced, or undefined when that is not a route we wrote. */
function withDisplaced(change: OurRoute, displaced: unknown): OurRoute | undefined {
  if (displaced === undefined) return change;
  const spec = parseRouteSpec(displaced);
  if (!spec) return undefined;
  change.displaced = spec;
  return change;
}

/** The journal's changes as typed values, or undefined when any of them is not one we wrote. */
export function parseChanges(v: unknown): Change[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const changes: Change[] = [];
  for (const item of v) {
    const change = parseChange(item);
    if (!change) return undefined;
    changes.push(change);
  }
  return changes;
}
