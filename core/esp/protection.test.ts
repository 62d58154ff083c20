import assert from 'node:assert/strict';
import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { type CipherBackend, createEncryption, type Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256 } from '../crypto/integrity.js';
import { EncrId } from '../iana.js';
import { createProtection } from './sa.js';
import { NULL_ICV_FOR_TESTS, RFC3602_CASE5, RFC3602_CASE7 } from './test-support.js';

const BACKENDS: readonly CipherBackend[] = ['node', 'noble'];

function encryption(id: number, keyBits: number | undefined, backend: CipherBackend): Encryption {
  const e = createEncryption(id, keyBits, { backend });
  assert.ok(e, `${id}/${keyBits} on ${backend}`);
  return e;
}

/**
 * draft-mcgrew-gcm-test-01 §4 ("Test Cases for the use of GCM and GMAC in IPsec ESP", McGrew, 2009), the AES-GCM
 * ESP cases in the draft's order (the AES-GMAC ones are RFC 4543, not a transform we negotiate). Each gives the
 * key, salt, SPI, 32- or 64-bit sequence number (64 bits = ESN: the AAD is SPI ‖ high ‖ low), the plaintext with
 * its ESP padding and trailer, and the whole packet SPI ‖ seq low ‖ IV ‖ ciphertext ‖ ICV.
 */
const GCM_ESP_CASES = [
  {
    key: '4c80cdefbb5d10da906ac73c3613a634',
    salt: '2e443b68',
    seq: '8765432100000000',
    plain: `45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000
      00000000045f736970045f756470037369700963796265726369747902646b00 0021000101020201`,
    packet: `00004321000000004956ed7e3b244cfe
      fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34
      cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce 61bc17d768fd9732459018148f6cbe722fd04796562dfdb4`,
  },
  {
    key: 'feffe9928665731c6d6a8f9467308308',
    salt: 'cafebabe',
    seq: '0000000a',
    plain: `4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100
      0001000000000000037369700963796265726369747902646b00000100010001`,
    packet: `0000a5f80000000afacedbaddecaf888
      deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c
      3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1 83b70d3aa8bc6ee4c309e9d85a41ad4a`,
  },
  {
    key: 'abbccddef00112233445566778899aababbccddef00112233445566778899aab',
    salt: '11223344',
    seq: '00000002',
    plain: `4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000
      7002400020bf0000020405b40101040201020201`,
    packet: `4a2cbfe3000000020102030405060708
      ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763
      748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49 15956c96`,
  },
  {
    key: '00000000000000000000000000000000',
    salt: '00000000',
    seq: '00000001',
    plain: `4500003c99c500008001cb7a40679318010101010800075c0200440061626364
      65666768696a6b6c6d6e6f707172737475767761626364656667686901020201`,
    packet: `00000000000000010000000000000000
      4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284
      456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3 f821d496eeb096e98ad2b69e4799c71d`,
  },
  {
    key: '3de09874b388e6491988d0c3607eae1f',
    salt: '57690e43',
    seq: '1010101010101010',
    plain: `4500003c99c300008001cb7c40679318010101010800085c0200430061626364
      65666768696a6b6c6d6e6f707172737475767761626364656667686901020201`,
    packet: `42f67e3f101010104e280000a2fca1a3
      fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917
      65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a e0d731cc978ecafaeae88f00e80d6e48`,
  },
  {
    key: '3de09874b388e6491988d0c3607eae1f',
    salt: '57690e43',
    seq: '1010101010101010',
    plain: '4500001c42a200008001441f406793b6e00000020a00f5ff01020201',
    packet: `42f67e3f101010104e280000a2fca1a3
      fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f 35e034be95f112e4e7d05d35`,
  },
  {
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c',
    salt: 'cafebabe',
    seq: '0000000a',
    plain: '45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001',
    packet: `0000a5f80000000afacedbaddecaf888
      a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0 315b27452144cc7795457b9652037f5318027b5b4cd7a636`,
  },
  {
    key: 'abbccddef00112233445566778899aab',
    salt: 'decaf888',
    seq: '0000000000000001',
    plain: `4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d5
      00004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec95 9b6266c04722b14923010101`,
    packet: `0000010000000001cafedebaceface74
      18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f
      9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c22
      6f2127b27db35724e7845d68651f57e65f354f75ff17015769623436`,
  },
  {
    key: 'abbccddef00112233445566778899aababbccddef00112233445566778899aab',
    salt: '73616c74',
    seq: '156f3126dd0db99b',
    plain: '45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f646d540001',
    packet: `17405e67dd0db99b616e640169766563
      f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f
      f4d3a31ce673119e451626c2415771e3b7eebca614c89b35`,
  },
  {
    key: '3de09874b388e6491988d0c3607eae1f',
    salt: '57690e43',
    seq: '1010101010101010',
    plain: `45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b
      000001e0001e8c18d65759d52284a0352c71475c8880391c764d6e5ee0496b32 5ae270c03899493915010101`,
    packet: `42f67e3f101010104e280000a2fca1a3
      fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d541828
      00cadb0f68d99ef0e0c0c89ae9bea8884e52d65bc1afd0740f742444747b5b39
      ab533163aad4550ee5160975cdb608c5769189609763b8e18caa81e2`,
  },
  {
    key: 'abbccddef00112233445566778899aababbccddef00112233445566778899aab',
    salt: '73616c74',
    seq: '156f3126dd0db99b',
    plain: `636973636f0172756c65730174686501 6e6574776501646566696e6501746865
      746563686e6f6c6f6769657301746861 7477696c6c01646566696e65746f6d6f 72726f7701020201`,
    packet: `17405e67dd0db99b616e640169766563
      d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18
      d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0
      12a49363412364f8c0cac587f249e56b11e24f30e44ccc76`,
  },
  {
    key: '7d773d00c144c525ac619d18c84a3f47',
    salt: 'd9664267',
    seq: 'ffffffff',
    plain: '01020201',
    packet: '335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c4504bef270',
  },
  {
    key: 'abbccddef00112233445566778899aab',
    salt: 'decaf888',
    seq: '0000000000000001',
    plain: '746f016265016f72016e6f7401746f0162650001',
    packet: `0000010000000001cafedebaceface74
      29c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f283843af8c3e`,
  },
  {
    key: '6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961',
    salt: '7475726e',
    seq: 'ffffffffffffffff',
    plain: `45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364
      65666768696a6b6c6d6e6f707172737401020201`,
    packet: `796b6963ffffffff333021696765746d
      f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86
      4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32 9fb4c053`,
  },
];

