import { createDhGroup, type DhGroup } from './dh.js';
import { createEncryption, type Encryption } from './encryption.js';
import { HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256, type Integrity } from './integrity.js';
import { PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512, type Prf } from './prf.js';

// The transforms this client implements, looked up by IANA id as negotiated in SA payloads. Unsupported ids give
// undefined so proposal selection can skip them.

const PRFS: ReadonlyMap<number, Prf> = new Map(
  [PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512].map((p) => [p.id, p]),
);

const INTEGRITY: ReadonlyMap<number, Integrity> = new Map(
  [HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256].map((i) => [i.id, i]),
);

const encryptions = new Map<string, Encryption | undefined>();
const dhGroups = new Map<number, DhGroup | undefined>();

export function getPrf(id: number): Prf | undefined {
  return PRFS.get(id);
}

/** AUTH_NONE (0) is not an algorithm and gives undefined like any unsupported id. */
export function getIntegrity(id: number): Integrity | undefined {
  return INTEGRITY.get(id);
}

/** `keyBits` is the transform's Key Length attribute, undefined when absent. */
export function getEncryption(id: number, keyBits: number | undefined): Encryption | undefined {
  const key = `${id}/${keyBits}`;
  if (!encryptions.has(key)) encryptions.set(key, createEncryption(id, keyBits));
  return encryptions.get(key);
}

export function getDhGroup(id: number): DhGroup | undefined {
  if (!dhGroups.has(id)) dhGroups.set(id, createDhGroup(id));
  return dhGroups.get(id);
}
