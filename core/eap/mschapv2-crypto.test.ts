import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toUpperHex } from '../../test/support/hex.js';
import {
  asymmetricStartKey,
  challengeHash,
  deriveMsk,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  masterKey,
  ntPasswordHash,
  userNameForChallenge,
} from './mschapv2-crypto.js';

// RFC 2759 §9.2 "Hash Example".
const USER_NAME = 'User';
const PASSWORD = 'clientPass';
const AUTHENTICATOR_CHALLENGE = fromHex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = fromHex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const CHALLENGE = 'D02E4386BCE91226';
const PASSWORD_HASH = '44EBBA8D5312B8D611474411F56989AE';
const PASSWORD_HASH_HASH = '41C00C584BD2D91C4017A2A12FA59F3F';
const NT_RESPONSE = '82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF';
const AUTHENTICATOR_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

describe('MS-CHAPv2 (RFC 2759 §9.2 hash example)', () => {
  it('hashes the UTF-16LE password with MD4', () => {
    assert.equal(toUpperHex(ntPasswordHash(PASSWORD)), PASSWORD_HASH);
    assert.equal(toUpperHex(hashNtPasswordHash(fromHex(PASSWORD_HASH))), PASSWORD_HASH_HASH);
    // The widely published NT hash of "password" (e.g. in Samba's and hashcat's test data).
    assert.equal(toUpperHex(ntPasswordHash('password')), '8846F7EAEE8FB117AD06BDD830B7586C');
  });

  it('computes the challenge hash', () => {
    assert.equal(toUpperHex(challengeHash(PEER_CHALLENGE, AUTHENTICATOR_CHALLENGE, USER_NAME)), CHALLENGE);
  });

  it('computes the NT-Response', () => {
    const response = generateNtResponse(AUTHENTICATOR_CHALLENGE, PEER_CHALLENGE, USER_NAME, fromHex(PASSWORD_HASH));
    assert.equal(toUpperHex(response), NT_RESPONSE);
  });

  it('computes the authenticator response', () => {
    const response = generateAuthenticatorResponse(
      fromHex(PASSWORD_HASH),
      fromHex(NT_RESPONSE),
      PEER_CHALLENGE,
      AUTHENTICATOR_CHALLENGE,
      USER_NAME,
    );
    assert.equal(`S=${toUpperHex(response)}`, AUTHENTICATOR_RESPONSE);
  });
});

describe('MPPE keys (RFC 3079 §3.5.3, 128-bit sample, same credentials as RFC 2759 §9.2)', () => {
  const MASTER_KEY = 'FDECE3717A8C838CB388E527AE3CDD31';
  // RFC 3079 §3.5.3 derives SendStartKey128 as the server: GetAsymmetricStartKey(MasterKey, 16, TRUE, TRUE).
  const SEND_START_KEY_128 = '8B7CDC149B993A1BA118CB153F56DCCB';

  it('computes the master key', () => {
    assert.equal(toUpperHex(masterKey(fromHex(PASSWORD_HASH_HASH), fromHex(NT_RESPONSE))), MASTER_KEY);
  });

  it('computes the server send start key, which is the client receive key', () => {
    const master = fromHex(MASTER_KEY);
    assert.equal(toUpperHex(asymmetricStartKey(master, 16, { isSend: true, isServer: true })), SEND_START_KEY_128);
    assert.equal(toUpperHex(asymmetricStartKey(master, 16, { isSend: false, isServer: false })), SEND_START_KEY_128);
    // The 40- and 56-bit samples of §3.5.1/§3.5.2 use the first 8 bytes of the same start key.
    assert.equal(
      toUpperHex(asymmetricStartKey(master, 8, { isSend: true, isServer: true })),
      SEND_START_KEY_128.slice(0, 16),
    );
  });

  it('gives the client send key (server receive key) from the other magic', () => {
    const master = fromHex(MASTER_KEY);
    const clientSend = asymmetricStartKey(master, 16, { isSend: true, isServer: false });
    assert.equal(toUpperHex(clientSend), toUpperHex(asymmetricStartKey(master, 16, { isSend: false, isServer: true })));
    assert.notEqual(toUpperHex(clientSend), SEND_START_KEY_128);
  });
});

describe('deriveMsk', () => {
  it('lays out server receive key ‖ server send key ‖ 32 zero bytes, as strongSwan GenerateMSK does', () => {
    const msk = deriveMsk(fromHex(PASSWORD_HASH), fromHex(NT_RESPONSE));
    const master = fromHex('FDECE3717A8C838CB388E527AE3CDD31');
    assert.equal(msk.length, 64);
    assert.equal(
      toUpperHex(msk.subarray(0, 16)),
      toUpperHex(asymmetricStartKey(master, 16, { isSend: false, isServer: true })),
    );
    assert.equal(toUpperHex(msk.subarray(16, 32)), '8B7CDC149B993A1BA118CB153F56DCCB');
    assert.equal(toUpperHex(msk.subarray(32)), '00'.repeat(32));
    // Pinned, so that any change of layout shows up here and not only against a gateway.
    assert.equal(
      toUpperHex(msk),
      `D5F0E9521E3EA9589645E86051C82226 8B7CDC149B993A1BA118CB153F56DCCB ${'00'.repeat(32)}`.replace(/ /g, ''),
    );
  });
});

describe('non-ASCII passwords', () => {
  it('hashes UTF-16LE code units, surrogate pairs included', () => {
    // "pässwörd€😀": ä ö € are single UTF-16 code units, 😀 is the surrogate pair D83D DE00.
    const password = 'p\u00e4ssw\u00f6rd\u20ac\u{1F600}';
    const unicode = fromHex('7000 E400 7300 7300 7700 F600 7200 6400 AC20 3DD8 00DE');
    assert.equal(toUpperHex(Buffer.from(password, 'utf16le')), toUpperHex(unicode));
    assert.equal(toUpperHex(ntPasswordHash(password)), toUpperHex(hashNtPasswordHash(unicode)));
    // Not the UTF-8 bytes widened to 16 bits, which is what a naive byte-to-unicode conversion produces.
    const utf8Widened = Uint8Array.from([...Buffer.from(password, 'utf8')].flatMap((b) => [b, 0]));
    assert.notEqual(toUpperHex(ntPasswordHash(password)), toUpperHex(hashNtPasswordHash(utf8Widened)));
  });
});

describe('userNameForChallenge', () => {
  it('drops a Windows domain prefix and keeps anything else', () => {
    assert.equal(userNameForChallenge('CORP\\alice'), 'alice');
    assert.equal(userNameForChallenge('alice@example.com'), 'alice@example.com');
    assert.equal(userNameForChallenge('alice'), 'alice');
  });
});
