import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { p256 } from '@noble/curves/nist.js';
import { fromHex } from '../../test/support/hex.js';
import { DecodeError, OutpostError } from '../errors.js';
import { AuthMethod } from '../iana.js';
import { parseDigitalSignatureAuth, type SignatureScheme, schemeForAuthMethod, verifySignature } from './signature.js';

const data = new TextEncoder().encode('IKEv2 signed octets: RealMessage2 | NonceIData | MACedIDForR');

function tamper(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** AUTH data of method 14: length byte, AlgorithmIdentifier, signature. */
function authBlob(algorithmIdentifier: Uint8Array, signature: Uint8Array): Uint8Array {
  return Uint8Array.from([algorithmIdentifier.length, ...algorithmIdentifier, ...signature]);
}

// RFC 7427 Appendix A, "Commonly Used ASN.1 Objects": the DER AlgorithmIdentifiers it lists byte for byte.
const RFC7427 = {
  sha1WithRSAEncryption: fromHex('300d 0609 2a86 4886 f70d 0101 0505 00'), // A.1.1
  sha256WithRSAEncryption: fromHex('300d 0609 2a86 4886 f70d 0101 0b05 00'), // A.1.2
  sha384WithRSAEncryption: fromHex('300d 0609 2a86 4886 f70d 0101 0c05 00'), // A.1.3
  sha512WithRSAEncryption: fromHex('300d 0609 2a86 4886 f70d 0101 0d05 00'), // A.1.4
  dsaWithSha1: fromHex('3009 0607 2a86 48ce 3804 03'), // A.2.1
  ecdsaWithSha1: fromHex('3009 0607 2a86 48ce 3d04 01'), // A.3.1
  ecdsaWithSha256: fromHex('300a 0608 2a86 48ce 3d04 0302'), // A.3.2
  ecdsaWithSha384: fromHex('300a 0608 2a86 48ce 3d04 0303'), // A.3.3
  ecdsaWithSha512: fromHex('300a 0608 2a86 48ce 3d04 0304'), // A.3.4
  rsassaPssEmptyParameters: fromHex('300d 0609 2a86 4886 f70d 0101 0a30 00'), // A.4.1 (defaults: SHA-1)
  // A.4.3: RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt length 32.
  rsassaPssSha256: fromHex(`3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165 0304 0201 0500
                        a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203
                        0201 20`),
};
// RFC 8420 §2 (Ed25519 in IKEv2) / RFC 8410 §3: id-Ed25519 with absent parameters.
const ED25519_ALGORITHM = fromHex('3005 0603 2b65 70');

/** A DER element from a tag and contents (all short enough for the one-byte length form). */
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const contents = parts.flatMap((part) => [...part]);
  assert.ok(contents.length < 0x80);
  return Uint8Array.from([tag, contents.length, ...contents]);
}

const SHA2_OID_PREFIX = fromHex('6086 4801 6503 0402'); // 2.16.840.1.101.3.4.2

/**
 * RSASSA-PSS AlgorithmIdentifier (RFC 4055 §3.1) with hash 2.16.840.1.101.3.4.2.<hashArc>, MGF1 with
 * 2.16.840.1.101.3.4.2.<mgfHashArc>, then `tail` (saltLength/trailerField fields) as raw bytes.
 */
function pssAlgorithm(hashArc: number, mgfHashArc: number, tail: string, hashParameters = fromHex('0500')): Uint8Array {
  const hashAlgorithm = (arc: number) => tlv(0x30, tlv(0x06, SHA2_OID_PREFIX, Uint8Array.of(arc)), hashParameters);
  const mgf1 = tlv(0x30, tlv(0x06, fromHex('2a86 4886 f70d 0101 08')), hashAlgorithm(mgfHashArc));
  const params = tlv(0x30, tlv(0xa0, hashAlgorithm(hashArc)), tlv(0xa1, mgf1), fromHex(tail));
  return tlv(0x30, tlv(0x06, fromHex('2a86 4886 f70d 0101 0a')), params);
}