// RFC 7634 Appendix A: the ESP example. SPI 0x01020304, sequence number 5 (no ESN), IV 0x1011121314151617, an
// 84-byte ICMP echo in tunnel mode (Next Header 4) with padding 01 02, Pad Length 2.
const RFC7634_KEY = '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3';
const RFC7634_INNER = `45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10000736270809
  0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637`;
const RFC7634_PACKET = `0102030400000005 1011121314151617
  24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6
  14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3
  cbec163fac469b502773f6fb94e664da9165b82829f641e0 76aaa8266b7fb0f7b11b369907e1ad43`;

/** High and low halves of a draft sequence number: 8 hex digits are a 32-bit one, 16 an extended one. */
function sequence(seq: string): { esn: boolean; high: number; low: number } {
  if (seq.length === 8) return { esn: false, high: 0, low: Number.parseInt(seq, 16) };
  return { esn: true, high: Number.parseInt(seq.slice(0, 8), 16), low: Number.parseInt(seq.slice(8), 16) };
}

describe('AEAD ESP packets', () => {
  for (const backend of BACKENDS) {
    it(`reproduces every AES-GCM ESP packet of draft-mcgrew-gcm-test-01 §4 byte for byte, and opens it (${backend})`, () => {
      for (const [i, c] of GCM_ESP_CASES.entries()) {
        const packet = fromHex(c.packet);
        const plain = fromHex(c.plain);
        const { esn, high, low } = sequence(c.seq);
        const aes = encryption(EncrId.AES_GCM_16, (c.key.length / 2) * 8, backend);
        const protection = createProtection({
          spi: packet.subarray(0, 4),
          encryption: aes,
          integrity: undefined,
          keys: { encryption: fromHex(c.key + c.salt), integrity: new Uint8Array(0) },
          esn,
        });
        // the draft's plaintexts end in padding 1, 2, …, Pad Length and Next Header, as ours do
        const padLength = plain[plain.length - 2]!;
        const payload = plain.subarray(0, plain.length - 2 - padLength);
        const sealed = protection.seal(high, low, packet.subarray(8, 16), payload, plain[plain.length - 1]!);
        assert.equal(toHex(sealed), toHex(packet), `case ${i + 1} sealed`);
        assert.ok(protection.fits(packet.length));
        assert.equal(toHex(protection.open(packet, high) ?? new Uint8Array(0)), toHex(plain), `case ${i + 1} opened`);
        const forged = Uint8Array.from(packet);
        forged[forged.length - 1]! ^= 1;
        assert.equal(protection.open(forged, high), null, `case ${i + 1} forged ICV`);
        if (esn)
          assert.equal(protection.open(packet, high ^ 1), null, `case ${i + 1}: the high bits are authenticated`);
      }
    });

    it(`reproduces the RFC 7634 Appendix A ChaCha20-Poly1305 packet byte for byte, and opens it (${backend})`, () => {
      const protection = createProtection({
        spi: fromHex('01020304'),
        encryption: encryption(EncrId.CHACHA20_POLY1305, undefined, backend),
        integrity: undefined,
        keys: { encryption: fromHex(RFC7634_KEY), integrity: new Uint8Array(0) },
        esn: false,
      });
      const sealed = protection.seal(0, 5, fromHex('1011121314151617'), fromHex(RFC7634_INNER), 4);
      assert.equal(toHex(sealed), toHex(fromHex(RFC7634_PACKET)));
      assert.equal(toHex(protection.open(fromHex(RFC7634_PACKET), 0)!), `${toHex(fromHex(RFC7634_INNER))}01020204`);
    });
  }

  it('uses the 64-bit sequence number as IV and puts only its low half on the wire', () => {
    const protection = createProtection({
      spi: fromHex('01020304'),
      encryption: encryption(EncrId.AES_GCM_16, 128, 'node'),
      integrity: undefined,
      keys: { encryption: new Uint8Array(20), integrity: new Uint8Array(0) },
      esn: true,
    });
    assert.equal(toHex(protection.iv(1, 0xfffffffe)), '00000001fffffffe');
    const packet = protection.seal(1, 0xfffffffe, protection.iv(1, 0xfffffffe), new Uint8Array(0), 59);
    assert.equal(toHex(packet.subarray(0, 16)), '01020304fffffffe00000001fffffffe');
    assert.equal(packet.length, 8 + 8 + 4 + 16, 'empty payload: 2 bytes of padding align the trailer to 4');
  });
});

