/** The state of one IKE SA that the tasks share: SPIs, nonces, the negotiated suite and keys. */
import type { IkeKeys } from './keys.js';
import type { IkeHeader } from './message/types.js';
import type { MessageProtection } from './protection.js';
import type { IkeSuite } from './suite.js';

export interface EstablishedKeys {
  suite: IkeSuite;
  keys: IkeKeys;
  protection: MessageProtection;
}

export class IkeSa {
  readonly spiI: Uint8Array;
  spiR: Uint8Array = new Uint8Array(8);
  nonceI: Uint8Array = new Uint8Array(0);
  nonceR: Uint8Array = new Uint8Array(0);
  /** IKE_SA_INIT request and response as sent/received: the signed octets of AUTH include them. */
  initRequest: Uint8Array = new Uint8Array(0);
  initResponse: Uint8Array = new Uint8Array(0);
  crypto: EstablishedKeys | undefined;
  natDetected = false;
  /** Whether we now talk on UDP 4500 with the non-ESP marker (RFC 3948 / RFC 7296 §2.23). */
  natT = false;
  peerFragmentation = false;
  peerMultipleAuth = false;
  peerSignatureHashes: number[] = [];

  constructor(spiI: Uint8Array) {
    this.spiI = spiI;
  }

  header(exchange: number, messageId: number, response: boolean): IkeHeader {
    return { spiI: this.spiI, spiR: this.spiR, exchange, initiator: true, response, messageId };
  }

  get established(): EstablishedKeys {
    if (!this.crypto) throw new Error('IKE SA keys used before IKE_SA_INIT completed');
    return this.crypto;
  }
}
