import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { EncrId } from '../iana.js';
import { chachaCases, gcmCases } from './aead-test-vectors.js';
import { type AeadCipher, type BlockCipher, type CipherBackend, createEncryption } from './encryption.js';
import { randomBytes } from './random.js';

const BACKENDS: readonly CipherBackend[] = ['node', 'noble'];

function aeadOn(id: number, keyBits: number | undefined, backend: CipherBackend): AeadCipher {
  const e = createEncryption(id, keyBits, { backend });
  assert.ok(e?.kind === 'aead', `${id}/${keyBits} on ${backend}`);
  return e;
}

function cbcOn(keyBits: number, backend: CipherBackend): BlockCipher {
  const e = createEncryption(EncrId.AES_CBC, keyBits, { backend });
  assert.ok(e?.kind === 'cbc', `AES-CBC-${keyBits} on ${backend}`);
  return e;
}

test('AES-GCM-16 matches the McGrew–Viega GCM test cases with RFC 4106 salt || IV nonces, on both backends', () => {
  for (const backend of BACKENDS) {
    for (const c of gcmCases) {
      const gcm = aeadOn(EncrId.AES_GCM_16, c.keyBits, backend);
      assert.equal(gcm.keyLength, c.keyBits / 8 + 4);
      const sealed = gcm.seal(fromHex(c.key), fromHex(c.iv), fromHex(c.aad), fromHex(c.plain));
      assert.equal(toHex(sealed), c.sealed, `${c.name} seal on ${backend}`);
      const opened = gcm.open(fromHex(c.key), fromHex(c.iv), fromHex(c.aad), fromHex(c.sealed));
      assert.equal(opened && toHex(opened), c.plain, `${c.name} open on ${backend}`);
    }
  }
});

test('ChaCha20-Poly1305 matches RFC 8439 §2.8.2 and the RFC 7634 ESP and IKEv2 examples, on both backends', () => {
  for (const backend of BACKENDS) {
    const chacha = aeadOn(EncrId.CHACHA20_POLY1305, undefined, backend);
    assert.equal(chacha.keyLength, 36);
    assert.equal(chacha.keyBits, 256);
    for (const c of chachaCases) {
      const sealed = chacha.seal(fromHex(c.key), fromHex(c.iv), fromHex(c.aad), fromHex(c.plain));
      assert.equal(toHex(sealed), c.sealed, `${c.name} seal on ${backend}`);
      const opened = chacha.open(fromHex(c.key), fromHex(c.iv), fromHex(c.aad), fromHex(c.sealed));
      assert.equal(opened && toHex(opened), c.plain, `${c.name} open on ${backend}`);
    }
  }
});

// RFC 3602 §4 cases #1, #2 and #4 (AES-128), and NIST SP 800-38A F.2.3 / F.2.5 (CBC-AES192 / CBC-AES256 encrypt).
const SP800_38A_PLAIN =
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51' +
  '30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';
const cbcCases = [
  {
    name: 'RFC 3602 case #1',
    keyBits: 128,
    key: '06a9214036b8a15b512e03d534120006',
    iv: '3dafba429d9eb430b422da802c9fac41',
    plain: Buffer.from('Single block msg', 'latin1').toString('hex'),
    cipher: 'e353779c1079aeb82708942dbe77181a',
  },
  {
    name: 'RFC 3602 case #2',
    keyBits: 128,
    key: 'c286696d887c9aa0611bbb3e2025a45a',
    iv: '562e17996d093d28ddb3ba695a2e6f58',
    plain: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    cipher: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1',
  },
  {
    name: 'RFC 3602 case #4',
    keyBits: 128,
    key: '56e47a38c5598974bc46903dba290349',
    iv: '8ce82eefbea0da3c44699ed7db51b7d9',
    plain:
      'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf' +
      'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
    cipher:
      'c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e' +
      '35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55',
  },
  {
    name: 'SP 800-38A F.2.3',
    keyBits: 192,
    key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b',
    iv: '000102030405060708090a0b0c0d0e0f',
    plain: SP800_38A_PLAIN,
    cipher:
      '4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a' +
      '571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd',
  },
  {
    name: 'SP 800-38A F.2.5',
    keyBits: 256,
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    iv: '000102030405060708090a0b0c0d0e0f',
    plain: SP800_38A_PLAIN,
    cipher:
      'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d' +
      '39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
  },
];

