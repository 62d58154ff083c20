import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../errors.js';
import { Avp, decodeAvps, encodeAvps, MICROSOFT_VENDOR_ID, papPassword } from './ttls-avp.js';

describe('EAP-TTLS AVPs (RFC 5281 §10)', () => {
  it('encodes header, vendor field and padding as §10.1 lays them out', () => {
    const bytes = encodeAvps([
      { code: Avp.USER_NAME, vendorId: 0, mandatory: true, data: Buffer.from('alice') },
      { code: Avp.MS_CHAP_CHALLENGE, vendorId: MICROSOFT_VENDOR_ID, mandatory: true, data: new Uint8Array(16).fill(7) },
    ]);
    assert.equal(
      Buffer.from(bytes).toString('hex'),
      // User-Name: code 1, flags M, length 13, "alice", 3 octets of padding
      `00000001400000${'0d'}616c696365000000` +
        // MS-CHAP-Challenge: code 11, flags V|M, length 28, vendor 311, 16 octets
        `0000000bc000001c00000137${'07'.repeat(16)}`,
    );
    assert.deepEqual(decodeAvps(bytes), [
      { code: 1, vendorId: 0, mandatory: true, data: new Uint8Array(Buffer.from('alice')) },
      { code: 11, vendorId: 311, mandatory: true, data: new Uint8Array(16).fill(7) },
    ]);
  });

  it('refuses an AVP whose length does not fit', () => {
    assert.throws(() => decodeAvps(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0)), DecodeError);
    assert.throws(() => decodeAvps(Uint8Array.of(0, 0, 0, 1, 0x40, 0, 0, 20, 1, 2)), /length 20 does not fit/);
    assert.throws(() => decodeAvps(Uint8Array.of(0, 0, 0, 1, 0xc0, 0, 0, 8)), /length 8 does not fit/);
  });

  it('pads the PAP password with nulls to 16 octets (§11.2.5)', () => {
    assert.equal(papPassword('secret').length, 16);
    assert.equal(papPassword('x'.repeat(17)).length, 32);
    assert.equal(
      Buffer.from(papPassword('secret')).toString('hex'),
      `${Buffer.from('secret').toString('hex')}${'00'.repeat(10)}`,
    );
  });
});
