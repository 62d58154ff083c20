import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { chachaCases, gcmCases } from './aead-test-vectors.js';
import type { AeadAlgorithm, AeadPrimitive } from './cipher-backend.js';
import { nobleAead } from './cipher-noble.js';
import { nodeAead } from './cipher-node.js';
import { createEvpAead, type EvpAead, type EvpAeadName } from './evp-aead.js';
import { randomBytes } from './random.js';

const NAMES: readonly { name: EvpAeadName; algorithm: AeadAlgorithm; keyBits: number }[] = [
  { name: 'aes-128-gcm', algorithm: 'aes-gcm', keyBits: 128 },
  { name: 'aes-192-gcm', algorithm: 'aes-gcm', keyBits: 192 },
  { name: 'aes-256-gcm', algorithm: 'aes-gcm', keyBits: 256 },
  { name: 'chacha20-poly1305', algorithm: 'chacha20-poly1305', keyBits: 256 },
];
const available = createEvpAead('aes-128-gcm', new Uint8Array(16)) !== undefined;
const skip = !available && 'no OpenSSL 3 to call here';

function evp(name: EvpAeadName, key: Uint8Array): EvpAead {
  const aead = createEvpAead(name, key);
  assert.ok(aead, `${name} on OpenSSL 3`);
  return aead;
}

function primitive(made: AeadPrimitive | undefined): AeadPrimitive {
  assert.ok(made);
  return made;
}

function sealed(aead: EvpAead, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const out = new Uint8Array(plain.length + 16);
  aead.seal(nonce, aad, plain, out, 0);
  return out;
}

/** A published case in RFC 4106 form (key material = key ‖ salt, 8-byte IV) as an EVP key and 96-bit nonce. */
function split(c: { key: string; iv: string }): { key: Uint8Array; nonce: Uint8Array } {
  const material = fromHex(c.key);
  const nonce = new Uint8Array(12);
  nonce.set(material.subarray(material.length - 4));
  nonce.set(fromHex(c.iv), 4);
  return { key: material.subarray(0, material.length - 4), nonce };
}

const linuxNode = process.platform === 'linux' && process.versions.openssl.startsWith('3.');

it("runs on Node's own OpenSSL 3 on Linux, never a second libcrypto.so.3 beside it", {
  skip: !linuxNode && 'not Node with OpenSSL 3 on Linux',
}, () => {
  assert.ok(available, 'the fast path must not quietly go missing');
  for (const { name, keyBits } of NAMES) assert.ok(createEvpAead(name, new Uint8Array(keyBits / 8)), name);
  // a second copy would have its calls to its own public functions bound to Node's exported ones
  assert.doesNotMatch(readFileSync('/proc/self/maps', 'utf8'), /libcrypto\.so\.3/);
});

/** Seals the published case to its published ciphertext ‖ tag and opens that back to the plaintext. */
function checkVector(
  name: EvpAeadName,
  c: { name: string; key: string; iv: string; aad: string; plain: string; sealed: string },
): void {
  const { key, nonce } = split(c);
  const aead = evp(name, key);
  assert.equal(toHex(sealed(aead, nonce, fromHex(c.aad), fromHex(c.plain))), c.sealed, c.name);
  const plain = new Uint8Array(c.plain.length / 2);
  assert.ok(aead.open(nonce, fromHex(c.aad), fromHex(c.sealed), plain, 0), c.name);
  assert.equal(toHex(plain), c.plain, c.name);
  aead.free();
}

