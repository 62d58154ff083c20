import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { DecodeError } from '../../errors.js';
import {
  AuthMethod,
  CertEncoding,
  CfgAttr,
  CfgType,
  DhGroupId,
  EncrId,
  EsnId,
  IdType,
  IntegId,
  NotifyType,
  PayloadType,
  PrfId,
  ProtocolId,
  TransformType,
  TsType,
} from '../../iana.js';
import { decodePayloadChain, encodeGenericHeader, encodePayloadChain, firstPayloadType } from './chain.js';
import { expectDecodeError } from './test-support.js';
import type { Payload } from './types.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** One of each payload with its body as RFC 7296 §3 lays it out (generic header excluded). */
const SAMPLES: [string, Payload, string][] = [
  [
    'SA with an ESP proposal (§3.3)',
    {
      type: PayloadType.SA,
      proposals: [
        {
          number: 1,
          protocol: ProtocolId.ESP,
          spi: fromHex('c0ffee01'),
          transforms: [
            { type: TransformType.ENCR, id: EncrId.AES_CBC, keyLength: 128 },
            { type: TransformType.INTEG, id: IntegId.HMAC_SHA2_256_128 },
            { type: TransformType.ESN, id: EsnId.NO },
          ],
        },
      ],
    },
    `00 00 0028 01 03 04 03 c0ffee01
       03 00 000c 01 00 000c 800e 0080
       03 00 0008 03 00 000c
       00 00 0008 05 00 0000`,
  ],
  [
    'SA rekeying the IKE SA (8-byte SPI) with two proposals',
    {
      type: PayloadType.SA,
      proposals: [
        {
          number: 1,
          protocol: ProtocolId.IKE,
          spi: fromHex('0102030405060708'),
          transforms: [
            { type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 },
            { type: TransformType.PRF, id: PrfId.HMAC_SHA2_384 },
            { type: TransformType.DH, id: DhGroupId.ECP_384 },
          ],
        },
        {
          number: 2,
          protocol: ProtocolId.IKE,
          spi: fromHex('0102030405060708'),
          transforms: [{ type: TransformType.ENCR, id: EncrId.CHACHA20_POLY1305 }],
        },
      ],
    },
    `02 00 002c 01 01 08 03 0102030405060708
       03 00 000c 01 00 0014 800e 0100
       03 00 0008 02 00 0006
       00 00 0008 04 00 0014
     00 00 0018 02 01 08 01 0102030405060708
       00 00 0008 01 00 001c`,
  ],
  ['KE (§3.4)', { type: PayloadType.KE, group: DhGroupId.ECP_256, data: fromHex('04aabb') }, '0013 0000 04aabb'],
  [
    'IDi FQDN (§3.5)',
    { type: PayloadType.IDi, idType: IdType.FQDN, data: ascii('client.example.org') },
    `02 000000 ${Buffer.from('client.example.org').toString('hex')}`,
  ],
  ['IDr IPv4', { type: PayloadType.IDr, idType: IdType.IPV4_ADDR, data: fromHex('c0000202') }, '01 000000 c0000202'],
  ['CERT (§3.6)', { type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: fromHex('3082') }, '04 3082'],
  [
    'CERTREQ (§3.7)',
    { type: PayloadType.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: fromHex('11'.repeat(20)) },
    `04 ${'11'.repeat(20)}`,
  ],
  [
    'AUTH (§3.8)',
    { type: PayloadType.AUTH, method: AuthMethod.DIGITAL_SIGNATURE, data: fromHex('0102') },
    '0e 000000 0102',
  ],
  ['Nonce (§3.9)', { type: PayloadType.NONCE, data: fromHex('ab'.repeat(16)) }, 'ab'.repeat(16)],
  [
    'Notify without SPI (§3.10)',
    notifyOf(0, fromHex(''), NotifyType.NAT_DETECTION_SOURCE_IP, fromHex('cd'.repeat(20))),
    `00 00 4004 ${'cd'.repeat(20)}`,
  ],
  [
    'Notify with an ESP SPI',
    notifyOf(ProtocolId.ESP, fromHex('12345678'), NotifyType.REKEY_SA, fromHex('')),
    '03 04 4009 12345678',
  ],
  ['Delete IKE SA (§3.11)', { type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] }, '01 00 0000'],
  [
    'Delete two ESP SAs',
    { type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [fromHex('11111111'), fromHex('22222222')] },
    '03 04 0002 11111111 22222222',
  ],
  ['Vendor ID (§3.12)', { type: PayloadType.VENDOR, data: fromHex('882fe56d6fd20dbc') }, '882fe56d6fd20dbc'],
  [
    'TSi with IPv4 and IPv6 selectors (§3.13)',
    {
      type: PayloadType.TSi,
      selectors: [
        {
          tsType: TsType.IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddress: fromHex('c0000201'),
          endAddress: fromHex('c0000201'),
        },
        {
          tsType: TsType.IPV6_ADDR_RANGE,
          ipProtocol: 6,
          startPort: 443,
          endPort: 443,
          startAddress: fromHex('20010db8000000000000000000000000'),
          endAddress: fromHex('20010db800000000000000000000ffff'),
        },
      ],
    },
    `02 000000
       07 00 0010 0000 ffff c0000201 c0000201
       08 06 0028 01bb 01bb 20010db8000000000000000000000000 20010db800000000000000000000ffff`,
  ],
  [
    'TSr with one selector',
    {
      type: PayloadType.TSr,
      selectors: [
        {
          tsType: TsType.IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddress: fromHex('c6336400'),
          endAddress: fromHex('c63364ff'),
        },
      ],
    },
    '01 000000 07 00 0010 0000 ffff c6336400 c63364ff',
  ],
  [
    'CP request (§3.15)',
    {
      type: PayloadType.CP,
      cfgType: CfgType.REQUEST,
      attributes: [
        { attrType: CfgAttr.INTERNAL_IP4_ADDRESS, value: fromHex('') },
        { attrType: CfgAttr.INTERNAL_IP4_DNS, value: fromHex('') },
        { attrType: CfgAttr.APPLICATION_VERSION, value: ascii('outpost') },
      ],
    },
    `01 000000 0001 0000 0003 0000 0007 0007 ${Buffer.from('outpost').toString('hex')}`,
  ],
  ['CP reply without attributes', { type: PayloadType.CP, cfgType: CfgType.REPLY, attributes: [] }, '02 000000'],
  [
    // RFC 3748 §4, §5.1: Response (2), identifier 1, length 10, type Identity (1), "alice".
    'EAP Response/Identity (§3.16)',
    { type: PayloadType.EAP, message: fromHex('02 01 000a 01 616c696365') },
    '02 01 000a 01 616c696365',
  ],
  [
    'unrecognized, not critical',
    { type: 'unrecognized', payloadType: 49, critical: false, body: fromHex('abcd') },
    'abcd',
  ],
  ['unrecognized, critical', { type: 'unrecognized', payloadType: 200, critical: true, body: fromHex('') }, ''],
];

