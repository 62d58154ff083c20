import assert from 'node:assert/strict';
import { createPrivateKey, type createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { OutpostError } from '../errors.js';
import { HashAlgorithmId } from '../iana.js';
import { parseDigitalSignatureAuth, verifySignature } from './signature.js';
import { digitalSignatureAuth } from './sign-auth.js';

const ALL = [HashAlgorithmId.SHA2_256, HashAlgorithmId.SHA2_384, HashAlgorithmId.SHA2_512, HashAlgorithmId.IDENTITY];
const octets = randomBytes(300);

/** Parsed back with the gateway-side parser and checked with the public key, as a gateway would. */
function verifies(auth: Uint8Array, publicKey: ReturnType<typeof createPublicKey>, data: Uint8Array = octets) {
  const { scheme, signature } = parseDigitalSignatureAuth(auth);
  return { scheme, ok: verifySignature(publicKey, scheme, data, signature, 'der') };
}

describe('digitalSignatureAuth (RFC 7427 AUTH method 14)', () => {
  for (const [curve, hash] of [
    ['P-256', 'sha256'],
    ['P-384', 'sha384'],
    ['P-521', 'sha512'],
  ] as const) {
    it(`signs with an ECDSA ${curve} key and ${hash}, verifiable over the same octets only`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const auth = digitalSignatureAuth(privateKey, ALL, octets);
      assert.deepEqual(verifies(auth, publicKey), { scheme: { kind: 'ecdsa', hash }, ok: true });
      const other = Buffer.from(octets);
      other[0]! ^= 1;
      assert.equal(verifies(auth, publicKey, other).ok, false);
    });
  }

  it('signs with an RSA key PKCS#1 v1.5, SHA-384 when the gateway announced only that', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const auth = digitalSignatureAuth(privateKey, [HashAlgorithmId.SHA2_384], octets);
    assert.deepEqual(verifies(auth, publicKey), { scheme: { kind: 'rsa-pkcs1', hash: 'sha384' }, ok: true });
  });

  it('matches RFC 8032 §7.1 TEST 2 with an Ed25519 key (deterministic signature)', () => {
    const seed = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex');
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const auth = digitalSignatureAuth(key, ALL, Buffer.of(0x72));
    assert.equal(
      Buffer.from(auth).toString('hex'),
      `07300506032b6570${'92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'}`,
    );
  });

  it('refuses in words when the gateway announced no hash the key can use', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(
      () => digitalSignatureAuth(privateKey, [HashAlgorithmId.SHA1], octets),
      (error: unknown) =>
        error instanceof OutpostError && error.code === 'unsupported' && /announced/.test(error.message),
    );
    assert.throws(() => digitalSignatureAuth(privateKey, [], octets), OutpostError);
  });
});