// RFC 3602 §4 cases #5 (transport mode, an ICMP echo) and #7 (tunnel mode): AES-128-CBC ESP packets without an ICV.
describe('CBC ESP packets', () => {
  for (const backend of BACKENDS) {
    it(`reproduces the RFC 3602 §4 case #5 and #7 ESP packets byte for byte, and opens them (${backend})`, () => {
      for (const c of [RFC3602_CASE5, RFC3602_CASE7]) {
        const protection = createProtection({
          spi: fromHex(c.spi),
          encryption: encryption(EncrId.AES_CBC, 128, backend),
          integrity: NULL_ICV_FOR_TESTS,
          keys: { encryption: fromHex(c.key), integrity: new Uint8Array(0) },
          esn: false,
        });
        const sealed = protection.seal(0, c.seq, fromHex(c.iv), fromHex(c.payload), c.nextHeader);
        assert.equal(toHex(sealed), toHex(fromHex(c.esp)), `case ${c.name}`);
        assert.equal(toHex(protection.open(sealed, 0)!), toHex(fromHex(c.padded)), `case ${c.name} opened`);
      }
    });
  }

  const integrities: [string, Integrity, string][] = [
    ['HMAC-SHA1-96', HMAC_SHA1_96, 'sha1'],
    ['HMAC-SHA2-256-128', HMAC_SHA2_256_128, 'sha256'],
    ['HMAC-SHA2-384-192', HMAC_SHA2_384_192, 'sha384'],
    ['HMAC-SHA2-512-256', HMAC_SHA2_512_256, 'sha512'],
  ];
  for (const [name, integrity, hash] of integrities) {
    for (const esn of [false, true]) {
      it(`AES-CBC + ${name}${esn ? ' with ESN' : ''}: SPI ‖ seq ‖ IV ‖ ciphertext ‖ ${integrity.icvLength}-byte ICV (RFC 4303 §2, RFC 4868 §2.3)`, () => {
        const keys = {
          encryption: fromHex('0123456789abcdef0123456789abcdef'),
          integrity: new Uint8Array(integrity.keyLength),
        };
        keys.integrity.fill(0x0b);
        const protection = createProtection({
          spi: fromHex('c0ffee01'),
          encryption: encryption(EncrId.AES_CBC, 128, 'node'),
          integrity,
          keys,
          esn,
        });
        assert.equal(protection.icvLength, integrity.icvLength);
        const iv = fromHex('000102030405060708090a0b0c0d0e0f');
        const payload = fromHex('45000014000000004000000000000000000000000000');
        const packet = protection.seal(7, 9, iv, payload, 4);
        // 22 bytes + 2 of trailer pad to 32: two AES blocks
        assert.equal(packet.length, 8 + 16 + 32 + integrity.icvLength);
        assert.equal(toHex(packet.subarray(0, 24)), `c0ffee0100000009${toHex(iv)}`);
        const icvAt = packet.length - integrity.icvLength;
        // RFC 4303 §2.2.1 / §3.3.2.1: with ESN the high-order 32 bits follow the packet into the ICV, unsent
        const mac = createHmac(hash, keys.integrity).update(packet.subarray(0, icvAt));
        if (esn) mac.update(fromHex('00000007'));
        assert.equal(toHex(packet.subarray(icvAt)), toHex(mac.digest().subarray(0, integrity.icvLength)));
        const plain = createDecipheriv('aes-128-cbc', keys.encryption, iv)
          .setAutoPadding(false)
          .update(packet.subarray(24, icvAt));
        assert.equal(toHex(plain), `${toHex(payload)}0102030405060708${'08'}04`);
        assert.equal(toHex(protection.open(packet, 7)!), toHex(plain));
        assert.equal(protection.open(packet, 8) === null, esn, 'only ESN puts the high bits into the ICV');
      });
    }
  }

  it('draws a fresh random IV for every CBC packet', () => {
    const protection = createProtection({
      spi: fromHex('c0ffee01'),
      encryption: encryption(EncrId.AES_CBC, 256, 'node'),
      integrity: HMAC_SHA2_256_128,
      keys: { encryption: new Uint8Array(32), integrity: new Uint8Array(32) },
      esn: false,
    });
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) seen.add(toHex(protection.iv(0, i)));
    assert.equal(seen.size, 600, 'no IV repeated across pool refills');
  });

  it('accepts only whole blocks with room for one, plus the ICV', () => {
    const protection = createProtection({
      spi: fromHex('c0ffee01'),
      encryption: encryption(EncrId.AES_CBC, 128, 'node'),
      integrity: HMAC_SHA1_96,
      keys: { encryption: new Uint8Array(16), integrity: new Uint8Array(20) },
      esn: false,
    });
    assert.equal(protection.fits(8 + 16 + 12), false, 'no ciphertext');
    assert.equal(protection.fits(8 + 16 + 16 + 12), true);
    assert.equal(protection.fits(8 + 16 + 17 + 12), false);
    assert.equal(protection.fits(8 + 16 + 32 + 12), true);
  });
});

