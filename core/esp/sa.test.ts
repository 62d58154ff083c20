import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../test/support/hex.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { isOutpostError } from '../errors.js';
import { EncrId, IntegId } from '../iana.js';
import { type DropReason, type EspSaConfig, InboundSa, OutboundSa } from './sa.js';
import { espConfig, ipPacket, TRANSFORMS, twin } from './test-support.js';

const TWO_32 = 2 ** 32;
const GCM = TRANSFORMS.find((t) => t.encr === EncrId.AES_GCM_16 && t.keyBits === 256)!;
const CBC = TRANSFORMS.find((t) => t.integ === IntegId.HMAC_SHA2_256_128)!;

function pair(config: EspSaConfig, firstSequence?: bigint): { out: OutboundSa; inn: InboundSa } {
  return { out: new OutboundSa(config, { firstSequence }), inn: new InboundSa(twin(config)) };
}

function lowOnWire(packet: Uint8Array): number {
  return Buffer.from(packet).readUInt32BE(4);
}

/**
 * An ESP packet whose plaintext (payload ‖ padding ‖ trailer) we choose freely, sealed correctly: to test what
 * the receiver does with authentic packets the sealing side would never build.
 */
function sealRaw(config: EspSaConfig, seq: number, plain: Uint8Array): Uint8Array {
  const header = Buffer.alloc(8);
  header.set(config.spi);
  header.writeUInt32BE(seq, 4);
  const { encryption } = config;
  if (encryption.kind === 'aead') {
    const iv = Buffer.alloc(8);
    iv.writeUInt32BE(seq, 4);
    return Buffer.concat([header, iv, encryption.seal(config.keys.encryption, iv, header, plain)]);
  }
  const iv = Buffer.alloc(16, 7);
  const body = Buffer.concat([header, iv, encryption.encrypt(config.keys.encryption, iv, plain)]);
  return Buffer.concat([body, config.integrity!.compute(config.keys.integrity, body)]);
}

describe('round trips (RFC 4303 §2)', () => {
  for (const transform of TRANSFORMS) {
    for (const esn of [false, true]) {
      it(`${transform.name}${esn ? ' with ESN' : ''}: IPv4 and IPv6 of every size class, aligned, numbered from 1`, () => {
        const config = espConfig(transform, { esn });
        const { out, inn } = pair(config);
        const alignment = config.encryption.kind === 'cbc' ? 16 : 4;
        const icv = config.encryption.kind === 'aead' ? 16 : config.integrity!.icvLength;
        let sent = 0;
        let bytes = 0;
        for (const version of [4, 6] as const) {
          for (const length of [40, 41, 42, 43, 44, 57, 576, 1280, 1400, 1500]) {
            const payload = ipPacket(version, length, sent);
            const nextHeader = version === 4 ? 4 : 41;
            const packet = out.encapsulate(payload, nextHeader);
            sent++;
            bytes += length;
            assert.equal(out.sequence, BigInt(sent));
            assert.equal(lowOnWire(packet), sent, 'low-order sequence bits on the wire');
            assert.equal(toHex(packet.subarray(0, 4)), toHex(config.spi));
            const encrypted = packet.length - 8 - config.encryption.ivLength - icv;
            assert.equal(encrypted % alignment, 0, 'ciphertext aligned (RFC 4303 §2.4)');
            assert.ok(encrypted - length - 2 < alignment, 'no more padding than alignment needs');
            const opened = inn.decapsulate(packet);
            assert.ok(opened.ok, `${length} bytes of IPv${version}`);
            assert.equal(opened.nextHeader, nextHeader);
            assert.equal(toHex(opened.payload), toHex(payload));
          }
        }
        assert.deepEqual(out.counters, { packets: sent, bytes });
        assert.deepEqual(inn.counters, {
          packets: sent,
          bytes,
          drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
        });
        assert.equal(inn.highestSequence, BigInt(sent));
      });
    }
  }

  it('carries an empty payload and any Next Header, dummy packets (59) included (RFC 4303 §2.6)', () => {
    const { out, inn } = pair(espConfig(GCM));
    const opened = inn.decapsulate(out.encapsulate(new Uint8Array(0), 59));
    assert.deepEqual(opened.ok && { length: opened.payload.length, nextHeader: opened.nextHeader }, {
      length: 0,
      nextHeader: 59,
    });
    assert.equal(inn.counters.packets, 1, 'a dummy packet is an authentic packet');
    assert.throws(() => out.encapsulate(new Uint8Array(1), 256), { code: 'crypto' });
    assert.throws(() => out.encapsulate(new Uint8Array(1), -1), { code: 'crypto' });
  });
});

