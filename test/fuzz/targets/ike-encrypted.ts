/**
 * The payloads inside SK (RFC 7296 §3.14): valid inner chains are mutated, then sealed with the test SA exactly as a
 * gateway would seal them, so that decodeMessage, decryption, the inner payload decoders and what reads their contents
 * all see the mutation. A few inputs are damaged after sealing instead, for the integrity and padding checks.
 */
import { decodeMessage } from '../../../core/ike/message/message.js';
import { toHex } from '../../support/hex.js';
import { joinChain, mutatedChain } from '../ike-chain.js';
import { INNER_CHAINS, INNER_DONORS } from '../ike-seeds.js';
import { gatewayHeader, TEST_SAS, type TestSa } from '../ike-test-sa.js';
import { type Dice, mutateBytes } from '../mutator.js';
import { decodeReceived } from '../received-payloads.js';
import { defineTarget, isDecodeError } from '../target.js';

interface SealedMessage {
  sa: TestSa;
  datagram: Uint8Array;
}

function generate(dice: Dice): SealedMessage {
  const sa = dice.pick(TEST_SAS);
  const chain = dice.pick(INNER_CHAINS);
  const inner = dice.chance(95) ? mutatedChain(dice, chain, INNER_DONORS) : joinChain(chain);
  const datagram = sa.gateway.sealEncoded(gatewayHeader(dice), inner.bytes, inner.firstType, undefined);
  return { sa, datagram: dice.chance(8) ? mutateBytes(dice, datagram) : datagram };
}

function run({ sa, datagram }: SealedMessage): boolean {
  decodeReceived(sa.outpost.open(datagram, decodeMessage(datagram)));
  return true;
}

export const ikeEncryptedTarget = defineTarget({
  name: 'ike-encrypted',
  generate,
  run,
  expected: isDecodeError,
  show: ({ sa, datagram }) => `${sa.name} ${toHex(datagram)}`,
});
