import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../crypto/random.js';
import { getDhGroup, getEncryption, getIntegrity, getPrf } from '../crypto/registry.js';
import { deriveIkeKeys } from './keys.js';
import { DhGroupId, decodeMessage, EncrId, ExchangeType, IntegId, PayloadType, PrfId } from './message/index.js';
import type { Payload } from './message/types.js';
import { FragmentCollector, MessageProtection } from './protection.js';
import type { IkeSuite } from './suite.js';

function suite(encrId: number, keyBits: number | undefined, integId?: number): IkeSuite {
  return {
    encryption: getEncryption(encrId, keyBits)!,
    integrity: integId === undefined ? undefined : getIntegrity(integId)!,
    prf: getPrf(PrfId.HMAC_SHA2_256)!,
    dh: getDhGroup(DhGroupId.CURVE25519)!,
    transforms: [],
  };
}

const SUITES: Array<[string, IkeSuite]> = [
  ['AES-GCM-16 256', suite(EncrId.AES_GCM_16, 256)],
  ['ChaCha20-Poly1305', suite(EncrId.CHACHA20_POLY1305, undefined)],
  ['AES-CBC 128 + HMAC-SHA2-256-128', suite(EncrId.AES_CBC, 128, IntegId.HMAC_SHA2_256_128)],
];

function pair(s: IkeSuite) {
  const keys = deriveIkeKeys({
    suite: s,
    sharedSecret: randomBytes(32),
    ni: randomBytes(32),
    nr: randomBytes(32),
    spiI: randomBytes(8),
    spiR: randomBytes(8),
  });
  return { initiator: new MessageProtection(s, keys, true), responder: new MessageProtection(s, keys, false) };
}

const header = {
  spiI: randomBytes(8),
  spiR: randomBytes(8),
  exchange: ExchangeType.IKE_AUTH,
  initiator: true,
  response: false,
  messageId: 1,
};

// plain Uint8Arrays, as the decoder returns them, so deepEqual compares content
const inner: Payload[] = [
  { type: PayloadType.IDi, idType: 2, data: new TextEncoder().encode('alice.example.test') },
  { type: PayloadType.CERT, encoding: 4, data: Uint8Array.from(randomBytes(1500)) },
  { type: PayloadType.NONCE, data: Uint8Array.from(randomBytes(32)) },
];

for (const [name, s] of SUITES) {
  test(`${name}: what one side seals the other opens, byte for byte`, () => {
    const { initiator, responder } = pair(s);
    const [datagram] = initiator.seal(header, inner);
    assert.ok(datagram);
    const opened = responder.open(datagram, decodeMessage(datagram));
    assert.deepEqual(opened, inner);
  });

  test(`${name}: a flipped bit anywhere is refused with a DecodeError`, () => {
    const { initiator, responder } = pair(s);
    const [datagram] = initiator.seal(header, inner);
    for (const offset of [0, 10, 30, datagram!.length - 1, datagram!.length - 20]) {
      const forged = Uint8Array.from(datagram!);
      forged[offset]! ^= 0x01;
      assert.throws(() => responder.open(forged, decodeMessage(forged)), { name: 'DecodeError' });
    }
  });

  test(`${name}: the sender cannot open its own messages (keys per direction)`, () => {
    const { initiator } = pair(s);
    const [datagram] = initiator.seal(header, inner);
    assert.throws(() => initiator.open(datagram!, decodeMessage(datagram!)), { name: 'DecodeError' });
  });

  test(`${name}: large messages are fragmented under the limit and reassembled in any order (RFC 7383)`, () => {
    const { initiator, responder } = pair(s);
    const fragments = initiator.seal(header, inner, 576);
    assert.ok(fragments.length >= 3, `${fragments.length} fragments`);
    for (const f of fragments) assert.ok(f.length <= 576, `fragment of ${f.length} bytes`);
    const collector = new FragmentCollector();
    let result: Payload[] | undefined;
    for (const f of [...fragments].reverse()) {
      assert.equal(result, undefined);
      result = collector.add(1, responder.openFragment(f, decodeMessage(f)));
    }
    assert.deepEqual(result, inner);
  });
}

// Found by the fuzzer (test/fuzz, ike-fragments): IkeSession drops a DecodeError and ends the session on any other
// error, so a reassembled message that names no first payload must be a DecodeError like every other broken message.
test('fragments whose first one names no inner payload are a DecodeError, so the message is dropped', () => {
  const [, s] = SUITES[0]!;
  const { initiator, responder } = pair(s);
  const plaintext = Uint8Array.of(0, 0, 0, 8, 1, 2, 3, 4);
  const collector = new FragmentCollector();
  const first = initiator.sealEncoded(header, plaintext.subarray(0, 4), PayloadType.NONE, { n: 1, total: 2 });
  const second = initiator.sealEncoded(header, plaintext.subarray(4), PayloadType.NONE, { n: 2, total: 2 });
  assert.equal(collector.add(1, responder.openFragment(first, decodeMessage(first))), undefined);
  assert.throws(() => collector.add(1, responder.openFragment(second, decodeMessage(second))), {
    name: 'DecodeError',
  });
});
