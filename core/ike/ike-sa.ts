/**
 * One IKE SA: SPIs, nonces, keys and what the peer announced. Its message IDs live in its ExchangeManager.
 * `weInitiated` is the original-initiator role that sets the I flag and the direction of every key; it is false for
 * an SA the gateway created by rekeying.
 */
import type { IkeKeys } from './keys.js';
import type { IkeHeader } from './message/types.js';
import { MessageProtection } from './protection.js';
import type { IkeSuite } from './suite.js';

export interface EstablishedKeys {
  suite: IkeSuite;
  keys: IkeKeys;
  protection: MessageProtection;
}

export class IkeSa {
  readonly weInitiated: boolean;
  spiI: Uint8Array;
  spiR: Uint8Array;
  nonceI: Uint8Array = new Uint8Array(0);
  nonceR: Uint8Array = new Uint8Array(0);
  /** IKE_SA_INIT request and response as sent/received: the signed octets of AUTH include them. */
  initRequest: Uint8Array = new Uint8Array(0);
  initResponse: Uint8Array = new Uint8Array(0);
  crypto: EstablishedKeys | undefined;
  natDetected = false;
  /** The peer sent NAT detection in IKE_SA_INIT: with MOBIKE both float to 4500 even without a NAT (RFC 4555 §3.3). */
  peerNatTraversal = false;
  /** Both sent MOBIKE_SUPPORTED in IKE_AUTH: this SA may move to another address (RFC 4555 §3.2). */
  peerMobike = false;
  peerFragmentation = false;
  peerMultipleAuth = false;
  peerSignatureHashes: number[] = [];
  /** When we rekey it (ms, the session's clock): its lifetime after it became usable, later after a refusal. */
  rekeyAfter = Number.POSITIVE_INFINITY;

  constructor(weInitiated: boolean, spiI: Uint8Array, spiR: Uint8Array = new Uint8Array(8)) {
    this.weInitiated = weInitiated;
    this.spiI = spiI;
    this.spiR = spiR;
  }

  /** The SA a gateway-initiated IKE rekey creates: we are its responder. */
  static rekeyed(
    weInitiated: boolean,
    spiI: Uint8Array,
    spiR: Uint8Array,
    crypto: { suite: IkeSuite; keys: IkeKeys },
    from: IkeSa,
  ): IkeSa {
    const sa = new IkeSa(weInitiated, spiI, spiR);
    sa.crypto = { ...crypto, protection: new MessageProtection(crypto.suite, crypto.keys, weInitiated) };
    sa.natDetected = from.natDetected;
    sa.peerFragmentation = from.peerFragmentation;
    sa.peerMobike = from.peerMobike;
    return sa;
  }

  get ourSpi(): Uint8Array {
    return this.weInitiated ? this.spiI : this.spiR;
  }

  header(exchange: number, messageId: number, response: boolean): IkeHeader {
    return { spiI: this.spiI, spiR: this.spiR, exchange, initiator: this.weInitiated, response, messageId };
  }

  get established(): EstablishedKeys {
    if (!this.crypto) throw new Error('IKE SA keys used before IKE_SA_INIT completed');
    return this.crypto;
  }

  matches(spiI: Uint8Array, spiR: Uint8Array): boolean {
    return Buffer.compare(spiI, this.spiI) === 0 && Buffer.compare(spiR, this.spiR) === 0;
  }
}
