import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { EncrId, PayloadType, ProtocolId, TransformType } from '../../iana.js';
import { decodePayloadChain, encodeGenericHeader, encodePayloadChain } from './chain.js';
import { expectDecodeError } from './test-support.js';
import type { Proposal } from './types.js';

function decodeSaBody(body: string): Proposal[] {
  const bytes = fromHex(body);
  const chain = new Uint8Array(4 + bytes.length);
  chain.set(encodeGenericHeader(0, chain.length));
  chain.set(bytes, 4);
  const [payload] = decodePayloadChain(PayloadType.SA, chain);
  assert.ok(payload?.type === PayloadType.SA);
  return payload.proposals;
}

// RFC 7296 §3.3.1/§3.3.2 layouts. ENCR AES-CBC without attributes serves as a minimal 8-byte transform.
const T_LAST = '00 00 0008 01 00 000c';
const T_MORE = '03 00 0008 01 00 000c';

test('a single minimal proposal', () => {
  assert.deepEqual(decodeSaBody(`00 00 0010 01 01 00 01 ${T_LAST}`), [
    {
      number: 1,
      protocol: ProtocolId.IKE,
      spi: fromHex(''),
      transforms: [{ type: TransformType.ENCR, id: EncrId.AES_CBC }],
    },
  ]);
});

test('a proposal with no transforms is structurally valid (choosing from it is the engine’s business)', () => {
  assert.deepEqual(decodeSaBody('00 00 0008 01 01 00 00'), [
    { number: 1, protocol: ProtocolId.IKE, spi: fromHex(''), transforms: [] },
  ]);
});

const MALFORMED: [string, string, RegExp][] = [
  ['an empty SA', '', /SA payload: no proposals/],
  [
    'proposal last-substructure 1',
    `01 00 0010 01 01 00 01 ${T_LAST}`,
    /proposal 1 last-substructure 1, expected 0 or 2/,
  ],
  ['proposal last-substructure 3', `03 00 0010 01 01 00 01 ${T_LAST}`, /proposal 1 last-substructure 3/],
  [
    'proposal says more follow but the SA ends',
    `02 00 0010 01 01 00 01 ${T_LAST}`,
    /proposal 1 says more proposals follow but the payload ends/,
  ],
  [
    'proposal marked last but another follows',
    `00 00 0010 01 01 00 01 ${T_LAST} 00 00 0010 02 01 00 01 ${T_LAST}`,
    /16 unexpected bytes after proposal 1, which is marked last/,
  ],
  [
    'proposal length below its header',
    `00 00 0007 01 01 00 01 ${T_LAST}`,
    /proposal 1 length 7 is shorter than its header/,
  ],
  [
    'proposal length beyond the SA',
    `00 00 0011 01 01 00 01 ${T_LAST}`,
    /proposal 1 \(length 17\) needs 13 bytes but only 12/,
  ],
  ['proposal header cut short', '00 00 00', /proposal 1 length needs 2 bytes but only 1/],
  [
    'IKE proposal with a 4-byte SPI',
    `00 00 0014 01 01 04 01 01020304 ${T_LAST}`,
    /SPI size 4 is not valid for protocol 1/,
  ],
  ['ESP proposal without an SPI', `00 00 0010 01 03 00 01 ${T_LAST}`, /SPI size 0 is not valid for protocol 3/],
  [
    'AH proposal with an 8-byte SPI',
    `00 00 0018 01 02 08 01 0102030405060708 ${T_LAST}`,
    /SPI size 8 is not valid for protocol 2/,
  ],
  ['SPI beyond the proposal', '00 00 000a 01 03 04 00 0102', /proposal 1: SPI needs 4 bytes but only 2/],
  [
    'fewer transforms than announced',
    `00 00 0010 01 01 00 02 ${T_LAST}`,
    /transform 1 of 2 has last-substructure 0, expected 3/,
  ],
  [
    'more transforms than announced',
    `00 00 0018 01 01 00 01 ${T_MORE} ${T_LAST}`,
    /transform 1 of 1 has last-substructure 3, expected 0/,
  ],
  [
    'announced transforms missing from the proposal',
    `00 00 0010 01 01 00 02 ${T_MORE}`,
    /proposal 1: transform 2 last-substructure needs 1 bytes but only 0/,
  ],
  [
    'bytes after the announced transforms',
    `00 00 0012 01 01 00 01 ${T_LAST} abcd`,
    /2 unexpected bytes after the 1 transforms the proposal announces/,
  ],
  [
    'transform last-substructure 2',
    '00 00 0010 01 01 00 01 02 00 0008 01 00 000c',
    /has last-substructure 2, expected 0/,
  ],
  [
    'transform length below its header',
    '00 00 0010 01 01 00 01 00 00 0007 01 00 000c',
    /transform 1 length 7 is shorter/,
  ],
  [
    'transform length beyond the proposal',
    '00 00 0010 01 01 00 01 00 00 0009 01 00 000c',
    /transform 1 \(length 9\) needs 5/,
  ],
  [
    'TV attribute cut short',
    '00 00 0013 01 01 00 01 00 00 000b 01 00 000c 800e 01',
    /attribute 14 value needs 2 bytes but only 1/,
  ],
  [
    'TLV attribute longer than the transform',
    '00 00 0016 01 01 00 01 00 00 000e 01 00 000c 0001 0004 abcd',
    /transform 1: attribute 1 value needs 4 bytes but only 2/,
  ],
  [
    'key length twice',
    '00 00 0018 01 01 00 01 00 00 0010 01 00 000c 800e 0080 800e 0100',
    /key length attribute appears twice/,
  ],
  [
    'key length in TLV format',
    '00 00 0016 01 01 00 01 00 00 000e 01 00 000c 000e 0002 0080',
    /key length attribute in variable-length format/,
  ],
];