describe('sequence numbers (RFC 4303 §3.3.3)', () => {
  it('without ESN: warns 2^20 before the end, sends 2^32 - 1 last, then throws instead of wrapping', () => {
    const config = espConfig(CBC);
    const { out, inn } = pair(config, BigInt(TWO_32 - 2 ** 20 - 1));
    out.encapsulate(ipPacket(4, 40), 4);
    assert.equal(out.nearExhaustion, false);
    out.encapsulate(ipPacket(4, 40), 4);
    assert.equal(out.sequence, BigInt(TWO_32 - 2 ** 20));
    assert.equal(out.nearExhaustion, true, 'time to rekey');
    const { out: end, inn: endIn } = pair(espConfig(GCM), BigInt(TWO_32 - 2));
    assert.ok(endIn.decapsulate(end.encapsulate(ipPacket(4, 40), 4)).ok);
    const last = end.encapsulate(ipPacket(4, 40), 4);
    assert.equal(lowOnWire(last), TWO_32 - 1);
    assert.ok(endIn.decapsulate(last).ok);
    assert.equal(end.exhausted, true);
    assert.throws(
      () => end.encapsulate(ipPacket(4, 40), 4),
      (e: unknown) => isOutpostError(e) && e.code === 'crypto',
    );
    assert.equal(end.sequence, BigInt(TWO_32 - 1), 'the failed call used no number');
    assert.equal(inn.counters.packets, 0);
  });

  for (const transform of [GCM, CBC]) {
    it(`${transform.name} with ESN: crosses 2^32 with only the low half on the wire, the high half authenticated`, () => {
      const config = espConfig(transform, { esn: true });
      const { out, inn } = pair(config, BigInt(TWO_32 - 3));
      const packets = Array.from({ length: 6 }, (_, i) => out.encapsulate(ipPacket(4, 60, i), 4));
      assert.deepEqual(packets.map(lowOnWire), [TWO_32 - 3, TWO_32 - 2, TWO_32 - 1, 0, 1, 2]);
      assert.equal(out.sequence, BigInt(TWO_32 + 2));
      assert.equal(out.nearExhaustion, false, 'ESN: nowhere near the end');
      if (config.encryption.kind === 'aead') {
        // the IV is the full 64-bit number: 00000001 00000000 for 2^32
        assert.equal(toHex(packets[3]!.subarray(8, 16)), '0000000100000000');
      }
      // in order up to the rollover, then out of order across it
      for (const i of [0, 1, 3, 2, 5, 4]) assert.ok(inn.decapsulate(packets[i]!).ok, `packet ${i}`);
      assert.equal(inn.highestSequence, BigInt(TWO_32 + 2));
      for (const packet of packets) assert.deepEqual(inn.decapsulate(packet), { ok: false, reason: 'replay' });
    });
  }

  it('an ESN receiver that guessed the wrong high half (sender 2^32 ahead) fails the ICV, not the window', () => {
    const config = espConfig(GCM, { esn: true });
    const { out, inn } = pair(config, BigInt(TWO_32 + 5));
    // the receiver expects subspace 0: low 5 is read as 5, and the AAD then differs from the sender's
    assert.deepEqual(inn.decapsulate(out.encapsulate(ipPacket(4, 40), 4)), { ok: false, reason: 'auth' });
    assert.equal(inn.highestSequence, 0n);
  });

  it('refuses to build a second outbound SA over the same key buffer (it would repeat nonces)', () => {
    const config = espConfig(GCM);
    const sa = new OutboundSa(config);
    sa.encapsulate(ipPacket(4, 40), 4);
    assert.throws(() => new OutboundSa(config), { code: 'crypto' });
    assert.throws(() => new OutboundSa(twin(config), { firstSequence: 0n }), { code: 'crypto' });
    assert.throws(() => new InboundSa(config, 512), { code: 'crypto' });
  });
});

