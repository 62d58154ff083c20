import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512, type Prf, prfPlus } from './prf.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');
const aa131 = Buffer.alloc(131, 0xaa);

// RFC 4231 §4.2–§4.8 (test cases 1–7), which RFC 4868 §2.7.1 reuses as its PRF-HMAC-SHA-256/384/512 test vectors.
// Case 5 publishes only the first 128 bits of each MAC ("Test With Truncation").
const rfc4231 = [
  {
    name: 'case 1',
    key: Buffer.alloc(20, 0x0b),
    data: ascii('Hi There'),
    sha256: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    sha384: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
    sha512:
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' +
      'daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
  },
  {
    name: 'case 2',
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    sha384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    sha512:
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  },
  {
    name: 'case 3',
    key: Buffer.alloc(20, 0xaa),
    data: Buffer.alloc(50, 0xdd),
    sha256: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    sha384: '88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27',
    sha512:
      'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39' +
      'bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
  },
  {
    name: 'case 4',
    key: fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: Buffer.alloc(50, 0xcd),
    sha256: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    sha384: '3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb',
    sha512:
      'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db' +
      'a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
  },
  {
    name: 'case 5 (first 128 bits)',
    key: Buffer.alloc(20, 0x0c),
    data: ascii('Test With Truncation'),
    sha256: 'a3b6167473100ee06e0c796c2955552b',
    sha384: '3abf34c3503b2a23a46efc619baef897',
    sha512: '415fad6271580a531d4179bc891d87a6',
  },
  {
    name: 'case 6',
    key: aa131,
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    sha256: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    sha384: '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
    sha512:
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352' +
      '6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
  },
  {
    name: 'case 7',
    key: aa131,
    data: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    sha256: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    sha384: '6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e',
    sha512:
      'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944' +
      'b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
  },
];

test('PRF_HMAC_SHA2_* match RFC 4231 / RFC 4868 §2.7.1 vectors', () => {
  for (const v of rfc4231) {
    for (const [prf, expected] of [
      [PRF_HMAC_SHA2_256, v.sha256],
      [PRF_HMAC_SHA2_384, v.sha384],
      [PRF_HMAC_SHA2_512, v.sha512],
    ] as const) {
      const out = prf.compute(v.key, v.data);
      assert.equal(out.length, prf.outputLength, `${v.name} length`);
      assert.equal(
        Buffer.from(out.subarray(0, expected.length / 2)).toString('hex'),
        expected,
        `${v.name} prf ${prf.id}`,
      );
    }
  }
});

test('PRF_HMAC_SHA1 matches RFC 2202 §3 test cases 1 and 2', () => {
  assert.equal(
    Buffer.from(PRF_HMAC_SHA1.compute(Buffer.alloc(20, 0x0b), ascii('Hi There'))).toString('hex'),
    'b617318655057264e28bc0b6fb378c8ef146be00',
  );
  assert.equal(
    Buffer.from(PRF_HMAC_SHA1.compute(ascii('Jefe'), ascii('what do ya want for nothing?'))).toString('hex'),
    'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
  );
});

test('PRF ids, output and key lengths follow RFC 7296 / RFC 4868', () => {
  assert.deepEqual(
    [PRF_HMAC_SHA1, PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512].map((p) => [
      p.id,
      p.outputLength,
      p.keyLength,
    ]),
    [
      [2, 20, 20],
      [5, 32, 32],
      [6, 48, 48],
      [7, 64, 64],
    ],
  );
});

/** prf+ written out straight from RFC 7296 §2.13 with Buffer.concat, independent of the implementation's buffer reuse. */
function referencePrfPlus(hash: string, key: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let n = 1; Buffer.concat(blocks).length < length; n++) {
    t = createHmac(hash, key)
      .update(Buffer.concat([t, seed, Buffer.from([n])]))
      .digest();
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

test('prf+ matches an independent computation for every length up to several blocks', () => {
  const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const seed = ascii('Ni | Nr | SPIi | SPIr seed of some length');
  for (const [prf, hash] of [
    [PRF_HMAC_SHA1, 'sha1'],
    [PRF_HMAC_SHA2_256, 'sha256'],
    [PRF_HMAC_SHA2_384, 'sha384'],
    [PRF_HMAC_SHA2_512, 'sha512'],
  ] as const) {
    for (let length = 0; length <= prf.outputLength * 4 + 1; length++) {
      const out = prfPlus(prf, key, seed, length);
      assert.equal(out.length, length);
      assert.deepEqual(Buffer.from(out), referencePrfPlus(hash, key, seed, length), `${hash} length ${length}`);
    }
  }
});

test('prf+ output is a prefix-stable stream: a shorter request is a prefix of a longer one', () => {
  const key = Buffer.alloc(32, 7);
  const seed = Buffer.alloc(0);
  const long = prfPlus(PRF_HMAC_SHA2_256, key, seed, 200);
  assert.deepEqual(prfPlus(PRF_HMAC_SHA2_256, key, seed, 77), long.subarray(0, 77));
});

test('prf+ allows exactly 255 rounds and refuses the 256th (RFC 7296 §2.13)', () => {
  const key = Buffer.alloc(32, 1);
  const seed = Buffer.alloc(16, 2);
  const max = 255 * PRF_HMAC_SHA2_256.outputLength;
  const out = prfPlus(PRF_HMAC_SHA2_256, key, seed, max);
  assert.deepEqual(Buffer.from(out), referencePrfPlus('sha256', key, seed, max));
  assert.throws(
    () => prfPlus(PRF_HMAC_SHA2_256, key, seed, max + 1),
    (e: unknown) => isOutpostError(e) && e.code === 'crypto',
  );
  assert.throws(
    () => prfPlus(PRF_HMAC_SHA2_256, key, seed, -1),
    (e: unknown) => isOutpostError(e) && e.code === 'crypto',
  );
});

test('prf+ feeds each round T(n-1) | S | n, with n as one octet', () => {
  // A PRF that reports its input's length, first byte and last two bytes makes the concatenation order visible.
  const probe: Prf = {
    id: 0,
    outputLength: 4,
    keyLength: 4,
    compute: (_k, d) => Uint8Array.of(d.length, d[0] ?? 0, d.at(-2) ?? 0, d.at(-1) ?? 0),
  };
  // T1 = probe(aabbcc | 01) = 04 aa cc 01; T2 = probe(T1 | aabbcc | 02) = 08 04 cc 02.
  assert.equal(Buffer.from(prfPlus(probe, Buffer.alloc(0), fromHex('aabbcc'), 8)).toString('hex'), '04aacc010804cc02');
});
