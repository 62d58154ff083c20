/**
 * The KE side of a CREATE_CHILD_SA request we send (RFC 7296 §1.3): one group, its key pair made once and kept across
 * retransmissions, moved to the group an INVALID_KE_PAYLOAD answer names when we offered it, and the shared secret
 * from the answer's KE.
 */
import type { DhKeyPair } from '../../crypto/dh.js';
import { getDhGroup } from '../../crypto/registry.js';
import { DecodeError, OutpostError } from '../../errors.js';
import { findNotify, findPayload, NotifyType, PayloadType } from '../message/index.js';
import type { KePayload, Payload, Transform } from '../message/types.js';
import { groupToRetry } from '../suite.js';

export class KeyExchangeOffer {
  private keyPair: DhKeyPair | undefined;

  constructor(
    private group: number,
    private readonly proposals: Transform[][],
  ) {}

  get groupId(): number {
    return this.group;
  }

  payload(): KePayload {
    const group = getDhGroup(this.group);
    if (!group) throw new OutpostError('unsupported', `Key exchange group ${this.group} is not supported.`);
    this.keyPair ??= group.generate();
    return { type: PayloadType.KE, group: this.group, data: this.keyPair.publicValue };
  }

  /** True when the answer asked for another group we offered: the request is to be sent again with it. */
  retryWith(answer: Payload[]): boolean {
    const wanted = groupToRetry(findNotify(answer, NotifyType.INVALID_KE_PAYLOAD)?.data, this.group, this.proposals);
    if (wanted === undefined) return false;
    this.group = wanted;
    this.keyPair = undefined;
    return true;
  }

  /** The shared secret with the answer's KE, which must be of the group we sent and the responder chose. */
  shared(answer: Payload[], chosenGroup: number): Uint8Array {
    const ke = findPayload(answer, PayloadType.KE);
    if (!ke || ke.group !== this.group || chosenGroup !== this.group || !this.keyPair) {
      throw new DecodeError('key exchange in the answer does not match the request');
    }
    return this.keyPair.computeShared(ke.data);
  }
}
