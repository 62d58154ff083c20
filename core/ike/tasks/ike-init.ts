/**
 * IKE_SA_INIT (RFC 7296 §1.2): proposals, key exchange, nonces, NAT detection (§2.23), COOKIE (§2.6) and
 * INVALID_KE_PAYLOAD (§1.3) retries, and the capability notifies we announce.
 */
import type { DhKeyPair } from '../../crypto/dh.js';
import { randomBytes } from '../../crypto/random.js';
import { getDhGroup } from '../../crypto/registry.js';
import { DecodeError, OutpostError } from '../../errors.js';
import type { SessionConfig } from '../config.js';
import type { Response } from '../exchange-manager.js';
import type { IkeSa } from '../ike-sa.js';
import { deriveIkeKeys } from '../keys.js';
import {
  findErrorNotify,
  findNotify,
  findPayload,
  HashAlgorithmId,
  NotifyType,
  notify,
  PayloadType,
  ProtocolId,
} from '../message/index.js';
import type { Payload } from '../message/types.js';
import { natDetectedIn, natDetectionNotifies } from '../nat-detection.js';
import { errorFromNotify } from '../notify-errors.js';
import { MessageProtection } from '../protection.js';
import { redirectedFromNotify, redirectTarget } from '../redirect.js';
import { chooseFromResponse, groupToRetry, type IkeSuite, ikeSuite, numberProposals, offeredGroups } from '../suite.js';
import { AGAIN, type Step, type Task } from './task.js';

const NONCE_LENGTH = 32;
/** A gateway that keeps asking for cookies or other groups is not going to let us in. */
const MAX_RESTARTS = 4;

/** Done with the negotiated IKE suite, the SA's keys in place. */
export class IkeInitTask implements Task<IkeSuite> {
  private group: number;
  private keyPair: DhKeyPair | undefined;
  private cookie: Uint8Array | undefined;
  private restarts = 0;

  constructor(
    private readonly config: SessionConfig,
    private readonly sa: IkeSa,
  ) {
    const first = offeredGroups(config.ikeProposals)[0];
    if (first === undefined) throw new OutpostError('profile-invalid', 'The IKE proposals name no key exchange group.');
    this.group = first;
  }

  build(): Payload[] {
    const group = getDhGroup(this.group);
    if (!group) throw new OutpostError('unsupported', `Key exchange group ${this.group} is not supported.`);
    this.keyPair ??= group.generate();
    const keyPair = this.keyPair;
    if (this.sa.nonceI.length === 0) this.sa.nonceI = randomBytes(NONCE_LENGTH);
    const { local, remote } = this.config;
    const payloads: Payload[] = [];
    if (this.cookie) payloads.push(notify(NotifyType.COOKIE, this.cookie));
    payloads.push(
      {
        type: PayloadType.SA,
        proposals: numberProposals(this.config.ikeProposals, ProtocolId.IKE, new Uint8Array(0)),
      },
      { type: PayloadType.KE, group: this.group, data: keyPair.publicValue },
      { type: PayloadType.NONCE, data: this.sa.nonceI },
      ...natDetectionNotifies(this.sa, local, remote),
      notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
      notify(
        NotifyType.SIGNATURE_HASH_ALGORITHMS,
        Uint8Array.from([0, HashAlgorithmId.SHA2_256, 0, HashAlgorithmId.SHA2_384, 0, HashAlgorithmId.SHA2_512]),
      ),
    );
    if (this.config.rounds.length > 1) payloads.push(notify(NotifyType.MULTIPLE_AUTH_SUPPORTED));
    // RFC 5685 §4.1: with it, a gateway may send us to another one (here, after IKE_AUTH, or later)
    const { redirectedFrom } = this.config;
    payloads.push(redirectedFrom ? redirectedFromNotify(redirectedFrom) : notify(NotifyType.REDIRECT_SUPPORTED));
    return payloads;
  }