test('AES-CBC matches RFC 3602 §4 and NIST SP 800-38A F.2 vectors, on both backends', () => {
  for (const backend of BACKENDS) {
    for (const c of cbcCases) {
      const aes = cbcOn(c.keyBits, backend);
      assert.equal(aes.keyLength, c.keyBits / 8);
      assert.equal(
        toHex(aes.encrypt(fromHex(c.key), fromHex(c.iv), fromHex(c.plain))),
        c.cipher,
        `${c.name} on ${backend}`,
      );
      assert.equal(
        toHex(aes.decrypt(fromHex(c.key), fromHex(c.iv), fromHex(c.cipher))),
        c.plain,
        `${c.name} on ${backend}`,
      );
    }
  }
});

const LENGTHS = [0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 255, 1400, 1500];

test('node and noble AEADs agree on random keys, IVs, AAD and lengths', () => {
  for (const [id, keyBits] of [
    [EncrId.AES_GCM_16, 128],
    [EncrId.AES_GCM_16, 192],
    [EncrId.AES_GCM_16, 256],
    [EncrId.CHACHA20_POLY1305, undefined],
  ] as const) {
    const node = aeadOn(id, keyBits, 'node');
    const noble = aeadOn(id, keyBits, 'noble');
    for (const length of LENGTHS) {
      const key = randomBytes(node.keyLength);
      const iv = randomBytes(8);
      const aad = randomBytes(length % 3 === 0 ? 0 : (length % 29) + 1);
      const plain = randomBytes(length);
      const fromNode = node.seal(key, iv, aad, plain);
      const fromNoble = noble.seal(key, iv, aad, plain);
      assert.equal(fromNode.length, length + 16);
      assert.deepEqual(Buffer.from(fromNode), Buffer.from(fromNoble), `${node.name} length ${length}`);
      assert.deepEqual(Buffer.from(noble.open(key, iv, aad, fromNode) ?? []), Buffer.from(plain));
      assert.deepEqual(Buffer.from(node.open(key, iv, aad, fromNoble) ?? []), Buffer.from(plain));
    }
  }
});

test('node and noble AES-CBC agree on random keys, IVs and whole-block lengths', () => {
  for (const keyBits of [128, 192, 256]) {
    const node = cbcOn(keyBits, 'node');
    const noble = cbcOn(keyBits, 'noble');
    for (const blocks of [0, 1, 2, 3, 17, 94]) {
      const key = randomBytes(node.keyLength);
      const iv = randomBytes(16);
      const plain = randomBytes(blocks * 16);
      const fromNode = node.encrypt(key, iv, plain);
      assert.deepEqual(Buffer.from(fromNode), Buffer.from(noble.encrypt(key, iv, plain)), `${keyBits} ${blocks}`);
      assert.deepEqual(Buffer.from(noble.decrypt(key, iv, fromNode)), Buffer.from(plain));
      assert.deepEqual(Buffer.from(node.decrypt(key, iv, fromNode)), Buffer.from(plain));
    }
  }
});

test('a tampered, truncated or misaddressed AEAD message opens to null on both backends', () => {
  for (const backend of BACKENDS) {
    for (const [id, keyBits] of [
      [EncrId.AES_GCM_16, 256],
      [EncrId.CHACHA20_POLY1305, 256],
    ] as const) {
      const aead = aeadOn(id, keyBits, backend);
      const key = randomBytes(aead.keyLength);
      const iv = randomBytes(8);
      const aad = randomBytes(12);
      const sealed = Buffer.from(aead.seal(key, iv, aad, randomBytes(40)));
      const flip = (b: Uint8Array, i: number) => {
        const c = Buffer.from(b);
        c[i]! ^= 0x01;
        return c;
      };
      for (let i = 0; i < sealed.length; i += 5) {
        assert.equal(aead.open(key, iv, aad, flip(sealed, i)), null, `${aead.name} ${backend} byte ${i}`);
      }
      assert.equal(aead.open(key, iv, aad, flip(sealed, sealed.length - 1)), null);
      assert.equal(aead.open(key, iv, flip(aad, 0), sealed), null);
      assert.equal(aead.open(key, iv, Buffer.alloc(0), sealed), null);
      assert.equal(aead.open(key, flip(iv, 7), aad, sealed), null);
      assert.equal(aead.open(flip(key, key.length - 1), iv, aad, sealed), null, 'salt is part of the nonce');
      assert.equal(aead.open(flip(key, 0), iv, aad, sealed), null);
      assert.equal(aead.open(key, iv, aad, sealed.subarray(0, sealed.length - 1)), null);
      assert.equal(aead.open(key, iv, aad, sealed.subarray(0, 15)), null);
      assert.equal(aead.open(key, iv, aad, Buffer.alloc(0)), null);
      assert.ok(aead.open(key, iv, aad, sealed));
      // A tag alone is a valid sealing of the empty plaintext.
      const empty = aead.seal(key, iv, aad, Buffer.alloc(0));
      assert.equal(empty.length, 16);
      assert.equal(aead.open(key, iv, aad, empty)?.length, 0);
    }
  }
});