describe('schemeForAuthMethod', () => {
  it('maps the RFC 7296 §3.8 signature methods to their fixed hash and curve', () => {
    assert.deepEqual(schemeForAuthMethod(AuthMethod.RSA_SIGNATURE), { kind: 'rsa-pkcs1', hash: 'sha1' });
    assert.deepEqual(schemeForAuthMethod(AuthMethod.ECDSA_SHA256_P256), {
      kind: 'ecdsa',
      hash: 'sha256',
      curve: 'P-256',
    });
    assert.deepEqual(schemeForAuthMethod(AuthMethod.ECDSA_SHA384_P384), {
      kind: 'ecdsa',
      hash: 'sha384',
      curve: 'P-384',
    });
    assert.deepEqual(schemeForAuthMethod(AuthMethod.ECDSA_SHA512_P521), {
      kind: 'ecdsa',
      hash: 'sha512',
      curve: 'P-521',
    });
  });

  it('has no fixed scheme for shared keys, DSS or RFC 7427', () => {
    for (const method of [0, AuthMethod.SHARED_KEY_MIC, AuthMethod.DSS_SIGNATURE, AuthMethod.DIGITAL_SIGNATURE, 255]) {
      assert.equal(schemeForAuthMethod(method), undefined, `method ${method}`);
    }
  });
});

