/**
 * Structure-aware mutation of IKE payload chains (RFC 7296 §3.2): a chain is cut into its payloads, which are dropped,
 * duplicated, reordered, retyped, spliced in from other messages or given mutated bodies, and then joined with
 * next-payload and length fields that agree again, so the input gets past the chain walk into the payload decoders.
 */
import { PayloadType } from '../../core/iana.js';
import { GENERIC_HEADER_LENGTH } from '../../core/ike/message/constants.js';
import { type Dice, mutateBytes, mutateList, tweakU16 } from './mutator.js';

export interface Segment {
  type: number;
  critical: boolean;
  body: Uint8Array;
}

const CRITICAL = 0x80;
const MAX_BODY = 0xffff - GENERIC_HEADER_LENGTH;
const PAYLOAD_TYPES: readonly number[] = Object.values(PayloadType);

/** The payloads of a chain we encoded ourselves (its lengths are trusted). */
export function splitChain(firstType: number, bytes: Uint8Array): Segment[] {
  const segments: Segment[] = [];
  let type = firstType;
  let offset = 0;
  while (type !== PayloadType.NONE && offset + GENERIC_HEADER_LENGTH <= bytes.length) {
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    segments.push({
      type,
      critical: (bytes[offset + 1]! & CRITICAL) !== 0,
      body: bytes.slice(offset + GENERIC_HEADER_LENGTH, offset + length),
    });
    type = bytes[offset]!;
    offset += length;
  }
  return segments;
}

export interface JoinedChain {
  firstType: number;
  bytes: Uint8Array;
}

/** The chain with consistent next-payload and length fields. */
export function joinChain(segments: readonly Segment[]): JoinedChain {
  const bodies = segments.map((s) => s.body.subarray(0, MAX_BODY));
  const out = new Uint8Array(bodies.reduce((n, b) => n + GENERIC_HEADER_LENGTH + b.length, 0));
  let offset = 0;
  segments.forEach((segment, i) => {
    const body = bodies[i]!;
    const length = GENERIC_HEADER_LENGTH + body.length;
    out[offset] = segments[i + 1]?.type ?? PayloadType.NONE;
    out[offset + 1] = segment.critical ? CRITICAL : 0;
    out[offset + 2] = length >>> 8;
    out[offset + 3] = length & 0xff;
    out.set(body, offset + GENERIC_HEADER_LENGTH);
    offset += length;
  });
  return { firstType: segments[0]?.type ?? PayloadType.NONE, bytes: out };
}

/** One to a few structural changes to a copy of `segments`; `donors` are payloads of other valid chains. */
function mutateChain(dice: Dice, segments: readonly Segment[], donors: readonly Segment[]): Segment[] {
  const donorBodies = donors.map((d) => d.body);
  return mutateList(dice, segments, {
    fresh: () => dice.pick(donors),
    change(segment) {
      switch (dice.int(4)) {
        case 0:
          return { ...segment, type: dice.chance(80) ? dice.pick(PAYLOAD_TYPES) : dice.int(256) };
        case 1:
          return { ...segment, critical: !segment.critical };
        default:
          return { ...segment, body: mutateBytes(dice, segment.body, donorBodies) };
      }
    },
  });
}

/**
 * A mutated chain: mostly consistent (structural changes, then joined), sometimes with a wrong length or next-payload
 * field in one of its generic headers, so that the chain walk itself is exercised too.
 */
export function mutatedChain(dice: Dice, segments: readonly Segment[], donors: readonly Segment[]): JoinedChain {
  const joined = joinChain(mutateChain(dice, segments, donors));
  if (dice.chance(80) || joined.bytes.length === 0) return joined;
  const headers: number[] = [];
  for (let offset = 0; offset + GENERIC_HEADER_LENGTH <= joined.bytes.length; ) {
    headers.push(offset);
    offset += (joined.bytes[offset + 2]! << 8) | joined.bytes[offset + 3]!;
  }
  const header = dice.pick(headers);
  if (dice.chance(50)) tweakU16(dice, joined.bytes, header + 2);
  else joined.bytes[header] = dice.chance(50) ? dice.pick(PAYLOAD_TYPES) : dice.int(256);
  return joined;
}