describe('EVP AEAD on OpenSSL 3', { skip }, () => {
  it('matches the McGrew–Viega GCM test cases (96-bit IVs, with and without AAD)', () => {
    for (const c of gcmCases) checkVector(`aes-${c.keyBits}-gcm` as EvpAeadName, c);
  });

  it('matches RFC 8439 §2.8.2 and the RFC 7634 examples for ChaCha20-Poly1305', () => {
    for (const c of chachaCases) checkVector('chacha20-poly1305', c);
  });

  it('agrees with node:crypto and @noble/ciphers on random inputs, written at an offset', () => {
    for (const { name, algorithm, keyBits } of NAMES) {
      const node = primitive(nodeAead(algorithm, keyBits));
      const noble = primitive(nobleAead(algorithm, keyBits));
      const key = randomBytes(keyBits / 8);
      const aead = evp(name, key);
      for (const length of [0, 1, 15, 16, 17, 1400, 9000]) {
        for (const aadLength of [0, 8, 12, 100]) {
          const nonce = randomBytes(12);
          const aad = randomBytes(aadLength);
          const plain = randomBytes(length);
          const expected = node.seal(key, nonce, aad, plain);
          assert.deepEqual(noble.seal(key, nonce, aad, plain), new Uint8Array(expected));
          const out = new Uint8Array(7 + length + 16 + 5).fill(0xaa);
          aead.seal(nonce, aad, plain, out, 7);
          const what = `${name} ${length}/${aadLength}`;
          assert.equal(toHex(out.subarray(7, 7 + length + 16)), toHex(expected), what);
          assert.ok(out.subarray(0, 7).every((b) => b === 0xaa) && out.subarray(-5).every((b) => b === 0xaa), what);
          const opened = new Uint8Array(3 + length);
          assert.ok(aead.open(nonce, aad, expected, opened, 3), what);
          assert.equal(toHex(opened.subarray(3)), toHex(plain), what);
        }
      }
      aead.free();
    }
  });

  it('seals in place, the plaintext and the output being the same bytes', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(8);
    const plain = randomBytes(1400);
    const packet = new Uint8Array(16 + 1400 + 16);
    packet.set(plain, 16);
    evp('aes-256-gcm', key).seal(nonce, aad, packet.subarray(16, 16 + 1400), packet, 16);
    const expected = primitive(nodeAead('aes-gcm', 256)).seal(key, nonce, aad, plain);
    assert.equal(toHex(packet.subarray(16)), toHex(expected));
  });

  it('refuses a forged tag, a flipped ciphertext bit, a wrong AAD or nonce, and leaves zeros, not plaintext', () => {
    for (const { name, keyBits } of NAMES) {
      const aead = evp(name, randomBytes(keyBits / 8));
      const nonce = randomBytes(12);
      const aad = randomBytes(12);
      const plain = randomBytes(1400);
      const good = sealed(aead, nonce, aad, plain);
      const flip = (at: number) => {
        const bad = Uint8Array.from(good);
        bad[at]! ^= 0x01;
        return bad;
      };
      const otherAad = Uint8Array.from(aad);
      otherAad[11]! ^= 0x80;
      const otherNonce = Uint8Array.from(nonce);
      otherNonce[0]! ^= 0x01;
      const attempts: [string, Uint8Array, Uint8Array, Uint8Array][] = [
        ['forged tag', nonce, aad, flip(good.length - 1)],
        ['flipped ciphertext bit', nonce, aad, flip(100)],
        ['wrong AAD', nonce, otherAad, good],
        ['wrong nonce', otherNonce, aad, good],
        ['shorter than a tag', nonce, aad, good.subarray(0, 15)],
      ];
      for (const [what, n, a, packet] of attempts) {
        const out = new Uint8Array(1400).fill(0x55);
        assert.equal(aead.open(n, a, packet, out, 0), false, `${name}: ${what}`);
        assert.ok(
          out.every((b) => b === 0) || (packet.length < 16 && out.every((b) => b === 0x55)),
          `${name}: ${what} left bytes`,
        );
      }
      const out = new Uint8Array(1400);
      assert.ok(aead.open(nonce, aad, good, out, 0), `${name}: the context still opens after failures`);
      assert.equal(toHex(out), toHex(plain));
      aead.free();
    }
  });

  it('reuses one context for 10,000 packets with different nonces, matching node:crypto on each', () => {
    for (const { name, algorithm, keyBits } of [NAMES[2]!, NAMES[3]!]) {
      const node = primitive(nodeAead(algorithm, keyBits));
      const key = randomBytes(keyBits / 8);
      const aead = evp(name, key);
      const nonce = randomBytes(12);
      const aad = randomBytes(8);
      const plain = randomBytes(200);
      const out = new Uint8Array(216);
      const back = new Uint8Array(200);
      for (let i = 0; i < 10_000; i++) {
        new DataView(nonce.buffer).setUint32(8, i);
        plain[i % 200] = i & 0xff;
        aead.seal(nonce, aad, plain, out, 0);
        const expected = node.seal(key, nonce, aad, plain);
        if (toHex(out) !== toHex(expected)) assert.fail(`${name}: packet ${i} differs from node:crypto`);
        // the same context opens between seals: direction is set per packet
        if (i % 7 === 0 && !(aead.open(nonce, aad, expected, back, 0) && toHex(back) === toHex(plain))) {
          assert.fail(`${name}: packet ${i} did not open`);
        }
      }
      aead.free();
    }
  });

  it('throws a crypto error on a wrong key, nonce or output length and after free(); free() twice is harmless', () => {
    const crypto = (error: unknown) => isOutpostError(error) && error.code === 'crypto';
    assert.throws(() => createEvpAead('aes-256-gcm', new Uint8Array(16)), crypto);
    assert.throws(() => createEvpAead('chacha20-poly1305', new Uint8Array(31)), crypto);
    const aead = evp('aes-128-gcm', randomBytes(16));
    const plain = randomBytes(32);
    assert.throws(() => aead.seal(randomBytes(8), new Uint8Array(8), plain, new Uint8Array(48), 0), crypto);
    assert.throws(() => aead.seal(randomBytes(12), new Uint8Array(8), plain, new Uint8Array(47), 0), crypto);
    assert.throws(() => aead.seal(randomBytes(12), new Uint8Array(8), plain, new Uint8Array(48), 1), crypto);
    assert.throws(() => aead.open(randomBytes(12), new Uint8Array(8), randomBytes(48), new Uint8Array(31), 0), crypto);
    aead.free();
    aead.free();
    assert.throws(() => aead.seal(randomBytes(12), new Uint8Array(8), plain, new Uint8Array(48), 0), crypto);
  });
});
