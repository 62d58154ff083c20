/**
 * ESP decapsulation (RFC 4303) through the engine, and the classification of datagrams on the NAT-T port (RFC 3948).
 * Inner IP packets are mutated and then sealed by a real outbound SA (any next header, sequence numbers around the
 * 32-bit and ESN boundaries), so they pass the ICV and reach the trailer and inner-packet checks; sealed packets are
 * also damaged after sealing. An SA whose ICV is empty lets damaged ciphertext through to the padding checks too.
 * decapsulate and classifyNatTDatagram never throw by contract, so every exception is a crash.
 */
import type { Integrity } from '../../../core/crypto/integrity.js';
import { getEncryption, getIntegrity } from '../../../core/crypto/registry.js';
import { EncrId, IntegId } from '../../../core/iana.js';
import { EspEngine } from '../../../core/esp/engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from '../../../core/esp/sa.js';
import { ipPacket, NULL_ICV_FOR_TESTS } from '../../../core/esp/test-support.js';
import { classifyNatTDatagram } from '../../../core/esp/udp-encap.js';
import { toHex } from '../../support/hex.js';
import { type Dice, mutateBytes } from '../mutator.js';
import { defineTarget } from '../target.js';

interface TestTransform {
  name: string;
  encr: number;
  keyBits: number | undefined;
  integrity: Integrity | undefined;
}

const TRANSFORMS: readonly TestTransform[] = [
  { name: 'AES-GCM-16-128', encr: EncrId.AES_GCM_16, keyBits: 128, integrity: undefined },
  { name: 'ChaCha20-Poly1305', encr: EncrId.CHACHA20_POLY1305, keyBits: undefined, integrity: undefined },
  {
    name: 'AES-CBC-128/HMAC-SHA1-96',
    encr: EncrId.AES_CBC,
    keyBits: 128,
    integrity: getIntegrity(IntegId.HMAC_SHA1_96),
  },
  {
    name: 'AES-CBC-256/HMAC-SHA2-512-256',
    encr: EncrId.AES_CBC,
    keyBits: 256,
    integrity: getIntegrity(IntegId.HMAC_SHA2_512_256),
  },
  { name: 'AES-CBC-128/no ICV', encr: EncrId.AES_CBC, keyBits: 128, integrity: NULL_ICV_FOR_TESTS },
];

const SPI = Uint8Array.of(0xc0, 0xff, 0xee, 0x01);
const NEXT_HEADERS = [4, 41, 59, 0, 6, 17, 255];
const SEQUENCES = [1n, 2n, 1023n, 1024n, 1025n, 0xffff_fffen, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n];

/** Fixed keys, so an input is the same bytes every run; a fresh copy each time (an outbound SA claims its buffer). */
function config(transform: TestTransform, esn: boolean): EspSaConfig {
  const encryption = getEncryption(transform.encr, transform.keyBits)!;
  return {
    spi: SPI,
    encryption,
    integrity: transform.integrity,
    keys: {
      encryption: new Uint8Array(encryption.keyLength).fill(0x5a),
      integrity: new Uint8Array(transform.integrity?.keyLength ?? 0).fill(0xa5),
    },
    esn,
  };
}

interface EspInput {
  transform: TestTransform;
  esn: boolean;
  /** Packets that arrive first (moving the anti-replay window), then the one under test. */
  packets: Uint8Array[];
}

function generate(dice: Dice): EspInput {
  const transform = dice.pick(TRANSFORMS);
  const esn = dice.chance(40);
  const sequences = SEQUENCES.filter((s) => esn || s <= 0xffff_ffffn);
  const outbound = new OutboundSa(config(transform, esn), { firstSequence: dice.pick(sequences) });
  const packets: Uint8Array[] = [];
  for (let n = dice.few(3); n > 0; n--) {
    const version = dice.chance(70) ? 4 : 6;
    const inner = ipPacket(version, (version === 4 ? 20 : 40) + dice.int(200), dice.int(256));
    const payload = dice.chance(60) ? mutateBytes(dice, inner) : inner;
    const nextHeader = dice.chance(80) ? (version === 4 ? 4 : 41) : dice.pick(NEXT_HEADERS);
    if (outbound.exhausted) break;
    const sealed = outbound.encapsulate(payload, nextHeader);
    packets.push(dice.chance(30) ? mutateBytes(dice, sealed) : sealed);
  }
  if (dice.chance(20) && packets.length > 1) packets.push(packets[dice.int(packets.length)]!);
  return { transform, esn, packets };
}

/** Decoded: at least one packet came out as an inner packet. */
function run({ transform, esn, packets }: EspInput): boolean {
  const engine = new EspEngine();
  engine.installInbound(new InboundSa(config(transform, esn)));
  let delivered = false;
  for (const packet of packets) {
    classifyNatTDatagram(packet);
    const inner = engine.decapsulate(packet);
    if (inner !== undefined && !(inner instanceof Uint8Array && inner.length <= packet.length)) {
      throw new Error(`decapsulate returned ${String(inner)}`);
    }
    delivered ||= inner !== undefined;
  }
  return delivered;
}

export const espTarget = defineTarget({
  name: 'esp',
  generate,
  run,
  expected: () => false,
  show: ({ transform, esn, packets }) => `${transform.name}${esn ? ' ESN' : ''} ${packets.map(toHex).join(' ')}`,
});