  private restart(): Step<never> {
    if (++this.restarts > MAX_RESTARTS) {
      throw new OutpostError('gateway-error', 'The gateway keeps asking to start over. Try again later.', {
        detail: `${this.restarts} IKE_SA_INIT restarts`,
      });
    }
    return AGAIN;
  }

  /** Processes the response; its raw bytes are kept for the AUTH signed octets. */
  process({ header, payloads, raw }: Response): Step<IkeSuite> {
    const redirect = findNotify(payloads, NotifyType.REDIRECT);
    if (redirect) throw redirectTarget(redirect, 'init', this.sa.nonceI);
    const cookie = findNotify(payloads, NotifyType.COOKIE);
    if (cookie) {
      if (cookie.data.length < 1 || cookie.data.length > 64) throw new DecodeError('COOKIE of invalid length');
      this.cookie = cookie.data;
      return this.restart();
    }
    const invalidKe = findNotify(payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      if (invalidKe.data.length !== 2) throw new DecodeError('INVALID_KE_PAYLOAD without a group');
      const wanted = groupToRetry(invalidKe.data, this.group, this.config.ikeProposals);
      if (wanted === undefined) throw errorFromNotify(NotifyType.INVALID_KE_PAYLOAD, 'init');
      this.group = wanted;
      this.keyPair = undefined;
      return this.restart();
    }
    const error = findErrorNotify(payloads);
    if (error) throw errorFromNotify(error.notifyType, 'init');

    const sa = findPayload(payloads, PayloadType.SA);
    const ke = findPayload(payloads, PayloadType.KE);
    const nonce = findPayload(payloads, PayloadType.NONCE);
    if (!sa || !ke || !nonce) throw new DecodeError('IKE_SA_INIT response lacks SA, KE or Nonce');
    if (nonce.data.length < 16 || nonce.data.length > 256) throw new DecodeError('nonce length outside 16..256');

    const offered = numberProposals(this.config.ikeProposals, ProtocolId.IKE, new Uint8Array(0));
    const chosen = chooseFromResponse(offered, sa.proposals);
    if (chosen.proposal.spi.length !== 0) throw new DecodeError('IKE proposal in IKE_SA_INIT carries an SPI');
    const suite = ikeSuite(chosen);
    if (suite.dh.id !== this.group || ke.group !== this.group) {
      throw new OutpostError('invalid-ke', 'The gateway answered with a different key exchange group.', {
        detail: `sent ${this.group}, proposal chose ${suite.dh.id}, KE carries ${ke.group}`,
      });
    }
    const shared = this.keyPair!.computeShared(ke.data);

    this.sa.spiR = header.spiR;
    if (this.sa.spiR.every((b) => b === 0)) throw new DecodeError('responder SPI is zero');
    this.sa.nonceR = nonce.data;
    this.sa.initResponse = raw;
    const natDetected = natDetectedIn(payloads, this.sa, this.config.local, this.config.remote);
    this.sa.natDetected = natDetected === true;
    this.sa.peerNatTraversal = natDetected !== undefined;
    this.sa.peerFragmentation = findNotify(payloads, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED) !== undefined;
    this.sa.peerMultipleAuth = findNotify(payloads, NotifyType.MULTIPLE_AUTH_SUPPORTED) !== undefined;
    const hashes = findNotify(payloads, NotifyType.SIGNATURE_HASH_ALGORITHMS);
    if (hashes) {
      for (let i = 0; i + 1 < hashes.data.length; i += 2) {
        this.sa.peerSignatureHashes.push((hashes.data[i]! << 8) | hashes.data[i + 1]!);
      }
    }
    const { nonceI: ni, nonceR: nr, spiI, spiR } = this.sa;
    const keys = deriveIkeKeys({ suite, sharedSecret: shared, ni, nr, spiI, spiR });
    this.sa.crypto = { suite, keys, protection: new MessageProtection(suite, keys, true) };
    return { done: suite };
  }
}
