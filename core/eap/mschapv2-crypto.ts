/**
 * The MS-CHAPv2 computations of RFC 2759 §8 and the MPPE master key of RFC 3079 §3.4, with the EAP MSK laid out as
 * strongSwan's eap-mschapv2 plugin (and Microsoft's NPS) build it.
 */
import { createHash } from 'node:crypto';
import { desEncryptBlock, expandDesKey } from '../crypto/legacy/des.js';
import { md4 } from '../crypto/legacy/md4.js';

function sha1(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** RFC 2759 §8.3: MD4 over the password as UTF-16LE (JavaScript strings are UTF-16 already, surrogates included). */
export function ntPasswordHash(password: string): Uint8Array {
  const unicode = Buffer.from(password, 'utf16le');
  try {
    return md4(unicode);
  } finally {
    unicode.fill(0);
  }
}

/** RFC 2759 §8.4. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  return md4(passwordHash);
}

/**
 * RFC 2759 §8.2: the first 8 bytes of SHA1(PeerChallenge ‖ AuthenticatorChallenge ‖ UserName). `userName` is the
 * name without any "DOMAIN\" prefix (see `userNameForChallenge`).
 */
export function challengeHash(peerChallenge: Uint8Array, authenticatorChallenge: Uint8Array, userName: string): Buffer {
  return sha1(peerChallenge, authenticatorChallenge, Buffer.from(userName, 'utf8')).subarray(0, 8);
}

/** RFC 2759 §8.5: the hash zero-padded to 21 bytes is three 56-bit DES keys, each encrypting the challenge. */
export function challengeResponse(challenge8: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  const keys = new Uint8Array(21);
  keys.set(passwordHash);
  const response = new Uint8Array(24);
  for (let i = 0; i < 3; i++) {
    response.set(desEncryptBlock(expandDesKey(keys.subarray(i * 7, i * 7 + 7)), challenge8), i * 8);
  }
  keys.fill(0);
  return response;
}

/**
 * RFC 2759 §8.1 GenerateNTResponse. Takes the NT password hash instead of the password so the caller hashes once and
 * can drop the password at once.
 */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: string,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

// RFC 2759 §8.7 and RFC 3079 §3.4 constants, spelled as the text they are.
const AUTH_MAGIC_1 = Buffer.from('Magic server to client signing constant', 'ascii');
const AUTH_MAGIC_2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');
const MASTER_KEY_MAGIC = Buffer.from('This is the MPPE Master Key', 'ascii');
const CLIENT_SEND_MAGIC = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const CLIENT_RECEIVE_MAGIC = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);
const SHS_PAD_1 = new Uint8Array(40);
const SHS_PAD_2 = new Uint8Array(40).fill(0xf2);

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse, as the 20 raw bytes (the message carries them as "S=" and 40 hex
 * digits).
 */
export function generateAuthenticatorResponse(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array {
  const digest = sha1(hashNtPasswordHash(passwordHash), ntResponse, AUTH_MAGIC_1);
  return sha1(digest, challengeHash(peerChallenge, authenticatorChallenge, userName), AUTH_MAGIC_2);
}

/** RFC 3079 §3.4 GetMasterKey. */
export function masterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(passwordHashHash, ntResponse, MASTER_KEY_MAGIC).subarray(0, 16);
}

/** RFC 3079 §3.4 GetAsymmetricStartKey. The server's send key is the client's receive key and vice versa. */
export function asymmetricStartKey(
  master: Uint8Array,
  keyLength: number,
  direction: { isSend: boolean; isServer: boolean },
): Uint8Array {
  const clientSends = direction.isSend !== direction.isServer;
  const magic = clientSends ? CLIENT_SEND_MAGIC : CLIENT_RECEIVE_MAGIC;
  return sha1(master, SHS_PAD_1, magic, SHS_PAD_2).subarray(0, keyLength);
}

/**
 * The 64-byte EAP-MSCHAPv2 MSK: MasterReceiveKey ‖ MasterSendKey ‖ 32 zero bytes, named from the server's side
 * (MS-MPPE-Recv-Key first, as RADIUS carries them). That is the layout strongSwan's eap-mschapv2 GenerateMSK builds
 * and uses in its IKEv2 AUTH; from this peer's side it reads client send key ‖ client receive key ‖ zeros.
 */
export function deriveMsk(passwordHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  const master = masterKey(hashNtPasswordHash(passwordHash), ntResponse);
  const msk = new Uint8Array(64);
  msk.set(asymmetricStartKey(master, 16, { isSend: false, isServer: true }), 0);
  msk.set(asymmetricStartKey(master, 16, { isSend: true, isServer: true }), 16);
  master.fill(0);
  return msk;
}

/** RFC 2759 §4: the challenge hash uses the user name "as presented by the peer and excluding any prepended domain". */
export function userNameForChallenge(identity: string): string {
  const separator = identity.indexOf('\\');
  return separator === -1 ? identity : identity.slice(separator + 1);
}