function notifyOf(protocol: number, spi: Uint8Array, notifyType: number, data: Uint8Array): Payload {
  return { type: PayloadType.NOTIFY, protocol, spi, notifyType, data };
}

/** A one-payload chain: generic header (next 0) followed by the body. */
function single(type: number, body: string): [number, Uint8Array] {
  const bytes = fromHex(body);
  const out = new Uint8Array(4 + bytes.length);
  out.set(encodeGenericHeader(0, out.length));
  out.set(bytes, 4);
  return [type, out];
}

for (const [name, payload, body] of SAMPLES) {
  test(`${name}: encodes to the RFC layout and decodes back`, () => {
    const type = firstPayloadType([payload]);
    const encoded = encodePayloadChain([payload]);
    const [, expected] = single(type, body);
    if (payload.type === 'unrecognized' && payload.critical) {
      expected[1] = 0x80;
    }
    assert.deepEqual(encoded, expected);
    assert.deepEqual(decodePayloadChain(type, encoded), [payload]);
  });
}

const ALL = SAMPLES.map(([, payload]) => payload);

test('a chain of every payload: next-payload fields derived, round trip exact', () => {
  const encoded = encodePayloadChain(ALL);
  let offset = 0;
  for (let i = 0; i < ALL.length; i++) {
    const following = ALL[i + 1];
    assert.equal(encoded[offset], following === undefined ? 0 : firstPayloadType([following]), `next of payload ${i}`);
    offset += (encoded[offset + 2]! << 8) | encoded[offset + 3]!;
  }
  assert.equal(offset, encoded.length);
  assert.deepEqual(decodePayloadChain(firstPayloadType(ALL), encoded), ALL);
});

