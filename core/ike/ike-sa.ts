/**
 * One IKE SA: SPIs, nonces, keys, and its own message-ID bookkeeping (RFC 7296 §2.2), which starts over on every
 * rekeyed SA. `weInitiated` is the original-initiator role that sets the I flag and the direction of every key; it is
 * false for an SA the gateway created by rekeying.
 */
import type { IkeKeys } from './keys.js';
import type { IkeHeader, Payload } from './message/types.js';
import { FragmentCollector, MessageProtection } from './protection.js';
import type { IkeSuite } from './suite.js';

export interface EstablishedKeys {
  suite: IkeSuite;
  keys: IkeKeys;
  protection: MessageProtection;
}

export interface PendingRequest {
  messageId: number;
  exchange: number;
  datagrams: Uint8Array[];
  sends: number;
  deadline: number;
  onResponse: (payloads: Payload[], now: number) => void;
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
  peerFragmentation = false;
  peerMultipleAuth = false;
  peerSignatureHashes: number[] = [];
  /** When the SA became usable (ms, the session's clock): its rekey schedule starts here. */
  createdAt = 0;

  nextMessageId = 0;
  pending: PendingRequest | undefined;
  /** Requests we queue while one is outstanding (window size 1). */
  readonly queue: Array<(now: number) => void> = [];
  peerMessageId = 0;
  lastAnswer: { messageId: number; datagrams: Uint8Array[] } | undefined;
  readonly responseFragments = new FragmentCollector();
  readonly requestFragments = new FragmentCollector();

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
