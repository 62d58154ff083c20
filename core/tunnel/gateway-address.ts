/**
 * The gateway's address as the profile names it, resolved for both families: every address the name has, IPv6
 * first and each family in the order the resolver gave (RFC 8305 §4 prefers IPv6 and keeps the rest for fallback).
 */
import { lookup } from 'node:dns/promises';
import { OutpostError } from '../errors.js';
import { formatIp, parseIp } from '../net/address.js';

export async function resolveGateway(address: string): Promise<string[]> {
  let found: Array<{ address: string }>;
  try {
    found = await lookup(address, { all: true });
  } catch (error) {
    throw new OutpostError('network', `The gateway address "${address}" could not be found. Check the profile.`, {
      cause: error,
    });
  }
  return preferIpv6(found.map((f) => f.address));
}

/**
 * The addresses in canonical text (the UDP socket compares the sender's address as text), without duplicates or
 * anything that is not an address, IPv6 before IPv4.
 */
export function preferIpv6(addresses: readonly string[]): string[] {
  const canonical = [...new Set(addresses.map((a) => parseIp(a)).flatMap((bytes) => (bytes ? [formatIp(bytes)] : [])))];
  return [...canonical.filter((a) => a.includes(':')), ...canonical.filter((a) => !a.includes(':'))];
}

/** The first address of each family, preferred first: the two an attempt may race. */
export function familyHeads(addresses: readonly string[]): string[] {
  const v6 = addresses.find((a) => a.includes(':'));
  const v4 = addresses.find((a) => !a.includes(':'));
  return [v6, v4].filter((a): a is string => a !== undefined);
}
