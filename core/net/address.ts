/** IP address text ⇄ bytes and CIDR prefixes, shared by traffic selectors, configuration payloads and profiles. */
import { isIPv4, isIPv6 } from 'node:net';
import { OutpostError } from '../errors.js';

export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  // a zone (fe80::1%eth0) names a local link, not an address a tunnel or a profile can use
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (isIPv4(g)) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // collapse the longest run of zero groups, as RFC 5952 asks
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

export interface Cidr {
  address: Uint8Array; // network address, host bits cleared
  prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [addr = '', prefixText, extra] = text.split('/');
  const address = parseIp(addr);
  const bits = address ? address.length * 8 : 0;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!address || extra !== undefined || !/^\d+$/.test(prefixText ?? String(bits)) || prefix > bits) {
    throw new OutpostError('profile-invalid', `"${text}" is not a valid subnet (expected e.g. 198.51.100.0/24).`);
  }
  return { address: maskAddress(address, prefix), prefix };
}

export function maskAddress(address: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(address.length);
  for (let i = 0; i < address.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = address[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether `address` lies in `cidr` (an address of the other family never does). */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  return (
    address.length === cidr.address.length && Buffer.compare(maskAddress(address, cidr.prefix), cidr.address) === 0
  );
}

/** The last address of a prefix (all host bits set). */
export function lastAddress(cidr: Cidr): Uint8Array {
  const out = new Uint8Array(cidr.address.length);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, cidr.prefix - 8 * i));
    out[i] = cidr.address[i]! | (0xff >> bits);
  }
  return out;
}

/** The prefix length of a netmask such as 255.255.255.0, or undefined when the mask is not contiguous. */
export function prefixOfMask(mask: Uint8Array): number | undefined {
  let prefix = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return undefined;
      if (set) prefix++;
      else ended = true;
    }
  }
  return prefix;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.address)}/${cidr.prefix}`;
}