test('an empty chain is type NONE and zero bytes', () => {
  assert.equal(firstPayloadType([]), PayloadType.NONE);
  assert.equal(encodePayloadChain([]).length, 0);
  assert.deepEqual(decodePayloadChain(PayloadType.NONE, new Uint8Array(0)), []);
});

test('decoded values do not alias the input', () => {
  const encoded = encodePayloadChain([{ type: PayloadType.VENDOR, data: fromHex('01020304') }]);
  const decoded = decodePayloadChain(PayloadType.VENDOR, encoded);
  encoded.fill(0);
  assert.deepEqual(decoded, [{ type: PayloadType.VENDOR, data: fromHex('01020304') }]);
});

test('truncating the chain at any byte gives a DecodeError', () => {
  const encoded = encodePayloadChain(ALL);
  const first = firstPayloadType(ALL);
  for (let n = 0; n < encoded.length; n++) {
    assert.throws(() => decodePayloadChain(first, encoded.subarray(0, n)), DecodeError, `prefix of ${n} bytes`);
  }
});

test('chain structure errors', () => {
  const vendor = encodePayloadChain([{ type: PayloadType.VENDOR, data: fromHex('aa') }]);
  const withGarbage = new Uint8Array(vendor.length + 2);
  withGarbage.set(vendor);
  expectDecodeError(() => decodePayloadChain(PayloadType.VENDOR, withGarbage), /2 bytes after the last payload/);
  expectDecodeError(() => decodePayloadChain(PayloadType.NONE, fromHex('00')), /1 bytes after the last payload/);
  expectDecodeError(
    () => decodePayloadChain(PayloadType.VENDOR, fromHex('2b000004 00')),
    /payload 2 \(VENDOR\): announced but only 1 bytes remain/,
  );
  expectDecodeError(
    () => decodePayloadChain(PayloadType.VENDOR, fromHex('00000003')),
    /length 3 is shorter than the generic/,
  );
  expectDecodeError(() => decodePayloadChain(PayloadType.VENDOR, fromHex('00000000')), /length 0 is shorter/);
  expectDecodeError(
    () => decodePayloadChain(PayloadType.VENDOR, fromHex('00000009 aabb')),
    /length 9 but only 6 bytes remain/,
  );
  expectDecodeError(
    () => decodePayloadChain(PayloadType.SK, fromHex('00000008 aabbccdd')),
    /SK\): an encrypted payload inside an encrypted payload/,
  );
  expectDecodeError(
    () => decodePayloadChain(PayloadType.SKF, fromHex('0000000a 0001 0001 aabb')),
    /SKF\): an encrypted payload inside/,
  );
});

test('the critical bit of an unrecognized payload survives; for known payloads it is ignored', () => {
  const [, bytes] = single(PayloadType.VENDOR, 'aa');
  bytes[1] = 0xff; // critical plus all reserved bits
  assert.deepEqual(decodePayloadChain(PayloadType.VENDOR, bytes), [{ type: PayloadType.VENDOR, data: fromHex('aa') }]);
  assert.deepEqual(decodePayloadChain(99, bytes), [
    { type: 'unrecognized', payloadType: 99, critical: true, body: fromHex('aa') },
  ]);
});

