/**
 * Rekeying a CHILD_SA with CREATE_CHILD_SA (RFC 7296 §1.3.3, §2.8), in both roles: answering the gateway's rekey, and
 * rekeying ourselves when a lifetime or the sequence space runs out. PFS when the chosen proposal has a DH group.
 */
import type { DhKeyPair } from '../../crypto/dh.js';
import { randomBytes } from '../../crypto/random.js';
import { DecodeError } from '../../errors.js';
import type { ChildSa } from '../child-sa.js';
import type { SessionConfig } from '../config.js';
import type { Response } from '../exchange-manager.js';
import type { IkeSa } from '../ike-sa.js';
import { deriveChildKeys } from '../keys.js';
import { DhGroupId, findNotify, findPayload, NotifyType, notify, PayloadType, ProtocolId } from '../message/index.js';
import type { Payload } from '../message/types.js';
import {
  childSuite,
  chooseFromResponse,
  numberProposals,
  offeredGroups,
  selectProposal,
  transformsByType,
} from '../suite.js';
import { KeyExchangeOffer } from './key-exchange-offer.js';
import { readRekeyAnswer } from './rekey-answer.js';
import { AGAIN, type Step, type Task } from './task.js';

const NONCE_LENGTH = 32;

function groupBytes(group: number): Uint8Array {
  return Uint8Array.from([group >> 8, group & 0xff]);
}

export interface CreatedChild {
  child: ChildSa;
  replaces: ChildSa;
}

/** The gateway's CREATE_CHILD_SA for a CHILD_SA: our answer, and the new SA when we accepted. */
export function answerChildRekey(
  request: Payload[],
  sa: IkeSa,
  config: SessionConfig,
  children: readonly ChildSa[],
): { response: Payload[]; created: CreatedChild | undefined } {
  const refuse = (type: number, data?: Uint8Array) => ({ response: [notify(type, data)], created: undefined });
  const saPayload = findPayload(request, PayloadType.SA);
  const nonce = findPayload(request, PayloadType.NONCE);
  if (!saPayload || !nonce) throw new DecodeError('CREATE_CHILD_SA request lacks SA or Nonce');
  const rekey = findNotify(request, NotifyType.REKEY_SA);
  // a CHILD_SA the gateway wants in addition to ours: one tunnel is all this client runs
  if (!rekey) return refuse(NotifyType.NO_ADDITIONAL_SAS);
  const old = children.find((c) => Buffer.compare(c.outboundSpi, rekey.spi) === 0);
  if (!old || rekey.protocol !== ProtocolId.ESP) return refuse(NotifyType.CHILD_SA_NOT_FOUND);

  const chosen = selectProposal(
    saPayload.proposals.filter((p) => p.protocol === ProtocolId.ESP && p.spi.length === 4),
    config.espProposals,
  );
  if (!chosen) return refuse(NotifyType.NO_PROPOSAL_CHOSEN);
  const transforms = transformsByType(chosen);
  const suite = childSuite(transforms);
  const ke = findPayload(request, PayloadType.KE);
  let pfs: { keyPair: DhKeyPair; shared: Uint8Array } | undefined;
  if (suite.dh) {
    if (!ke || ke.group !== suite.dh.id) return refuse(NotifyType.INVALID_KE_PAYLOAD, groupBytes(suite.dh.id));
    const keyPair = suite.dh.generate();
    pfs = { keyPair, shared: keyPair.computeShared(ke.data) };
  }

  const spi = randomBytes(4);
  const ourNonce = randomBytes(NONCE_LENGTH);
  const { suite: ike, keys } = sa.established;
  const child: ChildSa = {
    inboundSpi: spi,
    outboundSpi: chosen.spi,
    suite,
    keys: deriveChildKeys(ike.prf, keys.skD, suite, nonce.data, ourNonce, false, pfs?.shared),
    localTs: old.localTs,
    remoteTs: old.remoteTs,
  };
  const response: Payload[] = [
    { type: PayloadType.SA, proposals: [{ ...chosen, spi }] },
    { type: PayloadType.NONCE, data: ourNonce },
  ];
  if (pfs && suite.dh) response.push({ type: PayloadType.KE, group: suite.dh.id, data: pfs.keyPair.publicValue });
  // selectors in the exchange's roles: TSi is the gateway's side now
  response.push({ type: PayloadType.TSi, selectors: old.remoteTs }, { type: PayloadType.TSr, selectors: old.localTs });
  return { response, created: { child, replaces: old } };
}

/** Our own rekey of `old`: done with the new CHILD_SA; again after INVALID_KE_PAYLOAD named another group we offered. */
export class ChildRekeyTask implements Task<ChildSa> {
  private readonly spi = randomBytes(4);
  private readonly nonce = randomBytes(NONCE_LENGTH);
  /** PFS when our ESP proposals name a group. */
  private readonly pfs: KeyExchangeOffer | undefined;

  constructor(
    private readonly config: SessionConfig,
    private readonly sa: IkeSa,
    readonly old: ChildSa,
  ) {
    const group = offeredGroups(config.espProposals).find((g) => g !== DhGroupId.NONE);
    this.pfs = group === undefined ? undefined : new KeyExchangeOffer(group, config.espProposals);
  }

  private get proposals() {
    return numberProposals(this.config.espProposals, ProtocolId.ESP, this.spi);
  }

  build(): Payload[] {
    const payloads: Payload[] = [
      notify(NotifyType.REKEY_SA, undefined, ProtocolId.ESP, this.old.inboundSpi),
      { type: PayloadType.SA, proposals: this.proposals },
      { type: PayloadType.NONCE, data: this.nonce },
    ];
    if (this.pfs) payloads.push(this.pfs.payload());
    payloads.push(
      { type: PayloadType.TSi, selectors: this.old.localTs },
      { type: PayloadType.TSr, selectors: this.old.remoteTs },
    );
    return payloads;
  }

  process({ payloads }: Response): Step<ChildSa> {
    const answer = readRekeyAnswer(payloads, this.pfs, 'child');
    if ('again' in answer) return AGAIN;
    const { sa: saPayload, nonce } = answer;
    const chosen = chooseFromResponse(this.proposals, saPayload.proposals);
    const suite = childSuite(chosen);
    let shared: Uint8Array | undefined;
    if (suite.dh) {
      if (!this.pfs) throw new DecodeError('the gateway chose PFS we did not offer');
      shared = this.pfs.shared(payloads, suite.dh.id);
    }
    const { suite: ike, keys } = this.sa.established;
    const child: ChildSa = {
      inboundSpi: this.spi,
      outboundSpi: chosen.proposal.spi,
      suite,
      keys: deriveChildKeys(ike.prf, keys.skD, suite, this.nonce, nonce.data, true, shared),
      localTs: this.old.localTs,
      remoteTs: this.old.remoteTs,
    };
    return { done: child };
  }
}
