import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { DecodeError } from '../errors.js';
import { decodeEap, EapCode, EapType, encodeEap } from './packet.js';

describe('decodeEap', () => {
  it('decodes a request with its type and type-data (RFC 3748 §4.1)', () => {
    // Identity request, identifier 7, prompt "hi".
    const packet = decodeEap(fromHex('01 07 0007 01 6869'));
    assert.equal(packet.code, EapCode.REQUEST);
    assert.equal(packet.identifier, 7);
    assert.equal(packet.type, EapType.IDENTITY);
    assert.equal(toHex(packet.data), '6869');
  });

  it('decodes a request with empty type-data', () => {
    const packet = decodeEap(fromHex('01 01 0005 02'));
    assert.equal(packet.type, EapType.NOTIFICATION);
    assert.equal(packet.data.length, 0);
  });

  it('decodes Success and Failure without a type (RFC 3748 §4.2)', () => {
    assert.deepEqual(decodeEap(fromHex('03 2a 0004')), {
      code: EapCode.SUCCESS,
      identifier: 42,
      type: undefined,
      data: new Uint8Array(0),
    });
    assert.equal(decodeEap(fromHex('04 00 0004')).code, EapCode.FAILURE);
  });

  it('rejects what does not follow the format', () => {
    const bad: [string, string][] = [
      ['', 'empty'],
      ['01 01 00', 'shorter than a header'],
      ['01 01 0006 01', 'length beyond the bytes'],
      ['01 01 0005 01 00', 'bytes beyond the length'],
      ['01 01 0004', 'request without a type'],
      ['02 01 0004', 'response without a type'],
      ['03 01 0005 00', 'success with data'],
      ['04 01 0005 00', 'failure with data'],
      ['05 01 0004', 'undefined code'],
      ['00 01 0004', 'code zero'],
    ];
    for (const [bytes, why] of bad) assert.throws(() => decodeEap(fromHex(bytes)), DecodeError, why);
  });

  it('does not share memory with the input', () => {
    const bytes = fromHex('01 07 0007 01 6869');
    const packet = decodeEap(bytes);
    bytes[5] = 0;
    assert.equal(toHex(packet.data), '6869');
  });
});

describe('encodeEap', () => {
  it('encodes a response and round-trips it', () => {
    const bytes = encodeEap({ code: EapCode.RESPONSE, identifier: 9, type: EapType.NAK, data: Uint8Array.of(26) });
    assert.equal(toHex(bytes), '0209000603' + '1a');
    assert.deepEqual(decodeEap(bytes), {
      code: EapCode.RESPONSE,
      identifier: 9,
      type: EapType.NAK,
      data: Uint8Array.of(26),
    });
  });

  it('encodes Success and Failure as a bare header', () => {
    assert.equal(
      toHex(encodeEap({ code: EapCode.SUCCESS, identifier: 1, type: undefined, data: new Uint8Array() })),
      '03010004',
    );
  });

  it('refuses inconsistent packets', () => {
    const empty = new Uint8Array(0);
    assert.throws(() => encodeEap({ code: EapCode.RESPONSE, identifier: 1, type: undefined, data: empty }), RangeError);
    assert.throws(() => encodeEap({ code: EapCode.SUCCESS, identifier: 1, type: 1, data: empty }), RangeError);
    assert.throws(
      () => encodeEap({ code: EapCode.FAILURE, identifier: 1, type: undefined, data: fromHex('00') }),
      RangeError,
    );
    assert.throws(() => encodeEap({ code: 9, identifier: 1, type: undefined, data: empty }), RangeError);
    assert.throws(() => encodeEap({ code: EapCode.RESPONSE, identifier: 256, type: 1, data: empty }), RangeError);
    assert.throws(() => encodeEap({ code: EapCode.RESPONSE, identifier: 1, type: 300, data: empty }), RangeError);
    assert.throws(
      () => encodeEap({ code: EapCode.RESPONSE, identifier: 1, type: 1, data: new Uint8Array(0xffff) }),
      RangeError,
    );
  });
});