describe('node:crypto fast path and the generic Encryption path agree', () => {
  const transforms: [string, number, number | undefined, Integrity | undefined][] = [
    ['AES-GCM-16-128', EncrId.AES_GCM_16, 128, undefined],
    ['AES-GCM-16-192', EncrId.AES_GCM_16, 192, undefined],
    ['AES-GCM-16-256', EncrId.AES_GCM_16, 256, undefined],
    ['ChaCha20-Poly1305', EncrId.CHACHA20_POLY1305, undefined, undefined],
    ['AES-CBC-128 + HMAC-SHA2-256-128', EncrId.AES_CBC, 128, HMAC_SHA2_256_128],
    ['AES-CBC-256 + HMAC-SHA2-512-256', EncrId.AES_CBC, 256, HMAC_SHA2_512_256],
  ];
  for (const [name, id, keyBits, integrity] of transforms) {
    it(`${name}: same packets from node and @noble, each opens the other's`, () => {
      const node = encryption(id, keyBits, 'node');
      const noble = encryption(id, keyBits, 'noble');
      const keys = {
        encryption: Uint8Array.from({ length: node.keyLength }, (_, i) => i * 7),
        integrity: Uint8Array.from({ length: integrity?.keyLength ?? 0 }, (_, i) => 255 - i),
      };
      for (const esn of [false, true]) {
        const a = createProtection({ spi: fromHex('0000abcd'), encryption: node, integrity, keys, esn });
        const b = createProtection({ spi: fromHex('0000abcd'), encryption: noble, integrity, keys, esn });
        for (const length of [0, 1, 2, 3, 15, 16, 17, 40, 1400]) {
          const payload = Uint8Array.from({ length }, (_, i) => i);
          const iv = Uint8Array.from({ length: node.ivLength }, (_, i) => 100 + i + length);
          const fromNode = a.seal(3, 1000 + length, iv, payload, 41);
          assert.equal(toHex(b.seal(3, 1000 + length, iv, payload, 41)), toHex(fromNode), `${length} bytes`);
          assert.equal(toHex(b.open(fromNode, 3)!), toHex(a.open(fromNode, 3)!));
        }
      }
    });
  }
});

