/**
 * The keys of one direction of a CHILD_SA as plain data: what the IKE session hands the data path, which may run in
 * another thread (a structured clone keeps Uint8Arrays and numbers, not cipher objects). The data path builds its
 * ciphers from the transform numbers again.
 */
import { cryptoError } from '../crypto/crypto-error.js';
import { createEncryption, type Encryption } from '../crypto/encryption.js';
import { getIntegrity, type Integrity } from '../crypto/integrity.js';
import type { EspSaConfig } from '../esp/sa.js';

export interface SaSpec {
  /** 4 bytes, as sent on the wire. */
  spi: Uint8Array;
  /** IANA encryption transform and its key length. */
  encryption: { id: number; keyBits: number };
  /** IANA integrity transform; undefined for AEAD. */
  integrity: number | undefined;
  keys: { encryption: Uint8Array; integrity: Uint8Array };
  esn: boolean;
}

/** What the data path is told to do with its SAs, in the order the IKE session decided it. */
export type KeyCommand =
  | { type: 'install-inbound'; sa: SaSpec }
  /** From now on send with this SA; undefined: stop sending (packets are counted as 'no-sa'). */
  | { type: 'send-with'; sa: SaSpec | undefined }
  | { type: 'remove-inbound'; spi: Uint8Array };

export function saSpec(
  spi: Uint8Array,
  encryption: Encryption,
  integrity: Integrity | undefined,
  keys: SaSpec['keys'],
  esn: boolean,
): SaSpec {
  return { spi, encryption: { id: encryption.id, keyBits: encryption.keyBits }, integrity: integrity?.id, keys, esn };
}

/** The SA configuration with this runtime's ciphers; a transform it cannot run is a keying bug, thrown as such. */
export function espSaConfig(spec: SaSpec): EspSaConfig {
  const encryption = createEncryption(spec.encryption.id, spec.encryption.keyBits);
  if (!encryption) throw cryptoError(`encryption transform ${spec.encryption.id} is not available here`);
  let integrity: Integrity | undefined;
  if (spec.integrity !== undefined) {
    integrity = getIntegrity(spec.integrity);
    if (!integrity) throw cryptoError(`integrity transform ${spec.integrity} is not available here`);
  }
  return { spi: spec.spi, encryption, integrity, keys: spec.keys, esn: spec.esn };
}
