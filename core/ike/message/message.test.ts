import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { DecodeError } from '../../errors.js';
import {
  DhGroupId,
  EncrId,
  ExchangeType,
  HashAlgorithmId,
  NotifyType,
  PayloadType,
  PrfId,
  ProtocolId,
  TransformType,
} from '../../iana.js';
import { decodeMessage, encodeMessage } from './message.js';
import { payloadTypeOf } from './payloads.js';
import {
  expectDecodeError,
  HAND_BUILT_IKE_SA_INIT,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_2,
  STRONGSWAN_IKE_AUTH_RESPONSE,
  STRONGSWAN_IKE_SA_INIT_REQUEST,
  STRONGSWAN_IKE_SA_INIT_RESPONSE,
  X25519_ALICE_PUBLIC,
} from './test-support.js';
import type { IkeMessage, NotifyPayload, Payload, SaPayload } from './types.js';

const HAND_BUILT_DECODED: IkeMessage = {
  header: {
    spiI: fromHex('0102030405060708'),
    spiR: fromHex('0000000000000000'),
    exchange: ExchangeType.IKE_SA_INIT,
    initiator: true,
    response: false,
    messageId: 0,
    firstPayload: PayloadType.SA,
    length: 194,
  },
  payloads: [
    {
      type: PayloadType.SA,
      proposals: [
        {
          number: 1,
          protocol: ProtocolId.IKE,
          spi: fromHex(''),
          transforms: [
            { type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 },
            { type: TransformType.PRF, id: PrfId.HMAC_SHA2_256 },
            { type: TransformType.DH, id: DhGroupId.CURVE25519 },
          ],
        },
      ],
    },
    { type: PayloadType.KE, group: DhGroupId.CURVE25519, data: X25519_ALICE_PUBLIC },
    { type: PayloadType.NONCE, data: fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f') },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: fromHex(''),
      notifyType: NotifyType.NAT_DETECTION_SOURCE_IP,
      data: fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3'),
    },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: fromHex(''),
      notifyType: NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,
      data: fromHex(''),
    },
    {
      type: PayloadType.NOTIFY,
      protocol: 0,
      spi: fromHex(''),
      notifyType: NotifyType.SIGNATURE_HASH_ALGORITHMS,
      data: fromHex(
        [HashAlgorithmId.SHA2_256, HashAlgorithmId.SHA2_384, HashAlgorithmId.SHA2_512]
          .map((h) => h.toString(16).padStart(4, '0'))
          .join(''),
      ),
    },
  ],
};

test('hand-built IKE_SA_INIT: decodes to the typed message, which encodes back to the same bytes', () => {
  assert.deepEqual(decodeMessage(HAND_BUILT_IKE_SA_INIT), HAND_BUILT_DECODED);
  assert.deepEqual(encodeMessage(HAND_BUILT_DECODED.header, HAND_BUILT_DECODED.payloads), HAND_BUILT_IKE_SA_INIT);
});

const CAPTURED = [
  STRONGSWAN_IKE_SA_INIT_REQUEST,
  STRONGSWAN_IKE_SA_INIT_RESPONSE,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1,
  STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_2,
  STRONGSWAN_IKE_AUTH_RESPONSE,
];

test('every strongSwan message re-encodes byte for byte', () => {
  for (const bytes of CAPTURED) {
    const { header, payloads } = decodeMessage(bytes);
    assert.deepEqual(encodeMessage(header, payloads), bytes);
  }
});

function notifyTypes(payloads: Payload[]): number[] {
  return payloads.filter((p): p is NotifyPayload => p.type === PayloadType.NOTIFY).map((n) => n.notifyType);
}

function sa(payloads: Payload[]): SaPayload {
  const found = payloads.find((p): p is SaPayload => p.type === PayloadType.SA);
  assert.ok(found);
  return found;
}

