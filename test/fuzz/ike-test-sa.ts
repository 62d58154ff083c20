/**
 * An IKE SA with fixed, published-in-the-source keys, so the fuzzers can protect their mutated payload chains the way
 * a gateway would and the inputs reach the decoders behind decryption: the gateway's side seals, ours opens.
 */
import { getDhGroup, getEncryption, getIntegrity, getPrf } from '../../core/crypto/registry.js';
import { DhGroupId, EncrId, ExchangeType, IntegId, PrfId } from '../../core/iana.js';
import { deriveIkeKeys } from '../../core/ike/keys.js';
import type { IkeHeader } from '../../core/ike/message/types.js';
import { MessageProtection } from '../../core/ike/protection.js';
import type { IkeSuite } from '../../core/ike/suite.js';
import type { Dice } from './mutator.js';

export interface TestSa {
  readonly name: string;
  /** The gateway's side (the responder): seals what it sends. */
  readonly gateway: MessageProtection;
  /** Our side (the original initiator): opens what the gateway sent. */
  readonly outpost: MessageProtection;
}

function testSa(name: string, encrId: number, keyBits: number, integId?: number): TestSa {
  const suite: IkeSuite = {
    encryption: getEncryption(encrId, keyBits)!,
    integrity: integId === undefined ? undefined : getIntegrity(integId)!,
    prf: getPrf(PrfId.HMAC_SHA2_256)!,
    dh: getDhGroup(DhGroupId.CURVE25519)!,
    transforms: [],
  };
  const keys = deriveIkeKeys({
    suite,
    sharedSecret: new Uint8Array(32).fill(1),
    ni: new Uint8Array(32).fill(2),
    nr: new Uint8Array(32).fill(3),
    spiI: new Uint8Array(8).fill(4),
    spiR: new Uint8Array(8).fill(5),
  });
  return {
    name,
    gateway: new MessageProtection(suite, keys, false),
    outpost: new MessageProtection(suite, keys, true),
  };
}

/** An AEAD suite and a CBC + HMAC one: their decryption paths (tag, padding, block alignment) differ. */
export const TEST_SAS: readonly TestSa[] = [
  testSa('AES-GCM-16-256', EncrId.AES_GCM_16, 256),
  testSa('AES-CBC-128/HMAC-SHA2-256-128', EncrId.AES_CBC, 128, IntegId.HMAC_SHA2_256_128),
];

/** The header of a protected message from the gateway: a response to our request, or a request of its own. */
export function gatewayHeader(dice: Dice): IkeHeader {
  return {
    spiI: new Uint8Array(8).fill(4),
    spiR: new Uint8Array(8).fill(5),
    exchange: dice.pick([ExchangeType.IKE_AUTH, ExchangeType.CREATE_CHILD_SA, ExchangeType.INFORMATIONAL]),
    initiator: false,
    response: dice.chance(80),
    messageId: dice.int(4),
  };
}
