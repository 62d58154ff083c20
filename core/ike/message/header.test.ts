import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { ExchangeType, PayloadType } from '../../iana.js';
import { decodeHeader, encodeHeader } from './header.js';
import { expectDecodeError } from './test-support.js';
import type { IkeHeader } from './types.js';

const header: IkeHeader = {
  spiI: fromHex('0102030405060708'),
  spiR: fromHex('1112131415161718'),
  exchange: ExchangeType.IKE_AUTH,
  initiator: true,
  response: false,
  messageId: 0x01020304,
};

// RFC 7296 §3.1 layout: SPIs, next payload, version (major 2, minor 0), exchange, flags, message ID, length.
const encoded = fromHex('0102030405060708 1112131415161718 2e 20 23 08 01020304 0000001c');

test('encodes the 28-byte header with version 0x20 and the I flag', () => {
  assert.deepEqual(encodeHeader(header, PayloadType.SK, 28), encoded);
});

test('decodes what it encodes, with the chaining fields', () => {
  assert.deepEqual(decodeHeader(encoded), { ...header, firstPayload: PayloadType.SK, length: 28 });
});

test('flags: R alone, I and R, neither', () => {
  for (const [initiator, response, flags] of [
    [false, true, 0x20],
    [true, true, 0x28],
    [false, false, 0x00],
  ] as const) {
    const bytes = encodeHeader({ ...header, initiator, response }, 0, 28);
    assert.equal(bytes[19], flags);
    const decoded = decodeHeader(bytes);
    assert.equal(decoded.initiator, initiator);
    assert.equal(decoded.response, response);
  }
});

test('a higher minor version, the V flag and reserved flag bits are ignored on receipt (§2.5, §3.1)', () => {
  const bytes = encoded.slice();
  bytes[17] = 0x2f; // version 2.15
  bytes[19] = 0x08 | 0x10 | 0x07 | 0xc0;
  const decoded = decodeHeader(bytes);
  assert.equal(decoded.initiator, true);
  assert.equal(decoded.response, false);
});

test('message ID and length use all 32 bits', () => {
  const bytes = encodeHeader({ ...header, messageId: 0xffffffff }, 0, 28);
  assert.equal(decodeHeader(bytes).messageId, 0xffffffff);
});

test('rejects a datagram shorter than the header', () => {
  expectDecodeError(
    () => decodeHeader(encoded.subarray(0, 27)),
    /IKE header: 27 bytes, shorter than the 28-byte header/,
  );
  expectDecodeError(() => decodeHeader(new Uint8Array(0)), /IKE header: 0 bytes/);
});

test('rejects another major version', () => {
  for (const version of [0x10, 0x30, 0x00]) {
    const bytes = encoded.slice();
    bytes[17] = version;
    expectDecodeError(() => decodeHeader(bytes), new RegExp(`major version ${version >> 4}, expected 2`));
  }
});

test('rejects a length field that disagrees with the datagram', () => {
  const longer = new Uint8Array(40);
  longer.set(encoded);
  expectDecodeError(() => decodeHeader(longer), /length field says 28 bytes but the datagram holds 40/);
  const claimsMore = encoded.slice();
  claimsMore[27] = 0x30;
  expectDecodeError(() => decodeHeader(claimsMore), /length field says 48 bytes but the datagram holds 28/);
  const tooSmall = encoded.slice();
  tooSmall[27] = 0x10;
  expectDecodeError(() => decodeHeader(tooSmall), /length field 16 is shorter than the header/);
});

test('encoding refuses values the header cannot hold', () => {
  assert.throws(() => encodeHeader({ ...header, spiI: new Uint8Array(4) }, 0, 28), /SPIs must be 8 bytes/);
  assert.throws(() => encodeHeader({ ...header, messageId: 2 ** 32 }, 0, 28), /message ID/);
  assert.throws(() => encodeHeader({ ...header, exchange: 256 }, 0, 28), /exchange type/);
  assert.throws(() => encodeHeader(header, 0, 27), /shorter than the header/);
  assert.throws(() => encodeHeader(header, 0, 2 ** 32), /IKE message length/);
});
