import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { EncrId } from '../iana.js';
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

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B test cases, used the RFC 4106 way: the
// spec's 96-bit IV split into the 4-byte salt (appended to the key material) and the 8-byte per-packet IV.
const K128 = 'feffe9928665731c6d6a8f9467308308';
const K192 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c';
const K256 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const P64 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const P60 = P64.slice(0, 120);
const A20 = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const gcmCases = [
  {
    name: 'test case 2',
    keyBits: 128,
    key: `${'00'.repeat(16)}00000000`,
    iv: '0000000000000000',
    aad: '',
    plain: '00'.repeat(16),
    sealed: '0388dace60b6a392f328c2b971b2fe78' + 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  {
    name: 'test case 3',
    keyBits: 128,
    key: `${K128}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985' +
      '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
  {
    name: 'test case 4',
    keyBits: 128,
    key: `${K128}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: A20,
    plain: P60,
    sealed:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091' +
      '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'test case 9',
    keyBits: 192,
    key: `${K192}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c' +
      '7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256' +
      '9924a7c8587336bfb118024db8674a14',
  },
  {
    name: 'test case 14',
    keyBits: 256,
    key: `${'00'.repeat(32)}00000000`,
    iv: '0000000000000000',
    aad: '',
    plain: '00'.repeat(16),
    sealed: 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'test case 15',
    keyBits: 256,
    key: `${K256}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: '',
    plain: P64,
    sealed:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad' +
      'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'test case 16',
    keyBits: 256,
    key: `${K256}cafebabe`,
    iv: 'facedbaddecaf888',
    aad: A20,
    plain: P60,
    sealed:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

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

const KEY_80_9F = '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f';
const chachaCases = [
  {
    // RFC 8439 §2.8.2: nonce 07000000 || 4041424344454647, i.e. salt 07000000 and IV 4041424344454647.
    name: 'RFC 8439 §2.8.2',
    key: `${KEY_80_9F}07000000`,
    iv: '4041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plain: Buffer.from(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      'latin1',
    ).toString('hex'),
    sealed:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
      '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  },
  {
    // RFC 7634 Appendix A: ESP example (AAD = SPI || sequence number).
    name: 'RFC 7634 Appendix A (ESP)',
    key: `${KEY_80_9F}a0a1a2a3`,
    iv: '1011121314151617',
    aad: '0102030400000005',
    plain:
      '45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10' +
      '000736270809' +
      '0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637' +
      '01020204',
    sealed:
      '24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6' +
      '14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3' +
      'cbec163fac469b502773f6fb94e664da9165b82829f641e0' +
      '76aaa8266b7fb0f7b11b369907e1ad43',
  },
  {
    // RFC 7634 Appendix B: IKEv2 example (AAD = IKE header || Encrypted payload header).
    name: 'RFC 7634 Appendix B (IKEv2)',
    key: `${KEY_80_9F}a0a1a2a3`,
    iv: '1011121314151617',
    aad: 'c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7' + '2e202500000000090000004529000029',
    plain: '0000000c000040010000000a00',
    sealed: '610394701f8d017f7c12924889' + '6b71bfe25236efd7cdc67066906315b2',
  },
];

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
