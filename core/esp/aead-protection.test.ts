import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../test/support/hex.js';
import { type AeadCipher, type CipherBackend, createEncryption } from '../crypto/encryption.js';
import { createEvpAead } from '../crypto/evp-aead.js';
import { randomBytes } from '../crypto/random.js';
import { EncrId } from '../iana.js';
import { AeadProtection } from './aead-protection.js';
import { NEXT_HEADER_IPV4 } from './layout.js';

const skip = createEvpAead('aes-128-gcm', new Uint8Array(16)) === undefined && 'no OpenSSL 3 to call here';

const CIPHERS: readonly { name: string; id: number; keyBits: number | undefined }[] = [
  { name: 'AES-GCM-16-128', id: EncrId.AES_GCM_16, keyBits: 128 },
  { name: 'AES-GCM-16-192', id: EncrId.AES_GCM_16, keyBits: 192 },
  { name: 'AES-GCM-16-256', id: EncrId.AES_GCM_16, keyBits: 256 },
  { name: 'ChaCha20-Poly1305', id: EncrId.CHACHA20_POLY1305, keyBits: undefined },
];

function aead(id: number, keyBits: number | undefined, backend: CipherBackend): AeadCipher {
  const e = createEncryption(id, keyBits, { backend });
  assert.ok(e?.kind === 'aead');
  return e;
}

describe('AeadProtection: the EVP fast path', { skip }, () => {
  for (const { name, id, keyBits } of CIPHERS) {
    for (const esn of [false, true]) {
      it(`gives the node:crypto path's ESP packets byte for byte, and each opens the other's (${name}, ESN ${esn})`, () => {
        const cipher = aead(id, keyBits, 'node');
        const spi = randomBytes(4);
        const keys = randomBytes(cipher.keyLength);
        const evp = new AeadProtection(spi, esn, cipher, keys);
        const node = new AeadProtection(spi, esn, cipher, keys, { evp: false });
        assert.equal(evp.path, 'evp');
        assert.equal(node.path, 'node');
        for (const [high, low, length] of [
          [0, 1, 0],
          [0, 2, 1],
          [7, 0xffffffff, 61],
          [1, 5, 1400],
          [0, 9, 9000],
        ] as const) {
          const payload = randomBytes(length);
          const fromEvp = evp.seal(high, low, evp.iv(high, low), payload, NEXT_HEADER_IPV4);
          const fromNode = node.seal(high, low, node.iv(high, low), payload, NEXT_HEADER_IPV4);
          assert.equal(toHex(fromEvp), toHex(fromNode), `packet ${low}`);
          const byNode = node.open(fromEvp, high);
          const byEvp = evp.open(fromNode, high);
          assert.ok(byNode && byEvp, `packet ${low} opens`);
          assert.equal(toHex(byEvp), toHex(byNode));
          assert.equal(toHex(byEvp.subarray(0, length)), toHex(payload));
          const forged = Uint8Array.from(fromNode);
          forged[forged.length - 1]! ^= 1;
          assert.equal(evp.open(forged, high), null, `forged packet ${low}`);
          if (esn) assert.equal(evp.open(fromNode, high + 1), null, `packet ${low} under the wrong ESN high bits`);
        }
      });
    }
  }

  it('keeps @noble where it was pinned while the runtime has the cipher (the cross-checks stay honest)', () => {
    const cipher = aead(EncrId.AES_GCM_16, 128, 'noble');
    const protection = new AeadProtection(randomBytes(4), false, cipher, randomBytes(cipher.keyLength));
    assert.equal(protection.path, 'noble');
  });
});
