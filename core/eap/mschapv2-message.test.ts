import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toUpperHex } from '../../test/support/hex.js';
import { DecodeError } from '../errors.js';
import {
  decodeMschapV2Request,
  encodeMschapV2Acknowledgement,
  encodeMschapV2Response,
  MschapV2OpCode,
  parseMschapV2Failure,
  parseMschapV2Success,
} from './mschapv2-message.js';

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

describe('decodeMschapV2Request', () => {
  it('decodes a Challenge as strongSwan sends it', () => {
    const challenge = '5B5D7C7D7B3F2F3E3C2C602132262628';
    // OpCode 1, MS-CHAPv2-ID 0x42, MS-Length 31, Value-Size 16, challenge, Name "strongSwan".
    const request = decodeMschapV2Request(fromHex(`01 42 001f 10 ${challenge} ${ascii('strongSwan')}`));
    assert.equal(request.opCode, MschapV2OpCode.CHALLENGE);
    assert.equal(request.mschapId, 0x42);
    assert.ok(request.opCode === MschapV2OpCode.CHALLENGE);
    assert.equal(toUpperHex(request.challenge), challenge);
    assert.equal(request.serverName, 'strongSwan');
  });

  it('reads Success and Failure messages up to a terminating NUL', () => {
    const success = decodeMschapV2Request(fromHex(`03 42 0030 ${ascii('S=407A M=Welcome2strongSwan')} 00`));
    assert.deepEqual(success, {
      opCode: MschapV2OpCode.SUCCESS,
      mschapId: 0x42,
      message: 'S=407A M=Welcome2strongSwan',
    });
    const failure = decodeMschapV2Request(fromHex(`04 07 0000 ${ascii('E=691 R=1')}`));
    assert.deepEqual(failure, { opCode: MschapV2OpCode.FAILURE, mschapId: 7, message: 'E=691 R=1' });
  });

  it('rejects truncated or unknown requests', () => {
    const bad: [string, string][] = [
      ['', 'empty'],
      ['01 01 00', 'short header'],
      ['01 01 0014 10 00112233445566778899aabbccddee', 'challenge one byte short'],
      ['01 01 0015 08 00112233445566778899aabbccddeeff', 'Value-Size not 16'],
      ['02 01 0004', 'Response OpCode from the gateway'],
      ['07 01 0004', 'Change-Password OpCode'],
    ];
    for (const [bytes, why] of bad) assert.throws(() => decodeMschapV2Request(fromHex(bytes)), DecodeError, why);
  });
});

describe('encodeMschapV2Response', () => {
  it('lays out OpCode, ID, MS-Length, Value-Size 49, challenge, reserved, NT-Response, flags, name', () => {
    const peerChallenge = fromHex('21402324255E262A28295F2B3A337C7E');
    const ntResponse = fromHex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');
    const bytes = encodeMschapV2Response({ mschapId: 0x42, peerChallenge, ntResponse, name: 'CORP\\User' });
    assert.equal(
      toUpperHex(bytes),
      `02 42 003f 31 ${toUpperHex(peerChallenge)} 0000000000000000 ${toUpperHex(ntResponse)} 00 ${ascii('CORP\\User')}`
        .replace(/ /g, '')
        .toUpperCase(),
    );
    // MS-Length counts the whole Type-Data, i.e. the EAP length minus 5.
    assert.equal((bytes[2]! << 8) | bytes[3]!, bytes.length);
  });

  it('encodes the name as UTF-8', () => {
    const bytes = encodeMschapV2Response({
      mschapId: 1,
      peerChallenge: new Uint8Array(16),
      ntResponse: new Uint8Array(24),
      name: 'j\u00fcrgen',
    });
    assert.equal(Buffer.from(bytes.subarray(54)).toString('hex'), Buffer.from('j\u00fcrgen', 'utf8').toString('hex'));
  });

  it('encodes Success and Failure responses as the OpCode alone', () => {
    assert.equal(toUpperHex(encodeMschapV2Acknowledgement(MschapV2OpCode.SUCCESS)), '03');
    assert.equal(toUpperHex(encodeMschapV2Acknowledgement(MschapV2OpCode.FAILURE)), '04');
  });
});

describe('parseMschapV2Success', () => {
  const auth = '407A5589115FD0D6209F510FE9C04566932CDA56';

  it('accepts S= with or without a message, in either hex case', () => {
    assert.equal(toUpperHex(parseMschapV2Success(`S=${auth} M=Welcome2strongSwan`)!.authenticatorResponse), auth);
    assert.equal(parseMschapV2Success(`S=${auth} M=Access granted`)!.message, 'Access granted');
    assert.equal(parseMschapV2Success(`S=${auth}`)!.message, undefined);
    assert.equal(toUpperHex(parseMschapV2Success(`S=${auth.toLowerCase()}`)!.authenticatorResponse), auth);
  });

  it('gives undefined when there is no well-formed authenticator response', () => {
    for (const message of ['', 'M=hello', `S=${auth.slice(2)}`, `S=${auth}00`, `S=${auth.slice(1)}G`, ` S=${auth}`]) {
      assert.equal(parseMschapV2Success(message), undefined, message);
    }
  });
});

describe('parseMschapV2Failure', () => {
  it('reads the error number and the message (RFC 2759 §6)', () => {
    const failure = parseMschapV2Failure(
      'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failed, try again',
    );
    assert.deepEqual(failure, { error: 691, message: 'Authentication failed, try again' });
  });

  it("copes with strongSwan's form and with missing fields", () => {
    assert.deepEqual(parseMschapV2Failure('E=691 R=1 C=00112233445566778899AABBCCDDEEFF'), {
      error: 691,
      message: undefined,
    });
    assert.deepEqual(parseMschapV2Failure('E=648 R=0 V=3'), { error: 648, message: undefined });
    assert.deepEqual(parseMschapV2Failure('garbage'), { error: undefined, message: undefined });
    assert.deepEqual(parseMschapV2Failure('E=x R=0 M=E=646'), { error: undefined, message: 'E=646' });
  });
});
