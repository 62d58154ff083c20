/** Key derivation for the IKE SA (RFC 7296 §2.14) and for CHILD_SAs (§2.17). */
import { type Prf, prfPlus } from '../crypto/prf.js';
import type { ChildSuite, IkeSuite } from './suite.js';

export interface IkeKeys {
  skD: Uint8Array;
  skAi: Uint8Array;
  skAr: Uint8Array;
  skEi: Uint8Array;
  skEr: Uint8Array;
  skPi: Uint8Array;
  skPr: Uint8Array;
}

function split(material: Uint8Array, lengths: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const length of lengths) {
    parts.push(material.subarray(offset, offset + length));
    offset += length;
  }
  return parts;
}

/** What both derivations of IKE SA keys take from the exchange that made the SA. */
export interface IkeKeyInputs {
  suite: IkeSuite;
  /** g^ir, the Diffie-Hellman shared secret. */
  sharedSecret: Uint8Array;
  ni: Uint8Array;
  nr: Uint8Array;
  spiI: Uint8Array;
  spiR: Uint8Array;
}

export function deriveIkeKeys(inputs: IkeKeyInputs): IkeKeys {
  const skeyseed = inputs.suite.prf.compute(Buffer.concat([inputs.ni, inputs.nr]), inputs.sharedSecret);
  return ikeKeysFromSeed(inputs, skeyseed);
}

/**
 * A rekeyed IKE SA (RFC 7296 §2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), computed with the old SA's
 * PRF as strongSwan does; the new SA's PRF expands it.
 */
export function deriveRekeyedIkeKeys(old: { prf: Prf; skD: Uint8Array }, inputs: IkeKeyInputs): IkeKeys {
  const skeyseed = old.prf.compute(old.skD, Buffer.concat([inputs.sharedSecret, inputs.ni, inputs.nr]));
  return ikeKeysFromSeed(inputs, skeyseed);
}

function ikeKeysFromSeed({ suite, ni, nr, spiI, spiR }: IkeKeyInputs, skeyseed: Uint8Array): IkeKeys {
  const { prf, encryption, integrity } = suite;
  const integLength = integrity?.keyLength ?? 0;
  const lengths = [prf.keyLength, integLength, integLength, encryption.keyLength, encryption.keyLength];
  lengths.push(prf.keyLength, prf.keyLength);
  const total = lengths.reduce((a, b) => a + b, 0);
  const material = prfPlus(prf, skeyseed, Buffer.concat([ni, nr, spiI, spiR]), total);
  const [skD, skAi, skAr, skEi, skEr, skPi, skPr] = split(material, lengths) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  return { skD, skAi, skAr, skEi, skEr, skPi, skPr };
}

/** Keys of one ESP SA direction: encryption key material (with salt for AEAD) and integrity key (empty for AEAD). */
export interface DirectionKeys {
  encryption: Uint8Array;
  integrity: Uint8Array;
}

export interface ChildKeys {
  /** initiator → responder: what we send with */
  outbound: DirectionKeys;
  /** responder → initiator: what we receive with */
  inbound: DirectionKeys;
}

/**
 * KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), taken as encr_i, integ_i, encr_r, integ_r (RFC 7296 §2.17), where
 * i is the initiator of the exchange that creates the CHILD_SA: the gateway when it rekeys.
 */
export function deriveChildKeys(
  prf: Prf,
  skD: Uint8Array,
  suite: ChildSuite,
  ni: Uint8Array,
  nr: Uint8Array,
  weInitiated: boolean,
  pfsSecret?: Uint8Array,
): ChildKeys {
  const encrLength = suite.encryption.keyLength;
  const integLength = suite.integrity?.keyLength ?? 0;
  const seed = pfsSecret ? Buffer.concat([pfsSecret, ni, nr]) : Buffer.concat([ni, nr]);
  const material = prfPlus(prf, skD, seed, 2 * (encrLength + integLength));
  const [ei, ai, er, ar] = split(material, [encrLength, integLength, encrLength, integLength]) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const i = { encryption: ei, integrity: ai };
  const r = { encryption: er, integrity: ar };
  return weInitiated ? { outbound: i, inbound: r } : { outbound: r, inbound: i };
}
