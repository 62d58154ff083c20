/** decodeMessage on whole datagrams: the IKE header and the outer payload chain (RFC 7296 §3.1, §3.2). */
import { ExchangeType, IKE_HEADER_LENGTH, NotifyType } from '../../../core/iana.js';
import { notify } from '../../../core/ike/message/helpers.js';
import { decodeMessage, encodeMessage } from '../../../core/ike/message/message.js';
import {
  HAND_BUILT_IKE_SA_INIT,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_2,
  STRONGSWAN_IKE_AUTH_RESPONSE,
  STRONGSWAN_IKE_SA_INIT_REQUEST,
  STRONGSWAN_IKE_SA_INIT_RESPONSE,
} from '../../../core/ike/message/test-support.js';
import { toHex } from '../../support/hex.js';
import { mutatedChain, type Segment, splitChain } from '../ike-chain.js';
import { INNER_DONORS, OUTER_PAYLOADS } from '../ike-seeds.js';
import { type Dice, mutateBytes, tweakU16 } from '../mutator.js';
import { defineTarget, isDecodeError } from '../target.js';

const INIT_RESPONSE_HEADER = {
  spiI: new Uint8Array(8).fill(4),
  spiR: new Uint8Array(8).fill(5),
  exchange: ExchangeType.IKE_SA_INIT,
  initiator: false,
  response: true,
  messageId: 0,
};

const SEEDS: readonly Uint8Array[] = [
  HAND_BUILT_IKE_SA_INIT,
  STRONGSWAN_IKE_SA_INIT_REQUEST,
  STRONGSWAN_IKE_SA_INIT_RESPONSE,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_2,
  STRONGSWAN_IKE_AUTH_RESPONSE,
  encodeMessage(INIT_RESPONSE_HEADER, [...OUTER_PAYLOADS]),
  encodeMessage(INIT_RESPONSE_HEADER, [notify(NotifyType.INVALID_KE_PAYLOAD, Uint8Array.of(0, 19))]),
];

const FIRST_PAYLOAD = 16;
const VERSION = 17;
const FLAGS = 19;
const LENGTH = 24;

/** Header fields the decoder checks or reads, changed one at a time. */
function mutateHeader(dice: Dice, datagram: Uint8Array): void {
  switch (dice.int(4)) {
    case 0:
      datagram[VERSION] = dice.chance(50) ? dice.int(256) : 0x20 | dice.int(16);
      break;
    case 1:
      datagram[FLAGS] = dice.int(256);
      break;
    case 2:
      tweakU16(dice, datagram, LENGTH + 2);
      break;
    default:
      datagram[FIRST_PAYLOAD] = dice.int(256);
  }
}

function generate(dice: Dice): Uint8Array {
  const seed = dice.pick(SEEDS);
  if (dice.chance(30)) return mutateBytes(dice, seed, SEEDS);
  const segments: Segment[] = splitChain(seed[FIRST_PAYLOAD]!, seed.subarray(IKE_HEADER_LENGTH));
  const chain = mutatedChain(dice, segments, INNER_DONORS);
  const datagram = new Uint8Array(IKE_HEADER_LENGTH + chain.bytes.length);
  datagram.set(seed.subarray(0, IKE_HEADER_LENGTH));
  datagram.set(chain.bytes, IKE_HEADER_LENGTH);
  datagram[FIRST_PAYLOAD] = chain.firstType;
  new DataView(datagram.buffer).setUint32(LENGTH, datagram.length);
  if (dice.chance(15)) mutateHeader(dice, datagram);
  return datagram;
}

export const ikeMessageTarget = defineTarget({
  name: 'ike-message',
  generate,
  run: (datagram) => decodeMessage(datagram) !== undefined,
  expected: isDecodeError,
  show: toHex,
});