describe('verifySignature', () => {
  const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');

  it('accepts ECDSA signatures in DER and IEEE P1363 encodings and rejects them tampered or mis-encoded', () => {
    const scheme: SignatureScheme = { kind: 'ecdsa', hash: 'sha256' };
    const der = sign('sha256', data, { key: ec256.privateKey, dsaEncoding: 'der' });
    const p1363 = sign('sha256', data, { key: ec256.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(p1363.length, 64);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, der, 'der'), true);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, p1363, 'ieee-p1363'), true);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, der, 'ieee-p1363'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, p1363, 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, tamper(data, 3), der, 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, tamper(p1363, 40), 'ieee-p1363'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, tamper(der, der.length - 1), 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, p1363.subarray(0, 63), 'ieee-p1363'), false);
    assert.equal(verifySignature(ec256.publicKey, scheme, data, Buffer.concat([der, Buffer.of(0)]), 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, { kind: 'ecdsa', hash: 'sha384' }, data, der, 'der'), false);
  });

  it('binds methods 9/10/11 to their curve and hash', () => {
    const cases = [
      [AuthMethod.ECDSA_SHA256_P256, ec256, 'sha256'],
      [AuthMethod.ECDSA_SHA384_P384, ec384, 'sha384'],
      [AuthMethod.ECDSA_SHA512_P521, ec521, 'sha512'],
    ] as const;
    for (const [method, pair, hash] of cases) {
      const scheme = schemeForAuthMethod(method);
      assert.ok(scheme);
      const signature = sign(hash, data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
      assert.equal(verifySignature(pair.publicKey, scheme, data, signature, 'ieee-p1363'), true, `method ${method}`);
      assert.equal(verifySignature(pair.publicKey, scheme, tamper(data, 0), signature, 'ieee-p1363'), false);
    }
    // A P-384 key signing SHA-256 is a valid ECDSA signature, but not AUTH method 9.
    const offCurve = sign('sha256', data, { key: ec384.privateKey, dsaEncoding: 'ieee-p1363' });
    const method9 = schemeForAuthMethod(AuthMethod.ECDSA_SHA256_P256);
    assert.ok(method9);
    assert.equal(verifySignature(ec384.publicKey, method9, data, offCurve, 'ieee-p1363'), false);
    assert.equal(
      verifySignature(ec384.publicKey, { kind: 'ecdsa', hash: 'sha256' }, data, offCurve, 'ieee-p1363'),
      true,
    );
  });

  it('checks RSA PKCS#1 v1.5 and RSASSA-PSS with the exact salt length', () => {
    const pkcs1 = sign('sha256', data, rsa.privateKey);
    assert.equal(verifySignature(rsa.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, data, pkcs1, 'der'), true);
    assert.equal(verifySignature(rsa.publicKey, { kind: 'rsa-pkcs1', hash: 'sha384' }, data, pkcs1, 'der'), false);
    assert.equal(
      verifySignature(rsa.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, tamper(data, 9), pkcs1, 'der'),
      false,
    );
    const method1 = schemeForAuthMethod(AuthMethod.RSA_SIGNATURE);
    assert.ok(method1);
    assert.equal(verifySignature(rsa.publicKey, method1, data, sign('sha1', data, rsa.privateKey), 'der'), true);

    const pss = sign('sha256', data, { key: rsa.privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 });
    const pssScheme: SignatureScheme = { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 };
    assert.equal(verifySignature(rsa.publicKey, pssScheme, data, pss, 'der'), true);
    assert.equal(verifySignature(rsa.publicKey, { ...pssScheme, saltLength: 20 }, data, pss, 'der'), false);
    assert.equal(verifySignature(rsa.publicKey, pssScheme, data, tamper(pss, 100), 'der'), false);
    assert.equal(verifySignature(rsa.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, data, pss, 'der'), false);
    // Longer than the modulus: OpenSSL raises an error inside; the answer must still be a plain false.
    assert.equal(verifySignature(rsa.publicKey, pssScheme, data, Buffer.concat([pss, Buffer.of(1)]), 'der'), false);
  });

  it('checks Ed25519', () => {
    const signature = sign(null, data, ed.privateKey);
    assert.equal(verifySignature(ed.publicKey, { kind: 'ed25519' }, data, signature, 'der'), true);
    assert.equal(verifySignature(ed.publicKey, { kind: 'ed25519' }, tamper(data, 1), signature, 'der'), false);
    assert.equal(verifySignature(ed.publicKey, { kind: 'ed25519' }, data, new Uint8Array(0), 'der'), false);
  });

  it('answers false when the key does not fit the scheme', () => {
    const ecSig = sign('sha256', data, ec256.privateKey);
    const rsaSig = sign('sha256', data, rsa.privateKey);
    assert.equal(verifySignature(rsa.publicKey, { kind: 'ecdsa', hash: 'sha256' }, data, ecSig, 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, data, rsaSig, 'der'), false);
    assert.equal(
      verifySignature(ec256.publicKey, { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 }, data, rsaSig, 'der'),
      false,
    );
    assert.equal(verifySignature(rsa.publicKey, { kind: 'ed25519' }, data, rsaSig, 'der'), false);
    assert.equal(verifySignature(ed.publicKey, { kind: 'ecdsa', hash: 'sha256' }, data, ecSig, 'der'), false);
    // node:crypto alone would accept these: it verifies with whatever algorithm the key has, not the claimed one.
    assert.equal(verifySignature(rsa.publicKey, { kind: 'ecdsa', hash: 'sha256' }, data, rsaSig, 'der'), false);
    assert.equal(verifySignature(ec256.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, data, ecSig, 'der'), false);
  });

  it('verifies the RFC 6979 A.2.5 P-256/SHA-256 vector, agreeing with @noble/curves', () => {
    // RFC 6979 A.2.5: public key U = xG and the deterministic signature of "sample" with SHA-256.
    const ux = fromHex('60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6');
    const uy = fromHex('7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299');
    const r = fromHex('EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716');
    const s = fromHex('F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8');
    const message = new TextEncoder().encode('sample');
    const signature = Uint8Array.from([...r, ...s]);
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(ux).toString('base64url'),
        y: Buffer.from(uy).toString('base64url'),
      },
      format: 'jwk',
    });
    const method9 = schemeForAuthMethod(AuthMethod.ECDSA_SHA256_P256);
    assert.ok(method9);
    assert.equal(verifySignature(key, method9, message, signature, 'ieee-p1363'), true);
    assert.equal(verifySignature(key, method9, tamper(message, 0), signature, 'ieee-p1363'), false);
    // s is above n/2 here, so noble must be told not to insist on low-S.
    const point = Uint8Array.from([0x04, ...ux, ...uy]);
    assert.equal(p256.verify(signature, message, point, { lowS: false }), true);
    assert.equal(p256.verify(signature, tamper(message, 0), point, { lowS: false }), false);
  });

  it('accepts ECDSA signatures made by @noble/curves, and noble accepts ours', () => {
    const secret = p256.utils.randomSecretKey();
    const publicPoint = p256.getPublicKey(secret, false);
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(publicPoint.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(publicPoint.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
    const nobleCompact = p256.sign(data, secret);
    const nobleDer = p256.sign(data, secret, { format: 'der' });
    assert.equal(verifySignature(key, { kind: 'ecdsa', hash: 'sha256' }, data, nobleCompact, 'ieee-p1363'), true);
    assert.equal(verifySignature(key, { kind: 'ecdsa', hash: 'sha256' }, data, nobleDer, 'der'), true);
    assert.equal(verifySignature(key, { kind: 'ecdsa', hash: 'sha256' }, tamper(data, 5), nobleDer, 'der'), false);

    const nodeSignature = sign('sha256', data, { key: ec256.privateKey, dsaEncoding: 'ieee-p1363' });
    const jwk = ec256.publicKey.export({ format: 'jwk' });
    const point = Uint8Array.from([
      0x04,
      ...Buffer.from(jwk.x ?? '', 'base64url'),
      ...Buffer.from(jwk.y ?? '', 'base64url'),
    ]);
    assert.equal(p256.verify(nodeSignature, data, point, { lowS: false }), true);
  });

  it('accepts an RSA PKCS#1 v1.5 signature computed by hand (RFC 8017 §8.2.1, §9.2)', () => {
    const jwk = rsa.privateKey.export({ format: 'jwk' });
    const big = (b64: string | undefined) => BigInt(`0x${Buffer.from(b64 ?? '', 'base64url').toString('hex')}`);
    const n = big(jwk.n);
    const d = big(jwk.d);
    // RFC 8017 §9.2 note 1: DigestInfo prefix for SHA-256.
    const digestInfo = [
      ...fromHex('3031300d060960864801650304020105000420'),
      ...createHash('sha256').update(data).digest(),
    ];
    const em = [0x00, 0x01, ...new Array<number>(256 - 3 - digestInfo.length).fill(0xff), 0x00, ...digestInfo];
    let m = BigInt(`0x${Buffer.from(em).toString('hex')}`);
    let signatureValue = 1n;
    for (let e = d; e > 0n; e >>= 1n) {
      if (e & 1n) signatureValue = (signatureValue * m) % n;
      m = (m * m) % n;
    }
    const signature = fromHex(signatureValue.toString(16).padStart(512, '0'));
    assert.equal(verifySignature(rsa.publicKey, { kind: 'rsa-pkcs1', hash: 'sha256' }, data, signature, 'der'), true);
    assert.deepEqual(signature, Uint8Array.from(sign('sha256', data, rsa.privateKey)));
  });
});

