import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256, type Integrity } from './integrity.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');

// RFC 4868 §2.7.2.1–§2.7.2.3: test cases AUTH256-1..3, AUTH384-1..3, AUTH512-1..3 (keys sized to the hash output).
const rfc4868 = [
  {
    integ: HMAC_SHA2_256_128,
    cases: [
      { key: Buffer.alloc(32, 0x0b), data: ascii('Hi There'), icv: '198a607eb44bfbc69903a0f1cf2bbdc5' },
      {
        key: ascii('Jefe'.repeat(8)),
        data: ascii('what do ya want for nothing?'),
        icv: '167f928588c5cc2eef8e3093caa0e87c',
      },
      { key: Buffer.alloc(32, 0xaa), data: Buffer.alloc(50, 0xdd), icv: 'cdcb1220d1ecccea91e53aba3092f962' },
    ],
  },
  {
    integ: HMAC_SHA2_384_192,
    cases: [
      { key: Buffer.alloc(48, 0x0b), data: ascii('Hi There'), icv: 'b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973' },
      {
        key: ascii('Jefe'.repeat(12)),
        data: ascii('what do ya want for nothing?'),
        icv: '2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d',
      },
      {
        key: Buffer.alloc(48, 0xaa),
        data: Buffer.alloc(50, 0xdd),
        icv: '809f439be00274321d4a538652164b53554a508184a0c316',
      },
    ],
  },
  {
    integ: HMAC_SHA2_512_256,
    cases: [
      {
        key: Buffer.alloc(64, 0x0b),
        data: ascii('Hi There'),
        icv: '637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8',
      },
      {
        key: ascii('Jefe'.repeat(16)),
        data: ascii('what do ya want for nothing?'),
        icv: 'cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454',
      },
      {
        key: Buffer.alloc(64, 0xaa),
        data: Buffer.alloc(50, 0xdd),
        icv: '2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8',
      },
    ],
  },
  {
    // RFC 2404 §3 test cases 1, 3 and 5 (those with 20-byte keys).
    integ: HMAC_SHA1_96,
    cases: [
      { key: Buffer.alloc(20, 0x0b), data: ascii('Hi There'), icv: 'b617318655057264e28bc0b6' },
      { key: Buffer.alloc(20, 0xaa), data: Buffer.alloc(50, 0xdd), icv: '125d7342b9ac11cd91a39af4' },
      { key: Buffer.alloc(20, 0x0c), data: ascii('Test With Truncation'), icv: '4c1a03424b55e07fe7f27be1' },
    ],
  },
];

test('truncated HMAC ICVs match RFC 4868 §2.7.2 and RFC 2404 §3', () => {
  for (const { integ, cases } of rfc4868) {
    for (const c of cases) {
      const icv = integ.compute(c.key, c.data);
      assert.equal(icv.length, integ.icvLength);
      assert.equal(toHex(icv), c.icv, `integ ${integ.id}`);
      assert.equal(integ.verify(c.key, Buffer.from(c.icv, 'hex'), c.data), true);
    }
  }
});

test('ids, key and ICV lengths follow RFC 4868 and RFC 2404', () => {
  const all: Integrity[] = [HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256];
  assert.deepEqual(
    all.map((i) => [i.id, i.keyLength, i.icvLength]),
    [
      [2, 20, 12],
      [12, 32, 16],
      [13, 48, 24],
      [14, 64, 32],
    ],
  );
});

test('data given in pieces gives the ICV of the concatenation', () => {
  const key = Buffer.alloc(32, 0x0b);
  const whole = HMAC_SHA2_256_128.compute(key, ascii('Hi There'));
  assert.deepEqual(HMAC_SHA2_256_128.compute(key, ascii('Hi'), ascii(''), ascii(' There')), whole);
  assert.equal(HMAC_SHA2_256_128.verify(key, whole, ascii('Hi '), ascii('There')), true);
});

test('verify rejects a flipped bit, a wrong length and wrong data', () => {
  for (const integ of [HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256]) {
    const key = Buffer.alloc(integ.keyLength, 0x42);
    const data = ascii('IKE message');
    const icv = Buffer.from(integ.compute(key, data));
    for (let bit = 0; bit < icv.length * 8; bit += 7) {
      const bad = Buffer.from(icv);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(integ.verify(key, bad, data), false, `bit ${bit}`);
    }
    assert.equal(integ.verify(key, icv.subarray(0, icv.length - 1), data), false);
    assert.equal(integ.verify(key, Buffer.concat([icv, Buffer.alloc(1)]), data), false);
    assert.equal(integ.verify(key, Buffer.alloc(0), data), false);
    assert.equal(integ.verify(key, icv, ascii('IKE messagf')), false);
    assert.equal(integ.verify(key, icv, data), true);
  }
});

test('a key of the wrong length is a crypto error, not a silent MAC', () => {
  assert.throws(
    () => HMAC_SHA2_256_128.compute(Buffer.alloc(31), ascii('x')),
    (e: unknown) => isOutpostError(e) && e.code === 'crypto',
  );
  assert.throws(
    () => HMAC_SHA2_256_128.verify(Buffer.alloc(33), Buffer.alloc(16), ascii('x')),
    (e: unknown) => isOutpostError(e) && e.code === 'crypto',
  );
});