for (const [name, body, what] of MALFORMED) {
  test(`malformed SA: ${name}`, () => {
    expectDecodeError(() => decodeSaBody(body), what);
  });
}

test('proposals we do not understand are left out, the rest keep their wire numbers (§3.3.6)', () => {
  const proposals = decodeSaBody(`
    02 00 001c 01 01 00 02                 # 1: IKE with an unknown transform type 6 (RFC 9370 ADDKE1)
      03 00 000c 01 00 000c 800e 0080
      00 00 0008 06 00 001f
    02 00 0014 02 01 00 01                 # 2: IKE, AES-GCM-16 with key length 256: understood
      00 00 000c 01 00 0014 800e 0100
    02 00 0016 03 01 00 01                 # 3: an unknown TLV attribute type 1
      00 00 000e 01 00 000c 0001 0002 abcd
    02 00 0014 04 04 04 01 deadbeef        # 4: protocol 4 (FC_ESP_HEADER), not ours
      00 00 0008 01 00 000c
    00 00 0014 05 01 00 01                 # 5: an unknown TV attribute type 15
      00 00 000c 01 00 000c 800f 0001
  `);
  assert.deepEqual(proposals, [
    {
      number: 2,
      protocol: ProtocolId.IKE,
      spi: fromHex(''),
      transforms: [{ type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 }],
    },
  ]);
});

test('an SA of only unknown proposals decodes to no proposals, not an error', () => {
  assert.deepEqual(decodeSaBody('00 00 0010 01 01 00 01 00 00 0008 00 00 0001'), []);
});

test('structural errors inside an unknown proposal are still errors', () => {
  expectDecodeError(
    () => decodeSaBody('00 00 0014 01 04 04 02 deadbeef 00 00 0008 01 00 000c'),
    /transform 1 of 2 has last-substructure 0/,
  );
});

test('encoding refuses SPI sizes the protocol does not use', () => {
  const bad: Proposal[] = [
    { number: 1, protocol: ProtocolId.ESP, spi: fromHex(''), transforms: [] },
    { number: 1, protocol: ProtocolId.IKE, spi: fromHex('01020304'), transforms: [] },
  ];
  for (const proposal of bad) {
    assert.throws(
      () => encodeSaPayload(proposal),
      new RegExp(`SPI of ${proposal.spi.length} bytes is not valid for protocol ${proposal.protocol}`),
    );
  }
  assert.throws(
    () => encodeSaPayload({ number: 256, protocol: 1, spi: fromHex(''), transforms: [] }),
    /proposal number 256/,
  );
});

function encodeSaPayload(proposal: Proposal): Uint8Array {
  return encodePayloadChain([{ type: PayloadType.SA, proposals: [proposal] }]);
}
