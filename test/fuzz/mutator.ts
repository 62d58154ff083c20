/**
 * The shared byte mutator of the fuzzers. Every input draws from dice of its own, seeded from (seed, target, index),
 * so any single input is rebuilt from those three numbers without replaying the ones before it.
 */
import { seededRandom } from '../support/seeded-random.js';

/** Values at the edges of the fields decoders compare against: zero, sign bits, all ones, and their neighbours. */
const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const BOUNDARY_U16 = [0, 1, 2, 3, 4, 5, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
const BOUNDARY_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** 32-bit mix (the murmur3 finaliser): nearby indices get unrelated generator states. */
function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Dice {
  private constructor(readonly next: () => number) {}

  static forInput(seed: number, target: string, index: number): Dice {
    return new Dice(seededRandom(mix(mix(seed ^ nameHash(target)) ^ index) || 1));
  }

  /** 0 … n-1 (n ≥ 1). */
  int(n: number): number {
    return this.next() % n;
  }

  chance(percent: number): boolean {
    return this.int(100) < percent;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A small count, most often 1: most inputs should stay close to a valid one. */
  few(max: number): number {
    let n = 1;
    while (n < max && this.chance(35)) n++;
    return n;
  }

  /** A length for a field: mostly small, sometimes at a boundary, sometimes near `around`. */
  length(around: number): number {
    switch (this.int(4)) {
      case 0:
        return this.pick(BOUNDARY_U16);
      case 1:
        return Math.max(0, around + this.int(9) - 4);
      default:
        return this.int(64);
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes a big-endian 16-bit value (bytes past the end are dropped, like a field cut by truncation). */
function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  if (offset < bytes.length) bytes[offset] = value >>> 8;
  if (offset + 1 < bytes.length) bytes[offset + 1] = value & 0xff;
}

function readU16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

/** A plausible wrong value for the 16-bit length or count field at `offset`: off by a little, or at a boundary. */
export function tweakU16(dice: Dice, bytes: Uint8Array, offset: number): void {
  const current = readU16(bytes, offset);
  const value = dice.chance(50) ? current + dice.int(9) - 4 : dice.pick(BOUNDARY_U16);
  writeU16(bytes, offset, value & 0xffff);
}

function tweakU32(dice: Dice, bytes: Uint8Array, offset: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (offset + 4 > bytes.length) return;
  const current = view.getUint32(offset);
  view.setUint32(offset, dice.chance(50) ? (current + dice.int(9) - 4) >>> 0 : dice.pick(BOUNDARY_U32));
}

/** One random change; `donors` are other valid inputs whose pieces may be spliced in. */
function mutateOnce(dice: Dice, bytes: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  const at = dice.int(bytes.length + 1);
  const span = Math.min(bytes.length - at, dice.chance(80) ? 1 + dice.int(8) : dice.int(bytes.length + 1));
  switch (dice.int(10)) {
    case 0: {
      const out = bytes.slice();
      if (out.length > 0) out[at % out.length]! ^= 1 << dice.int(8);
      return out;
    }
    case 1: {
      const out = bytes.slice();
      if (out.length > 0) out[at % out.length] = dice.chance(70) ? dice.pick(BOUNDARY_BYTES) : dice.int(256);
      return out;
    }
    case 2:
      return concat(bytes.subarray(0, at), dice.bytes(1 + dice.int(dice.chance(90) ? 8 : 300)), bytes.subarray(at));
    case 3:
      return concat(bytes.subarray(0, at), bytes.subarray(at + Math.max(1, span)));
    case 4: {
      const piece = bytes.slice(at, at + span);
      const to = dice.int(bytes.length + 1);
      return concat(bytes.subarray(0, to), piece, bytes.subarray(to));
    }
    case 5: {
      const donor = donors.length > 0 ? dice.pick(donors) : bytes;
      const from = dice.int(donor.length + 1);
      const piece = donor.subarray(from, from + 1 + dice.int(64));
      return dice.chance(50)
        ? concat(bytes.subarray(0, at), piece, bytes.subarray(at))
        : concat(bytes.subarray(0, at), piece, bytes.subarray(at + piece.length));
    }
    case 6:
      return bytes.slice(0, at);
    case 7: {
      const out = bytes.slice();
      tweakU16(dice, out, at);
      return out;
    }
    case 8: {
      const out = bytes.slice();
      tweakU32(dice, out, at);
      return out;
    }
    default: {
      // a run of one byte value: zero runs, 0xff runs, repeated lengths
      const out = bytes.slice();
      out.fill(dice.pick(BOUNDARY_BYTES), at, at + span);
      return out;
    }
  }
}

/** A few random changes to a copy of `bytes`; the input itself is never modified. */
export function mutateBytes(dice: Dice, bytes: Uint8Array, donors: readonly Uint8Array[] = []): Uint8Array {
  let out = bytes;
  for (let n = dice.few(6); n > 0; n--) out = mutateOnce(dice, out, donors);
  return out === bytes ? bytes.slice() : out;
}

export interface ListChanges<T> {
  /** A changed copy of one item (the item itself is shared and must not be modified). */
  change(item: T): T;
  /** An item to insert: one from another valid input, or a new one. */
  fresh(): T;
}

/** One to a few changes to a copy of a list: an item dropped, repeated, moved, inserted, or changed. */
export function mutateList<T>(dice: Dice, items: readonly T[], changes: ListChanges<T>): T[] {
  const out = items.slice();
  for (let n = dice.few(4); n > 0; n--) {
    const at = dice.int(out.length + 1);
    const item = out[at % Math.max(1, out.length)];
    switch (item === undefined ? 3 : dice.int(6)) {
      case 0:
        out.splice(at, 1);
        break;
      case 1:
        out.splice(dice.int(out.length + 1), 0, item!);
        break;
      case 2: {
        const other = dice.int(out.length);
        [out[at % out.length], out[other]] = [out[other]!, item!];
        break;
      }
      case 3:
        out.splice(at, 0, changes.fresh());
        break;
      default:
        out[at % out.length] = changes.change(item!);
    }
  }
  return out;
}
