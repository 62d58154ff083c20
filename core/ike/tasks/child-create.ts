/**
 * The first CHILD_SA, created inside IKE_AUTH (RFC 7296 §1.2, §2.17): ESP proposal, traffic selectors, KEYMAT.
 * Tunnel mode: we never send USE_TRANSPORT_MODE, so a gateway answering with it is refused.
 */
import { randomBytes } from '../../crypto/random.js';
import { DecodeError, OutpostError } from '../../errors.js';
import type { ChildSa } from '../child-sa.js';
import type { SessionConfig } from '../config.js';
import type { Response } from '../exchange-manager.js';
import type { IkeSa } from '../ike-sa.js';
import { deriveChildKeys } from '../keys.js';
import { findNotify, findPayload, NotifyType, PayloadType, ProtocolId } from '../message/index.js';
import type { Payload, Proposal } from '../message/types.js';
import { childSuite, chooseFromResponse, numberProposals, withoutDh } from '../suite.js';
import { isNarrowingOf } from '../traffic-selectors.js';
import type { Task } from './task.js';

export class ChildCreateTask implements Task<ChildSa> {
  private readonly spi = randomBytes(4);
  private readonly proposals: Proposal[];

  constructor(
    private readonly config: SessionConfig,
    private readonly sa: IkeSa,
  ) {
    this.proposals = numberProposals(withoutDh(config.espProposals), ProtocolId.ESP, this.spi);
  }

  build(): Payload[] {
    return [
      { type: PayloadType.SA, proposals: this.proposals },
      { type: PayloadType.TSi, selectors: this.config.localTs },
      { type: PayloadType.TSr, selectors: this.config.remoteTs },
    ];
  }

  /** Single-shot: always done, with the CHILD_SA from the final IKE_AUTH response. */
  process({ payloads }: Response): { done: ChildSa } {
    const sa = findPayload(payloads, PayloadType.SA);
    const tsi = findPayload(payloads, PayloadType.TSi);
    const tsr = findPayload(payloads, PayloadType.TSr);
    if (!sa || !tsi || !tsr) throw new DecodeError('final IKE_AUTH response lacks SA, TSi or TSr');
    if (findNotify(payloads, NotifyType.USE_TRANSPORT_MODE)) {
      throw new OutpostError(
        'unsupported',
        'The gateway offered a transport-mode tunnel this profile did not ask for.',
      );
    }
    const chosen = chooseFromResponse(this.proposals, sa.proposals);
    if (chosen.proposal.spi.length !== 4) throw new DecodeError('ESP proposal SPI is not 4 bytes');
    if (!isNarrowingOf(tsi.selectors, this.config.localTs) || !isNarrowingOf(tsr.selectors, this.config.remoteTs)) {
      throw new OutpostError(
        'ts-unacceptable',
        'The gateway answered with networks this profile did not ask for. Tell IT.',
        { detail: 'traffic selectors are not a narrowing of the proposed ones' },
      );
    }
    const suite = childSuite(chosen);
    const { suite: ike, keys } = this.sa.established;
    const child: ChildSa = {
      inboundSpi: this.spi,
      outboundSpi: chosen.proposal.spi,
      suite,
      keys: deriveChildKeys(ike.prf, keys.skD, suite, this.sa.nonceI, this.sa.nonceR, true),
      localTs: tsi.selectors,
      remoteTs: tsr.selectors,
    };
    return { done: child };
  }
}
