/**
 * The gateway's side of the IKE SA for unit tests that need one with keys: answers IKE_SA_INIT with the first
 * transform of each type we offered and a real key exchange, then opens our protected requests and seals its answers.
 * It checks nothing a real gateway would (authentication, proposals): interop tests against strongSwan do that.
 */
import { randomBytes } from '../crypto/random.js';
import { getDhGroup } from '../crypto/registry.js';
import { deriveIkeKeys } from './keys.js';
import { decodeMessage, encodeMessage, findPayload, PayloadType } from './message/index.js';
import type { IkeHeader, Payload } from './message/types.js';
import { MessageProtection } from './protection.js';
import { ikeSuite, transformsByType } from './suite.js';

export interface OpenedRequest {
  header: IkeHeader;
  payloads: Payload[];
}

export class TestResponder {
  private readonly spiR = randomBytes(8);
  private protection: MessageProtection | undefined;

  /** The IKE_SA_INIT answer to our request; the SA's keys are ready afterwards. */
  answerInit(request: Uint8Array): Uint8Array {
    const { header, payloads } = decodeMessage(request);
    const offered = findPayload(payloads, PayloadType.SA)!.proposals[0]!;
    const transforms = offered.transforms.filter((t, i, all) => all.findIndex((u) => u.type === t.type) === i);
    const proposal = { ...offered, transforms };
    const suite = ikeSuite(transformsByType(proposal));
    const theirKe = findPayload(payloads, PayloadType.KE)!;
    const keyPair = getDhGroup(theirKe.group)!.generate();
    const ni = findPayload(payloads, PayloadType.NONCE)!.data;
    const nr = randomBytes(32);
    const spiI = header.spiI;
    const keys = deriveIkeKeys({
      suite,
      sharedSecret: keyPair.computeShared(theirKe.data),
      ni,
      nr,
      spiI,
      spiR: this.spiR,
    });
    this.protection = new MessageProtection(suite, keys, false);
    return encodeMessage({ ...header, spiR: this.spiR, initiator: false, response: true }, [
      { type: PayloadType.SA, proposals: [proposal] },
      { type: PayloadType.KE, group: theirKe.group, data: keyPair.publicValue },
      { type: PayloadType.NONCE, data: nr },
    ]);
  }

  /** One of our protected requests, opened. */
  open(datagram: Uint8Array): OpenedRequest {
    const message = decodeMessage(datagram);
    return { header: message.header, payloads: this.keys.open(datagram, message) };
  }

  /** The gateway's protected answer to `request`. */
  answer(request: OpenedRequest, payloads: Payload[]): Uint8Array {
    const header = { ...request.header, initiator: false, response: true };
    return this.keys.seal(header, payloads)[0]!;
  }

  private get keys(): MessageProtection {
    if (!this.protection) throw new Error('IKE_SA_INIT not answered yet');
    return this.protection;
  }
}
