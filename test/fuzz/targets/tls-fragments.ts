/**
 * EAP-TLS frames (RFC 5216 §3.1): a TLS message cut into frames with lengths and flags sometimes wrong, then delivered
 * duplicated, reordered, lost or damaged, under fresh or repeated EAP identifiers, to one TlsReassembler with small
 * limits, as the EAP-TLS method delivers them. A reassembled message must be exactly the announced length.
 */
import { decodeTlsFrame, encodeTlsFrame, TlsReassembler } from '../../../core/eap/tls-framing.js';
import { toHex } from '../../support/hex.js';
import { type Dice, mutateBytes, mutateList } from '../mutator.js';
import { defineTarget, isDecodeError } from '../target.js';

interface Delivery {
  frames: { identifier: number; data: Uint8Array }[];
}

const LIMITS = { maxTotal: 4096, maxFragments: 8 };
const LENGTHS = [0, 1, 100, 4095, 4096, 4097, 0xffffffff];

function generate(dice: Dice): Delivery {
  const message = Uint8Array.from({ length: dice.int(6000) }, () => dice.int(256));
  const count = 1 + dice.int(10);
  const size = Math.max(1, Math.ceil(message.length / count));
  let frames: Delivery['frames'] = [];
  for (let offset = 0, n = 0; offset < message.length || n === 0; offset += size, n++) {
    const wrong = dice.chance(10);
    const more = offset + size < message.length ? !(wrong && dice.chance(50)) : wrong && dice.chance(50);
    const totalLength =
      n === 0 || (wrong && dice.chance(50)) ? (wrong ? dice.pick(LENGTHS) : message.length) : undefined;
    const fragment = message.subarray(offset, offset + size);
    frames.push({
      identifier: (n + (wrong ? dice.int(3) : 0)) & 0xff,
      data: encodeTlsFrame({ more, totalLength, fragment }),
    });
  }
  if (dice.chance(40)) {
    frames = mutateList(dice, frames, {
      fresh: () => dice.pick(frames),
      change: (frame) => ({ identifier: frame.identifier, data: mutateBytes(dice, frame.data) }),
    });
  }
  return { frames };
}

/** Decoded: a message came out whole. A refused frame ends the conversation (the method fails), so the run stops. */
function run({ frames }: Delivery): boolean {
  const reassembler = new TlsReassembler(LIMITS);
  for (const { identifier, data } of frames) {
    const frame = decodeTlsFrame(data);
    const result = reassembler.add(identifier, frame);
    if (result.kind === 'complete') {
      if (result.message.length > LIMITS.maxTotal) throw new Error(`reassembled ${result.message.length} bytes`);
      return true;
    }
  }
  return false;
}

export const tlsFragmentsTarget = defineTarget({
  name: 'tls-fragments',
  generate,
  run,
  expected: isDecodeError,
  show: ({ frames }) => frames.map((f) => `${f.identifier}:${toHex(f.data)}`).join(' '),
});
