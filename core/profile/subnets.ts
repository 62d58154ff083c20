/**
 * Address sets for the .sswan split-tunneling settings: subnets or ranges ("192.0.2.10-192.0.2.20") to include, others
 * to exclude. The engine takes a list of CIDR subnets, so the set (included minus excluded) is written as the fewest
 * CIDR blocks that cover exactly it.
 */
import { OutpostError } from '../errors.js';
import { formatIp, parseCidr, parseIp } from '../net/address.js';

interface Range {
  bits: 32 | 128;
  first: bigint;
  last: bigint;
}

/** Both address families, whole: what "tunnel everything" means before exclusions. */
const EVERYTHING = ['0.0.0.0/0', '::/0'];

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function toBytes(n: bigint, bits: 32 | 128): Uint8Array {
  const out = new Uint8Array(bits / 8);
  for (let i = out.length - 1, v = n; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function parseRange(text: string): Range | undefined {
  const compact = text.replace(/\s+/g, '');
  const dash = compact.indexOf('-');
  if (dash < 0) {
    let cidr: ReturnType<typeof parseCidr>;
    try {
      cidr = parseCidr(compact);
    } catch {
      return undefined;
    }
    const bits = cidr.address.length === 4 ? 32 : 128;
    const first = toBigInt(cidr.address);
    return { bits, first, last: first | ((1n << BigInt(bits - cidr.prefix)) - 1n) };
  }
  const from = parseIp(compact.slice(0, dash));
  const to = parseIp(compact.slice(dash + 1));
  if (!from || !to || from.length !== to.length || toBigInt(from) > toBigInt(to)) return undefined;
  return { bits: from.length === 4 ? 32 : 128, first: toBigInt(from), last: toBigInt(to) };
}

function minus(range: Range, cut: Range): Range[] {
  if (cut.bits !== range.bits || cut.last < range.first || cut.first > range.last) return [range];
  const pieces: Range[] = [];
  if (cut.first > range.first) pieces.push({ ...range, last: cut.first - 1n });
  if (cut.last < range.last) pieces.push({ ...range, first: cut.last + 1n });
  return pieces;
}

/** Sorted, with overlapping and adjacent ranges joined. */
function merged(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.bits - b.bits || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && last.bits === r.bits && r.first <= last.last + 1n) {
      if (r.last > last.last) last.last = r.last;
    } else out.push({ ...r });
  }
  return out;
}

function cidrsOf(range: Range): string[] {
  const out: string[] = [];
  let first = range.first;
  while (first <= range.last) {
    // the largest aligned block starting at `first` that stays inside the range
    let size = 0;
    while (
      size < range.bits &&
      (first & ((1n << BigInt(size + 1)) - 1n)) === 0n &&
      first + (1n << BigInt(size + 1)) - 1n <= range.last
    ) {
      size++;
    }
    out.push(`${formatIp(toBytes(first, range.bits))}/${range.bits - size}`);
    first += 1n << BigInt(size);
  }
  return out;
}

/**
 * CIDR subnets covering `included` (everything when empty) minus `excluded`. Entries are CIDR subnets, single
 * addresses or ranges "a-b". The label names the setting in errors.
 */
export function subnetsCovering(included: string[], excluded: string[], label: string): string[] {
  const read = (text: string): Range => {
    const range = parseRange(text);
    if (!range) {
      throw new OutpostError('profile-invalid', `${label} has "${text}", which is not a subnet or address range.`);
    }
    return range;
  };
  let ranges = merged((included.length > 0 ? included : EVERYTHING).map(read));
  for (const cut of excluded.map(read)) ranges = ranges.flatMap((r) => minus(r, cut));
  if (ranges.length === 0) {
    throw new OutpostError('profile-invalid', `${label} excludes every address that would go through the tunnel.`);
  }
  return merged(ranges).flatMap(cidrsOf);
}