// Expected values below are tshark 4.0's dissection of the same captured packets (isakmp.* fields).
test('strongSwan IKE_SA_INIT request matches tshark’s reading', () => {
  const { header, payloads } = decodeMessage(STRONGSWAN_IKE_SA_INIT_REQUEST);
  assert.deepEqual(header.spiI, fromHex('344fa453a55ff690'));
  assert.deepEqual(header.spiR, fromHex('0000000000000000'));
  assert.equal(header.exchange, ExchangeType.IKE_SA_INIT);
  assert.equal(header.initiator, true);
  assert.equal(header.response, false);
  assert.equal(header.messageId, 0);
  assert.equal(header.length, 892);
  assert.deepEqual(payloads.map(payloadTypeOf), [33, 34, 40, 41, 41, 41, 41, 41]);
  const { proposals } = sa(payloads);
  assert.deepEqual(
    proposals.map((p) => [p.number, p.protocol, p.spi.length, p.transforms.length]),
    [
      [1, 1, 0, 34],
      [2, 1, 0, 36],
    ],
  );
  const transforms = proposals.flatMap((p) => p.transforms);
  assert.deepEqual(
    transforms.map((t) => t.type).join(','),
    '1,1,1,1,1,1,1,1,1,1,1,1,1,3,3,3,3,2,2,2,2,4,4,4,4,4,4,4,4,4,4,4,4,4,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2,2,2,2,4,4,4,4,4,4,4,4,4,4,4,4,4',
  );
  const ids = (type: number) =>
    transforms
      .filter((t) => t.type === type)
      .map((t) => t.id)
      .join(',');
  assert.equal(
    ids(TransformType.ENCR),
    '12,12,12,13,13,13,23,23,23,24,24,24,3,20,20,20,16,16,16,28,19,19,19,18,18,18,15,15,15,14,14,14',
  );
  assert.equal(ids(TransformType.PRF), '5,6,7,2,5,6,7,2');
  assert.equal(ids(TransformType.INTEG), '12,13,14,2');
  assert.equal(ids(TransformType.DH), '31,32,19,20,21,28,29,30,15,16,17,18,14,31,32,19,20,21,28,29,30,15,16,17,18,14');
  assert.equal(
    transforms.flatMap((t) => (t.keyLength === undefined ? [] : [t.keyLength])).join(','),
    Array(10).fill('128,192,256').join(','),
  );
  const ke = payloads[1];
  assert.ok(ke?.type === PayloadType.KE);
  assert.equal(ke.group, DhGroupId.CURVE25519);
  assert.equal(ke.data.length, 32);
  const nonce = payloads[2];
  assert.ok(nonce?.type === PayloadType.NONCE);
  assert.deepEqual(nonce.data, fromHex('15558d95f206934c531cd6f8e093db01646163925cd919d0ce4baccfcda187ff'));
  assert.deepEqual(notifyTypes(payloads), [16388, 16389, 16430, 16431, 16406]);
});

test('strongSwan IKE_SA_INIT response matches tshark’s reading', () => {
  const { header, payloads } = decodeMessage(STRONGSWAN_IKE_SA_INIT_RESPONSE);
  assert.deepEqual(header.spiI, fromHex('344fa453a55ff690'));
  assert.deepEqual(header.spiR, fromHex('c89d22c4a14b61ee'));
  assert.equal(header.initiator, false);
  assert.equal(header.response, true);
  assert.equal(header.length, 248);
  assert.deepEqual(payloads.map(payloadTypeOf), [33, 34, 40, 41, 41, 41, 41, 41, 41]);
  assert.deepEqual(sa(payloads).proposals, [
    {
      number: 1,
      protocol: ProtocolId.IKE,
      spi: fromHex(''),
      transforms: [
        { type: TransformType.ENCR, id: EncrId.AES_CBC, keyLength: 128 },
        { type: TransformType.INTEG, id: 12 },
        { type: TransformType.PRF, id: PrfId.HMAC_SHA2_256 },
        { type: TransformType.DH, id: DhGroupId.CURVE25519 },
      ],
    },
  ]);
  const nonce = payloads[2];
  assert.ok(nonce?.type === PayloadType.NONCE);
  assert.deepEqual(nonce.data, fromHex('8ce5b87d1f16600cf4826ee412d38a0f09a0b4283f4d1442a05ce16560ad7fac'));
  assert.deepEqual(notifyTypes(payloads), [16388, 16389, 16430, 16431, 16418, 16404]);
  const signatureHashes = payloads.find((p) => p.type === PayloadType.NOTIFY && p.notifyType === 16431);
  assert.ok(signatureHashes?.type === PayloadType.NOTIFY);
  assert.equal(signatureHashes.data.length, 8);
});

