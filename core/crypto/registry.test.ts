import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DhGroupId, EncrId, IntegId, PrfId } from '../iana.js';
import { getDhGroup, getEncryption, getIntegrity, getPrf } from './registry.js';

test('getPrf knows the HMAC PRFs and nothing else', () => {
  for (const id of Object.values(PrfId)) assert.equal(getPrf(id)?.id, id);
  for (const id of [0, 1, 3, 4, 8, 9]) assert.equal(getPrf(id), undefined, `prf ${id}`);
});

test('getIntegrity knows the HMAC integrity transforms; NONE and others are undefined', () => {
  for (const id of [
    IntegId.HMAC_SHA1_96,
    IntegId.HMAC_SHA2_256_128,
    IntegId.HMAC_SHA2_384_192,
    IntegId.HMAC_SHA2_512_256,
  ]) {
    assert.equal(getIntegrity(id)?.id, id);
  }
  for (const id of [IntegId.NONE, 1, 5, 112]) assert.equal(getIntegrity(id), undefined, `integ ${id}`);
});

test('getEncryption resolves id and Key Length attribute, and is stable across calls', () => {
  for (const bits of [128, 192, 256]) {
    const gcm = getEncryption(EncrId.AES_GCM_16, bits);
    assert.equal(gcm?.kind, 'aead');
    assert.equal(gcm?.keyBits, bits);
    assert.equal(getEncryption(EncrId.AES_GCM_16, bits), gcm);
    assert.equal(getEncryption(EncrId.AES_CBC, bits)?.kind, 'cbc');
  }
  assert.equal(getEncryption(EncrId.CHACHA20_POLY1305, undefined)?.keyLength, 36);
  assert.equal(getEncryption(EncrId.AES_GCM_16, undefined), undefined);
  assert.equal(getEncryption(EncrId.AES_CBC, 512), undefined);
  assert.equal(getEncryption(3, 192), undefined);
  assert.equal(getEncryption(18 /* AES_GCM_8 */, 128), undefined);
});

test('getDhGroup knows groups 14, 19, 20, 31', () => {
  for (const id of [DhGroupId.MODP_2048, DhGroupId.ECP_256, DhGroupId.ECP_384, DhGroupId.CURVE25519]) {
    assert.equal(getDhGroup(id)?.id, id);
    assert.equal(getDhGroup(id), getDhGroup(id));
  }
  for (const id of [DhGroupId.NONE, 2, 5, 15, 21, 32]) assert.equal(getDhGroup(id), undefined, `group ${id}`);
});
