/**
 * RFC 7383 fragments: a (mutated) inner chain is cut into SKF fragments sealed with the test SA, with numbers, totals
 * and first-payload fields sometimes wrong, then delivered duplicated, reordered, partly lost or under other message
 * IDs to one FragmentCollector, as the exchange manager delivers them.
 */
import { PayloadType } from '../../../core/iana.js';
import { decodeMessage } from '../../../core/ike/message/message.js';
import { FragmentCollector } from '../../../core/ike/protection.js';
import { toHex } from '../../support/hex.js';
import { mutatedChain } from '../ike-chain.js';
import { INNER_CHAINS, INNER_DONORS } from '../ike-seeds.js';
import { gatewayHeader, TEST_SAS, type TestSa } from '../ike-test-sa.js';
import { type Dice, mutateBytes, mutateList } from '../mutator.js';
import { decodeReceived } from '../received-payloads.js';
import { defineTarget, isDecodeError } from '../target.js';

interface FragmentDelivery {
  sa: TestSa;
  datagrams: Uint8Array[];
}

/** Around the RFC 7383 §2.5.3 limit the collector enforces (64), and ordinary small counts. */
const TOTALS = [1, 2, 3, 4, 5, 8, 63, 64, 65, 0xffff];

/** Cut points of `length` bytes into `count` chunks (empty chunks allowed: a peer may send them). */
function cuts(dice: Dice, length: number, count: number): number[] {
  const points = Array.from({ length: count - 1 }, () => dice.int(length + 1)).sort((a, b) => a - b);
  return [0, ...points, length];
}

function generate(dice: Dice): FragmentDelivery {
  const sa = dice.pick(TEST_SAS);
  const inner = mutatedChain(dice, dice.pick(INNER_CHAINS), INNER_DONORS);
  const count = dice.chance(95) ? 1 + dice.int(5) : Math.min(dice.pick(TOTALS), 70);
  const bounds = cuts(dice, inner.bytes.length, count);
  const header = gatewayHeader(dice);
  let datagrams: Uint8Array[] = [];
  for (let n = 1; n <= count; n++) {
    const chunk = inner.bytes.subarray(bounds[n - 1]!, bounds[n]!);
    const wrong = dice.chance(10);
    const number = wrong ? dice.pick(TOTALS) : n;
    const total = wrong && dice.chance(50) ? dice.pick(TOTALS) : count;
    const innerType = n === 1 || (wrong && dice.chance(30)) ? inner.firstType : PayloadType.NONE;
    const messageHeader = wrong && dice.chance(30) ? { ...header, messageId: header.messageId + 1 } : header;
    datagrams.push(sa.gateway.sealEncoded(messageHeader, chunk, innerType, { n: number, total }));
  }
  if (dice.chance(40) && datagrams.length > 0) {
    // losses, duplicates, reordering and damage in transit
    datagrams = mutateList(dice, datagrams, {
      fresh: () => dice.pick(datagrams),
      change: (datagram) => mutateBytes(dice, datagram),
    });
  }
  return { sa, datagrams };
}

/**
 * Decoded: a message was reassembled. A fragment the engine drops (a DecodeError: IkeSession.receive drops those and
 * goes on) does not stop the ones after it; any other error would end the session, so it is a crash here.
 */
function run({ sa, datagrams }: FragmentDelivery): boolean {
  const collector = new FragmentCollector();
  let reassembled = false;
  for (const datagram of datagrams) {
    try {
      const message = decodeMessage(datagram);
      const payloads = collector.add(message.header.messageId, sa.outpost.openFragment(datagram, message));
      if (payloads) decodeReceived(payloads);
      reassembled ||= payloads !== undefined;
    } catch (error) {
      if (!isDecodeError(error)) throw error;
    }
  }
  return reassembled;
}

export const ikeFragmentsTarget = defineTarget({
  name: 'ike-fragments',
  generate,
  run,
  expected: isDecodeError,
  show: ({ sa, datagrams }) => `${sa.name} ${datagrams.map(toHex).join(' ')}`,
});