test('strongSwan IKE_AUTH request fragments (RFC 7383) match tshark’s reading', () => {
  const first = decodeMessage(STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1);
  const second = decodeMessage(STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_2);
  for (const { header } of [first, second]) {
    assert.equal(header.exchange, ExchangeType.IKE_AUTH);
    assert.equal(header.messageId, 1);
    assert.equal(header.firstPayload, PayloadType.SKF);
  }
  const [f1] = first.payloads;
  const [f2] = second.payloads;
  assert.ok(f1?.type === PayloadType.SKF && f2?.type === PayloadType.SKF);
  // strongSwan logged "IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH ... ]": the first inner payload is IDi.
  assert.deepEqual([f1.innerType, f1.fragmentNumber, f1.totalFragments, f1.body.length], [PayloadType.IDi, 1, 2, 224]);
  assert.deepEqual([f2.innerType, f2.fragmentNumber, f2.totalFragments, f2.body.length], [0, 2, 2, 192]);
  assert.deepEqual(f1.body, STRONGSWAN_IKE_AUTH_REQUEST_FRAGMENT_1.subarray(28 + 8));
});

test('strongSwan IKE_AUTH response: an SK payload whose inner chain starts with IDr', () => {
  const { header, payloads } = decodeMessage(STRONGSWAN_IKE_AUTH_RESPONSE);
  assert.equal(header.response, true);
  assert.equal(header.length, 160);
  assert.equal(payloads.length, 1);
  const [sk] = payloads;
  assert.ok(sk?.type === PayloadType.SK);
  assert.equal(sk.innerType, PayloadType.IDr);
  assert.equal(sk.body.length, 128);
});

test('SK and SKF must be the last payload of the message', () => {
  const header = HAND_BUILT_DECODED.header;
  const sk: Payload = { type: PayloadType.SK, innerType: PayloadType.IDi, body: fromHex('0102') };
  const vendor: Payload = { type: PayloadType.VENDOR, data: fromHex('') };
  const bytes = encodeMessage(header, [vendor, sk]);
  assert.deepEqual(decodeMessage(bytes).payloads, [vendor, sk]);
  // An SK followed by a minimal 4-byte payload, with the header length covering both.
  const skOnly = encodeMessage(header, [sk]);
  const withTail = new Uint8Array(skOnly.length + 4);
  withTail.set(skOnly);
  withTail.set(fromHex('00000004'), skOnly.length);
  withTail[27] = withTail.length;
  expectDecodeError(() => decodeMessage(withTail), /payload 1 \(SK\): must be the last payload but 4 bytes follow/);
});

test('SKF: fragment numbers and the inner type of later fragments are checked (RFC 7383 §2.5)', () => {
  const header = HAND_BUILT_DECODED.header;
  const build = (next: number, number: number, total: number) => {
    const bytes = encodeMessage(header, [
      { type: PayloadType.SKF, innerType: 0, fragmentNumber: 1, totalFragments: 1, body: fromHex('aabb') },
    ]);
    bytes[28] = next;
    bytes.set([number >> 8, number & 0xff, total >> 8, total & 0xff], 32);
    return bytes;
  };
  expectDecodeError(() => decodeMessage(build(0, 0, 2)), /SKF payload: fragment 0 of 2/);
  expectDecodeError(() => decodeMessage(build(0, 3, 2)), /SKF payload: fragment 3 of 2/);
  expectDecodeError(() => decodeMessage(build(0, 1, 0)), /fragment 1 of 0/);
  expectDecodeError(
    () => decodeMessage(build(PayloadType.IDi, 2, 2)),
    /fragment 2 names inner payload 35; only fragment 1 may/,
  );
  expectDecodeError(() => decodeMessage(build(0, 1, 2).subarray(0, 30)), /length field says 38 bytes/);
  const ok = decodeMessage(build(PayloadType.IDi, 1, 2)).payloads[0];
  assert.deepEqual(ok, {
    type: PayloadType.SKF,
    innerType: PayloadType.IDi,
    fragmentNumber: 1,
    totalFragments: 2,
    body: fromHex('aabb'),
  });
  assert.throws(
    () =>
      encodeMessage(header, [
        { type: PayloadType.SKF, innerType: PayloadType.IDi, fragmentNumber: 2, totalFragments: 2, body: fromHex('') },
      ]),
    /fragment 2 of 2 with inner type 35/,
  );
});