describe('anti-replay at the SA (RFC 4303 §3.4.3)', () => {
  it('duplicates, the window edge and far-ahead jumps, with a 1024 and a 4096 window', () => {
    for (const size of [1024, 4096]) {
      const config = espConfig(GCM);
      const out = new OutboundSa(config);
      const inn = new InboundSa(twin(config), size);
      const packets = Array.from({ length: size + 10 }, (_, i) => out.encapsulate(ipPacket(4, 40, i), 4));
      const top = size + 10;
      assert.ok(inn.decapsulate(packets[top - 1]!).ok);
      assert.deepEqual(inn.decapsulate(packets[top - 1]!), { ok: false, reason: 'replay' }, 'duplicate');
      assert.ok(inn.decapsulate(packets[top - size]!).ok, 'oldest inside the window');
      assert.deepEqual(inn.decapsulate(packets[top - size - 1]!), { ok: false, reason: 'replay' }, 'just outside');
      assert.ok(inn.decapsulate(packets[top - 2]!).ok, 'late but new');
      assert.deepEqual(inn.counters.drops, { replay: 2, auth: 0, malformed: 0, 'no-sa': 0 });
    }
  });

  it('a forged packet neither moves the window nor burns its number; replaying after a failure still fails', () => {
    const config = espConfig(CBC);
    const { out, inn } = pair(config);
    const packets = Array.from({ length: 3000 }, (_, i) => out.encapsulate(ipPacket(4, 40, i), 4));
    assert.ok(inn.decapsulate(packets[9]!).ok);
    const forged = Uint8Array.from(packets[2999]!);
    forged[forged.length - 1]! ^= 1;
    assert.deepEqual(inn.decapsulate(forged), { ok: false, reason: 'auth' });
    assert.deepEqual(inn.decapsulate(forged), { ok: false, reason: 'auth' }, 'replayed forgery: ICV again');
    assert.equal(inn.highestSequence, 10n);
    assert.ok(inn.decapsulate(packets[0]!).ok, 'seq 1 still inside the unmoved window');
    assert.ok(inn.decapsulate(packets[2999]!).ok, 'the genuine packet with the forged number still gets in');
    assert.deepEqual(inn.decapsulate(packets[1]!), { ok: false, reason: 'replay' }, 'now the window moved');
  });
});

