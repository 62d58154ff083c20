/**
 * Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18), in both roles: answering the gateway's rekey,
 * and rekeying ourselves when its lifetime runs out. The new SA inherits the old one's NAT and fragmentation state.
 */
import { randomBytes } from '../../crypto/random.js';
import { DecodeError } from '../../errors.js';
import type { SessionConfig } from '../config.js';
import type { Response } from '../exchange-manager.js';
import { IkeSa } from '../ike-sa.js';
import { deriveRekeyedIkeKeys } from '../keys.js';
import { findPayload, NotifyType, notify, PayloadType, ProtocolId } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { chooseFromResponse, ikeSuite, numberProposals, selectProposal, transformsByType } from '../suite.js';
import { KeyExchangeOffer } from './key-exchange-offer.js';
import { readRekeyAnswer } from './rekey-answer.js';
import { AGAIN, type Step, type Task } from './task.js';

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
  const keys = deriveRekeyedIkeKeys(
    { prf: oldSuite.prf, skD: oldKeys.skD },
    { suite, sharedSecret: shared, ni: nonce.data, nr: ourNonce, spiI: chosen.spi, spiR: ourSpi },
  );
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

/**
 * Our own rekey of the IKE SA, we being the initiator of the new SA: done with it; again after INVALID_KE_PAYLOAD
 * named another group we offered.
 */
export class IkeRekeyTask implements Task<IkeSa> {
  private readonly spi = randomBytes(8);
  private readonly nonce = randomBytes(NONCE_LENGTH);
  private readonly ke: KeyExchangeOffer;

  constructor(
    private readonly config: SessionConfig,
    private readonly old: IkeSa,
  ) {
    this.ke = new KeyExchangeOffer(old.established.suite.dh.id, config.ikeProposals);
  }

  private get proposals() {
    return numberProposals(this.config.ikeProposals, ProtocolId.IKE, this.spi);
  }

  build(): Payload[] {
    return [
      { type: PayloadType.SA, proposals: this.proposals },
      { type: PayloadType.NONCE, data: this.nonce },
      this.ke.payload(),
    ];
  }

  process({ payloads }: Response): Step<IkeSa> {
    const answer = readRekeyAnswer(payloads, this.ke, 'other');
    if ('again' in answer) return AGAIN;
    const { sa: saPayload, nonce } = answer;
    const chosen = chooseFromResponse(this.proposals, saPayload.proposals);
    if (chosen.proposal.spi.length !== 8) throw new DecodeError('IKE rekey response SPI is not 8 bytes');
    const suite = ikeSuite(chosen);
    const shared = this.ke.shared(payloads, suite.dh.id);
    const { suite: oldSuite, keys: oldKeys } = this.old.established;
    const spiR = chosen.proposal.spi;
    const keys = deriveRekeyedIkeKeys(
      { prf: oldSuite.prf, skD: oldKeys.skD },
      { suite, sharedSecret: shared, ni: this.nonce, nr: nonce.data, spiI: this.spi, spiR },
    );
    return { done: IkeSa.rekeyed(true, this.spi, spiR, { suite, keys }, this.old) };
  }
}