test('an empty INFORMATIONAL (liveness check) keeps SK with inner type NONE', () => {
  const header = { ...HAND_BUILT_DECODED.header, exchange: ExchangeType.INFORMATIONAL, messageId: 7 };
  const payloads: Payload[] = [{ type: PayloadType.SK, innerType: PayloadType.NONE, body: fromHex('00'.repeat(32)) }];
  const bytes = encodeMessage(header, payloads);
  assert.equal(bytes[28], PayloadType.NONE);
  assert.deepEqual(decodeMessage(bytes).payloads, payloads);
});

test('a message with no payloads', () => {
  const bytes = encodeMessage(HAND_BUILT_DECODED.header, []);
  assert.equal(bytes.length, 28);
  assert.equal(bytes[16], PayloadType.NONE);
  assert.deepEqual(decodeMessage(bytes).payloads, []);
});

test('message-level malformations', () => {
  const patched = (at: number, value: number) => {
    const bytes = HAND_BUILT_IKE_SA_INIT.slice();
    bytes[at] = value;
    return bytes;
  };
  expectDecodeError(() => decodeMessage(patched(17, 0x10)), /IKE header: major version 1, expected 2/);
  expectDecodeError(() => decodeMessage(patched(27, 0xc3)), /length field says 195 bytes but the datagram holds 194/);
  // The SA payload's length field (offset 28 + 2) set to 3: below the generic header.
  const shortPayload = patched(31, 3);
  shortPayload[30] = 0;
  expectDecodeError(() => decodeMessage(shortPayload), /payload 1 \(SA\): length 3 is shorter than the generic header/);
  // The last notify says another payload follows.
  expectDecodeError(
    () => decodeMessage(patched(180, PayloadType.VENDOR)),
    /payload 7 \(VENDOR\): announced but only 0/,
  );
});

test('truncation at every byte offset is a DecodeError, with and without a matching length field', () => {
  for (const message of [HAND_BUILT_IKE_SA_INIT, ...CAPTURED]) {
    for (let n = 0; n < message.length; n++) {
      const prefix = message.slice(0, n);
      assert.throws(() => decodeMessage(prefix), DecodeError);
      if (n >= 28) {
        new DataView(prefix.buffer).setUint32(24, n);
        assert.throws(() => decodeMessage(prefix), DecodeError, `prefix of ${n} bytes with its length patched`);
      }
    }
  }
});

/** mulberry32: a small seeded generator, so a fuzz failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: 5,000 mutated messages only ever give DecodeError, and what decodes re-encodes consistently', () => {
  const next = random(0x0a7b05);
  const pick = (n: number) => Math.floor(next() * n);
  const sources = [HAND_BUILT_IKE_SA_INIT, ...CAPTURED];
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 5000; i++) {
    const bytes = sources[i % sources.length]!.slice();
    const mutations = 1 + pick(4);
    for (let m = 0; m < mutations; m++) {
      const at = pick(bytes.length);
      if (next() < 0.7) {
        bytes[at]! ^= 1 << pick(8);
      } else {
        bytes[at] = pick(256);
      }
    }
    let message: IkeMessage;
    try {
      message = decodeMessage(bytes);
    } catch (e) {
      assert.ok(e instanceof DecodeError, `iteration ${i}: ${String(e)}`);
      rejected++;
      continue;
    }
    decoded++;
    // Whatever decodes is a valid typed message: encoding it must work (unless every proposal was dropped, which
    // leaves an SA that cannot be sent) and decode to the same values.
    if (message.payloads.some((p) => p.type === PayloadType.SA && p.proposals.length === 0)) {
      continue;
    }
    const again = decodeMessage(encodeMessage(message.header, message.payloads));
    assert.deepEqual(again.payloads, message.payloads, `iteration ${i}`);
    assert.deepEqual({ ...again.header, length: 0 }, { ...message.header, length: 0 }, `iteration ${i}`);
  }
  // Both outcomes must actually occur, or the loop tests nothing.
  assert.ok(decoded > 500 && rejected > 500, `decoded ${decoded}, rejected ${rejected}`);
});