describe('hostile input is dropped with its reason, never thrown', () => {
  for (const transform of TRANSFORMS) {
    it(`${transform.name}: truncated, wrong SPI, flipped bits`, () => {
      const config = espConfig(transform, { esn: true });
      const { out, inn } = pair(config);
      const packet = out.encapsulate(ipPacket(6, 100), 41);
      const icv = config.encryption.kind === 'aead' ? 16 : config.integrity!.icvLength;
      for (const length of [0, 1, 4, 7, 8, 8 + config.encryption.ivLength + icv, packet.length - 1]) {
        // AEAD ciphertext need not be whole blocks: one byte short still fits, and the ICV catches it
        const reason = length === packet.length - 1 && config.encryption.kind === 'aead' ? 'auth' : 'malformed';
        assert.deepEqual(inn.decapsulate(packet.subarray(0, length)), { ok: false, reason }, `${length}`);
      }
      const otherSpi = Uint8Array.from(packet);
      otherSpi[3]! ^= 1;
      assert.deepEqual(inn.decapsulate(otherSpi), { ok: false, reason: 'no-sa' });
      for (let bit = 32; bit < packet.length * 8; bit += 7) {
        const flipped = Uint8Array.from(packet);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const result = inn.decapsulate(flipped);
        assert.equal(result.ok, false, `bit ${bit}`);
      }
      const flips = Math.ceil((packet.length * 8 - 32) / 7);
      const truncatedAead = config.encryption.kind === 'aead' ? 1 : 0;
      assert.equal(inn.counters.drops.auth + inn.counters.drops.replay, flips + truncatedAead);
      assert.ok(inn.decapsulate(packet).ok, 'the genuine packet after all that');
    });
  }

  it('authentic packets with bad padding or an impossible Pad Length are malformed (RFC 4303 §2.4)', () => {
    for (const transform of [GCM, CBC]) {
      const config = espConfig(transform);
      const inn = new InboundSa(twin(config));
      const block = config.encryption.kind === 'cbc' ? 16 : 4;
      const plain = (bytes: number[]) => {
        const p = new Uint8Array(block * Math.ceil(bytes.length / block));
        p.set(bytes, p.length - bytes.length);
        return p;
      };
      // padding 1, 2, 4: not monotonic
      assert.deepEqual(inn.decapsulate(sealRaw(config, 1, plain([0x45, 1, 2, 4, 3, 4]))), {
        ok: false,
        reason: 'malformed',
      });
      // Pad Length 200 in a one-block packet
      assert.deepEqual(inn.decapsulate(sealRaw(config, 2, plain([1, 2, 200, 4]))), { ok: false, reason: 'malformed' });
      // the numbers were authentic, so they count as received
      assert.deepEqual(inn.decapsulate(sealRaw(config, 2, plain([1, 2, 200, 4]))), { ok: false, reason: 'replay' });
      // and a correct one goes through
      const good = inn.decapsulate(sealRaw(config, 3, plain([0x45, 0x00, 1, 2, 2, 4])));
      assert.ok(good.ok && good.payload.length === good.payload.byteLength);
    }
  });

  for (const transform of TRANSFORMS) {
    it(`${transform.name}: seeded fuzz of mutated and random packets`, () => {
      const config = espConfig(transform, { esn: transform.encr !== EncrId.CHACHA20_POLY1305 });
      const { out, inn } = pair(config);
      const random = seededRandom(0xe5b + transform.encr * 31 + (transform.keyBits ?? 0));
      const reasons = new Set<DropReason>(['replay', 'auth', 'malformed', 'no-sa']);
      let genuine = 0;
      for (let i = 0; i < 400; i++) {
        const packet = Uint8Array.from(out.encapsulate(ipPacket(4, 20 + (random() % 200), i), 4));
        const kind = random() % 5;
        let input: Uint8Array;
        if (kind === 0) input = packet;
        else if (kind === 1) input = packet.subarray(0, random() % packet.length);
        else if (kind === 2) {
          input = packet;
          for (let n = 1 + (random() % 4); n > 0; n--) input[random() % input.length]! ^= 1 << (random() % 8);
        } else if (kind === 3) input = Uint8Array.from({ length: random() % 300 }, () => random() & 0xff);
        else input = Uint8Array.of(...packet, ...Array.from({ length: 1 + (random() % 40) }, () => random() & 0xff));
        const result = inn.decapsulate(input);
        if (kind === 0) {
          assert.ok(result.ok, `genuine packet ${i}`);
          genuine++;
        } else if (!result.ok) assert.ok(reasons.has(result.reason));
      }
      const drops = Object.values(inn.counters.drops).reduce((a, b) => a + b, 0);
      assert.equal(inn.counters.packets + drops, 400);
      assert.ok(genuine > 50 && inn.counters.packets >= genuine);
    });
  }
});

describe('ICV coverage with ESN at the SA (RFC 4303 §2.2.1)', () => {
  it('CBC + HMAC: the sequence number high half is appended for the ICV, never sent', () => {
    const config = espConfig(CBC, { esn: true });
    const packet = new OutboundSa(config, { firstSequence: BigInt(3 * TWO_32 + 9) }).encapsulate(ipPacket(4, 40), 4);
    assert.equal(lowOnWire(packet), 9);
    const icvAt = packet.length - 16;
    const icv = createHmac('sha256', config.keys.integrity)
      .update(packet.subarray(0, icvAt))
      .update(Uint8Array.of(0, 0, 0, 3))
      .digest()
      .subarray(0, 16);
    assert.equal(toHex(packet.subarray(icvAt)), toHex(icv));
  });
});
