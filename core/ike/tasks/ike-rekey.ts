/**
 * Answering the gateway's IKE SA rekey (RFC 7296 §1.3.2, §2.18): a new IKE SA with new SPIs and keys derived from
 * the old SK_d; the gateway is its initiator. Message IDs start over on it; CHILD_SAs move to it.
 */
import { randomBytes } from '../../crypto/random.js';
import { DecodeError } from '../../errors.js';
import type { SessionConfig } from '../config.js';
import { IkeSa } from '../ike-sa.js';
import { deriveRekeyedIkeKeys } from '../keys.js';
import { findPayload, NotifyType, notify, PayloadType, ProtocolId } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { ikeSuite, selectProposal, transformsByType } from '../suite.js';

const NONCE_LENGTH = 32;

export function answerIkeRekey(
  request: Payload[],
  old: IkeSa,
  config: SessionConfig,
): { response: Payload[]; rekeyed: IkeSa | undefined } {
  const saPayload = findPayload(request, PayloadType.SA);
  const nonce = findPayload(request, PayloadType.NONCE);
  const ke = findPayload(request, PayloadType.KE);
  if (!saPayload || !nonce || !ke) throw new DecodeError('IKE rekey request lacks SA, Nonce or KE');
  const chosen = selectProposal(
    saPayload.proposals.filter((p) => p.protocol === ProtocolId.IKE && p.spi.length === 8),
    config.ikeProposals,
  );
  if (!chosen) return { response: [notify(NotifyType.NO_PROPOSAL_CHOSEN)], rekeyed: undefined };
  const suite = ikeSuite(transformsByType(chosen));
  if (ke.group !== suite.dh.id) {
    const group = Uint8Array.from([suite.dh.id >> 8, suite.dh.id & 0xff]);
    return { response: [notify(NotifyType.INVALID_KE_PAYLOAD, group)], rekeyed: undefined };
  }
  const keyPair = suite.dh.generate();
  const shared = keyPair.computeShared(ke.data);
  const ourSpi = randomBytes(8);
  const ourNonce = randomBytes(NONCE_LENGTH);
  const { suite: oldSuite, keys: oldKeys } = old.established;
  const keys = deriveRekeyedIkeKeys(oldSuite.prf, oldKeys.skD, suite, shared, nonce.data, ourNonce, chosen.spi, ourSpi);
  const rekeyed = IkeSa.rekeyed(false, chosen.spi, ourSpi, { suite, keys }, old);
  return {
    response: [
      { type: PayloadType.SA, proposals: [{ ...chosen, spi: ourSpi }] },
      { type: PayloadType.NONCE, data: ourNonce },
      { type: PayloadType.KE, group: suite.dh.id, data: keyPair.publicValue },
    ],
    rekeyed,
  };
}