/** Each case: payload type, body hex, expected error. */
const MALFORMED: [string, number, string, RegExp][] = [
  ['KE shorter than its fixed part', PayloadType.KE, '0013 00', /KE payload: reserved needs 2 bytes but only 1/],
  ['ID without reserved bytes', PayloadType.IDi, '02 00', /IDi payload: reserved needs 3 bytes/],
  ['IPv4 ID of 5 bytes', PayloadType.IDr, '01 000000 c000020201', /ID type 1 needs a 4-byte address, got 5/],
  ['IPv6 ID of 4 bytes', PayloadType.IDr, '05 000000 c0000202', /ID type 5 needs a 16-byte address, got 4/],
  ['empty CERT', PayloadType.CERT, '', /CERT payload: certificate encoding needs 1 bytes/],
  ['AUTH without reserved bytes', PayloadType.AUTH, '0e', /AUTH payload: reserved needs 3/],
  ['nonce of 15 bytes', PayloadType.NONCE, 'aa'.repeat(15), /nonce of 15 bytes, must be 16 to 256/],
  ['nonce of 257 bytes', PayloadType.NONCE, 'aa'.repeat(257), /nonce of 257 bytes/],
  ['notify shorter than its fixed part', PayloadType.NOTIFY, '00 00 40', /notify type needs 2 bytes/],
  ['notify SPI beyond the payload', PayloadType.NOTIFY, '03 04 4009 1234', /SPI needs 4 bytes but only 2/],
  ['notify with an 8-byte IKE SPI', PayloadType.NOTIFY, '01 08 4009 0102030405060708', /SPI size 8 with protocol 1/],
  ['notify with a 3-byte ESP SPI', PayloadType.NOTIFY, '03 03 4009 010203', /SPI size 3 with protocol 3/],
  ['IKE delete with an SPI size', PayloadType.DELETE, '01 08 0001 0102030405060708', /IKE SA delete with SPI size 8/],
  ['ESP delete with SPI size 8', PayloadType.DELETE, '03 08 0001 0102030405060708', /SPI size 8 for protocol 3/],
  ['ESP delete count too high', PayloadType.DELETE, '03 04 0002 11111111', /2 SPIs of 4 bytes need 8 bytes, got 4/],
  ['ESP delete count too low', PayloadType.DELETE, '03 04 0001 11111111 22222222', /need 4 bytes, got 8/],
  ['delete for an unknown protocol', PayloadType.DELETE, '07 04 0001 11111111', /unknown protocol ID 7/],
  [
    'TS length 40 for IPv4',
    PayloadType.TSi,
    '01 000000 07 00 0028 0000 ffff c0000201 c0000201',
    /type 7 has length 40, expected 16/,
  ],
  [
    'TS length 16 for IPv6',
    PayloadType.TSr,
    `01 000000 08 00 0010 0000 ffff ${'00'.repeat(32)}`,
    /type 8 has length 16, expected 40/,
  ],
  [
    'TS of unknown type',
    PayloadType.TSi,
    '01 000000 09 00 0010 0000 ffff c0000201 c0000201',
    /selector 1 has unknown TS type 9/,
  ],
  [
    'TS count higher than the selectors',
    PayloadType.TSi,
    '02 000000 07 00 0010 0000 ffff c0000201 c0000201',
    /selector 2 type needs 1 bytes/,
  ],
  [
    'TS count lower than the selectors',
    PayloadType.TSi,
    '00 000000 07 00 0010 0000 ffff c0000201 c0000201',
    /16 unexpected bytes after the 0 selectors/,
  ],
  [
    'TS selector cut short',
    PayloadType.TSi,
    '01 000000 07 00 0010 0000 ffff c0000201 c00002',
    /end address needs 4 bytes but only 3/,
  ],
  [
    'CP attribute longer than the payload',
    PayloadType.CP,
    '02 000000 0001 0004 c000',
    /attribute 1 value needs 4 bytes but only 2/,
  ],
  ['CP attribute header cut short', PayloadType.CP, '02 000000 00', /attribute type needs 2 bytes/],
  [
    'EAP length field too long',
    PayloadType.EAP,
    '02 01 000b 01 616c696365',
    /EAP length field says 11 bytes but the payload holds 10/,
  ],
  [
    'EAP length field too short',
    PayloadType.EAP,
    '03 01 0004 00',
    /EAP length field says 4 bytes but the payload holds 5/,
  ],
  ['EAP shorter than its header', PayloadType.EAP, '03 01 00', /EAP packet of 3 bytes is shorter than its header/],
];

