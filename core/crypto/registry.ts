import { createDhGroup, type DhGroup } from './dh.js';
import { createEncryption, type Encryption } from './encryption.js';
export { getIntegrity } from './integrity.js';
import { PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512, type Prf } from './prf.js';

// The transforms this client implements, looked up by IANA id as negotiated in SA payloads. Unsupported ids give
// undefined so proposal selection can skip them.

const PRFS: ReadonlyMap<number, Prf> = new Map(
  [PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512].map((p) => [p.id, p]),
);

const encryptions = new Map<string, Encryption | undefined>();
const dhGroups = new Map<number, DhGroup | undefined>();

export function getPrf(id: number): Prf | undefined {
  return PRFS.get(id);
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