test('misuse is a crypto error; a ragged CBC ciphertext is a DecodeError', () => {
  const isCode = (code: string) => (e: unknown) => isOutpostError(e) && e.code === code;
  for (const backend of BACKENDS) {
    const gcm = aeadOn(EncrId.AES_GCM_16, 128, backend);
    assert.throws(
      () => gcm.seal(Buffer.alloc(16), Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(1)),
      isCode('crypto'),
    );
    assert.throws(
      () => gcm.seal(Buffer.alloc(20), Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(1)),
      isCode('crypto'),
    );
    assert.throws(
      () => gcm.open(Buffer.alloc(21), Buffer.alloc(8), Buffer.alloc(0), Buffer.alloc(16)),
      isCode('crypto'),
    );
    const cbc = cbcOn(128, backend);
    assert.throws(() => cbc.encrypt(Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(15)), isCode('crypto'));
    assert.throws(() => cbc.encrypt(Buffer.alloc(32), Buffer.alloc(16), Buffer.alloc(16)), isCode('crypto'));
    assert.throws(() => cbc.encrypt(Buffer.alloc(16), Buffer.alloc(8), Buffer.alloc(16)), isCode('crypto'));
    assert.throws(
      () => cbc.decrypt(Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(33)),
      (e: unknown) => isOutpostError(e) && e.code === 'malformed' && e.name === 'DecodeError',
    );
  }
});

test('createEncryption: supported ids and key lengths, node:crypto by default', () => {
  const shape = (id: number, bits: number | undefined) => {
    const e = createEncryption(id, bits);
    return e && [e.kind, e.name, e.keyBits, e.keyLength, e.backend];
  };
  assert.deepEqual(shape(EncrId.AES_GCM_16, 128), ['aead', 'AES_GCM_16_128', 128, 20, 'node']);
  assert.deepEqual(shape(EncrId.AES_GCM_16, 192), ['aead', 'AES_GCM_16_192', 192, 28, 'node']);
  assert.deepEqual(shape(EncrId.AES_GCM_16, 256), ['aead', 'AES_GCM_16_256', 256, 36, 'node']);
  assert.deepEqual(shape(EncrId.CHACHA20_POLY1305, undefined), ['aead', 'CHACHA20_POLY1305', 256, 36, 'node']);
  assert.deepEqual(shape(EncrId.CHACHA20_POLY1305, 256), ['aead', 'CHACHA20_POLY1305', 256, 36, 'node']);
  assert.deepEqual(shape(EncrId.AES_CBC, 128), ['cbc', 'AES_CBC_128', 128, 16, 'node']);
  assert.deepEqual(shape(EncrId.AES_CBC, 192), ['cbc', 'AES_CBC_192', 192, 24, 'node']);
  assert.deepEqual(shape(EncrId.AES_CBC, 256), ['cbc', 'AES_CBC_256', 256, 32, 'node']);
  assert.equal(createEncryption(EncrId.AES_GCM_16, undefined), undefined, 'AES needs a Key Length attribute');
  assert.equal(createEncryption(EncrId.AES_CBC, undefined), undefined);
  assert.equal(createEncryption(EncrId.AES_GCM_16, 64), undefined);
  assert.equal(createEncryption(EncrId.CHACHA20_POLY1305, 128), undefined);
  assert.equal(createEncryption(3 /* ENCR_3DES */, undefined), undefined);
  assert.equal(createEncryption(EncrId.AES_GCM_16, 256, { backend: 'noble' })?.backend, 'noble');
});