describe('parseDigitalSignatureAuth', () => {
  const signature = fromHex('0102030405060708');

  it('recognises the RFC 7427 Appendix A algorithm identifiers', () => {
    const cases: [Uint8Array, SignatureScheme][] = [
      [RFC7427.sha256WithRSAEncryption, { kind: 'rsa-pkcs1', hash: 'sha256' }],
      [RFC7427.sha384WithRSAEncryption, { kind: 'rsa-pkcs1', hash: 'sha384' }],
      [RFC7427.sha512WithRSAEncryption, { kind: 'rsa-pkcs1', hash: 'sha512' }],
      [RFC7427.ecdsaWithSha256, { kind: 'ecdsa', hash: 'sha256' }],
      [RFC7427.ecdsaWithSha384, { kind: 'ecdsa', hash: 'sha384' }],
      [RFC7427.ecdsaWithSha512, { kind: 'ecdsa', hash: 'sha512' }],
      [RFC7427.rsassaPssSha256, { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 }],
      [ED25519_ALGORITHM, { kind: 'ed25519' }],
    ];
    for (const [algorithm, scheme] of cases) {
      const parsed = parseDigitalSignatureAuth(authBlob(algorithm, signature));
      assert.deepEqual(parsed.scheme, scheme);
      assert.deepEqual(Uint8Array.from(parsed.signature), signature);
    }
  });

  it('reads the RSASSA-PSS parameter variants RFC 4055 allows', () => {
    const parse = (algorithm: Uint8Array) => parseDigitalSignatureAuth(authBlob(algorithm, signature)).scheme;
    assert.deepEqual(parse(pssAlgorithm(2, 2, 'a203 0201 30')), { kind: 'rsa-pss', hash: 'sha384', saltLength: 48 });
    assert.deepEqual(parse(pssAlgorithm(3, 3, 'a203 0201 40')), { kind: 'rsa-pss', hash: 'sha512', saltLength: 64 });
    // saltLength absent means the default, 20.
    assert.deepEqual(parse(pssAlgorithm(1, 1, '')), { kind: 'rsa-pss', hash: 'sha256', saltLength: 20 });
    // An explicit trailerField of 1 (trailerFieldBC) is the default spelled out.
    assert.deepEqual(parse(pssAlgorithm(1, 1, 'a203 0201 20 a303 0201 01')), {
      kind: 'rsa-pss',
      hash: 'sha256',
      saltLength: 32,
    });
    // Hash AlgorithmIdentifiers without the NULL (RFC 4055 §2.1: absent and NULL parameters are equivalent).
    assert.deepEqual(parse(pssAlgorithm(1, 1, 'a203 0201 20', new Uint8Array(0))), {
      kind: 'rsa-pss',
      hash: 'sha256',
      saltLength: 32,
    });
    // The helper reproduces RFC 7427 A.4.3 byte for byte, so the variants above differ from it only where intended.
    assert.deepEqual(pssAlgorithm(1, 1, 'a203 0201 20'), RFC7427.rsassaPssSha256);
  });

  it('gives OutpostError unsupported for algorithms it does not verify', () => {
    const refused = [
      RFC7427.sha1WithRSAEncryption,
      RFC7427.dsaWithSha1,
      RFC7427.ecdsaWithSha1,
      RFC7427.rsassaPssEmptyParameters,
      pssAlgorithm(1, 2, 'a203 0201 20'), // MGF1 hash differs from the hash
      pssAlgorithm(1, 1, 'a203 0201 20 a303 0201 02'), // trailerField 2
      pssAlgorithm(4, 4, 'a203 0201 20'), // SHA-224
    ];
    for (const algorithm of refused) {
      assert.throws(
        () => parseDigitalSignatureAuth(authBlob(algorithm, signature)),
        (e: unknown) => e instanceof OutpostError && !(e instanceof DecodeError) && e.code === 'unsupported',
        Buffer.from(algorithm).toString('hex'),
      );
    }
  });

  it('gives DecodeError for malformed AUTH data', () => {
    const malformed = [
      new Uint8Array(0),
      fromHex('00 0102'), // zero-length AlgorithmIdentifier
      fromHex('0f 300d 0609 2a86 4886 f70d 0101 0b05'), // length beyond the data
      authBlob(RFC7427.sha256WithRSAEncryption, new Uint8Array(0)), // no signature
      fromHex('10 300d 0609 2a86 4886 f70d 0101 0b05 00 00 01'), // trailing byte inside the declared length
      fromHex('0f 310d 0609 2a86 4886 f70d 0101 0b05 00 01'), // SET, not SEQUENCE
      fromHex('0f 3080 0609 2a86 4886 f70d 0101 0b05 00 01'), // indefinite length
      fromHex('10 30810d 0609 2a86 4886 f70d 0101 0b05 00 01'), // non-minimal length
      fromHex('0f 300d 0409 2a86 4886 f70d 0101 0b05 00 01'), // OCTET STRING where the OID belongs
      fromHex('0f 300d 0609 2a86 4886 f70d 0101 8b05 00 01'), // OID ends mid-arc
      fromHex('0f 300d 0609 2a86 4886 f70d 0101 0b04 00 01'), // OCTET STRING parameters for PKCS#1
      authBlob(fromHex('300c 0608 2a86 48ce 3d04 0302 0500'), signature), // ECDSA with NULL parameters
      authBlob(fromHex('300b 0609 2a86 4886 f70d 0101 0a'), signature), // RSASSA-PSS without parameters
      authBlob(pssAlgorithm(1, 1, 'a203 0201 80'), signature), // negative saltLength
      authBlob(pssAlgorithm(1, 1, 'a204 0202 2000'), signature), // saltLength 8192
      authBlob(pssAlgorithm(1, 1, 'a203 0201 20', fromHex('0400')), signature), // hash parameters neither NULL nor absent
    ];
    for (const blob of malformed) {
      assert.throws(() => parseDigitalSignatureAuth(blob), DecodeError, Buffer.from(blob).toString('hex'));
    }
  });

  it('never fails with anything but an OutpostError on truncated or corrupted blobs', () => {
    const blob = authBlob(RFC7427.rsassaPssSha256, signature);
    for (let length = 0; length <= 1 + RFC7427.rsassaPssSha256.length; length++) {
      assert.throws(() => parseDigitalSignatureAuth(blob.subarray(0, length)), DecodeError, `prefix ${length}`);
    }
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 3000; round++) {
      const mutated = Uint8Array.from(blob);
      for (let flips = 1 + (random() % 3); flips > 0; flips--) {
        mutated[random() % (1 + RFC7427.rsassaPssSha256.length)] = random() % 256;
      }
      try {
        parseDigitalSignatureAuth(mutated);
      } catch (e) {
        assert.ok(e instanceof OutpostError, `round ${round}: ${String(e)}`);
      }
    }
  });

  it('round-trips real signatures through AUTH data and verification', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecAuth = authBlob(RFC7427.ecdsaWithSha256, sign('sha256', data, ec.privateKey));
    const ecParsed = parseDigitalSignatureAuth(ecAuth);
    assert.equal(verifySignature(ec.publicKey, ecParsed.scheme, data, ecParsed.signature, 'der'), true);
    assert.equal(verifySignature(ec.publicKey, ecParsed.scheme, tamper(data, 2), ecParsed.signature, 'der'), false);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pss = sign('sha256', data, { key: rsa.privateKey, padding: 6, saltLength: 32 });
    const rsaParsed = parseDigitalSignatureAuth(authBlob(RFC7427.rsassaPssSha256, pss));
    assert.equal(verifySignature(rsa.publicKey, rsaParsed.scheme, data, rsaParsed.signature, 'der'), true);
    assert.equal(verifySignature(rsa.publicKey, rsaParsed.scheme, data, tamper(rsaParsed.signature, 0), 'der'), false);
  });
});