describe('configuration checks', () => {
  const gcm = encryption(EncrId.AES_GCM_16, 128, 'node');
  const cbc = encryption(EncrId.AES_CBC, 128, 'node');
  const cases: [string, Parameters<typeof createProtection>[0]][] = [
    [
      'a 3-byte SPI',
      {
        spi: fromHex('010203'),
        encryption: gcm,
        integrity: undefined,
        keys: { encryption: new Uint8Array(20), integrity: new Uint8Array(0) },
        esn: false,
      },
    ],
    [
      'a GCM key without its salt',
      {
        spi: fromHex('01020304'),
        encryption: gcm,
        integrity: undefined,
        keys: { encryption: new Uint8Array(16), integrity: new Uint8Array(0) },
        esn: false,
      },
    ],
    [
      'AEAD with an integrity transform',
      {
        spi: fromHex('01020304'),
        encryption: gcm,
        integrity: HMAC_SHA2_256_128,
        keys: { encryption: new Uint8Array(20), integrity: new Uint8Array(32) },
        esn: false,
      },
    ],
    [
      'CBC without integrity',
      {
        spi: fromHex('01020304'),
        encryption: cbc,
        integrity: undefined,
        keys: { encryption: new Uint8Array(16), integrity: new Uint8Array(0) },
        esn: false,
      },
    ],
    [
      'a short integrity key',
      {
        spi: fromHex('01020304'),
        encryption: cbc,
        integrity: HMAC_SHA2_256_128,
        keys: { encryption: new Uint8Array(16), integrity: new Uint8Array(16) },
        esn: false,
      },
    ],
  ];
  for (const [name, config] of cases) {
    it(`refuses ${name}`, () => {
      assert.throws(() => createProtection(config), { name: 'OutpostError', code: 'crypto' });
    });
  }
});