for (const [name, type, body, what] of MALFORMED) {
  test(`malformed: ${name}`, () => {
    const [t, bytes] = single(type, body);
    expectDecodeError(() => decodePayloadChain(t, bytes), what);
  });
}

test('CP: the reserved top bit of the attribute type is ignored (§3.15.1)', () => {
  const [t, bytes] = single(PayloadType.CP, '02 000000 8001 0004 c0000264');
  assert.deepEqual(decodePayloadChain(t, bytes), [
    { type: PayloadType.CP, cfgType: CfgType.REPLY, attributes: [{ attrType: 1, value: fromHex('c0000264') }] },
  ]);
});

test('notify: the protocol field is kept but not checked when there is no SPI (§3.10)', () => {
  const [t, bytes] = single(PayloadType.NOTIFY, '09 00 4000');
  assert.deepEqual(decodePayloadChain(t, bytes), [notifyOf(9, fromHex(''), NotifyType.INITIAL_CONTACT, fromHex(''))]);
});

test('encoding refuses payloads the wire format cannot carry', () => {
  const cases: [Payload, RegExp][] = [
    [{ type: PayloadType.NONCE, data: new Uint8Array(8) }, /nonce of 8 bytes/],
    [notifyOf(ProtocolId.IKE, new Uint8Array(8), 1, fromHex('')), /notify SPI of 8 bytes with protocol 1/],
    [{ type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [fromHex('01020304')] }, /delete for protocol 1/],
    [{ type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [fromHex('0102')] }, /delete for protocol 3/],
    [{ type: PayloadType.IDi, idType: IdType.IPV4_ADDR, data: fromHex('01') }, /needs a 4-byte address/],
    [{ type: PayloadType.CP, cfgType: 1, attributes: [{ attrType: 0x8001, value: fromHex('') }] }, /15 bits/],
    [{ type: PayloadType.EAP, message: fromHex('02 01 0009 01') }, /EAP packet of 5 bytes/],
    [{ type: PayloadType.VENDOR, data: new Uint8Array(65532) }, /payload length 65536/],
    [{ type: 'unrecognized', payloadType: PayloadType.SA, critical: false, body: fromHex('') }, /is known/],
    [{ type: PayloadType.SA, proposals: [] }, /at least one proposal/],
    [{ type: PayloadType.KE, group: 70000, data: fromHex('') }, /DH group 70000/],
    [
      {
        type: PayloadType.TSi,
        selectors: [
          {
            tsType: TsType.IPV4_ADDR_RANGE,
            ipProtocol: 0,
            startPort: 0,
            endPort: 65535,
            startAddress: fromHex('c0000201'),
            endAddress: fromHex('20010db8000000000000000000000000'),
          },
        ],
      },
      /needs 4-byte addresses/,
    ],
  ];
  for (const [payload, what] of cases) {
    assert.throws(() => encodePayloadChain([payload]), what);
  }
});

test('encoding an SK or SKF anywhere but last is a programming error', () => {
  const sk: Payload = { type: PayloadType.SK, innerType: PayloadType.IDi, body: fromHex('00') };
  const vendor: Payload = { type: PayloadType.VENDOR, data: fromHex('') };
  assert.throws(() => encodePayloadChain([sk, vendor]), /SK must be the last payload/);
  assert.deepEqual(encodePayloadChain([vendor, sk]).subarray(4), fromHex('23 00 0005 00'));
});

test('encodeGenericHeader: 4 bytes, critical clear, length checked', () => {
  assert.deepEqual(encodeGenericHeader(PayloadType.IDi, 0x1234), fromHex('23 00 1234'));
  assert.throws(() => encodeGenericHeader(0, 3), /payload length 3/);
  assert.throws(() => encodeGenericHeader(0, 0x10000), /payload length 65536/);
  assert.throws(() => encodeGenericHeader(256, 4), /next payload 256/);
});
